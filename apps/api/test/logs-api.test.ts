// The log API over data written through the store: search and its filters, stable pagination, the
// logs of a trace, the severity histogram and the live tail (read from the SSE stream as it comes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTraceId, unixNano, type LogRecord, type ResourceLogs, type Span } from '@pivot/model';
import { createLogger } from '@pivot/server-kit';
import { LogQueries, LogWriter, PartitionManager, SpanWriter, TraceQueries, type Database } from '@pivot/store';
import { testDatabases } from '@pivot/store/testing';
import { createApiApp } from '../src/index.ts';

const TRACE = parseTraceId('4bf92f3577b34da6a3ce929d0e0e4736')!;
const OTHER = parseTraceId('0af7651916cd43dd8448eb211c80319c')!;
const SPAN = '00f067aa0ba902b7';
const T0 = 1_795_554_618_000_000_000n;
const MS = 1_000_000n;

interface ApiLog {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  body: unknown;
  attributes: Record<string, unknown>;
  traceId: string | null;
  spanId: string | null;
  traceFlags: number;
  service: string;
  resource: { attributes: Record<string, unknown> };
  scope: { name: string };
}

function rec(offMs: number, body: LogRecord['body'], o: Partial<LogRecord> = {}): LogRecord {
  const t = unixNano(T0 + BigInt(offMs) * MS);
  return {
    timeUnixNano: t,
    observedTimeUnixNano: t,
    severityNumber: 9,
    severityText: 'INFO',
    body,
    attributes: {},
    droppedAttributesCount: 0,
    flags: 0,
    traceId: null,
    spanId: null,
    eventName: '',
    ...o,
  };
}
const rl = (service: string, records: LogRecord[]): ResourceLogs => ({
  resource: { attributes: { 'service.name': service }, droppedAttributesCount: 0 },
  scopeLogs: [{ scope: { name: 'pino', version: '10', attributes: {} }, logRecords: records }],
});

/** Reads SSE events from a streaming response until `until` says stop. */
async function readEvents(
  res: Response,
  until: (events: { event: string; data: string; id?: string }[]) => boolean,
  timeoutMs = 10_000,
) {
  const reader = res.body!.getReader();
  const events: { event: string; data: string; id?: string }[] = [];
  let buf = '';
  const deadline = Date.now() + timeoutMs;
  try {
    while (!until(events)) {
      if (Date.now() > deadline) throw new Error(`timed out; events so far: ${JSON.stringify(events)}`);
      const { value, done } = await reader.read();
      if (done) break;
      buf += new TextDecoder().decode(value);
      let sep: number;
      while ((sep = buf.indexOf('\n\n')) !== -1) {
        const block = buf.slice(0, sep);
        buf = buf.slice(sep + 2);
        if (block.startsWith(':')) continue;
        const e: { event: string; data: string; id?: string } = { event: 'message', data: '' };
        for (const line of block.split('\n')) {
          const [k, ...rest] = line.split(': ');
          const v = rest.join(': ');
          if (k === 'event') e.event = v;
          else if (k === 'data') e.data += v;
          else if (k === 'id') e.id = v;
        }
        events.push(e);
      }
    }
  } finally {
    await reader.cancel();
  }
  return events;
}

