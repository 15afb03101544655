// A real Prometheus scrapes a prom-client app that records exemplars carrying trace IDs, and
// remote-writes to the ingest port with exemplars and metadata. What arrives is read from the store.
import type { Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Counter, Histogram, Registry } from 'prom-client';
import { MetricQueries } from '@pivot/store';
import { hasPrometheus, serveRegistry, startPrometheus, waitFor, type RunningPrometheus } from './prometheus.ts';
import { startTestPlatform } from './start.ts';

// prom-client types exemplar labels as the metric's own label names; any names work at run time.
const exemplar = (traceId: string, spanId: string) => ({ traceId, spanId }) as unknown as Record<'route', string>;

describe.runIf(hasPrometheus)('Prometheus remote-write end to end', () => {
  let platform: Awaited<ReturnType<typeof startTestPlatform>>;
  let prometheus: RunningPrometheus;
  let app: Server;
  let queries: MetricQueries;
  const traceIds: string[] = [];
  let timer: NodeJS.Timeout;

  beforeAll(async () => {
    platform = await startTestPlatform();
    queries = new MetricQueries(platform.database);
    const registry = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const latency = new Histogram({
      name: 'checkout_duration_seconds',
      help: 'Checkout latency.',
      labelNames: ['route'],
      buckets: [0.1, 0.5, 1],
      enableExemplars: true,
      registers: [registry],
    });
    const requests = new Counter({
      name: 'checkout_requests',
      help: 'Checkout requests.',
      labelNames: ['route'],
      enableExemplars: true,
      registers: [registry],
    });
    const record = () => {
      const traceId = randomBytes(16).toString('hex');
      const spanId = randomBytes(8).toString('hex');
      traceIds.push(traceId);
      latency.observe({
        labels: { route: '/checkout' },
        value: 0.3 + Math.random() * 0.5,
        exemplarLabels: exemplar(traceId, spanId),
      });
      requests.inc({ labels: { route: '/checkout' }, value: 1, exemplarLabels: exemplar(traceId, spanId) });
    };
    record();
    timer = setInterval(record, 300);
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

  it('stores the scraped series, samples, metadata and exemplars with their trace IDs', async () => {
    const buckets = await waitFor('bucket series with exemplars', async () => {
      const g = await queries.exemplars(
        [[{ name: '__name__', type: '=', value: 'checkout_duration_seconds_bucket' }]],
        0,
        Date.now() + 60_000,
      );
      return g.length > 0 ? g : undefined;
    });
    const series = await queries.select(
      [{ name: '__name__', type: '=~', value: 'checkout_duration_seconds_(bucket|count|sum)' }],
      Date.now() - 600_000,
      Date.now() + 60_000,
    );
    const les = series
      .filter((s) => s.labels.__name__ === 'checkout_duration_seconds_bucket')
      .map((s) => s.labels.le)
      .sort();
    expect(les).toEqual(['+Inf', '0.1', '0.5', '1']);
    for (const s of series) {
      expect(s.labels).toMatchObject({ job: 'app', route: '/checkout' });
      expect(s.labels.instance).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(s.timestamps.length).toBeGreaterThan(0);
    }
    // Every exemplar's trace ID is one the app recorded, and the span ID came along.
    const all = buckets.flatMap((g) => g.exemplars);
    expect(all.length).toBeGreaterThan(0);
    for (const e of all) {
      expect(traceIds).toContain(e.traceId);
      expect(e.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(e.labels.traceId).toBe(e.traceId);
    }
    // Prometheus puts a histogram exemplar on the bucket that contains its value.
    for (const g of buckets)
      for (const e of g.exemplars)
        if (g.seriesLabels.le !== '+Inf') expect(e.value).toBeLessThanOrEqual(Number(g.seriesLabels.le));

    const counter = await waitFor('counter exemplars', async () => {
      const g = await queries.exemplars(
        [[{ name: '__name__', type: '=', value: 'checkout_requests_total' }]],
        0,
        Date.now() + 60_000,
      );
      return g.length ? g : undefined;
    });
    expect(traceIds).toContain(counter[0]!.exemplars[0]!.traceId);

    const meta = await waitFor('metadata', async () => {
      const m = await queries.metadata();
      return m.checkout_duration_seconds && m.checkout_requests ? m : undefined;
    });
    expect(meta.checkout_duration_seconds).toEqual([{ type: 'histogram', help: 'Checkout latency.', unit: '' }]);
    expect(meta.checkout_requests![0]!.type).toBe('counter');
  });

  it('keeps counts monotonic and free of duplicates across Prometheus retries', async () => {
    const [count] = await queries.select(
      [{ name: '__name__', type: '=', value: 'checkout_duration_seconds_count' }],
      0,
      Date.now() + 60_000,
    );
    const ts = Array.from(count!.timestamps);
    expect(new Set(ts).size).toBe(ts.length);
    const vs = Array.from(count!.values);
    for (let i = 1; i < vs.length; i++) expect(vs[i]!).toBeGreaterThanOrEqual(vs[i - 1]!);
  });
});
