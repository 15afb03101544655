// Service and operation RED stats from the service-graph rollups (and the not-yet-folded tail from the
// spans), through the HTTP API, on every driver; and the dashboard's static serving with its SPA fallback.
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpanId, parseTraceId, unixNano, type ResourceSpans, type Span } from '@pivot/model';
import { createLogger } from '@pivot/server-kit';
import {
  foldServiceGraph,
  PartitionManager,
  ServiceGraphQueries,
  ServiceStatsQueries,
  SpanWriter,
  TraceQueries,
  type Database,
} from '@pivot/store';
import { testDatabases } from '@pivot/store/testing';
import { createApiApp } from '../src/app.ts';
import { parseStatsWindow } from '../src/service-stats.ts';

const T0 = 1_764_000_000_000_000_000n; // 2025-11-24T16:00:00Z, on a minute boundary
const MIN = 60_000_000_000n;
const MS = 1_000_000n;
let seq = 0;
const id = () => (++seq).toString(16).padStart(16, '0');
const traceId = () => parseTraceId((++seq).toString(16).padStart(32, 'a'))!;

function span(
  name: string,
  startNs: bigint,
  durMs: number,
  opts: { kind?: number; parent?: string | null; error?: boolean } = {},
): Span {
  return {
    traceId: traceId(),
    spanId: parseSpanId(id())!,
    parentSpanId: opts.parent === undefined ? null : opts.parent === null ? null : parseSpanId(opts.parent)!,
    traceState: '',
    flags: 1,
    name,
    kind: opts.kind ?? 2,
    startTimeUnixNano: unixNano(startNs),
    endTimeUnixNano: unixNano(startNs + BigInt(durMs) * MS),
    attributes: {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: opts.error ? 2 : 0, message: '' },
  };
}
const rs = (service: string, spans: Span[]): ResourceSpans[] => [
  {
    resource: { attributes: { 'service.name': service }, droppedAttributesCount: 0 },
    scopeSpans: [{ scope: { name: 't', version: '', attributes: {} }, spans }],
  },
];

