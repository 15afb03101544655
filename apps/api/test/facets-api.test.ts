// The facet, context and export routes of the log and trace searches over seeded data: exact counts,
// the exclusions facets add (not.service, not.attr.*, level, not.level, not.status), a record's
// context lines, and the NDJSON export with its bound.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseSpanId,
  parseTraceId,
  unixNano,
  type Attributes,
  type LogRecord,
  type ResourceLogs,
  type Span,
  type TraceId,
} from '@pivot/model';
import { createLogger } from '@pivot/server-kit';
import {
  FacetQueries,
  LogQueries,
  LogWriter,
  PartitionManager,
  SpanWriter,
  TraceQueries,
  type Database,
} from '@pivot/store';
import { testDatabases } from '@pivot/store/testing';
import { createApiApp } from '../src/index.ts';

const T0 = 1_795_554_618_000_000_000n;
const MS = 1_000_000n;
const TA = parseTraceId('a'.repeat(32))!;
const TB = parseTraceId('b'.repeat(32))!;

function rec(offMs: number, severityNumber: number, body: string, attributes: Attributes = {}): LogRecord {
  const t = unixNano(T0 + BigInt(offMs) * MS);
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
const rl = (service: string, records: LogRecord[]): ResourceLogs => ({
  resource: { attributes: { 'service.name': service }, droppedAttributesCount: 0 },
  scopeLogs: [{ scope: { name: 'pino', version: '10', attributes: {} }, logRecords: records }],
});

function span(
  traceId: TraceId,
  id: number,
  parent: number | null,
  startMs: number,
  attributes: Attributes,
  error = false,
): Span {
  const start = T0 + BigInt(startMs) * MS;
  return {
    traceId,
    spanId: parseSpanId(id.toString(16).padStart(16, '0'))!,
    parentSpanId: parent === null ? null : parseSpanId(parent.toString(16).padStart(16, '0'))!,
    traceState: '',
    flags: 1,
    name: parent === null ? 'POST /checkout' : 'charge',
    kind: 2,
    startTimeUnixNano: unixNano(start),
    endTimeUnixNano: unixNano(start + 50n * MS),
    attributes,
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: error ? 2 : 0, message: '' },
  };
}

