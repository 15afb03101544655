// The services overview's sources on every driver: SERVER and CONSUMER spans from the span-metrics
// rollups, roots of other kinds from the fold's root-not-entry flags, and the spans after the
// watermark from the spans table; each request counted once however the fold has advanced.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpanId, parseTraceId, unixNano, type ResourceSpans, type Span } from '@pivot/model';
import {
  LATENCY_BUCKETS_NS,
  PartitionManager,
  ServiceStatsQueries,
  SpanWriter,
  foldServiceGraph,
  type Database,
  type StatsTable,
} from './index.ts';
import { testDatabases } from './testing.ts';

const MIN = 60_000_000_000n;
const T0 = 1_764_000_000_000_000_000n; // a minute boundary
const MS = 1_000_000n;
const WAIT = 30_000;
let seq = 0;
const sid = () => parseSpanId((++seq).toString(16).padStart(16, '0'))!;
const tid = () => parseTraceId((++seq).toString(16).padStart(32, 'd'))!;

function span(name: string, kind: number, startNs: bigint, durNs: bigint, parent: string | null, error = false): Span {
  return {
    traceId: tid(),
    spanId: sid(),
    parentSpanId: parent ? parseSpanId(parent)! : null,
    traceState: '',
    flags: 1,
    name,
    kind,
    startTimeUnixNano: unixNano(startNs),
    endTimeUnixNano: unixNano(startNs + durNs),
    attributes: {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: error ? 2 : 0, message: '' },
  };
}
const rs = (service: string, spans: Span[]): ResourceSpans[] => [
  {
    resource: { attributes: { 'service.name': service }, droppedAttributesCount: 0 },
    scopeSpans: [{ scope: { name: 't', version: '', attributes: {} }, spans }],
  },
];

for (const tdb of testDatabases()) {
  describe(`services overview from the rollups on ${tdb.name}`, () => {
    let db: Database;
    let partitions: PartitionManager;
    let stats: ServiceStatsQueries;
    const w = { startNs: unixNano(T0), endNs: unixNano(T0 + 4n * MIN), stepNs: 2n * MIN };
    const foldTo = (minutes: bigint) =>
      foldServiceGraph(db, partitions, Number((T0 + minutes * MIN) / MS) + WAIT, {
        waitMs: WAIT,
        firstLookbackMs: Number((minutes * MIN) / MS),
      });
    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      partitions = new PartitionManager(db);
      stats = new ServiceStatsQueries(db);
      const writer = new SpanWriter(db, partitions);
      // worker, each minute 0-3: 3 CONSUMER spans "orders" of exactly 3, 5 and 40 ms (buckets (2,4],
      // (4,8], (32,64]), the 40 ms one an error; an INTERNAL child of each (not a request); and one
      // root CLIENT span "cron" of 1 s ((512,1024]), a batch job's request.
      const spans: Span[] = [];
      for (let m = 0n; m < 4n; m++) {
        for (const [i, ms] of [3n, 5n, 40n].entries()) {
          const c = span('orders', 5, T0 + m * MIN + BigInt(i) * 1000n * MS, ms * MS, null, ms === 40n);
          spans.push(c, span('handle', 1, c.startTimeUnixNano, MS, c.spanId));
        }
        spans.push(span('cron', 3, T0 + m * MIN + 10_000n * MS, 1000n * MS, null));
      }
      await writer.write(rs('worker', spans));
      await writer.close();
    });
    afterAll(async () => {
      await db?.close();
      await tdb.drop();
    });

    const check = (t: StatsTable) => {
      expect(t.rows.map((r) => [r.name, r.requests, r.errors])).toEqual([
        ['orders', 12, 4],
        ['cron', 4, 0],
      ]);
      const [orders, cron] = t.rows;
      // orders: 4 per bucket (2,4] and (4,8] and (32,64]; rank 6 of 12 falls in (4,8] after 4.
      expect(orders!.p50Ms).toBeCloseTo(4 + (4 * (6 - 4)) / 4, 9);
      expect(orders!.p99Ms).toBeCloseTo(32 + (32 * (11.88 - 8)) / 4, 9);
      expect(orders!.sparkline).toEqual([6, 6]);
      expect(orders!.errorSparkline).toEqual([2, 2]);
      expect(orders!.rate).toBeCloseTo(12 / 240, 9);
      // cron: the 1 s bucket, whose upper bound is LATENCY_BUCKETS_NS[9].
      expect(LATENCY_BUCKETS_NS[9]).toBe(1_024_000_000);
      expect(cron!.p50Ms).toBeCloseTo(512 + 512 * 0.5, 9);
      expect(t.total).toMatchObject({ requests: 16, errors: 4, errorRate: 0.25 });
    };

    it('reads the spans before the first fold, and the same after any part of it', async () => {
      check(await stats.operations('worker', w));
      await foldTo(2n);
      check(await stats.operations('worker', w));
      await foldTo(5n);
      check(await stats.operations('worker', w));
      const services = await stats.services(w);
      expect(services.rows.map((r) => [r.name, r.requests])).toEqual([['worker', 16]]);
    });
  });
}