for (const tdb of testDatabases()) {
  describe(`service stats on ${tdb.name}`, () => {
    let db: Database;
    let app: ReturnType<typeof createApiApp>;
    let webDir: string;
    let partitions: PartitionManager;
    const WAIT = 30_000;
    // Folds the spans that ended before `minutes` into the window (the fold's watermark starts at T0).
    const foldTo = (minutes: bigint) =>
      foldServiceGraph(db, partitions, Number((T0 + minutes * MIN) / MS) + WAIT, {
        waitMs: WAIT,
        firstLookbackMs: Number((minutes * MIN) / MS),
      });
    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      partitions = new PartitionManager(db);
      const writer = new SpanWriter(db, partitions);
      // checkout: 100 requests of 1…100 ms over 10 minutes (10 per minute), 5 errors on GET /cart;
      // each with a CLIENT child that is not a request. payment: only one root span.
      const checkout: Span[] = [];
      for (let i = 0; i < 100; i++) {
        const start = T0 + BigInt(Math.floor(i / 10)) * MIN + BigInt(i) * MS;
        const s = span(i % 2 ? 'POST /checkout' : 'GET /cart', start, i + 1, { error: i % 2 === 0 && i < 10 });
        checkout.push(s, span('SELECT', start, 1, { kind: 3, parent: s.spanId }));
      }
      await writer.write(rs('checkout', checkout));
      await writer.write(rs('batch', [span('nightly', T0 + 3n * MIN + 30_000n * MS, 500, { kind: 1 })]));
      // Outside the window: not counted.
      await writer.write(rs('checkout', [span('GET /cart', T0 + 20n * MIN, 5)]));
      await writer.close();
      // Minutes 0-6 folded into the rollups; 7-9 are the tail the overview reads from the spans.
      await foldTo(7n);
      webDir = mkdtempSync(join(tmpdir(), 'pivot-web-'));
      mkdirSync(join(webDir, '_app/immutable'), { recursive: true });
      writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>pivot</title>');
      writeFileSync(join(webDir, '_app/immutable/app.abc.js'), 'export {}');
      app = createApiApp({
        logger: createLogger('silent', 'test'),
        traces: new TraceQueries(db),
        serviceStats: new ServiceStatsQueries(db),
        webDir,
        ready: () => db.ping(),
      });
    });
    afterAll(async () => {
      await db?.close();
      await tdb.drop();
    });

    const window = `start=${T0}&end=${T0 + 10n * MIN}&step=1m`;

    interface Body {
      stepMs: number;
      buckets: number[];
      total: { requests: number };
      services: {
        name: string;
        requests: number;
        errors: number;
        rate: number;
        errorRate: number;
        p50Ms: number;
        p95Ms: number;
        p99Ms: number;
        sparkline: number[];
        errorSparkline: number[];
        p99Sparkline: (number | null)[];
      }[];
    }

    // checkout's 100 durations 1…100 ms fall in the rollup buckets (…2], (2,4], (4,8], (8,16], (16,32],
    // (32,64], (64,128] ms as 2, 2, 4, 8, 16, 32, 36; percentiles interpolate inside a bucket, as
    // histogram_quantile does (a span scan would say p50 50.5, p99 99.01).
    const expectRollupFigures = (body: Body) => {
      expect(body.stepMs).toBe(60_000);
      expect(body.buckets).toHaveLength(10);
      expect(body.buckets[0]).toBe(Number(T0 / MS));
      expect(body.services.map((s) => s.name)).toEqual(['checkout', 'batch']);
      const c = body.services[0]!;
      expect(c).toMatchObject({ requests: 100, errors: 5, errorRate: 0.05 });
      expect(c.rate).toBeCloseTo(100 / 600, 9);
      expect(c.p50Ms).toBeCloseTo(32 + (32 * (50 - 32)) / 32, 9); // rank 50 in (32,64] after 32
      expect(c.p95Ms).toBeCloseTo(64 + (64 * (95 - 64)) / 36, 9);
      expect(c.p99Ms).toBeCloseTo(64 + (64 * (99 - 64)) / 36, 9);
      expect(c.sparkline).toEqual(new Array(10).fill(10));
      expect(c.errorSparkline).toEqual([5, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      // Minute 0 holds 1…10 ms (2, 2, 4, 2 in the first four buckets); minute 9 holds 91…100 ms, all in (64,128].
      expect(c.p99Sparkline[0]).toBeCloseTo(8 + (8 * (9.9 - 8)) / 2, 9);
      expect(c.p99Sparkline[9]).toBeCloseTo(64 + (64 * 9.9) / 10, 9);
      // batch's root INTERNAL span (500 ms, in (256,512]) still counts: the batch job's request.
      expect(body.services[1]).toMatchObject({ name: 'batch', requests: 1, errors: 0, p50Ms: 256 + 256 * 0.5 });
      // batch's only request came 3.5 minutes into the 10-minute window: its rate is over the 6.5 it
      // covers, to the second (the rollups alone know its minute only, which would give 7).
      expect(body.services[1]!.rate).toBeCloseTo(1 / 390, 9);
      expect(body.total.requests).toBe(101);
    };

    it('gives rate, error rate and percentiles per service from the rollups plus the unfolded tail', async () => {
      // The rollups hold the first 7 minutes only: 70 requests and their 70 CLIENT children, + batch.
      const folded = await new ServiceGraphQueries(db).propagation({
        startNs: unixNano(T0),
        endNs: unixNano(T0 + 10n * MIN),
      });
      expect(folded.services.find((s) => s.service === 'checkout')?.spans).toBe(140);
      const res = await app.request(`/api/services/stats?${window}`);
      expect(res.status).toBe(200);
      expectRollupFigures((await res.json()) as Body);
    });

    it('gives the same once everything is folded: the tail and the rollups never overlap', async () => {
      await foldTo(11n);
      const folded = await new ServiceGraphQueries(db).propagation({
        startNs: unixNano(T0),
        endNs: unixNano(T0 + 10n * MIN),
      });
      expect(folded.services.find((s) => s.service === 'checkout')?.spans).toBe(200);
      expectRollupFigures((await (await app.request(`/api/services/stats?${window}`)).json()) as Body);
      // A step finer than the rollups' minute is widened to it.
      const fine = (await (
        await app.request(`/api/services/stats?start=${T0}&end=${T0 + 10n * MIN}&step=30s`)
      ).json()) as Body;
      expect(fine.stepMs).toBe(60_000);
      expect(fine.services[0]!.sparkline).toEqual(new Array(10).fill(10));
    });

    it('gives the same per operation of a service, with a log-scale latency histogram', async () => {
      const res = await app.request(`/api/services/checkout/stats?${window}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        total: { requests: number; errors: number };
        operations: { name: string; requests: number; errors: number }[];
        histogram: { fromMs: number; toMs: number; count: number }[];
      };
      expect(body.total).toMatchObject({ requests: 100, errors: 5 });
      expect(body.operations.map((o) => [o.name, o.requests, o.errors])).toEqual([
        ['GET /cart', 50, 5],
        ['POST /checkout', 50, 0],
      ]);
      expect(body.histogram.reduce((s, b) => s + b.count, 0)).toBe(100);
      for (const b of body.histogram) expect(b.toMs / b.fromMs).toBeCloseTo(2 ** 0.25);
      const one = (await (
        await app.request(`/api/services/checkout/stats?${window}&operation=GET%20%2Fcart`)
      ).json()) as { histogram: { count: number }[] };
      expect(one.histogram.reduce((s, b) => s + b.count, 0)).toBe(50);
    });

    it('answers an empty table for an unknown service, and 400 for a bad window', async () => {
      const body = (await (await app.request(`/api/services/nobody/stats?${window}`)).json()) as {
        total: unknown;
        operations: unknown[];
      };
      expect(body).toMatchObject({ total: { requests: 0, p99Ms: null }, operations: [] });
      expect((await app.request(`/api/services/stats?start=${T0}&end=${T0}`)).status).toBe(400);
      expect((await app.request(`/api/services/stats?start=${T0}&end=${T0 + MIN}&step=1ms`)).status).toBe(400);
    });

    it('serves the dashboard at / with the app shell for deep links, never for the API', async () => {
      const html = { accept: 'text/html' };
      for (const path of ['/', '/traces/abc', '/metrics?q=up', '/logs']) {
        const res = await app.request(path, { headers: html });
        expect(res.status, path).toBe(200);
        expect(await res.text()).toContain('<title>pivot</title>');
        expect(res.headers.get('cache-control')).toBe('no-cache');
      }
      const asset = await app.request('/_app/immutable/app.abc.js');
      expect(asset.headers.get('cache-control')).toContain('immutable');
      expect((await app.request('/api/nothing')).status).toBe(404);
      // Scrapers still get Prometheus text at /metrics.
      const metrics = await app.request('/metrics', { headers: { accept: 'text/plain' } });
      expect(await metrics.text()).toContain('pivot_api_');
    });
  });
}

describe('parseStatsWindow', () => {
  it('defaults to the last hour in 30 buckets', () => {
    const now = 7_200_000_000_000n;
    expect(parseStatsWindow({}, now)).toEqual({
      startNs: now - 3_600_000_000_000n,
      endNs: now,
      stepNs: 120_000_000_000n,
    });
  });
});
