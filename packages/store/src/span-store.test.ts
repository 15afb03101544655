import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import {
  parseSpanId,
  parseTraceId,
  unixNano,
  type ResourceSpans,
  type Span,
  type SpanId,
  type TraceId,
} from '@pivot/model';
import {
  PartitionManager,
  SpanWriter,
  SPANS_TABLE,
  TraceQueries,
  convertColdPartitions,
  dayIndexOfNs,
  type Database,
} from './index.ts';
import { testLayouts } from './testing.ts';
import { traceLookupSql } from './trace-queries.ts';

const T1 = parseTraceId('0af7651916cd43dd8448eb211c80319c')!;
const T2 = parseTraceId('4bf92f3577b34da6a3ce929d0e0e4736')!;
const sid = (n: number) => parseSpanId(n.toString(16).padStart(16, 'f'))!;
const BASE = 1_764_000_000_123_456_789n; // nanosecond precision that a float would lose

function span(
  traceId: TraceId,
  id: SpanId,
  parent: SpanId | null,
  name: string,
  startOff: bigint,
  dur: bigint,
  error = false,
): Span {
  return {
    traceId,
    spanId: id,
    parentSpanId: parent,
    traceState: '',
    flags: 1,
    name,
    kind: parent ? 3 : 2,
    startTimeUnixNano: unixNano(BASE + startOff),
    endTimeUnixNano: unixNano(BASE + startOff + dur),
    attributes: { 'http.route': '/checkout', 'http.status_code': error ? 500 : 200, note: 'nul\0byte' },
    droppedAttributesCount: 0,
    events: error
      ? [
          {
            timeUnixNano: unixNano(BASE + startOff + 1n),
            name: 'exception',
            attributes: { 'exception.message': 'boom' },
            droppedAttributesCount: 0,
          },
        ]
      : [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: error ? 2 : 0, message: error ? 'card declined' : '' },
  };
}
function rs(service: string, spans: Span[]): ResourceSpans[] {
  return [
    {
      resource: { attributes: { 'service.name': service, 'host.name': 'h1' }, droppedAttributesCount: 0 },
      scopeSpans: [{ scope: { name: 'test-scope', version: '1.0.0', attributes: {} }, spans }],
    },
  ];
}

