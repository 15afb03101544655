// Inferred links from database server log lines to DB CLIENT spans, on every driver: a line is linked
// only when exactly one span of any trace fits it (application name, time window, user), never to a span
// whose statement already brought its own line by trace context.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseSpanId,
  parseTraceId,
  unixNano,
  type Attributes,
  type LogRecord,
  type ResourceLogs,
  type ResourceSpans,
  type Span,
} from '@pivot/model';
import { LogQueries, LogWriter, PartitionManager, SpanWriter, type Database } from './index.ts';
import { testDatabases } from './testing.ts';

const BASE = 1_764_000_000_000_000_000n;
const MS = 1_000_000n;
const tid = (n: number) => parseTraceId(n.toString(16).padStart(32, 'a'))!;
const sid = (n: number) => parseSpanId(n.toString(16).padStart(16, '0'))!;

function span(
  trace: number,
  id: number,
  parent: number | null,
  kind: number,
  startMs: number,
  durMs: number,
  attributes: Attributes = {},
): Span {
  return {
    traceId: tid(trace),
    spanId: sid(id),
    parentSpanId: parent === null ? null : sid(parent),
    traceState: '',
    flags: 1,
    name: kind === 3 ? 'SELECT shop' : 'POST /checkout',
    kind,
    startTimeUnixNano: unixNano(BASE + BigInt(startMs) * MS),
    endTimeUnixNano: unixNano(BASE + BigInt(startMs + durMs) * MS),
    attributes,
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
  };
}
const rs = (service: string, spans: Span[]): ResourceSpans => ({
  resource: { attributes: { 'service.name': service }, droppedAttributesCount: 0 },
  scopeSpans: [{ scope: { name: 't', version: '', attributes: {} }, spans }],
});
const DB = { 'db.system': 'postgresql', 'db.namespace': 'shop' };

/** A server line as the pglog ingest writes it: service postgresql, the pg.* attributes. */
function line(atMs: number, body: string, attributes: Attributes, link?: { trace: number; span: number }): LogRecord {
  return {
    timeUnixNano: unixNano(BASE + BigInt(atMs) * MS),
    observedTimeUnixNano: unixNano(BASE + BigInt(atMs) * MS),
    severityNumber: 9,
    severityText: 'LOG',
    body,
    attributes: link ? { ...attributes, 'pg.link': 'sqlcommenter' } : attributes,
    droppedAttributesCount: 0,
    flags: 0,
    traceId: link ? tid(link.trace) : null,
    spanId: link ? sid(link.span) : null,
    eventName: '',
  };
}
const dur = (app: string, ms: number, extra: Attributes = {}): Attributes => ({
  'pg.event': 'duration',
  'pg.duration_ms': ms,
  'pg.application_name': app,
  'db.statement': 'SELECT quantity FROM stock WHERE sku = $1',
  ...extra,
});
const server = (records: LogRecord[]): ResourceLogs => ({
  resource: { attributes: { 'service.name': 'postgresql', 'db.system': 'postgresql' }, droppedAttributesCount: 0 },
  scopeLogs: [{ scope: { name: 'pglog', version: '', attributes: {} }, logRecords: records }],
});

