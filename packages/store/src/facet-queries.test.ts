// Facets of the log and trace searches, the exclusions facets add to both filters, and a record's
// context lines, on seeded data whose counts are known.
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
  type TraceId,
} from '@pivot/model';
import {
  FacetQueries,
  LogQueries,
  LogWriter,
  PartitionManager,
  SpanWriter,
  TraceQueries,
  convertColdPartitions,
  type Database,
  type FacetResult,
} from './index.ts';
import { testLayouts } from './testing.ts';

const BASE = 1_764_000_000_000_000_000n;
const TA = parseTraceId('a'.repeat(32))!;
const TB = parseTraceId('b'.repeat(32))!;
const TC = parseTraceId('c'.repeat(32))!;

function rec(offMs: number, severityNumber: number, body: string, attributes: Attributes = {}): LogRecord {
  const t = unixNano(BASE + BigInt(offMs) * 1_000_000n);
  return {
    timeUnixNano: t,
    observedTimeUnixNano: t,
    severityNumber,
    severityText: '',
    body,
    attributes,
    droppedAttributesCount: 0,
    flags: 0,
    traceId: null,
    spanId: null,
    eventName: '',
  };
}
const rl = (service: string, host: string, records: LogRecord[]): ResourceLogs => ({
  resource: { attributes: { 'service.name': service, 'host.name': host }, droppedAttributesCount: 0 },
  scopeLogs: [{ scope: { name: 'app', version: '1', attributes: {} }, logRecords: records }],
});

// Seven records: five of checkout-api (four on host h1, one on h2), two of payment-service.
const LOGS: ResourceLogs[] = [
  rl('checkout-api', 'h1', [
    rec(0, 9, 'order placed', { 'http.route': '/checkout', 'user.id': 42 }),
    rec(1000, 17, 'payment failed', { 'http.route': '/checkout', 'http.status_code': 500 }),
    rec(2000, 13, 'retrying payment', { 'http.route': '/checkout' }),
    rec(3000, 9, 'order shipped', { 'http.route': '/ship', tags: [1, 2] }),
  ]),
  rl('checkout-api', 'h2', [rec(2500, 9, 'order placed on h2', { 'http.route': '/checkout' })]),
  rl('payment-service', 'h1', [
    rec(1500, 17, 'card declined', { 'http.status_code': 500 }),
    rec(4000, 9, 'payment ok'),
  ]),
];

let spanSeq = 0;
function span(
  traceId: TraceId,
  parent: Span | null,
  name: string,
  startMs: number,
  attributes: Attributes,
  error = false,
) {
  const id = parseSpanId((++spanSeq).toString(16).padStart(16, '0'))!;
  const start = BASE + BigInt(startMs) * 1_000_000n;
  const s: Span = {
    traceId,
    spanId: id,
    parentSpanId: parent?.spanId ?? null,
    traceState: '',
    flags: 1,
    name,
    kind: parent ? 3 : 2,
    startTimeUnixNano: unixNano(start),
    endTimeUnixNano: unixNano(start + 100_000_000n),
    attributes,
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: error ? 2 : 0, message: '' },
  };
  return s;
}
const rs = (service: string, spans: Span[]): ResourceSpans => ({
  resource: { attributes: { 'service.name': service }, droppedAttributesCount: 0 },
  scopeSpans: [{ scope: { name: 'app', version: '1', attributes: {} }, spans }],
});
const rootA = span(TA, null, 'POST /checkout', 0, { 'http.route': '/checkout', 'http.status_code': 200 });
const rootB = span(TB, null, 'POST /checkout', 1000, { 'http.route': '/checkout', 'http.status_code': 200 });
const rootC = span(TC, null, 'GET /ship', 2000, { 'http.route': '/ship', 'http.status_code': 200 });
const SPANS: ResourceSpans[] = [
  rs('checkout-api', [rootA, rootB, rootC]),
  rs('payment-service', [
    span(TA, rootA, 'charge', 10, { 'http.status_code': 500, retry: true }, true),
    span(TB, rootB, 'charge', 1010, { 'http.status_code': 200 }),
  ]),
];

/** Facets as [key, [value, count]…] pairs, with the sample, for exact comparison. */
const shape = (r: FacetResult) => ({
  counted: r.counted,
  sampled: r.sampled,
  facets: r.facets.map((f) => [f.key, f.kind, f.total, f.distinct, f.values.map((v) => `${v.value}:${v.count}`)]),
});