for (const tdb of testDatabases()) {
  describe(`log API on ${tdb.name}`, () => {
    let db: Database;
    let writer: LogWriter;
    let app: ReturnType<typeof createApiApp>;
    const get = async (path: string) => {
      const res = await app.request(path);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const logsOf = async (qs: string) => {
      const r = await get(`/api/logs?${qs}`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body as { logs: ApiLog[]; nextCursor: string | null };
    };
    const bodies = async (qs: string) => (await logsOf(qs)).logs.map((l) => l.body);

    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      const partitions = new PartitionManager(db);
      writer = new LogWriter(db, partitions);
      await writer.write([
        rl('checkout-api', [
          rec(0, 'checkout started for order ORD-7731', {
            traceId: TRACE,
            spanId: SPAN as never,
            flags: 1,
            attributes: { 'http.route': '/checkout', 'user.id': 42 },
          }),
          rec(5, 'inventory reserved', { traceId: TRACE, severityNumber: 5, severityText: 'DEBUG' }),
          rec(10, 'payment declined: insufficient funds', {
            traceId: TRACE,
            severityNumber: 17,
            severityText: 'ERROR',
            attributes: { 'http.route': '/checkout' },
          }),
          rec(20, { event: 'audit', order: 'ORD-7731', ok: false }, { severityNumber: 13, severityText: 'WARN' }),
          rec(70_000, 'checkout retried for order ORD-7732', { traceId: OTHER }),
        ]),
        rl('payment-service', [
          rec(7, 'card declined by issuer (code 51)', { traceId: TRACE, severityNumber: 17, severityText: 'ERROR' }),
        ]),
      ]);
      const spans = new SpanWriter(db, partitions);
      const span: Span = {
        traceId: TRACE,
        spanId: SPAN as never,
        parentSpanId: null,
        traceState: '',
        flags: 1,
        name: 'POST /checkout',
        kind: 2,
        startTimeUnixNano: unixNano(T0),
        endTimeUnixNano: unixNano(T0 + 15n * MS),
        attributes: {},
        droppedAttributesCount: 0,
        events: [],
        droppedEventsCount: 0,
        links: [],
        droppedLinksCount: 0,
        status: { code: 0, message: '' },
      };
      await spans.write([
        {
          resource: { attributes: { 'service.name': 'checkout-api' }, droppedAttributesCount: 0 },
          scopeSpans: [{ scope: { name: '', version: '', attributes: {} }, spans: [span] }],
        },
      ]);
      await spans.close();
      app = createApiApp({
        logger: createLogger('silent', 'test'),
        traces: new TraceQueries(db),
        logs: { queries: new LogQueries(db), options: { tailIntervalMs: 50 } },
        ready: () => db.ping(),
      });
    });
    afterAll(async () => {
      await writer?.close();
      await db?.close();
      await tdb.drop();
    });

    it('returns logs newest first in the documented shape', async () => {
      const { logs, nextCursor } = await logsOf('');
      expect(nextCursor).toBeNull();
      expect(logs).toHaveLength(6);
      expect(logs[0]!.body).toBe('checkout retried for order ORD-7732');
      const first = logs.find((l) => l.body === 'checkout started for order ORD-7731')!;
      expect(first).toEqual({
        id: expect.any(String),
        timeUnixNano: T0.toString(),
        observedTimeUnixNano: T0.toString(),
        severityNumber: 9,
        severityText: 'INFO',
        body: 'checkout started for order ORD-7731',
        attributes: { 'http.route': '/checkout', 'user.id': 42 },
        traceId: TRACE,
        spanId: SPAN,
        traceFlags: 1,
        service: 'checkout-api',
        resource: { attributes: { 'service.name': 'checkout-api' }, droppedAttributesCount: 0 },
        scope: { name: 'pino', version: '10', attributes: {} },
        eventName: '',
        droppedAttributesCount: 0,
      });
      expect(logs.find((l) => l.severityText === 'WARN')!.body).toEqual({
        event: 'audit',
        order: 'ORD-7731',
        ok: false,
      });
    });

    it('filters by trace, span, service, severity, text, attribute and time', async () => {
      expect(await bodies(`traceId=${TRACE.toUpperCase()}`)).toHaveLength(4);
      expect(await bodies(`traceId=${TRACE}&spanId=${SPAN}`)).toEqual(['checkout started for order ORD-7731']);
      expect(await bodies('service=payment-service')).toEqual(['card declined by issuer (code 51)']);
      expect(await bodies('severity=error')).toEqual([
        'payment declined: insufficient funds',
        'card declined by issuer (code 51)',
      ]);
      expect(await bodies('severity=13')).toHaveLength(3);
      expect(await bodies('q=declined')).toHaveLength(2);
      expect(await bodies(`q=${encodeURIComponent('"declined by" -payment')}`)).toEqual([
        'card declined by issuer (code 51)',
      ]);
      expect(await bodies('q=ord-773')).toHaveLength(3); // substring, case-insensitive, JSON bodies too
      expect(await bodies(`q=${encodeURIComponent('(code 5')}`)).toEqual(['card declined by issuer (code 51)']);
      expect(await bodies(`q=${encodeURIComponent("%' OR 1=1 --")}`)).toEqual([]);
      expect(await bodies('attr.http.route=/checkout&attr.user.id=42')).toEqual([
        'checkout started for order ORD-7731',
      ]);
      expect(await bodies(`start=${T0 + 6n * MS}&end=${T0 + 20n * MS}`)).toHaveLength(3);
      expect(await bodies('start=2026-11-24T22:00:00Z')).toEqual([]);
      expect(await bodies('end=2026-11-24T21:00:00%2B00:00')).toEqual([]);
    });

    it('pages with a cursor, stably and without overlap', async () => {
      const seen: unknown[] = [];
      let cursor: string | null = null;
      do {
        const page: { logs: ApiLog[]; nextCursor: string | null } = await logsOf(
          `limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...page.logs.map((l) => l.body));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(await bodies('limit=100'));
    });

    it.each([
      ['traceId=xyz', /traceId/],
      [`spanId=${SPAN}`, /give traceId too/],
      ['severity=loud', /severity/],
      ['cursor=bm9wZQ', /cursor/],
      ['limit=0', /limit/],
      ['start=yesterday', /start/],
      [`q=${'a '.repeat(20)}`, /q: more than 16/],
    ])('answers 400 for %s', async (qs, message) => {
      const r = await get(`/api/logs?${qs}`);
      expect(r.status).toBe(400);
      expect(r.body.error).toMatch(message);
    });

    it('lists the logs of a trace in time order within its window, [] when there are none, 400 on a bad ID', async () => {
      const r = await get(`/api/traces/${TRACE}/logs`);
      expect(r.status).toBe(200);
      const logs = r.body.logs as ApiLog[];
      expect(logs.map((l) => [l.body, l.service, l.spanId])).toEqual([
        ['checkout started for order ORD-7731', 'checkout-api', SPAN],
        ['inventory reserved', 'checkout-api', null],
        ['card declined by issuer (code 51)', 'payment-service', null],
        ['payment declined: insufficient funds', 'checkout-api', null],
      ]);
      expect(r.body.truncated).toBe(false);
      expect((await get(`/api/traces/${TRACE}/logs?limit=2`)).body).toMatchObject({ truncated: true });
      // A trace whose spans never arrived still finds its logs.
      expect(((await get(`/api/traces/${OTHER}/logs`)).body.logs as ApiLog[]).map((l) => l.body)).toEqual([
        'checkout retried for order ORD-7732',
      ]);
      expect((await get(`/api/traces/${'ab'.repeat(16)}/logs`)).body).toEqual({
        traceId: 'ab'.repeat(16),
        logs: [],
        truncated: false,
      });
      const bad = await get('/api/traces/not-an-id/logs');
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatch(/not a trace ID/);
    });

    it('counts by severity per bucket, with a given or automatic step', async () => {
      const r = await get(`/api/logs/stats?start=${T0}&end=${T0 + 30n * MS}&step=10ms`);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        startTimeUnixNano: T0.toString(),
        endTimeUnixNano: (T0 + 30n * MS).toString(),
        stepNano: '10000000',
        buckets: [
          { timeUnixNano: T0.toString(), total: 3, counts: { INFO: 1, DEBUG: 1, ERROR: 1 } },
          { timeUnixNano: (T0 + 10n * MS).toString(), total: 1, counts: { ERROR: 1 } },
          { timeUnixNano: (T0 + 20n * MS).toString(), total: 1, counts: { WARN: 1 } },
        ],
      });
      const auto = await get(`/api/logs/stats?start=${T0}&end=${T0 + 3_600_000n * MS}&service=checkout-api`);
      expect(auto.body.stepNano).toBe('60000000000');
      const buckets = auto.body.buckets as { total: number }[];
      expect(buckets).toHaveLength(60);
      expect(buckets[0]!.total).toBe(4);
      expect(buckets[1]!.total).toBe(1);
      expect((await get(`/api/logs/stats?start=${T0}&end=${T0 + 3_600_000n * MS}&step=1ms`)).status).toBe(400);
      expect((await get(`/api/logs/stats?start=${T0}&end=${T0}`)).status).toBe(400);
    });

    it('tails new matching logs over SSE, including a late commit of an older time, and resumes by Last-Event-ID', async () => {
      const start = BigInt(Date.now()) * MS;
      const res = await app.request(`/api/logs/tail?service=tail-svc&q=keep&start=${start}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
      const now = (plusMs: number) =>
        rec(0, '', { timeUnixNano: unixNano(start + BigInt(plusMs) * MS), observedTimeUnixNano: unixNano(start) });
      const write = (records: LogRecord[]) => writer.write([rl('tail-svc', records)]);
      // Not tailed (no "keep"): makes the day's partition now, so that the timed writes below commit in
      // the order they are sent (on Citus a partition's DDL runs on every shard and takes a while).
      await write([{ ...now(1), body: 'drop: the day partition first' }]);
      setTimeout(
        () =>
          void write([
            { ...now(10), body: 'keep one' },
            { ...now(11), body: 'drop me' },
          ]),
        100,
      );
      setTimeout(() => void write([{ ...now(500), body: 'keep two' }]), 300);
      // Committed after "keep two" was sent, with an older time: the look-back still finds it.
      setTimeout(() => void write([{ ...now(400), body: 'keep late' }]), 600);
      const events = await readEvents(
        res,
        (ev) =>
          ev.filter((e) => e.event === 'logs').flatMap((e) => (JSON.parse(e.data) as { logs: ApiLog[] }).logs).length >=
          3,
      );
      expect(events[0]!.event).toBe('ready');
      const tailed = events
        .filter((e) => e.event === 'logs')
        .flatMap((e) => (JSON.parse(e.data) as { logs: ApiLog[] }).logs.map((l) => l.body));
      expect(tailed).toEqual(['keep one', 'keep two', 'keep late']);

      // Reconnecting with the last id sent resumes after it: only what came since.
      const lastId = events.filter((e) => e.event === 'logs').at(-1)!.id!;
      await write([{ ...now(900), body: 'keep after reconnect' }]);
      const again = await app.request('/api/logs/tail?service=tail-svc', { headers: { 'last-event-id': lastId } });
      const more = await readEvents(again, (ev) => ev.some((e) => e.event === 'logs'));
      expect(
        more
          .filter((e) => e.event === 'logs')
          .flatMap((e) => (JSON.parse(e.data) as { logs: ApiLog[] }).logs.map((l) => l.body)),
      ).toEqual(['keep after reconnect']);
      expect((await app.request('/api/logs/tail?severity=loud')).status).toBe(400);
    });

    it('stops polling once the tail client goes away', async () => {
      let polls = 0;
      const counting = new (class extends LogQueries {
        override after(...args: Parameters<LogQueries['after']>) {
          polls++;
          return super.after(...args);
        }
      })(db);
      const tailApp = createApiApp({
        logger: createLogger('silent', 'test'),
        traces: new TraceQueries(db),
        logs: { queries: counting, options: { tailIntervalMs: 20 } },
        ready: () => db.ping(),
      });
      const res = await tailApp.request('/api/logs/tail');
      await readEvents(res, (ev) => ev.length > 0); // cancels the body once "ready" arrives
      await new Promise((r) => setTimeout(r, 100));
      const after = polls;
      await new Promise((r) => setTimeout(r, 300));
      expect(polls).toBe(after);
    });
  });
}