for (const tdb of testDatabases()) {
  describe(`facet, context and export routes on ${tdb.name}`, () => {
    let db: Database;
    let app: ReturnType<typeof createApiApp>;
    const get = async (path: string) => {
      const res = await app.request(path);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const facetValues = (body: Record<string, unknown>) =>
      Object.fromEntries(
        (body.facets as { key: string; values: { value: string; count: number }[] }[]).map((f) => [
          f.key,
          f.values.map((v) => `${v.value}:${v.count}`).join(' '),
        ]),
      );

    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      const partitions = new PartitionManager(db);
      const writer = new LogWriter(db, partitions);
      await writer.write([
        rl('checkout-api', [
          rec(0, 9, 'checkout started', { 'http.route': '/checkout' }),
          rec(10, 17, 'payment declined', { 'http.route': '/checkout', code: 51 }),
          rec(20, 13, 'retrying payment', { 'http.route': '/checkout' }),
          rec(30, 9, 'checkout done', { 'http.route': '/checkout' }),
        ]),
        rl('payment-service', [rec(15, 17, 'card declined', { code: 51 }), rec(40, 9, 'healthz ok')]),
      ]);
      await writer.close();
      const spans = new SpanWriter(db, partitions);
      await spans.write([
        {
          resource: { attributes: { 'service.name': 'checkout-api' }, droppedAttributesCount: 0 },
          scopeSpans: [
            {
              scope: { name: '', version: '', attributes: {} },
              spans: [
                span(TA, 1, null, 0, { 'http.route': '/checkout' }),
                span(TB, 3, null, 100, { 'http.route': '/checkout' }),
              ],
            },
          ],
        },
        {
          resource: { attributes: { 'service.name': 'payment-service' }, droppedAttributesCount: 0 },
          scopeSpans: [
            { scope: { name: '', version: '', attributes: {} }, spans: [span(TA, 2, 1, 5, { code: 51 }, true)] },
          ],
        },
      ]);
      await spans.close();
      app = createApiApp({
        logger: createLogger('silent', 'test'),
        traces: new TraceQueries(db),
        logs: { queries: new LogQueries(db) },
        facets: new FacetQueries(db),
        ready: () => db.ping(),
      });
    });
    afterAll(async () => {
      await db?.close();
      await tdb.drop();
    });

    it('GET /api/logs/facets counts the search result, with its sample bound', async () => {
      const r = await get(`/api/logs/facets?start=${T0}&end=${T0 + 1000n * MS}`);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ counted: 6, sampled: false, limit: 10_000 });
      expect(facetValues(r.body)).toEqual({
        service: 'checkout-api:4 payment-service:2',
        severity: 'INFO:3 ERROR:2 WARN:1',
        'http.route': '/checkout:4',
        code: '51:2',
      });
      const text = await get('/api/logs/facets?q=declined');
      expect(facetValues(text.body).service).toBe('checkout-api:1 payment-service:1');
      const sample = await get('/api/logs/facets?limit=2');
      expect(sample.body).toMatchObject({ counted: 2, sampled: true, limit: 2 });
      expect(facetValues(sample.body).service).toBe('checkout-api:1 payment-service:1');
    });

    it('applies a facet include or exclude to the search and the facets alike', async () => {
      const bodies = async (qs: string) =>
        ((await get(`/api/logs?${qs}`)).body.logs as { body: string }[]).map((l) => l.body);
      expect(await bodies('level=ERROR')).toEqual(['card declined', 'payment declined']);
      expect(await bodies('not.level=info&not.service=payment-service')).toEqual([
        'retrying payment',
        'payment declined',
      ]);
      expect(await bodies('not.attr.code=51&service=payment-service')).toEqual(['healthz ok']);
      expect(facetValues((await get('/api/logs/facets?not.attr.http.route=/checkout')).body).severity).toBe(
        'ERROR:1 INFO:1',
      );
      const bad = await get('/api/logs?level=loud');
      expect(bad.status).toBe(400);
      expect(bad.body.error).toBe(
        'level: expected one of UNSPECIFIED, TRACE, DEBUG, INFO, WARN, ERROR, FATAL, got "loud"',
      );
    });

    it('GET /api/traces/facets counts traces, and /api/traces takes the same exclusions', async () => {
      const r = await get('/api/traces/facets');
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ counted: 2, sampled: false, limit: 1000 });
      expect(facetValues(r.body)).toEqual({
        service: 'checkout-api:2 payment-service:1',
        status: 'error:1 ok:1',
        'http.route': '/checkout:2',
        code: '51:1',
      });
      expect(facetValues((await get('/api/traces/facets?not.status=error')).body).service).toBe('checkout-api:1');
      const ids = async (qs: string) =>
        ((await get(`/api/traces?${qs}`)).body.traces as { traceId: string }[]).map((t) => t.traceId);
      expect(await ids('not.service=payment-service')).toEqual([TB]);
      expect(await ids('status=ok')).toEqual([TB]);
      expect(await ids('not.attr.code=51')).toEqual([TB]);
      expect(await ids('not.status=ok')).toEqual([TA]);
      expect((await get('/api/traces?status=slow')).body.error).toBe('status: expected "error" or "ok", got "slow"');
      expect((await get('/api/traces/facets?q={}')).status).toBe(400);
    });

    it('GET /api/logs/context gives the lines of the same stream around a record', async () => {
      const logs = (await get('/api/logs?service=checkout-api')).body.logs as { id: string; body: string }[];
      const retry = logs.find((l) => l.body === 'retrying payment')!;
      const r = await get(`/api/logs/context?id=${retry.id}&before=1&after=5`);
      expect(r.status).toBe(200);
      const b = r.body as { before: { body: string }[]; record: { body: string }; after: { body: string }[] };
      expect(b.before.map((l) => l.body)).toEqual(['payment declined']);
      expect(b.record.body).toBe('retrying payment');
      expect(b.after.map((l) => l.body)).toEqual(['checkout done']);
      expect((await get('/api/logs/context')).status).toBe(400);
      const gone = Buffer.from(`${T0}.1`).toString('base64url');
      expect((await get(`/api/logs/context?id=${gone}`)).status).toBe(404);
    });

    it('format=ndjson streams the search result one record a line, bounded by limit', async () => {
      const res = await app.request('/api/logs?format=ndjson&not.service=payment-service');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=UTF-8');
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="logs.ndjson"');
      const lines = (await res.text()).split('\n');
      expect(lines.pop()).toBe('');
      expect(lines.map((l) => (JSON.parse(l) as { body: string }).body)).toEqual([
        'checkout done',
        'retrying payment',
        'payment declined',
        'checkout started',
      ]);
      const cut = await app.request('/api/logs?format=ndjson&limit=2');
      expect(cut.headers.get('x-pivot-limit')).toBe('2');
      expect((await cut.text()).trim().split('\n')).toHaveLength(2);
    });
  });
}
