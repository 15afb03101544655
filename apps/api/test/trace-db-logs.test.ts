// The logs of a trace include the database server's lines for its DB CLIENT spans (issue 21): those the
// statement's sqlcommenter comment linked, marked `sqlcommenter`, and those linked by inference, given the
// span's IDs and marked `inferred`, in time order with the application's own logs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTraceId, unixNano, type Attributes, type LogRecord, type ResourceLogs, type Span } from '@pivot/model';
import { createLogger } from '@pivot/server-kit';
import { LogQueries, LogWriter, PartitionManager, SpanWriter, TraceQueries, type Database } from '@pivot/store';
import { testDatabases } from '@pivot/store/testing';
import { createApiApp } from '../src/index.ts';

const TRACE = parseTraceId('5bf92f3577b34da6a3ce929d0e0e4736')!;
const ROOT = '1000000000000001';
const COMMENTED = '1000000000000002';
const PLAIN = '1000000000000003';
const T0 = 1_795_554_618_000_000_000n;
const MS = 1_000_000n;

function span(
  spanId: string,
  parent: string | null,
  kind: number,
  startMs: number,
  durMs: number,
  attributes: Attributes,
): Span {
  return {
    traceId: TRACE,
    spanId: spanId as Span['spanId'],
    parentSpanId: parent as Span['parentSpanId'],
    traceState: '',
    flags: 1,
    name: kind === 3 ? 'UPDATE shop.stock' : 'POST /pay',
    kind,
    startTimeUnixNano: unixNano(T0 + BigInt(startMs) * MS),
    endTimeUnixNano: unixNano(T0 + BigInt(startMs + durMs) * MS),
    attributes,
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
  };
}
function rec(atMs: number, body: string, attributes: Attributes, spanId: string | null): LogRecord {
  const t = unixNano(T0 + BigInt(atMs) * MS);
  return {
    timeUnixNano: t,
    observedTimeUnixNano: t,
    severityNumber: 9,
    severityText: 'LOG',
    body,
    attributes,
    droppedAttributesCount: 0,
    flags: 0,
    traceId: spanId ? TRACE : null,
    spanId: spanId as LogRecord['spanId'],
    eventName: '',
  };
}
const resource = (service: string, extra: Attributes = {}) => ({
  attributes: { 'service.name': service, ...extra },
  droppedAttributesCount: 0,
});

for (const tdb of testDatabases()) {
  describe(`trace logs with database server lines on ${tdb.name}`, () => {
    let db: Database;
    let app: ReturnType<typeof createApiApp>;

    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      const partitions = new PartitionManager(db);
      const spans = new SpanWriter(db, partitions);
      const db1 = {
        'db.system': 'postgresql',
        'db.statement': "SELECT 1 /*traceparent='00-5bf92f3577b34da6a3ce929d0e0e4736-1000000000000002-01'*/",
      };
      await spans.write([
        {
          resource: resource('payment'),
          scopeSpans: [
            {
              scope: { name: 't', version: '', attributes: {} },
              spans: [
                span(ROOT, null, 2, 0, 1000, {}),
                span(COMMENTED, ROOT, 3, 10, 900, db1),
                span(PLAIN, ROOT, 3, 920, 30, { 'db.system': 'postgresql', 'db.statement': 'COMMIT' }),
              ],
            },
          ],
        },
      ]);
      await spans.close();
      const logs = new LogWriter(db, partitions);
      const link = { 'pg.link': 'sqlcommenter' };
      const server: ResourceLogs = {
        resource: resource('postgresql', { 'db.system': 'postgresql' }),
        scopeLogs: [
          {
            scope: { name: 'pglog', version: '', attributes: {} },
            logRecords: [
              rec(
                510,
                'process 77 still waiting for ShareLock on transaction 1234 after 500.000 ms',
                {
                  'pg.event': 'lock_wait',
                  'pg.wait_event': 'ShareLock on transaction 1234',
                  'pg.wait_ms': 500,
                  ...link,
                },
                COMMENTED,
              ),
              rec(
                909,
                'duration: 897.000 ms',
                { 'pg.event': 'duration', 'pg.duration_ms': 897, 'pg.application_name': 'payment', ...link },
                COMMENTED,
              ),
              rec(
                948,
                'duration: 0.412 ms',
                { 'pg.event': 'duration', 'pg.duration_ms': 0.412, 'pg.application_name': 'payment' },
                null,
              ),
            ],
          },
        ],
      };
      const app1: ResourceLogs = {
        resource: resource('payment'),
        scopeLogs: [{ scope: { name: 'pino', version: '', attributes: {} }, logRecords: [rec(960, 'paid', {}, ROOT)] }],
      };
      await logs.write([server, app1]);
      await logs.close();
      app = createApiApp({
        logger: createLogger('silent', 'test'),
        traces: new TraceQueries(db),
        logs: { queries: new LogQueries(db) },
        ready: () => db.ping(),
      });
    });
    afterAll(async () => {
      await db?.close();
      await tdb.drop();
    });

    it('merges linked and inferred server lines with the trace logs, each marked', async () => {
      const res = await app.request(`/api/traces/${TRACE}/logs`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        truncated: boolean;
        logs: {
          body: string;
          service: string;
          traceId: string;
          spanId: string;
          link?: string;
          attributes: Attributes;
        }[];
      };
      expect(body.logs.map((l) => [l.body, l.service, l.traceId, l.spanId, l.link ?? null])).toEqual([
        [
          'process 77 still waiting for ShareLock on transaction 1234 after 500.000 ms',
          'postgresql',
          TRACE,
          COMMENTED,
          'sqlcommenter',
        ],
        ['duration: 897.000 ms', 'postgresql', TRACE, COMMENTED, 'sqlcommenter'],
        ['duration: 0.412 ms', 'postgresql', TRACE, PLAIN, 'inferred'],
        ['paid', 'payment', TRACE, ROOT, null],
      ]);
      expect(body.logs[2]!.attributes).toEqual({
        'pg.event': 'duration',
        'pg.duration_ms': 0.412,
        'pg.application_name': 'payment',
      });
      expect(body.truncated).toBe(false);
      const cut = (await (await app.request(`/api/traces/${TRACE}/logs?limit=3`)).json()) as {
        truncated: boolean;
        logs: unknown[];
      };
      expect(cut.logs).toHaveLength(3);
      expect(cut.truncated).toBe(true);
    });
  });
}
