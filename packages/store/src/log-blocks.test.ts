import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { unixNano, type LogRecord, type ResourceLogs, type TraceId } from '@pivot/model';
import { LogQueries, LogWriter, PartitionManager, convertColdPartitions, type Database } from './index.ts';
import { addNgrams, bloomMayContain, bloomOf, coldBlockSkips } from './log-blocks.ts';
import { blockFilter, logConditions, type LogFilter } from './log-queries.ts';
import { testLayouts } from './testing.ts';

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
      // A word in a block with rows without a trace ID: that day is scanned whole.
      expect(await coldBlockSkips(db, blockFilter({ include: ['quota'] }))).toEqual([]);
      // A common word is in most blocks: the day is scanned whole instead.
      expect(await coldBlockSkips(db, blockFilter({ include: ['declined'] }))).toEqual([]);
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
      // Rebuilt: the late rows share the last block, so a word of theirs reads the day whole, one of the
      // first block only that block.
      expect(await coldBlockSkips(db, blockFilter({ include: ['zebra'] }))).toEqual([]);
      expect(await coldBlockSkips(db, blockFilter({ include: ['zebra-2500'] }))).toHaveLength(1);
      expect(await searched({ include: ['zebra-2500'] })).toHaveLength(1);
      for (const f of [{ include: ['zebra'] }, { service: 'late-service' }, { include: ['without trace'] }]) {
        expect(await searched(f)).toEqual(await fullScan(f));
      }
      expect(await searched({ include: ['zebra'] })).toHaveLength(3);
    });
  });
}