for (const tdb of testDatabases()) {
  describe(`database server log links on ${tdb.name}`, () => {
    let db: Database;
    let spans: SpanWriter;
    let logs: LogWriter;
    let queries: LogQueries;
    const inferred = async (trace: number) =>
      (await queries.inferredServerLogs(tid(trace))).map((l) => [l.spanId, l.log.body]);

    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      const partitions = new PartitionManager(db);
      spans = new SpanWriter(db, partitions);
      logs = new LogWriter(db, partitions);
      queries = new LogQueries(db);
      await spans.write([
        rs('checkout', [
          // Trace 1: an uncommented statement (span 11) and a commented one with its own line (span 12).
          span(1, 10, null, 2, 0, 400),
          span(1, 11, 10, 3, 10, 100, DB),
          span(1, 12, 10, 3, 200, 100, DB),
          // Traces 2 and 3 overlap in [450, 600]: a line there could be either's.
          span(2, 20, null, 2, 390, 300),
          span(2, 21, 20, 3, 400, 200, DB),
          span(3, 30, null, 2, 440, 300),
          span(3, 31, 30, 3, 450, 200, DB),
          // Trace 4: a span with a db.user; a line of another user in its window is not its own.
          span(4, 40, null, 2, 1000, 300),
          span(4, 41, 40, 3, 1010, 100, { ...DB, 'db.user': 'shop' }),
        ]),
        // Trace 5: the session's application_name is set on the span, unlike the service name.
        // Trace 6: back-to-back statements; the first reaches the second's line only with the slack.
        rs('seq', [
          span(6, 60, null, 2, 3000, 100),
          span(6, 61, 60, 3, 3000, 20, DB),
          span(6, 62, 60, 3, 3025, 20, DB),
        ]),
        rs('worker', [
          span(5, 50, null, 2, 2000, 300),
          span(5, 51, 50, 3, 2010, 100, { ...DB, 'db.application_name': 'worker-batch' }),
        ]),
      ]);
      await logs.write([
        server([
          line(60, 'process 4242 still waiting for ShareLock on transaction 1234 after 50.000 ms', {
            ...dur('checkout', 0),
            'pg.event': 'lock_wait',
            'pg.wait_event': 'ShareLock on transaction 1234',
            'pg.wait_ms': 50,
          }),
          line(
            105,
            'duration: 94.512 ms  statement: SELECT quantity FROM stock WHERE sku = $1',
            dur('checkout', 94.512),
          ),
          // 40 ms after span 11 ended: within the 50 ms slack.
          line(150, 'duration: 1.001 ms  statement: COMMIT', dur('checkout', 1.001)),
          // 60 ms after: outside.
          line(170, 'duration: 2.000 ms  statement: late', dur('checkout', 2)),
          line(50, 'duration: 3.000 ms  statement: billing', dur('billing', 3)),
          // Inside span 12, whose statement brought its own line by trace context: not taken by span 12.
          line(250, 'duration: 5.000 ms  statement: uncommented in 12', dur('checkout', 5)),
          line(280, 'duration: 90.000 ms  statement: commented', dur('checkout', 90), { trace: 1, span: 12 }),
          line(420, 'duration: 7.000 ms  statement: only 21', dur('checkout', 7)),
          line(500, 'duration: 8.000 ms  statement: 21 or 31', dur('checkout', 8)),
          line(660, 'duration: 9.000 ms  statement: only 31', dur('checkout', 9)),
          line(1050, 'duration: 10.000 ms  statement: reporting', dur('checkout', 10, { 'pg.user': 'reporting' })),
          line(1060, 'duration: 11.000 ms  statement: shop', dur('checkout', 11, { 'pg.user': 'shop' })),
          line(2050, 'duration: 12.000 ms  statement: batch', dur('worker-batch', 12)),
          line(3019, 'duration: 18.000 ms  statement: first', dur('seq', 18)),
          line(3044, 'duration: 18.000 ms  statement: second', dur('seq', 18)),
          line(2060, 'duration: 13.000 ms  statement: service name', dur('worker', 13)),
        ]),
      ]);
    });
    afterAll(async () => {
      await spans?.close();
      await logs?.close();
      await db?.close();
      await tdb.drop();
    });

    it('links the lines of one uncommented statement by application name and window, slack included', async () => {
      expect(await inferred(1)).toEqual([
        [sid(11), 'process 4242 still waiting for ShareLock on transaction 1234 after 50.000 ms'],
        [sid(11), 'duration: 94.512 ms  statement: SELECT quantity FROM stock WHERE sku = $1'],
        [sid(11), 'duration: 1.001 ms  statement: COMMIT'],
      ]);
      const [wait] = await queries.inferredServerLogs(tid(1));
      expect(wait!.log).toMatchObject({
        traceId: null,
        spanId: null,
        service: 'postgresql',
        attributes: { 'pg.event': 'lock_wait', 'pg.wait_ms': 50, 'pg.application_name': 'checkout' },
        resource: { attributes: { 'service.name': 'postgresql', 'db.system': 'postgresql' } },
      });
    });

    it('gives a line to the span that holds it over one that reaches it only with the slack', async () => {
      expect(await inferred(6)).toEqual([
        [sid(61), 'duration: 18.000 ms  statement: first'],
        [sid(62), 'duration: 18.000 ms  statement: second'],
      ]);
    });

    it('leaves a line that two spans of different traces could claim unlinked', async () => {
      expect(await inferred(2)).toEqual([[sid(21), 'duration: 7.000 ms  statement: only 21']]);
      expect(await inferred(3)).toEqual([[sid(31), 'duration: 9.000 ms  statement: only 31']]);
    });

    it("checks the span's db.user against the line's pg.user, and its application_name attribute first", async () => {
      expect(await inferred(4)).toEqual([[sid(41), 'duration: 11.000 ms  statement: shop']]);
      expect(await inferred(5)).toEqual([[sid(51), 'duration: 12.000 ms  statement: batch']]);
    });

    it('keeps the lines linked by trace context in byTrace, and an unknown trace has none', async () => {
      const linked = await queries.byTrace(tid(1), { limit: 10 });
      expect(linked.map((l) => [l.spanId, l.body])).toEqual([[sid(12), 'duration: 90.000 ms  statement: commented']]);
      expect(await inferred(99)).toEqual([]);
    });
  });
}
