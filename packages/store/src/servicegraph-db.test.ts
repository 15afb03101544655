// The propagation check's database hop (issue 21): a DB CLIENT span to a SQL database whose statement
// carries no sqlcommenter traceparent comment is a broken hop of its service, on every driver; the
// trace itself still counts as complete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseSpanId,
  parseTraceId,
  unixNano,
  type Attributes,
  type LogRecord,
  type ResourceSpans,
  type Span,
} from '@pivot/model';
import {
  LogWriter,
  PartitionManager,
  ServiceGraphQueries,
  SpanWriter,
  foldServiceGraph,
  type Database,
} from './index.ts';
import { testDatabases } from './testing.ts';

const MIN_NS = 60_000_000_000n;
const T0 = 1_764_000_000_000_000_000n; // a minute boundary
const MS = 1_000_000n;
const WAIT = 30_000;
const tid = (n: number) => parseTraceId(n.toString(16).padStart(32, 'd'))!;
const sid = (n: number) => parseSpanId(n.toString(16).padStart(16, '0'))!;

function span(
  trace: number,
  id: number,
  parent: number | null,
  kind: number,
  startMs: number,
  attributes: Attributes = {},
): Span {
  return {
    traceId: tid(trace),
    spanId: sid(id),
    parentSpanId: parent === null ? null : sid(parent),
    traceState: '',
    flags: 1,
    name: kind === 3 ? 'db call' : 'POST /order',
    kind,
    startTimeUnixNano: unixNano(T0 + MIN_NS + BigInt(startMs) * MS),
    endTimeUnixNano: unixNano(T0 + MIN_NS + BigInt(startMs + 5) * MS),
    attributes,
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
  };
}
const rs = (service: string, spans: Span[]): ResourceSpans[] => [
  {
    resource: { attributes: { 'service.name': service }, droppedAttributesCount: 0 },
    scopeSpans: [{ scope: { name: 't', version: '', attributes: {} }, spans }],
  },
];
const PG = { 'db.system': 'postgresql', 'db.namespace': 'shop' };
const COMMENT = "/*traceparent='00-dddddddddddddddddddddddddddddd01-0000000000000002-01'*/";

for (const tdb of testDatabases()) {
  describe(`propagation check of database statements on ${tdb.name}`, () => {
    let db: Database;
    let writer: SpanWriter;
    let partitions: PartitionManager;
    let queries: ServiceGraphQueries;

    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      partitions = new PartitionManager(db);
      writer = new SpanWriter(db, partitions);
      queries = new ServiceGraphQueries(db);
      await foldServiceGraph(db, partitions, Number(T0 / MS) + WAIT, { waitMs: WAIT, firstLookbackMs: 0 });
      await writer.write(
        rs('orders', [
          span(1, 1, null, 2, 0),
          span(1, 2, 1, 3, 1, { ...PG, 'db.statement': `SELECT * FROM orders WHERE id = $1 ${COMMENT}` }),
          span(1, 3, 1, 3, 2, { ...PG, 'db.statement': 'UPDATE orders SET paid = true WHERE id = $1' }),
          // Not SQL, or no statement to comment: nothing to flag.
          span(1, 4, 1, 3, 3, { 'db.system': 'redis', 'db.statement': 'GET cart:1' }),
          span(1, 5, 1, 3, 4, PG),
        ]),
      );
      await writer.write(
        rs('billing', [
          span(2, 11, null, 2, 10),
          span(2, 12, 11, 3, 11, { 'db.system.name': 'mysql', 'db.query.text': 'SELECT 1' }),
          span(2, 13, 11, 3, 12, { 'db.system.name': 'mysql', 'db.query.text': 'SELECT 2' }),
        ]),
      );
      await writer.close();
      // The database's own lines: orders' commented statement named its trace, the rest name none.
      const line = (atMs: bigint, app: string, linked: boolean): LogRecord => ({
        timeUnixNano: unixNano(T0 + MIN_NS + atMs * MS),
        observedTimeUnixNano: unixNano(T0 + MIN_NS + atMs * MS),
        severityNumber: 9,
        severityText: 'LOG',
        body: `duration: 1.000 ms (${app})`,
        attributes: { 'pg.event': 'duration', 'pg.application_name': app },
        droppedAttributesCount: 0,
        flags: 0,
        traceId: linked ? tid(1) : null,
        spanId: linked ? sid(2) : null,
        eventName: '',
      });
      const logs = new LogWriter(db, partitions);
      await logs.write([
        {
          resource: { attributes: { 'service.name': 'postgresql' }, droppedAttributesCount: 0 },
          scopeLogs: [
            {
              scope: { name: 'pglog', version: '', attributes: {} },
              logRecords: [
                line(1n, 'orders', true),
                line(2n, 'orders', true),
                line(3n, 'orders', false),
                line(11n, 'billing', false),
                line(12n, 'billing', false),
                // After the report's window.
                line(4n * 60_000n, 'billing', false),
              ],
            },
          ],
        },
      ]);
      await logs.close();
      const r = await foldServiceGraph(db, partitions, Number((T0 + 2n * MIN_NS) / MS) + WAIT + 1000, {
        waitMs: WAIT,
        firstLookbackMs: 0,
      });
      expect(r.spans).toBe(8);
    });
    afterAll(async () => {
      await db?.close();
      await tdb.drop();
    });

    it('counts uncommented SQL statements per client service as broken hops, the traces staying complete', async () => {
      const p = await queries.propagation({ startNs: unixNano(T0), endNs: unixNano(T0 + 3n * MIN_NS) });
      expect(p.traces).toEqual({ total: 2, complete: 2, completeShare: 1 });
      expect(
        p.services.map((s) => [
          s.service,
          s.spans,
          s.brokenHops,
          s.orphans,
          s.problems.map((x) => [x.problem, x.count]),
        ]),
      ).toEqual([
        ['billing', 3, 2, 0, [['db-without-traceparent', 2]]],
        ['orders', 5, 1, 0, [['db-without-traceparent', 1]]],
      ]);
      expect(p.serverLogs).toEqual([
        { application: 'billing', lines: 2, unlinked: 2 },
        { application: 'orders', lines: 3, unlinked: 1 },
      ]);
      const orders = p.services.find((s) => s.service === 'orders')!;
      expect(orders.problems[0]!.examples).toEqual([{ traceId: tid(1), spanId: sid(3) }]);
      expect(orders.problems[0]!.why).toBe(
        "its statement to postgresql/shop carries no traceparent comment (sqlcommenter): the database's own log lines for it name no trace",
      );
    });

    it('flags the span in its trace', async () => {
      expect(await queries.traceFlags(tid(2))).toEqual([
        {
          spanId: sid(12),
          problem: 'db-without-traceparent',
          why: expect.stringContaining('statement to mysql carries'),
        },
        {
          spanId: sid(13),
          problem: 'db-without-traceparent',
          why: expect.stringContaining('statement to mysql carries'),
        },
      ]);
    });
  });
}
