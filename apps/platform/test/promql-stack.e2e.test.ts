// The PromQL differential battery through the whole stack: the same remote-write payload goes to a
// real Prometheus and to our ingest port (then PostgreSQL or PGlite, compacted or not), and every query
// is asked of both HTTP APIs. This also checks the store's reads: matchers, ranges, duplicates, stale
// markers. Any difference is a defect.
import {
  CASES,
  ERRORS,
  T0,
  paramSets,
  theirs,
  diff,
  generate,
  remoteWrite,
  startPrometheus,
  type RunningPrometheus,
} from '@pivot/promql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactMetricChunks } from '@pivot/store';
import { hasPrometheus } from './prometheus.ts';
import { startTestPlatform } from './start.ts';

describe.runIf(hasPrometheus)('PromQL through ingest, store and API, against Prometheus', () => {
  let prom: RunningPrometheus;
  let platform: Awaited<ReturnType<typeof startTestPlatform>>;

  beforeAll(async () => {
    [prom, platform] = await Promise.all([startPrometheus(), startTestPlatform()]);
    const series = generate(T0);
    // Half the series are sent twice (a retried request) and everything is compacted afterwards, so
    // both read paths (small chunks and merged ones) and duplicate handling are exercised.
    await Promise.all([remoteWrite(prom.url, series), remoteWrite(platform.ingestUrl, series)]);
    await remoteWrite(platform.ingestUrl, series.slice(0, Math.floor(series.length / 2)));
    await compactMetricChunks(platform.database, T0 + 60 * 60_000, { minChunksOpenWindow: 2 });
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
    await platform?.stop();
  });

  it('answers every query of the battery as Prometheus does', async () => {
    const failures: string[] = [];
    for (const tc of CASES) {
      for (const params of paramSets(tc.q, tc.instantOnly ?? false)) {
        const [p, o] = await Promise.all([theirs(prom.url, params), theirs(platform.apiUrl, params)]);
        const where = `${tc.q} ${'time' in params ? `@${params.time}` : `${params.start}..${params.end}/${params.step}`}`;
        if (!p.ok) {
          if (o.ok) failures.push(`${where}: Prometheus failed (${p.errorType}), ours succeeded`);
          else if (p.errorType !== o.errorType)
            failures.push(`${where}: Prometheus ${p.errorType}, ours ${o.errorType}`);
          continue;
        }
        if (!o.ok) {
          failures.push(`${where}: ours failed (${o.errorType}: ${o.error})`);
          continue;
        }
        const d = diff(p.data, o.data, tc.ordered ?? false);
        if (d) failures.push(`${where}: ${d}`);
      }
    }
    expect(failures.slice(0, 20)).toEqual([]);
  }, 600_000);

  it('refuses the invalid queries with the same error types', async () => {
    const failures: string[] = [];
    for (const q of ERRORS) {
      const params = { query: q, time: String((T0 + 100 * 60_000) / 1000) };
      const [p, o] = await Promise.all([theirs(prom.url, params), theirs(platform.apiUrl, params)]);
      if ((o.ok ? 'succeeded' : o.errorType) !== (p.ok ? 'succeeded' : p.errorType)) failures.push(q);
    }
    expect(failures).toEqual([]);
  });
});
