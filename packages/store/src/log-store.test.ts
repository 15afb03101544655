import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import {
  parseSpanId,
  parseTraceId,
  unixNano,
  type Attributes,
  type AttrValue,
  type LogRecord,
  type ResourceLogs,
  type Span,
} from '@pivot/model';
import {
  LOGS_TABLE,
  LogQueries,
  LogWriter,
  PartitionManager,
  SpanWriter,
  type Database,
  type LogCursor,
  type StoredLog,
  convertColdPartitions,
} from './index.ts';
import { testLayouts } from './testing.ts';

const T1 = parseTraceId('0af7651916cd43dd8448eb211c80319c')!;
const T2 = parseTraceId('4bf92f3577b34da6a3ce929d0e0e4736')!;
const S1 = parseSpanId('00f067aa0ba902b7')!;
const S2 = parseSpanId('ffffffffffffff01')!; // above 2^63: stored as a negative bigint
const BASE = 1_764_000_000_123_456_789n; // nanosecond precision that a float would lose
const SEC = 1_000_000_000n;

function rec(off: bigint, body: AttrValue, o: Partial<LogRecord> = {}): LogRecord {
  return {
    timeUnixNano: unixNano(BASE + off),
    observedTimeUnixNano: unixNano(BASE + off + 5n),
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
function rl(service: string, records: LogRecord[], extra: Attributes = {}): ResourceLogs {
  return {
    resource: { attributes: { 'service.name': service, ...extra }, droppedAttributesCount: 0 },
    scopeLogs: [{ scope: { name: 'app-logger', version: '2.0.0', attributes: {} }, logRecords: records }],
  };
}

const corpus: ResourceLogs[] = [
  rl(
    'checkout-api',
    [
      rec(0n, 'order ord-1001 placed', {
        traceId: T1,
        spanId: S1,
        flags: 1,
        attributes: { 'user.id': 42, 'http.route': '/checkout' },
      }),
      rec(1n * SEC, 'Payment FAILED for ord-1001: card declined', {
        severityNumber: 17,
        severityText: 'ERROR',
        traceId: T1,
        spanId: S2,
        flags: 0x101,
      }),
      rec(2n * SEC, 'discount 50% applied to cart_total', { severityNumber: 5, severityText: 'DEBUG' }),
      rec(
        3n * SEC,
        { event: 'cart', items: [1, 2], nested: { ok: true } },
        { attributes: { 'http.status_code': 500 } },
      ),
      rec(4n * SEC, 'nul\0byte and a retry of ord-1002', {
        severityNumber: 13,
        severityText: 'WARN',
        traceId: T2,
        attributes: { note: 'nul\0' },
      }),
    ],
    { 'host.name': 'h1' },
  ),
  rl('payment-service', [
    rec(1n * SEC + 500n, 'charging card for ord-1001', { traceId: T1, spanId: S2 }),
    rec(5n * SEC, 'dry run: no charge', { severityNumber: 0, severityText: '' }),
  ]),
];

for (const { tdb, columnar, label } of testLayouts()) {
  describe(`log store on ${label}`, () => {
    let db: Database;
    let writer: LogWriter;
    let queries: LogQueries;
    let partitions: PartitionManager;
    const count = async () => Number((await db.query<{ n: string }>(sql`SELECT count(*) AS n FROM logs`))[0]!.n);
    const bodies = (logs: StoredLog[]) => logs.map((l) => l.body);
    const search = async (f: Parameters<LogQueries['search']>[0]) =>
      bodies((await queries.search(f, { limit: 100 })).logs);

    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      partitions = new PartitionManager(db);
      writer = new LogWriter(db, partitions);
      queries = new LogQueries(db);
      await writer.write(corpus);
      // The corpus's day becomes columnar: every test below reads it there, and writes to it are late.
      if (columnar) {
        const r = await convertColdPartitions(db, {
          coldAfterMs: 0,
          nowMs: Number(BASE / 1_000_000n) + 2 * 86_400_000,
        });
        expect(r.converted).toContain('logs_p20251124');
      }
    });
    afterAll(async () => {
      await writer?.close();
      await db?.close();
      await tdb.drop();
    });

    it('stores every field and reads it back exactly, newest first', async () => {
      const { logs, next } = await queries.search({}, { limit: 100 });
      expect(next).toBeNull();
      expect(logs).toHaveLength(7);
      expect(logs[0]!.body).toBe('dry run: no charge');
      const placed = logs.find((l) => l.body === 'order ord-1001 placed')!;
      expect(placed).toMatchObject({
        timeUnixNano: BASE,
        observedTimeUnixNano: BASE + 5n,
        severityNumber: 9,
        severityText: 'INFO',
        traceId: T1,
        spanId: S1,
        traceFlags: 1,
        service: 'checkout-api',
        attributes: { 'user.id': 42, 'http.route': '/checkout' },
        resource: { attributes: { 'service.name': 'checkout-api', 'host.name': 'h1' }, droppedAttributesCount: 0 },
        scope: { name: 'app-logger', version: '2.0.0', attributes: {} },
      });
      const failed = logs.find((l) => l.severityText === 'ERROR')!;
      expect(failed.spanId).toBe(S2);
      expect(failed.traceFlags).toBe(1); // only the W3C bits of OTLP's flags
      // A structured body comes back as the same value, not as a string.
      expect(logs.find((l) => typeof l.body === 'object')!.body).toEqual({
        event: 'cart',
        items: [1, 2],
        nested: { ok: true },
      });
      const nul = logs.find((l) => l.severityText === 'WARN')!;
      expect(nul.body).toBe('nul\uFFFDbyte and a retry of ord-1002');
      expect(nul.attributes).toEqual({ note: 'nul\uFFFD' });
      expect(nul.spanId).toBeNull();
    });

    it('is idempotent: the same request again, or twice at once, stores nothing new', async () => {
      await writer.write(corpus);
      await Promise.all([writer.write(corpus), writer.write(corpus)]);
      expect(await count()).toBe(7);
      // Only the observed time differs on a retry of a request: still the same rows.
      const retried = corpus.map((r) => ({
        ...r,
        scopeLogs: r.scopeLogs.map((s) => ({
          ...s,
          logRecords: s.logRecords.map((l) => ({ ...l, observedTimeUnixNano: unixNano(l.observedTimeUnixNano + SEC) })),
        })),
      }));
      await writer.write(retried);
      expect(await count()).toBe(7);
    });

    it('filters by trace, span, service, minimum severity and attribute', async () => {
      expect(await search({ traceId: T1 })).toEqual([
        'charging card for ord-1001',
        'Payment FAILED for ord-1001: card declined',
        'order ord-1001 placed',
      ]);
      expect(await search({ traceId: T1, spanId: S2 })).toHaveLength(2);
      expect(await search({ service: 'payment-service' })).toEqual([
        'dry run: no charge',
        'charging card for ord-1001',
      ]);
      expect(await search({ minSeverity: 13 })).toEqual([
        'nul\uFFFDbyte and a retry of ord-1002',
        'Payment FAILED for ord-1001: card declined',
      ]);
      expect(await search({ attributes: [['user.id', '42']] })).toEqual(['order ord-1001 placed']);
      expect(await search({ attributes: [['http.status_code', '500']] })).toHaveLength(1);
      expect(await search({ attributes: [['http.route', "/checkout'; DROP TABLE logs;--"]] })).toEqual([]);
      expect(await search({ startNs: unixNano(BASE + SEC), endNs: unixNano(BASE + 2n * SEC) })).toHaveLength(3);
    });

    it('matches text terms as case-insensitive substrings, with phrases, exclusions and literal metacharacters', async () => {
      expect(await search({ include: ['failed'] })).toEqual(['Payment FAILED for ord-1001: card declined']);
      expect(await search({ include: ['ord-1001'] })).toHaveLength(3);
      expect(await search({ include: ['ord-100'], exclude: ['card'] })).toEqual([
        'nul\uFFFDbyte and a retry of ord-1002',
        'order ord-1001 placed',
      ]);
      expect(await search({ include: ['card declined'] })).toHaveLength(1);
      expect(await search({ include: ['50%'] })).toEqual(['discount 50% applied to cart_total']);
      expect(await search({ include: ['%'] })).toHaveLength(1);
      expect(await search({ include: ['ord_1001'] })).toEqual([]); // _ is not a wildcard
      expect(await search({ include: ['cart_'] })).toHaveLength(1);
      expect(await search({ include: ['"nested"'] })).toHaveLength(1); // structured bodies are searched as JSON
      expect(await search({ include: ["'; DROP TABLE logs; --"] })).toEqual([]);
    });

    it('pages through equal timestamps without gaps or repeats', async () => {
      const many = rl(
        'pager',
        Array.from({ length: 25 }, (_, i) => rec(100n * SEC + BigInt(i % 3), `page line ${i}`)),
      );
      await writer.write([many]);
      const seen: string[] = [];
      let cursor: LogCursor | undefined;
      let pages = 0;
      do {
        const page = await queries.search({ service: 'pager' }, { limit: 4, cursor });
        seen.push(...page.logs.map((l) => l.body as string));
        for (let i = 1; i < page.logs.length; i++) {
          const [a, b] = [page.logs[i - 1]!, page.logs[i]!];
          expect(
            a.timeUnixNano > b.timeUnixNano || (a.timeUnixNano === b.timeUnixNano && a.fingerprint > b.fingerprint),
          ).toBe(true);
        }
        cursor = page.next ?? undefined;
        pages++;
      } while (cursor);
      expect(pages).toBe(7);
      expect(new Set(seen).size).toBe(25);
      expect(seen).toHaveLength(25);
    });

    it('lists the logs of a trace oldest first, within the trace window when its summary is known', async () => {
      expect(bodies(await queries.byTrace(T1, { limit: 100 }))).toEqual([
        'order ord-1001 placed',
        'Payment FAILED for ord-1001: card declined',
        'charging card for ord-1001',
      ]);
      // With spans stored, the trace's window bounds the search: a log an hour later is left out.
      const spans = new SpanWriter(db, partitions);
      const span: Span = {
        traceId: T1,
        spanId: S1,
        parentSpanId: null,
        traceState: '',
        flags: 1,
        name: 'POST /checkout',
        kind: 2,
        startTimeUnixNano: unixNano(BASE),
        endTimeUnixNano: unixNano(BASE + 2n * SEC),
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
      await writer.write([rl('checkout-api', [rec(3600n * SEC, 'an hour later', { traceId: T1 })])]);
      expect(await queries.byTrace(T1, { limit: 100 })).toHaveLength(3);
      expect(await queries.byTrace(T1, { limit: 100, marginNs: 7200n * SEC })).toHaveLength(4);
      expect(await queries.byTrace(parseTraceId('ab'.repeat(16))!, { limit: 100 })).toEqual([]);
    });

    it('returns what arrived after a cursor, oldest first (live tail)', async () => {
      const from: LogCursor = { timeNs: unixNano(BASE + SEC), fingerprint: -(2n ** 63n) };
      const rows = await queries.after({ service: 'checkout-api' }, from, 3);
      expect(bodies(rows)).toEqual([
        'Payment FAILED for ord-1001: card declined',
        'discount 50% applied to cart_total',
        { event: 'cart', items: [1, 2], nested: { ok: true } },
      ]);
      const more = await queries.after(
        { service: 'checkout-api' },
        { timeNs: rows[2]!.timeUnixNano, fingerprint: rows[2]!.fingerprint },
        100,
      );
      expect(bodies(more)[0]).toBe('nul\uFFFDbyte and a retry of ord-1002');
    });

    it('counts records per time bucket and severity band', async () => {
      const buckets = await queries.stats(
        { service: 'checkout-api' },
        { startNs: unixNano(BASE), endNs: unixNano(BASE + 6n * SEC), stepNs: 2n * SEC },
      );
      expect(buckets.map((b) => [b.startNs - BASE, b.counts, b.total])).toEqual([
        [0n, { INFO: 1, ERROR: 1 }, 2],
        [2n * SEC, { DEBUG: 1, INFO: 1 }, 2],
        [4n * SEC, { WARN: 1 }, 1],
      ]);
      const pay = await queries.stats(
        { service: 'payment-service' },
        { startNs: unixNano(BASE), endNs: unixNano(BASE + 6n * SEC), stepNs: 6n * SEC },
      );
      expect(pay[0]!.counts).toEqual({ INFO: 1, UNSPECIFIED: 1 });
    });

    it('fills in missing times from the observed time, else the receive time, and partitions by day', async () => {
      const before = BigInt(Date.now()) * 1_000_000n;
      await writer.write([
        rl('clockless', [
          rec(0n, 'observed only', { timeUnixNano: unixNano(0n), observedTimeUnixNano: unixNano(BASE + 7n) }),
          rec(0n, 'no time at all', { timeUnixNano: unixNano(0n), observedTimeUnixNano: unixNano(0n) }),
        ]),
      ]);
      const logs = (await queries.search({ service: 'clockless' }, { limit: 10 })).logs;
      expect(logs.find((l) => l.body === 'observed only')!.timeUnixNano).toBe(BASE + 7n);
      expect(logs.find((l) => l.body === 'no time at all')!.timeUnixNano).toBeGreaterThanOrEqual(before);
      const days = (await partitions.list(LOGS_TABLE)).map((p) => p.day);
      expect(days).toContain(Number(BASE / 86_400_000_000_000n));
      expect(days).toContain(Math.floor(Date.now() / 86_400_000));
    });

    it('keeps tabs, newlines, returns, backslashes and a literal \\N in text as sent (COPY text format)', async () => {
      const tricky = 'a\tb\nc\rd \\ e \\N f\\';
      await writer.write([
        rl('escapes', [rec(9n * SEC, tricky, { severityText: tricky, attributes: { k: tricky, [tricky]: 1 } })]),
      ]);
      const [got] = (await queries.search({ service: 'escapes' }, { limit: 10 })).logs;
      expect(got).toMatchObject({ body: tricky, severityText: tricky, attributes: { k: tricky, [tricky]: 1 } });
    });
  });
}