for (const { tdb, columnar, label } of testLayouts()) {
  describe(`facets and log context on ${label}`, () => {
    let db: Database;
    let logWriter: LogWriter;
    let spanWriter: SpanWriter;
    let facets: FacetQueries;
    let logs: LogQueries;
    let traces: TraceQueries;

    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      const partitions = new PartitionManager(db);
      logWriter = new LogWriter(db, partitions);
      spanWriter = new SpanWriter(db, partitions);
      await logWriter.write(LOGS);
      await spanWriter.write(SPANS);
      if (columnar)
        await convertColdPartitions(db, { coldAfterMs: 0, nowMs: Number(BASE / 1_000_000n) + 2 * 86_400_000 });
      facets = new FacetQueries(db);
      logs = new LogQueries(db);
      traces = new TraceQueries(db);
    });
    afterAll(async () => {
      await logWriter?.close();
      await spanWriter?.close();
      await db?.close();
      await tdb.drop();
    });

    it('counts service, severity band and record attributes over the whole result', async () => {
      expect(shape(await facets.logs({}, { limit: 100 }))).toEqual({
        counted: 7,
        sampled: false,
        facets: [
          ['service', 'field', 7, 2, ['checkout-api:5', 'payment-service:2']],
          ['severity', 'field', 7, 3, ['INFO:4', 'ERROR:2', 'WARN:1']],
          // Keys by how many records carry them; arrays (tags) are not facets.
          ['http.route', 'attribute', 5, 2, ['/checkout:4', '/ship:1']],
          ['http.status_code', 'attribute', 2, 1, ['500:2']],
          ['user.id', 'attribute', 1, 1, ['42:1']],
        ],
      });
    });

    it('uses the search filter, and says when it counted only the newest records', async () => {
      expect(shape(await facets.logs({ include: ['payment'] }, { limit: 100 })).facets[0]).toEqual([
        'service',
        'field',
        3,
        2,
        ['checkout-api:2', 'payment-service:1'],
      ]);
      const sample = await facets.logs({}, { limit: 3, maxKeys: 1, maxValues: 1 });
      // The newest three: payment ok (4 s), order shipped (3 s), order placed on h2 (2.5 s).
      expect(shape(sample)).toEqual({
        counted: 3,
        sampled: true,
        facets: [
          ['service', 'field', 3, 2, ['checkout-api:2']],
          ['severity', 'field', 3, 1, ['INFO:3']],
          ['http.route', 'attribute', 2, 2, ['/checkout:1']],
        ],
      });
    });

    it('excludes services, severity bands and attribute values, and includes bands', async () => {
      const bodies = async (f: Parameters<LogQueries['search']>[0]) =>
        (await logs.search(f, { limit: 100 })).logs.map((l) => l.body);
      expect(await bodies({ excludeServices: ['payment-service'] })).toHaveLength(5);
      expect(await bodies({ excludeServices: ['payment-service', 'checkout-api'] })).toEqual([]);
      expect(await bodies({ levels: ['ERROR'] })).toEqual(['card declined', 'payment failed']);
      expect(await bodies({ levels: ['ERROR', 'WARN'] })).toHaveLength(3);
      expect(await bodies({ excludeLevels: ['INFO'] })).toEqual([
        'retrying payment',
        'card declined',
        'payment failed',
      ]);
      expect(await bodies({ excludeAttributes: [['http.status_code', '500']] })).toHaveLength(5);
      expect(await bodies({ excludeAttributes: [['http.route', "/x'; DROP TABLE logs;--"]] })).toHaveLength(7);
      const r = await facets.logs({ excludeLevels: ['INFO'], excludeServices: ['payment-service'] }, { limit: 100 });
      expect(shape(r).facets[1]).toEqual(['severity', 'field', 2, 2, ['ERROR:1', 'WARN:1']]);
    });

    it('gives the lines around a record from its own stream (service and resource), oldest first', async () => {
      const all = (await logs.search({}, { limit: 100 })).logs;
      const retry = all.find((l) => l.body === 'retrying payment')!;
      const key = { timeNs: retry.timeUnixNano, fingerprint: retry.fingerprint };
      const ctx = (await logs.context(key, { before: 5, after: 5 }))!;
      // Not "order placed on h2" (another resource) nor payment-service's lines.
      expect(ctx.before.map((l) => l.body)).toEqual(['order placed', 'payment failed']);
      expect(ctx.record.body).toBe('retrying payment');
      expect(ctx.after.map((l) => l.body)).toEqual(['order shipped']);
      const one = (await logs.context(key, { before: 1, after: 0 }))!;
      expect(one.before.map((l) => l.body)).toEqual(['payment failed']);
      expect(one.after).toEqual([]);
      expect(await logs.context({ timeNs: retry.timeUnixNano, fingerprint: 1n }, { before: 1, after: 1 })).toBeNull();
    });

    it('counts traces per service, status and span attribute value', async () => {
      expect(shape(await facets.traces({}, { limit: 100 }))).toEqual({
        counted: 3,
        sampled: false,
        facets: [
          ['service', 'field', 5, 2, ['checkout-api:3', 'payment-service:2']],
          ['status', 'field', 3, 2, ['ok:2', 'error:1']],
          // In traces: 200 is on a span of all three, 500 on one.
          ['http.status_code', 'attribute', 4, 2, ['200:3', '500:1']],
          ['http.route', 'attribute', 3, 2, ['/checkout:2', '/ship:1']],
          ['retry', 'attribute', 1, 1, ['true:1']],
        ],
      });
      const newest = await facets.traces({}, { limit: 1 });
      expect(shape(newest).facets[0]).toEqual(['service', 'field', 1, 1, ['checkout-api:1']]);
      expect(newest.sampled).toBe(true);
      const withRetry = await facets.traces({ attributes: [['retry', 'true']] }, { limit: 100 });
      expect(shape(withRetry).facets[1]).toEqual(['status', 'field', 1, 1, ['error:1']]);
    });

    it('excludes services, errors and attribute values from the trace search', async () => {
      const ids = async (q: Omit<Parameters<TraceQueries['search']>[0], 'limit'>) =>
        (await traces.search({ ...q, limit: 100 })).map((t) => t.traceId);
      expect(await ids({ excludeServices: ['payment-service'] })).toEqual([TC]);
      expect(await ids({ okOnly: true })).toEqual([TC, TB]);
      expect(await ids({ excludeAttributes: [['http.status_code', '500']] })).toEqual([TC, TB]);
      expect(await ids({ excludeAttributes: [['http.route', '/ship']], errorsOnly: true })).toEqual([TA]);
    });
  });
}
