import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql } from 'drizzle-orm';
import { unixNano, type LogRecord, type ResourceLogs, type TraceId } from '@pivot/model';
import { LogQueries, LogWriter, PartitionManager, convertColdPartitions, type Database } from './index.ts';
import {
  addNgrams,
  bloomMayContain,
  bloomOf,
  coldBlockSkips,
  traceBloomMayContain,
  traceBloomOf,
  traceKey,
} from './log-blocks.ts';
import { blockFilter, logConditions, type LogFilter } from './log-queries.ts';
import { testLayouts } from './testing.ts';

describe('trace-ID bloom', () => {
  it('holds every trace it was built from, in either spelling, and almost no other', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => (i * 2654435761).toString(16).padStart(32, 'a').slice(-32));
    const bloom = traceBloomOf(new Set(ids.map(traceKey)));
    for (const id of ids) {
      expect(traceBloomMayContain(bloom, id)).toBe(true);
      const uuid = `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`;
      expect(traceBloomMayContain(bloom, uuid.toUpperCase())).toBe(true);
    }
    // IDs sharing all but their last digits still spread: 16 bits and 8 hashes per key, ~0.06% false.
    const others = Array.from(
      { length: 10_000 },
      (_, i) => `0123456789abcdef0123456789ab${i.toString(16).padStart(4, '0')}`,
    );
    expect(others.filter((t) => traceBloomMayContain(bloom, t)).length).toBeLessThanOrEqual(30);
  });
});

describe('n-gram bloom', () => {
  it('holds every n-gram it was built from, and rejects most others', () => {
    const keys = new Set<number>();
    const lines = Array.from({ length: 300 }, (_, i) => `order ord-${(i * 7919).toString(16)} placed by user ${i}`);
    for (const l of lines) addNgrams(l, keys);
    const bloom = bloomOf(keys);
    for (const l of lines) {
      expect(bloomMayContain(bloom, l)).toBe(true);
      expect(bloomMayContain(bloom, l.slice(3, 12))).toBe(true);
    }
    // Shorter than an n-gram: cannot rule anything out.
    expect(bloomMayContain(bloom, 'zqx')).toBe(true);
    const absent = ['quota exceeded', 'connection reset', 'zzzzzz', 'kubernetes', 'ÄÖÜß'];
    expect(absent.filter((t) => bloomMayContain(bloom, t)).length).toBeLessThanOrEqual(1);
  });
});

const DAY_NS = 86_400_000_000_000n;
const DAY = 20_416n; // 2025-11-24
const BASE = DAY * DAY_NS + 3_600_000_000_000n;
const SERVICES = ['checkout', 'payment', 'cart', 'search'];

/** A deterministic trace ID from n (32 hex digits). */
const traceOf = (n: number): TraceId =>
  (n.toString(16).padStart(8, '0') + 'a1b2c3d4e5f60718293a4b5c').padEnd(32, '0').slice(0, 32) as TraceId;

/**
 * 6,000 logs in one day, in 1,000-row chunk groups once converted: most in traces (10 logs each), one in
 * five without; rare words confined to a few traces so that only their blocks can match.
 */
