// The service-graph fold on every driver: pairs, virtual nodes, histograms, late children within the
// wait, the watermark, concurrent replicas, the propagation flags and the counter series it writes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { parseSpanId, parseTraceId, unixNano, type Attributes, type ResourceSpans, type Span } from '@pivot/model';
import {
  Maintenance,
  PartitionManager,
  ServiceGraphQueries,
  SpanWriter,
  bucketIndex,
  foldServiceGraph,
  openDatabase,
  storeJobs,
  type Database,
} from './index.ts';
import { testDatabases } from './testing.ts';

const MIN_NS = 60_000_000_000n;
// A minute boundary; every test works in its own minutes after it.
const T0 = 1_764_000_000_000_000_000n;
const MS = 1_000_000n;
const WAIT = 30_000;
let seq = 0;
const sid = () => parseSpanId((++seq).toString(16).padStart(16, '0'))!;
const tid = () => parseTraceId((++seq).toString(16).padStart(32, 'c'))!;

function span(
  traceId: string,
  spanId: string,
  parent: string | null,
  name: string,
  kind: number,
  startNs: bigint,
  durMs: number,
  attributes: Attributes = {},
  opts: { error?: boolean; links?: string[] } = {},
): Span {
  return {
    traceId: traceId as Span['traceId'],
    spanId: spanId as Span['spanId'],
    parentSpanId: (parent ?? null) as Span['parentSpanId'],
    traceState: '',
    flags: 1,
    name,
    kind,
    startTimeUnixNano: unixNano(startNs),
    endTimeUnixNano: unixNano(startNs + BigInt(Math.round(durMs * 1e6))),
    attributes,
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: (opts.links ?? []).map((l) => ({
      traceId: l.slice(0, 32) as Span['traceId'],
      spanId: l.slice(32) as Span['spanId'],
      traceState: '',
      attributes: {},
      droppedAttributesCount: 0,
      flags: 1,
    })),
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
const nowAfter = (endNs: bigint) => Number(endNs / MS) + WAIT + 1000;

for (const tdb of testDatabases()) {
  describe(`service-graph fold on ${tdb.name}`, () => {
    let db: Database;
    let writer: SpanWriter;
    let partitions: PartitionManager;
    let queries: ServiceGraphQueries;
    const fold = (nowMs: number, database = db) =>
      foldServiceGraph(database, partitions, nowMs, { waitMs: WAIT, firstLookbackMs: 0 });
    const edges = async (minuteStartNs: bigint, minutes = 1n) =>
      (await queries.graph({ startNs: unixNano(minuteStartNs), endNs: unixNano(minuteStartNs + minutes * MIN_NS) }))
        .edges;
    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      partitions = new PartitionManager(db);
      writer = new SpanWriter(db, partitions);
      queries = new ServiceGraphQueries(db);
      // The first run starts the watermark at now − wait (firstLookbackMs 0): T0.
      await fold(Number(T0 / MS) + WAIT);
    });
    afterAll(async () => {
      await writer?.close();
      await db?.close();
      await tdb.drop();
    });

    it('pairs client and server spans, names virtual nodes, and counts every histogram bucket', async () => {
      const m = T0 + MIN_NS; // this test's minute
      const t = tid();
      const [root, call, srv, dbc, prod] = [sid(), sid(), sid(), sid(), sid()];
      await writer.write(
        rs('frontend', [
          span(t, root, null, 'GET /', 2, m, 100),
          span(t, call, root, 'POST /checkout', 3, m + 5n * MS, 90, { 'peer.service': 'checkout' }),
        ]),
      );
      await writer.write(
        rs('checkout', [
          span(t, srv, call, 'POST /checkout', 2, m + 10n * MS, 70, {}, { error: true }),
          span(t, dbc, srv, 'SELECT', 3, m + 12n * MS, 3, { 'db.system': 'postgresql', 'db.namespace': 'shop' }),
          span(t, prod, srv, 'orders publish', 4, m + 20n * MS, 1, {
            'messaging.system': 'kafka',
            'messaging.destination.name': 'orders',
          }),
        ]),
      );
      const r = await fold(nowAfter(m + MIN_NS));
      expect(r.spans).toBe(5);
      const got = await edges(m);
      const byKey = Object.fromEntries(got.map((e) => [`${e.client}>${e.server}|${e.connectionType}`, e]));
      expect(Object.keys(byKey).sort()).toEqual([
        'checkout>kafka/orders|messaging_system',
        'checkout>postgresql/shop|database',
        'frontend>checkout|',
        'user>frontend|virtual_node',
      ]);
      expect(byKey['frontend>checkout|']).toMatchObject({ requests: 1, errors: 1 });
      expect(byKey['checkout>postgresql/shop|database']).toMatchObject({ requests: 1, errors: 0 });

      // Every bucket, against the rollup row itself.
      const [row] = await db.query(sql`
        SELECT server_buckets, client_buckets, server_sum_ns, client_sum_ns FROM servicegraph_edges
        WHERE client = 'frontend' AND server = 'checkout'`);
      const expected = (ms: number) => Array.from({ length: 15 }, (_, i) => (i === bucketIndex(ms * 1e6) ? 1 : 0));
      expect((row!.server_buckets as unknown[]).map(Number)).toEqual(expected(70));
      expect((row!.client_buckets as unknown[]).map(Number)).toEqual(expected(90));
      expect(Number(row!.server_sum_ns)).toBe(70_000_000);
      // 70 ms falls in (64, 128] ms: the 7th bucket.
      expect(bucketIndex(70e6)).toBe(6);
      expect(bucketIndex(2e6)).toBe(0);
      expect(bucketIndex(2e6 + 1)).toBe(1);
      expect(bucketIndex(20e9)).toBe(14);

      const graph = await queries.graph({ startNs: unixNano(m), endNs: unixNano(m + MIN_NS) });
      expect(Object.fromEntries(graph.nodes.map((n) => [n.id, n.type]))).toEqual({
        checkout: 'service',
        frontend: 'service',
        'kafka/orders': 'messaging',
        'postgresql/shop': 'database',
        user: 'external',
      });
    });

    it('pairs a late child that arrives within the wait, and folds nothing twice', async () => {
      const m = T0 + 3n * MIN_NS;
      const t = tid();
      const [c, s] = [sid(), sid()];
      await writer.write(rs('cart', [span(t, c, null, 'GET /cart', 3, m, 50, { 'peer.service': 'pricing' })]));
      // The client is not due yet (it ended less than the wait ago): nothing about it is folded.
      await fold(Number((m + 50n * MS) / MS) + WAIT - 5000);
      expect(await edges(m)).toEqual([]);
      // Its server child arrives late, within the wait.
      await writer.write(rs('pricing', [span(t, s, c, 'GET /price', 2, m + 5n * MS, 40)]));
      await fold(nowAfter(m + MIN_NS));
      expect((await edges(m)).map((e) => [e.client, e.server, e.connectionType, e.requests])).toEqual([
        ['cart', 'pricing', '', 1],
      ]);
      // Folding again at the same time, or later, adds nothing.
      const again = await fold(nowAfter(m + MIN_NS));
      expect(again.windows).toBe(0);
      await fold(nowAfter(m + 2n * MIN_NS));
      expect((await edges(m))[0]!.requests).toBe(1);
    });

    it('counts a pair whose spans end in different windows once', async () => {
      const m = T0 + 6n * MIN_NS;
      const t = tid();
      const [c, s] = [sid(), sid()];
      // The server ends at m + 59.9 s, the client at m + 60.5 s: two windows, two minutes.
      await writer.write(rs('a', [span(t, c, null, 'call b', 3, m + 59_000n * MS, 1500, { 'peer.service': 'b' })]));
      await writer.write(rs('b', [span(t, s, c, 'serve', 2, m + 59_100n * MS, 800)]));
      await fold(Number((m + 60_000n * MS) / MS) + WAIT);
      await fold(nowAfter(m + 2n * MIN_NS));
      const got = (await edges(m, 2n)).filter((e) => e.client === 'a');
      expect(got.map((e) => [e.server, e.connectionType, e.requests])).toEqual([['b', '', 1]]);
    });

    it('lets concurrent replicas fold each window once', async () => {
      const m = T0 + 9n * MIN_NS;
      const spans: Span[] = [];
      for (let i = 0; i < 50; i++) {
        const t = tid();
        const c = sid();
        spans.push(span(t, c, null, 'call', 3, m + BigInt(i) * 100n * MS, 10, { 'peer.service': 'ext-api' }));
      }
      await writer.write(rs('replica-client', spans));
      // A second connection (a second process, on PostgreSQL), and two maintenance owners racing.
      const other = tdb.name === 'pg' ? await openDatabase({ url: tdb.url! }) : db;
      try {
        const jobs = (d: Database) =>
          new Maintenance(d, storeJobs(d, { retention: { traces: 0, logs: 0, metrics: 0 }, partitions }), {
            now: () => nowAfter(m + MIN_NS),
            lockWaitMs: 60_000,
            lockPollMs: 20,
          });
        const [a, b] = [jobs(db), jobs(other)];
        await Promise.all([a.runNow('servicegraph'), b.runNow('servicegraph'), fold(nowAfter(m + MIN_NS), other)]);
        const got = (await edges(m)).filter((e) => e.client === 'replica-client');
        expect(got.map((e) => [e.server, e.connectionType, e.requests])).toEqual([['ext-api', 'virtual_node', 50]]);
        const [tot] = await db.query(sql`
          SELECT c.value FROM servicegraph_counters c JOIN metric_series s ON s.id = c.series_id
          WHERE s.metric_name = 'traces_service_graph_request_total' AND s.labels->>'client' = 'replica-client'`);
        expect(Number(tot!.value)).toBe(50);
      } finally {
        if (other !== db) await other.close();
      }
    });

    it('flags orphans, non-entry roots, and a hop that lost its trace context', async () => {
      const m = T0 + 12n * MIN_NS;
      const [t1, t2, t3, t4] = [tid(), tid(), tid(), tid()];
      const [root, call, lost, orphan, internalRoot] = [sid(), sid(), sid(), sid(), sid()];
      await writer.write(
        rs('gateway', [
          span(t1, root, null, 'GET /', 2, m, 100),
          // Calls `ledger` (instrumented) but sends no traceparent: ledger's span starts a new trace.
          span(t1, call, root, 'POST /ledger', 3, m + 10n * MS, 80, { 'server.address': 'ledger' }),
        ]),
      );
      await writer.write(
        rs('ledger', [
          span(t2, lost, null, 'POST /ledger', 2, m + 20n * MS, 50),
          span(t3, orphan, sid(), 'write', 1, m + 30n * MS, 5),
        ]),
      );
      await writer.write(rs('batch', [span(t4, internalRoot, null, 'nightly', 1, m + 40n * MS, 5)]));
      await fold(nowAfter(m + MIN_NS));
      const report = await queries.propagation({ startNs: unixNano(m), endNs: unixNano(m + MIN_NS) });
      const problems = Object.fromEntries(
        report.services.map((s) => [s.service, s.problems.map((p) => [p.problem, p.count])]),
      );
      expect(problems).toEqual({
        gateway: [['client-without-server', 1]],
        ledger: [
          ['context-lost', 1],
          ['orphan', 1],
        ],
        batch: [['root-not-entry', 1]],
      });
      const gw = report.services.find((s) => s.service === 'gateway')!;
      expect(gw.problems[0]!.why).toContain('ledger');
      expect(gw.problems[0]!.examples).toEqual([{ traceId: t1, spanId: call }]);
      expect(report.services.find((s) => s.service === 'ledger')!.problems[0]!.why).toContain('called by gateway');
      // Roots folded: t1 (broken hop), t2 (context lost), t4 (not an entry point); t3 has only an orphan.
      expect(report.traces).toEqual({ total: 4, complete: 0, completeShare: 0 });
      expect(await queries.traceFlags(t1)).toEqual([
        { spanId: call, problem: 'client-without-server', why: expect.stringContaining('ledger') as string },
      ]);
    });

    it('moves a trace to the broken ones when its caller, folded later, shows the context was lost', async () => {
      const m = T0 + 15n * MIN_NS;
      const [t1, t2] = [tid(), tid()];
      const [root, call, lost] = [sid(), sid(), sid()];
      // The lost server span ends before the minute boundary, its caller after it.
      await writer.write(rs('ledger2', [span(t2, lost, null, 'POST /ledger', 2, m + 59_000n * MS, 500)]));
      await writer.write(
        rs('gateway2', [
          span(t1, root, null, 'GET /', 2, m + 58_800n * MS, 1800),
          span(t1, call, root, 'POST /ledger', 3, m + 58_900n * MS, 1500, { 'server.address': 'ledger2' }),
        ]),
      );
      await fold(Number((m + 60_000n * MS) / MS) + WAIT);
      const w = { startNs: unixNano(m), endNs: unixNano(m + 2n * MIN_NS) };
      // Folded alone, the lost span's trace looks complete.
      expect((await queries.propagation(w)).traces).toEqual({ total: 1, complete: 1, completeShare: 1 });
      await fold(nowAfter(m + 2n * MIN_NS));
      const report = await queries.propagation(w);
      expect(report.traces).toEqual({ total: 2, complete: 0, completeShare: 0 });
      expect(report.services.find((x) => x.service === 'ledger2')!.problems.map((x) => x.problem)).toEqual([
        'context-lost',
      ]);
      const [broken] = await db.query(sql`
        SELECT c.value FROM servicegraph_counters c JOIN metric_series s ON s.id = c.series_id
        WHERE s.metric_name = 'pivot_propagation_broken_traces_total'`);
      const [all] = await db.query(sql`
        SELECT c.value FROM servicegraph_counters c JOIN metric_series s ON s.id = c.series_id
        WHERE s.metric_name = 'pivot_propagation_traces_total'`);
      const [complete] = await db.query(sql`SELECT sum(complete) AS n, sum(traces) AS t FROM propagation_traces`);
      // The counters agree with the rollup over all time: broken = traces − complete.
      expect(Number(all!.value) - Number(broken!.value)).toBe(Number(complete!.n));
      expect(Number(all!.value)).toBe(Number(complete!.t));
    });
  });
}
