// Differential tests: the same data is written to a real Prometheus (via remote write) and to an
// in-memory Querier, then every query of the battery is run on both, instant and range, and the
// results must match.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryQuerier } from '../src/index.ts';
import { CASES, ERRORS, T0, ours, paramSets, theirs } from './battery.ts';
import { diff } from './compare.ts';
import { generate } from './fixture.ts';
import { prometheusAvailable, startPrometheus, type RunningPrometheus } from './prometheus.ts';
import { remoteWrite } from './remote-write.ts';

const available = prometheusAvailable();
if (!available) console.warn('differential tests skipped: /usr/bin/prometheus not found (set PROMETHEUS_BIN)');

describe.skipIf(!available)('differential against Prometheus', () => {
  let prom: RunningPrometheus;
  let mem: MemoryQuerier;

  beforeAll(async () => {
    prom = await startPrometheus();
    const series = generate(T0);
    await remoteWrite(prom.url, series);
    mem = new MemoryQuerier(series);
  });

  afterAll(async () => {
    await prom?.stop();
  });

  it('holds the written data', async () => {
    const r = await theirs(prom.url, { query: 'count({__name__!=""})', time: String((T0 + 100 * 60_000) / 1000) });
    expect(r.ok).toBe(true);
  });

  for (const tc of CASES) {
    it(tc.q, async () => {
      const failures: string[] = [];
      for (const params of paramSets(tc.q, tc.instantOnly ?? false)) {
        const [p, o] = await Promise.all([theirs(prom.url, params), ours(mem, params)]);
        const where =
          'time' in params
            ? `instant @${params['time']}`
            : `range ${params['start']}..${params['end']} step ${params['step']}`;
        if (!p.ok) {
          if (o.ok) failures.push(`${where}: prometheus failed (${p.errorType}: ${p.error}), ours succeeded`);
          else if (p.errorType !== o.errorType)
            failures.push(`${where}: prometheus ${p.errorType}, ours ${o.errorType}`);
          continue;
        }
        if (!o.ok) {
          failures.push(`${where}: ours failed (${o.errorType}: ${o.error})`);
          continue;
        }
        const d = diff(p.data, o.data, tc.ordered ?? false);
        if (d) failures.push(`${where}: ${d}`);
      }
      expect(failures).toEqual([]);
    });
  }

  for (const q of ERRORS) {
    it(`rejects ${q}`, async () => {
      const params = { query: q, time: String((T0 + 100 * 60_000) / 1000) };
      const [p, o] = await Promise.all([theirs(prom.url, params), ours(mem, params)]);
      expect(p.ok).toBe(false);
      expect(o.ok ? 'succeeded' : o.errorType).toBe(p.ok ? 'succeeded' : p.errorType);
    });
  }

  it('rejects range queries over range vectors and strings like Prometheus', async () => {
    for (const q of ['up[5m]', '"str"']) {
      const params = { query: q, start: String(T0 / 1000 + 600), end: String(T0 / 1000 + 1200), step: '60' };
      const [p, o] = await Promise.all([theirs(prom.url, params), ours(mem, params)]);
      expect(p.ok).toBe(false);
      expect(o.ok ? 'succeeded' : o.errorType).toBe(p.ok ? 'succeeded' : p.errorType);
    }
  });

  it('rejects too many points per series like Prometheus', async () => {
    const params = { query: 'up', start: String(T0 / 1000), end: String(T0 / 1000 + 12_000), step: '1' };
    const [p, o] = await Promise.all([theirs(prom.url, params), ours(mem, params)]);
    expect(p.ok ? '' : p.error).toContain('exceeded maximum resolution of 11,000 points per timeseries');
    expect(o.ok ? '' : o.error).toBe(p.ok ? '' : p.error);
  });
});