function corpus(): ResourceLogs[] {
  const byService = new Map<string, LogRecord[]>();
  for (let i = 0; i < 6000; i++) {
    const t = BASE + BigInt(i) * 7_000_000_000n + BigInt((i * 7919) % 5000) * 1_000_000n;
    const service = SERVICES[Math.floor(i / 10) % SERVICES.length]!;
    const k = i % 8;
    let body =
      k === 2
        ? `payment declined for order ORD-${(i * 2654435761).toString(16).slice(-8).toUpperCase()}`
        : k === 4
          ? `connection reset by peer while calling inventory-${i % 5}:8080`
          : `GET /api/orders/${i} 200 in ${i % 900}ms`;
    if (i === 1234 || i === 4321) body = `Disk QUOTA exceeded on volume vol-${i}`;
    if (i === 2500 || i === 3700) body = `upstream timeout: ZEBRA-${i}`;
    const severityNumber = k === 4 ? 17 : k === 2 ? 13 : i === 5555 ? 21 : 9;
    const rec: LogRecord = {
      timeUnixNano: unixNano(t),
      observedTimeUnixNano: unixNano(t),
      severityNumber,
      severityText: '',
      body,
      attributes: { i },
      droppedAttributesCount: 0,
      flags: 0,
      // The ZEBRA lines in traces that sort first: their block holds traced rows only.
      traceId:
        i === 2500 || i === 3700 ? traceOf(i / 100) : i % 5 === 4 ? null : traceOf(Math.floor(i / 10) * 2654435761),
      spanId: null,
      eventName: '',
    };
    const list = byService.get(service) ?? byService.set(service, []).get(service)!;
    list.push(rec);
  }
  return [...byService].map(([service, logRecords]) => ({
    resource: { attributes: { 'service.name': service }, droppedAttributesCount: 0 },
    scopeLogs: [{ scope: { name: 'app', version: '1', attributes: {} }, logRecords }],
  }));
}