for (const { tdb, columnar, label } of testLayouts()) {
  describe(`span store on ${label}`, () => {
    let db: Database;
    let writer: SpanWriter;
    let queries: TraceQueries;
    let partitions: PartitionManager;
    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      await db.migrate(); // idempotent
      partitions = new PartitionManager(db);
      writer = new SpanWriter(db, partitions);
      queries = new TraceQueries(db);
      // The test day is columnar before its first span: every write below is a late one, every read columnar.
      if (columnar) {
        await partitions.ensure(SPANS_TABLE, [dayIndexOfNs(BASE)]);
        const r = await convertColdPartitions(db, {
          coldAfterMs: 0,
          nowMs: Number(BASE / 1_000_000n) + 2 * 86_400_000,
        });
        expect(r.converted).toEqual(['spans_p20251124']);
      }
    });
    afterAll(async () => {
      await writer?.close();
      await db?.close();
      await tdb.drop();
    });

    it('stores spans arriving from two services in separate requests and keeps one summary', async () => {
      // The child service reports first: the summary must say "unknown root" until the root arrives.
      await writer.write(rs('payment-service', [span(T1, sid(2), sid(1), 'charge', 10_000n, 800_000_000n, true)]));
      let s = await queries.summary(T1);
      expect(s).toMatchObject({ rootService: null, spanCount: 1, errorCount: 1, services: ['payment-service'] });
      await writer.write(rs('checkout-api', [span(T1, sid(1), null, 'POST /checkout', 0n, 900_000_000n)]));
      s = await queries.summary(T1);
      expect(s).toMatchObject({
        rootService: 'checkout-api',
        rootName: 'POST /checkout',
        spanCount: 2,
        errorCount: 1,
        services: ['checkout-api', 'payment-service'],
      });
      expect(s!.startTimeUnixNano).toBe(BASE);
      expect(s!.durationNano).toBe(900_000_000n);

      const trace = await queries.getTrace(T1);
      expect(trace!.spans.map((x) => [x.spanId, x.parentSpanId, x.service])).toEqual([
        [sid(1), null, 'checkout-api'],
        [sid(2), sid(1), 'payment-service'],
      ]);
      const child = trace!.spans[1]!;
      expect(child.startTimeUnixNano).toBe(BASE + 10_000n);
      expect(child.status).toEqual({ code: 2, message: 'card declined' });
      expect(child.events[0]).toMatchObject({ name: 'exception', attributes: { 'exception.message': 'boom' } });
      expect(child.attributes).toMatchObject({ 'http.status_code': 500, note: 'nul\uFFFDbyte' });
      expect(child.resource.attributes).toEqual({ 'service.name': 'payment-service', 'host.name': 'h1' });
      expect(child.scope).toMatchObject({ name: 'test-scope', version: '1.0.0' });
    });

    it('is idempotent: the same request twice stores its spans once', async () => {
      const req = rs('checkout-api', [
        span(T2, sid(10), null, 'GET /cart', 0n, 5_000_000n),
        span(T2, sid(11), sid(10), 'db', 1n, 1_000n),
      ]);
      await writer.write(req);
      await writer.write(req);
      await Promise.all([writer.write(req), writer.write(req)]);
      expect(await queries.summary(T2)).toMatchObject({ spanCount: 2, errorCount: 0 });
      expect((await queries.getTrace(T2))!.spans).toHaveLength(2);
    });

    it('searches on the whole trace duration, by service, operation, attribute and status', async () => {
      const ids = (r: { traceId: string }[]) => r.map((x) => x.traceId);
      expect(ids(await queries.search({ limit: 10 }))).toHaveLength(2);
      expect(ids(await queries.search({ service: 'payment-service', limit: 10 }))).toEqual([T1]);
      expect(ids(await queries.search({ operation: 'db', limit: 10 }))).toEqual([T2]);
      expect(ids(await queries.search({ operation: 'db', service: 'payment-service', limit: 10 }))).toEqual([]);
      // 850ms is longer than every span but the root; a per-span filter would still match T1 via its root,
      // but 850ms..950ms must match T1 only because its whole duration is 900ms.
      expect(
        ids(await queries.search({ minDurationNs: 850_000_000n, maxDurationNs: 950_000_000n, limit: 10 })),
      ).toEqual([T1]);
      expect(ids(await queries.search({ maxDurationNs: 10_000_000n, limit: 10 }))).toEqual([T2]);
      expect(ids(await queries.search({ errorsOnly: true, limit: 10 }))).toEqual([T1]);
      expect(ids(await queries.search({ attributes: [['http.status_code', '500']], limit: 10 }))).toEqual([T1]);
      expect(
        ids(await queries.search({ attributes: [['http.route', "/checkout'; DROP TABLE spans;--"]], limit: 10 })),
      ).toEqual([]);
      expect(await queries.services()).toEqual(['checkout-api', 'payment-service']);
      expect(await queries.operations('checkout-api')).toEqual([
        { name: 'GET /cart', kind: 2 },
        { name: 'POST /checkout', kind: 2 },
        { name: 'db', kind: 3 },
      ]);
    });

    it('orders search results newest first and deterministically', async () => {
      const all = await queries.search({ limit: 10 });
      expect(all.map((t) => t.traceId)).toEqual([T2, T1]); // equal start times: trace ID descending
      expect(await queries.search({ limit: 10 })).toEqual(all);
    });

    it('folds one request into one summary: its earliest root, each service once and sorted, every span and error', async () => {
      const T = parseTraceId('5c1e0f3577b34da6a3ce929d0e0e47aa')!;
      const spans = [
        span(T, sid(31), sid(30), 'reserve', 20n, 5_000n),
        span(T, sid(32), null, 'late root', 50n, 10_000n),
        span(T, sid(30), null, 'GET /order', 10n, 9_000_000n),
        span(T, sid(33), sid(30), 'charge', 30n, 1_000n, true),
      ];
      const services = ['zeta-svc', 'inventory', 'zeta-svc', 'alpha-pay'];
      // One request with a resource per span: one COPY on PostgreSQL, one unnest() statement on PGlite.
      await writer.write(spans.flatMap((s, i) => rs(services[i]!, [s])));
      const want = {
        rootService: 'zeta-svc',
        rootName: 'GET /order',
        spanCount: 4,
        errorCount: 1,
        services: ['alpha-pay', 'inventory', 'zeta-svc'],
      };
      expect(await queries.summary(T)).toMatchObject(want);
      expect((await queries.summary(T))!.startTimeUnixNano).toBe(BASE + 10n);
      expect((await queries.summary(T))!.durationNano).toBe(9_000_000n);
    });

    it('reads a trace from the day partitions its summary spans only, not from every day kept', async () => {
      const day = dayIndexOfNs(BASE);
      await partitions.ensure(SPANS_TABLE, [day - 1, day + 1]);
      const plan = (
        await db.query<{ 'QUERY PLAN': string }>(sql`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ${traceLookupSql(T1)}`)
      ).map((r) => r['QUERY PLAN']);
      const scans = plan.flatMap((line) => {
        // On Citus the one task's worker plan names the day's shard: spans_p20251124_102008.
        const m = / on (spans_p\d{8})(?:_\d+)?\b/.exec(line);
        return m ? [[m[1], !line.includes('never executed')] as const] : [];
      });
      expect(scans.length).toBeGreaterThanOrEqual(3);
      expect(scans.filter(([, ran]) => ran).map(([name]) => name)).toEqual(['spans_p20251124']);
      expect((await queries.getTrace(T1))!.spans).toHaveLength(2);
    });

    it('stores only the new spans of a request that repeats some stored ones, and counts each once', async () => {
      const T = parseTraceId('6d2e0f3577b34da6a3ce929d0e0e47bb')!;
      const all = [0, 1, 2, 3, 4, 5].map((i) =>
        span(T, sid(40 + i), i ? sid(40) : null, `op${i}`, BigInt(i), 100n, i === 5),
      );
      await writer.write(rs('checkout-api', all.slice(0, 3)));
      await writer.write(rs('checkout-api', all.slice(1)));
      expect(await queries.summary(T)).toMatchObject({ rootName: 'op0', spanCount: 6, errorCount: 1 });
      expect((await queries.getTrace(T))!.spans).toHaveLength(6);
    });

    it('keeps tabs, newlines, returns, backslashes and a literal \\N in text as sent (COPY text format)', async () => {
      const T = parseTraceId('7e3f0f3577b34da6a3ce929d0e0e47cc')!;
      const tricky = 'a\tb\nc\rd \\ e \\N f\\';
      const s = { ...span(T, sid(50), null, tricky, 0n, 10n), attributes: { k: tricky, [tricky]: 1 } };
      await writer.write(rs(tricky, [{ ...s, status: { code: 2, message: tricky }, traceState: tricky }]));
      const [got] = (await queries.getTrace(T))!.spans;
      expect(got).toMatchObject({ name: tricky, service: tricky, attributes: { k: tricky, [tricky]: 1 } });
      expect(got!.status.message).toBe(tricky);
      expect((await queries.summary(T))!.rootName).toBe(tricky);
    });

    it('drops whole day partitions for retention', async () => {
      const before = await partitions.list(SPANS_TABLE);
      expect(before.length).toBeGreaterThan(0);
      await partitions.prepareAhead([SPANS_TABLE], Date.now(), 1);
      const dropped = await partitions.dropOlderThan(SPANS_TABLE, Number(BASE / 1_000_000n) + 86_400_000 * 2);
      expect(dropped.length).toBe(before.length);
      expect(await queries.getTrace(T1)).toBeNull(); // its spans are gone with their partition
      const after = await partitions.list(SPANS_TABLE);
      expect(after.length).toBeGreaterThanOrEqual(2); // today and tomorrow survive
    });
  });
}
