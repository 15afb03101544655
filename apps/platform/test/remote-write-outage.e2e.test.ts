// The database becomes unreachable while a real Prometheus remote-writes: ingest must answer 5xx (so
// Prometheus keeps the data and retries), and once it is back, what we hold must equal exactly what
// Prometheus itself scraped: nothing missing, nothing doubled. Needs PostgreSQL (DATABASE_URL).
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Counter, Registry } from 'prom-client';
import { MetricQueries } from '@pivot/store';
import { hasPrometheus, serveRegistry, startPrometheus, waitFor, type RunningPrometheus } from './prometheus.ts';
import { startTestPlatform } from './start.ts';

describe.runIf(hasPrometheus && process.env.DATABASE_URL)('remote-write while the database is down', () => {
  let platform: Awaited<ReturnType<typeof startTestPlatform>>;
  let prometheus: RunningPrometheus;
  let app: Server;
  let timer: NodeJS.Timeout;

  beforeAll(async () => {
    platform = await startTestPlatform({}, { viaProxy: true });
    const registry = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const ticks = new Counter({ name: 'outage_ticks', help: 'Ticks.', registers: [registry] });
    timer = setInterval(() => ticks.inc(), 50);
    let target: string;
    ({ server: app, target } = await serveRegistry(registry));
    prometheus = await startPrometheus({ targets: [target], remoteWriteUrl: `${platform.ingestUrl}/api/v1/write` });
  }, 60_000);

  afterAll(async () => {
    clearInterval(timer);
    await prometheus?.stop();
    app?.close();
    await platform?.stop();
  });

  it('answers 5xx during the outage and ends with exactly the samples Prometheus scraped', async () => {
    const queries = new MetricQueries(platform.database);
    const matcher = [{ name: '__name__', type: '=' as const, value: 'outage_ticks_total' }];
    await waitFor('first samples', async () =>
      (await queries.select(matcher, 0, Date.now() + 1000)).length ? true : undefined,
    );
    const windowStart = Date.now();
    platform.proxy!.cut();
    await new Promise((r) => setTimeout(r, 4000));
    platform.proxy!.restore();
    await new Promise((r) => setTimeout(r, 2000));
    const windowEnd = Date.now();

    const metricsText = await (await fetch(`${platform.ingestUrl}/metrics`)).text();
    expect(metricsText).toMatch(
      /pivot_ingest_http_requests_total\{route="\/api\/v1\/write",method="POST",status="503"\} [1-9]/,
    );

    // Prometheus' own TSDB is the reference for what was scraped in the window.
    const ref = await fetch(
      `${prometheus.url}/api/v1/query?query=${encodeURIComponent(`outage_ticks_total[${Math.ceil((windowEnd - windowStart) / 1000) + 30}s]`)}&time=${windowEnd / 1000}`,
    );
    const refBody = (await ref.json()) as { data: { result: { values: [number, string][] }[] } };
    const expected = refBody.data.result[0]!.values.map(([t, v]) => [Math.round(t * 1000), Number(v)]).filter(
      ([t]) => t! >= windowStart && t! <= windowEnd,
    );
    expect(expected.length).toBeGreaterThan(4);

    const ours = await waitFor('the backlog to land', async () => {
      const [s] = await queries.select(matcher, windowStart, windowEnd);
      return s && s.timestamps.length >= expected.length ? s : undefined;
    });
    expect(Array.from(ours.timestamps).map((t, i) => [t, ours.values[i]])).toEqual(expected);
  });
});