for (const { tdb, columnar, label } of testLayouts()) {
  describe(`log search by block summaries on ${label}`, () => {
    let db: Database;
    let writer: LogWriter;
    let queries: LogQueries;
    const convert = () =>
      convertColdPartitions(db, { coldAfterMs: 0, nowMs: Number(((DAY + 3n) * DAY_NS) / 1_000_000n) });

    /** The keys a plain scan finds: the filter's own conditions, nothing from the blocks. */
    const fullScan = async (f: LogFilter) => {
      const where = logConditions(f);
      const rows = await db.query<{ t: string; fp: string }>(sql`
        SELECT l.time_ns::text AS t, l.fingerprint::text AS fp FROM logs l
        ${where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``}
        ORDER BY l.time_ns DESC, l.fingerprint DESC`);
      return rows.map((r) => `${r.t}/${r.fp}`);
    };
    const searched = async (f: LogFilter) => {
      const { logs } = await queries.search(f, { limit: 100_000 });
      return logs.map((l) => `${l.timeUnixNano}/${l.fingerprint}`);
    };
    /** Every page of `limit`, newest first, as the dashboard pages through them. */
    const paged = async (f: LogFilter, limit: number) => {
      const out: string[] = [];
      let cursor: Parameters<LogQueries['search']>[1]['cursor'];
      do {
        const page = await queries.search(f, { limit, cursor });
        out.push(...page.logs.map((l) => `${l.timeUnixNano}/${l.fingerprint}`));
        cursor = page.next ?? undefined;
      } while (cursor);
      return out;
    };

    const FILTERS: [string, LogFilter][] = [
      ['a rare word, any case', { include: ['quota'] }],
      ['a rare word written in upper case, searched in lower', { include: ['zebra'] }],
      ['a substring across a token boundary', { include: ['ta exc'] }],
      ['a substring inside a token', { include: ['olume vol-43'] }],
      ['a phrase and an exclusion', { include: ['connection reset'], exclude: ['inventory-3'] }],
      ['a common word', { include: ['declined'] }],
      ['a text nothing holds', { include: ['no such text anywhere'] }],
      ['two words that never meet', { include: ['quota', 'declined'] }],
      ['a short term (no n-gram)', { include: ['0m'] }],
      ['a service', { service: 'payment' }],
      ['a service and a severity', { service: 'cart', minSeverity: 17 }],
      ['a rare severity', { minSeverity: 21 }],
      ['severity bands', { levels: ['FATAL'] }],
      ['excluded bands', { excludeLevels: ['INFO', 'WARN', 'ERROR'] }],
      ['excluded services', { excludeServices: ['checkout', 'payment', 'cart'] }],
      [
        'a word within a time range',
        { include: ['quota'], startNs: unixNano(BASE), endNs: unixNano(BASE + 20_000_000_000_000n) },
      ],
    ];

    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      if (columnar) {
        // Small chunk groups, so that 6,000 logs make several blocks (set before the conversion's sessions).
        await db.query(
          sql.raw(`ALTER DATABASE "${new URL(tdb.url!).pathname.slice(1)}" SET columnar.chunk_group_row_limit = 1000`),
        );
        await db.close();
        db = await tdb.open();
      }
      writer = new LogWriter(db, new PartitionManager(db));
      queries = new LogQueries(db);
      await writer.write(corpus());
      if (columnar) expect((await convert()).converted).toContain('logs_p20251124');
    }, 120_000);
    afterAll(async () => {
      await writer?.close();
      await db?.close();
      await tdb.drop();
    });

    it.each(FILTERS)('%s: exactly what a full scan finds', async (_, f) => {
      const want = await fullScan(f);
      expect(await searched(f)).toEqual(want);
      // The severity counts too, which read the same blocks (over their own range, the whole day).
      const buckets = await queries.stats(f, {
        startNs: unixNano(DAY * DAY_NS),
        endNs: unixNano((DAY + 1n) * DAY_NS),
        stepNs: 3_600_000_000_000n,
      });
      expect(buckets.reduce((a, b) => a + b.total, 0)).toBe(
        (await fullScan({ ...f, startNs: undefined, endNs: undefined })).length,
      );
    });

    it('finds the rare words in few blocks, and pages through them exactly', async () => {
      const skip = await coldBlockSkips(db, blockFilter({ include: ['zebra'] }));
      expect(skip.length).toBe(columnar ? 1 : 0);
      if (columnar) {
        const [blocks] = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM log_blocks`);
        expect(blocks!.n).toBeGreaterThanOrEqual(6);
      }
      const all = await searched({ include: ['zebra'] });
      expect(all).toHaveLength(2);
      const first = await queries.search({ include: ['zebra'] }, { limit: 1 });
      const second = await queries.search({ include: ['zebra'] }, { limit: 1, cursor: first.next! });
      expect([...first.logs, ...second.logs].map((l) => `${l.timeUnixNano}/${l.fingerprint}`)).toEqual(all);
      // A word in rows without a trace ID: only its blocks' time ranges too (the day is sorted by time).
      const quota = await coldBlockSkips(db, blockFilter({ include: ['quota'] }));
      expect(quota.map((d) => d.ranges.length)).toEqual(columnar ? [2] : []);
      // A common word is in most blocks: the day is scanned whole instead.
      expect(await coldBlockSkips(db, blockFilter({ include: ['declined'] }))).toEqual([]);
    });

    it('pages newest first through windows of the cold day exactly as one scan orders them', async () => {
      for (const f of [{}, { include: ['declined'] }, { service: 'cart', minSeverity: 17 }] as LogFilter[]) {
        const want = await fullScan(f);
        expect(await paged(f, 250)).toEqual(want);
        const { logs } = await queries.search(f, { limit: 7 });
        expect(logs.map((l) => `${l.timeUnixNano}/${l.fingerprint}`)).toEqual(want.slice(0, 7));
      }
      // Bounded inside the day, and by a cursor only.
      const startNs = unixNano(BASE + 9_000_000_000_000n);
      const endNs = unixNano(BASE + 30_000_000_000_000n);
      expect(await paged({ include: ['connection'], startNs, endNs }, 100)).toEqual(
        await fullScan({ include: ['connection'], startNs, endNs }),
      );
    });

    it("starts the newest-first windows at the cold rows' newest time, not at the day's end", async () => {
      // The corpus ends 12.7 h into its day. Windows from the day's end (15 min, doubling) read six empty
      // ones before the rows; from the newest row, the first window holds the newest 7 of a common word.
      const spy = vi.spyOn(db, 'query');
      try {
        const { logs } = await queries.search({ include: ['declined'] }, { limit: 7 });
        // The plan (days and terms, then the blocks), rows after the newest block row, the first window.
        expect(spy.mock.calls.length).toBeLessThanOrEqual(4);
        expect(logs.map((l) => `${l.timeUnixNano}/${l.fingerprint}`)).toEqual(
          (await fullScan({ include: ['declined'] })).slice(0, 7),
        );
      } finally {
        spy.mockRestore();
      }
    });

    it("finds a trace's logs by the trace-ID blooms, exactly, in the blocks that hold them", async () => {
      for (const n of [0, 17, 299, 555, 599]) {
        const traceId = traceOf(n * 2654435761);
        const want = await fullScan({ traceId });
        expect(want.length).toBeGreaterThan(0);
        expect(await searched({ traceId })).toEqual(want);
        const byTrace = await queries.byTrace(traceId, { limit: 1000 });
        expect(byTrace.map((l) => `${l.timeUnixNano}/${l.fingerprint}`)).toEqual([...want].reverse());
        const skips = await coldBlockSkips(db, blockFilter({ traceId }));
        if (columnar) {
          // One day, the time range of the one or two blocks its ten logs fall in.
          expect(skips).toHaveLength(1);
          expect(skips[0]!.ranges).toHaveLength(1);
        } else expect(skips).toEqual([]);
      }
      // A trace with no log: nothing of the cold day is read.
      const none = traceOf(123456789);
      expect(await searched({ traceId: none })).toEqual([]);
      if (columnar) expect((await coldBlockSkips(db, blockFilter({ traceId: none })))[0]?.ranges).toEqual([]);
    });

    it('still finds rows written into a converted day after its blocks were built', async () => {
      const t = BASE + 60_000_000_000n;
      const late = (body: string, traceId: TraceId | null): ResourceLogs => ({
        resource: { attributes: { 'service.name': 'late-service' }, droppedAttributesCount: 0 },
        scopeLogs: [
          {
            scope: { name: 'app', version: '1', attributes: {} },
            logRecords: [
              {
                timeUnixNano: unixNano(t),
                observedTimeUnixNano: unixNano(t),
                severityNumber: 24,
                severityText: 'FATAL',
                body,
                attributes: {},
                droppedAttributesCount: 0,
                flags: 0,
                traceId,
                spanId: null,
                eventName: '',
              },
            ],
          },
        ],
      });
      await writer.write([late('a late Zebra warning', traceOf(77)), late('late line without trace', null)]);
      for (const f of [
        { include: ['zebra'] },
        { service: 'late-service' },
        { minSeverity: 24 },
        { include: ['without trace'] },
      ] as LogFilter[]) {
        const want = await fullScan(f);
        expect(want.length).toBeGreaterThan(0);
        expect(await searched(f)).toEqual(want);
      }
      expect(await searched({ include: ['zebra'] })).toHaveLength(3);
      if (!columnar) return;
      // The stale day is scanned whole, and the next run of the job rebuilds its blocks.
      expect(await coldBlockSkips(db, blockFilter({ include: ['zebra'] }))).toEqual([]);
      await convert();
      // Rebuilt: the late rows are a block of their own (a stripe after the day's), whose time range is
      // read with the other matching blocks'; a word of one block only that block.
      expect((await coldBlockSkips(db, blockFilter({ include: ['zebra'] })))[0]?.ranges.length).toBe(2);
      expect((await coldBlockSkips(db, blockFilter({ include: ['zebra-2500'] })))[0]?.ranges).toHaveLength(1);
      expect(await searched({ include: ['zebra-2500'] })).toHaveLength(1);
      for (const f of [
        { include: ['zebra'] },
        { service: 'late-service' },
        { include: ['without trace'] },
        { traceId: traceOf(77) },
      ] as LogFilter[]) {
        expect(await searched(f)).toEqual(await fullScan(f));
      }
      expect(await searched({ include: ['zebra'] })).toHaveLength(3);
    });
  });
}
