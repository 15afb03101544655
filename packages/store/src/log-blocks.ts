// Block summaries of the cold (columnar) log days, so that a search reads only the chunk groups that can
// match. A cold day is sorted by time (COLUMNAR_TABLES) and has no index: a time bound already skips the
// chunk groups outside it by their min/max, and these summaries skip the rest where they can. As Loki's and
// ClickHouse's skip indexes do, each block of rows (one columnar chunk group, in the day's physical order)
// keeps:
//   - its time range, its services, its severity range and bands;
//   - the min/max of its trace IDs and a bloom filter of them, so that a trace's logs are read from the
//     few blocks that may hold it (by time range: a day sorted by time has no trace-ID order to prune by);
//   - a bloom filter of every four-character window (n-gram) of its lower-cased bodies (UTF-16 code
//     units), so that a case-insensitive substring (ILIKE '%term%', which PostgreSQL runs as lower() LIKE
//     lower()) of four characters or more can only be in a block holding all the term's n-grams.
// A search asks which blocks may match and adds "the day's rows are in one of these time ranges" to its
// WHERE: citus_columnar refutes that against each chunk group's min/max and skips the rest. Nothing else
// changes, so results are exactly a full scan's: a bloom has no false negatives, a range covers every row
// of its block whatever the physical order (a day converted when days were sorted by trace ID has blocks
// that each span the day: still exact, only slower), and the real condition still filters every row read.
//
// Late rows (written into a converted day, as new stripes) are not in any block: the day's row-number
// high-water is recorded with its blocks, and a day past it is scanned whole until the columnar job
// rebuilds its blocks (buildLogBlocks, every run).
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from './database.ts';
import { NS_PER_DAY } from './partitions.ts';

/** Characters per n-gram: trigrams of hex IDs fill a block's bloom (4,096 of them), 4-grams do not. */
export const NGRAM = 4;
/** Bit positions per n-gram: (h1 + k·h2) mod m, k < BLOOM_HASHES (Kirsch–Mitzenmacher). */
export const BLOOM_HASHES = 3;
/** Bloom bits per distinct n-gram of a block: about 6% false positives per n-gram. */
const BLOOM_BITS_PER_KEY = 6;
const BLOOM_MIN_BITS = 1 << 10;
const BLOOM_MAX_BITS = 1 << 21;
/**
 * The trace-ID bloom: a lookup tests one key against every block of the days in range (about 500 per
 * 5M-log day), so its false positives are chunk groups read for nothing; 16 bits and 8 hashes per
 * distinct trace make them about 1 in 1,700 blocks, for some 2 bytes per trace.
 */
export const TRACE_BLOOM_HASHES = 8;
const TRACE_BLOOM_BITS_PER_KEY = 16;
const TRACE_BLOOM_MIN_BITS = 64;
/**
 * Above this share of a day's blocks, or this many key ranges, the day is scanned as before: reading
 * most chunk groups anyway, the ranges' refutation per chunk group costs more than it saves.
 */
const MAX_BLOCK_SHARE = 0.6;
const MAX_RANGES_PER_DAY = 400;

/** Murmur3's finalizer: spreads a 32-bit value's bits. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Adds the n-grams of `text` (UTF-16 code units) to `into`, each as its 32-bit hash: two n-grams sharing
 * a hash only share bloom bits, a false positive, never a miss.
 */
export function addNgrams(text: string, into: Set<number>): void {
  for (let i = 0; i + NGRAM <= text.length; i++) {
    let h = 0x9747b28c;
    for (let j = 0; j < NGRAM; j++) {
      h = Math.imul(h ^ text.charCodeAt(i + j), 0x5bd1e995);
      h ^= h >>> 15;
    }
    into.add(fmix32(h));
  }
}

/** The two hashes whose combinations place an n-gram's bits. */
export function ngramHashes(key: number): [number, number] {
  return [key, (fmix32(key ^ 0x5bd1e995) | 1) >>> 0];
}

/**
 * The 32-bit key of a trace ID (32 hex digits, dashes and case ignored, as `uuid::text` or a TraceId
 * spells it): every digit counts, so IDs that share a prefix still spread.
 */
export function traceKey(traceId: string): number {
  const hex = traceId.replaceAll('-', '').toLowerCase();
  let h = 0x3c6ef372;
  for (let i = 0; i < 32; i += 8) h = fmix32(h ^ Number.parseInt(hex.slice(i, i + 8), 16));
  return h;
}

/** A bloom filter of these hashes: bytes for PostgreSQL's get_bit (bit n is byte n/8, bit n%8). */
export function bloomOf(
  keys: Set<number>,
  shape = { bitsPerKey: BLOOM_BITS_PER_KEY, minBits: BLOOM_MIN_BITS, hashes: BLOOM_HASHES },
): Uint8Array {
  const bits = Math.min(BLOOM_MAX_BITS, Math.max(shape.minBits, Math.ceil((keys.size * shape.bitsPerKey) / 64) * 64));
  const bytes = new Uint8Array(bits / 8);
  for (const key of keys) {
    const [h1, h2] = ngramHashes(key);
    for (let k = 0; k < shape.hashes; k++) {
      const bit = ((h1 + k * h2) >>> 0) % bits;
      bytes[bit >>> 3]! |= 1 << (bit & 7);
    }
  }
  return bytes;
}

const TRACE_BLOOM = { bitsPerKey: TRACE_BLOOM_BITS_PER_KEY, minBits: TRACE_BLOOM_MIN_BITS, hashes: TRACE_BLOOM_HASHES };

/** A bloom filter of trace-ID keys (traceKey). */
export const traceBloomOf = (keys: Set<number>): Uint8Array => bloomOf(keys, TRACE_BLOOM);

/** Whether a bloom may hold every n-gram of `text` (already lower-cased); true when shorter than one. */
export function bloomMayContain(bloom: Uint8Array, text: string): boolean {
  const keys = new Set<number>();
  addNgrams(text, keys);
  return bloomHas(bloom, keys, BLOOM_HASHES);
}

/** Whether a trace-ID bloom may hold this trace. */
export const traceBloomMayContain = (bloom: Uint8Array, traceId: string): boolean =>
  bloomHas(bloom, new Set([traceKey(traceId)]), TRACE_BLOOM_HASHES);

function bloomHas(bloom: Uint8Array, keys: Set<number>, hashes: number): boolean {
  const bits = bloom.length * 8;
  for (const key of keys) {
    const [h1, h2] = ngramHashes(key);
    for (let k = 0; k < hashes; k++) {
      const bit = ((h1 + k * h2) >>> 0) % bits;
      if (!(bloom[bit >>> 3]! & (1 << (bit & 7)))) return false;
    }
  }
  return true;
}

/** The severity band of a number, as LOG_BAND_SQL computes it: 0 outside 1-24. */
const bandOf = (n: number): number => (n >= 1 && n <= 24 ? Math.floor((n - 1) / 4) + 1 : 0);

interface Block {
  traceLo: string | null;
  traceHi: string | null;
  nullLo: bigint | null;
  nullHi: bigint | null;
  timeLo: bigint;
  timeHi: bigint;
  sevLo: number;
  sevHi: number;
  bands: number;
  services: Set<string>;
  grams: Set<number>;
  traces: Set<number>;
}

const newBlock = (): Block => ({
  traceLo: null,
  traceHi: null,
  nullLo: null,
  nullHi: null,
  timeLo: 0n,
  timeHi: 0n,
  sevLo: 0,
  sevHi: 0,
  bands: 0,
  services: new Set(),
  grams: new Set(),
  traces: new Set(),
});

type ColdDay = { relid: string; name: string; day: number; hw: string; built: string | null };

/** Attached columnar partitions of `logs` with their row-number high-water and the one their blocks have. */
async function coldDays(database: Database): Promise<ColdDay[]> {
  return database.query<ColdDay>(sql`
    SELECT c.oid::bigint::text AS relid, c.relname AS name, d.day,
      (SELECT coalesce(max(s.first_row_number + s.row_count), 0) FROM columnar.stripe s WHERE s.relation = c.oid)::text AS hw,
      d.rows_hw::text AS built
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_am a ON a.oid = c.relam
    LEFT JOIN log_block_days d ON d.relid = c.oid
    WHERE i.inhparent = 'logs'::regclass AND a.amname = 'columnar' AND c.relname ~ '^logs_p[0-9]{8}$'`);
}

const dayOfName = (name: string): number =>
  Date.UTC(+name.slice(6, 10), +name.slice(10, 12) - 1, +name.slice(12, 14)) / 86_400_000;

/**
 * Builds the blocks of every cold log day that has none, or whose have gone stale (late rows), and
 * forgets those of days no longer cold (dropped by retention). Run by the columnar job after converting;
 * a day without blocks is searched by a full scan meanwhile, so an interrupted build loses nothing.
 */
export async function buildLogBlocks(database: Database): Promise<{ built: string[] }> {
  const built: string[] = [];
  if (database.kind === 'pglite') return { built };
  const days = await coldDays(database);
  await database.query(sql`DELETE FROM log_blocks WHERE relid NOT IN (SELECT i.inhrelid FROM pg_inherits i
    WHERE i.inhparent = 'logs'::regclass)`);
  await database.query(sql`DELETE FROM log_block_days WHERE relid NOT IN (SELECT i.inhrelid FROM pg_inherits i
    WHERE i.inhparent = 'logs'::regclass)`);
  for (const d of days) {
    if (d.built === d.hw) continue;
    await buildDay(database, d);
    built.push(d.name);
  }
  return { built };
}

async function buildDay(database: Database, d: ColdDay): Promise<void> {
  if (!/^logs_p[0-9]{8}$/.test(d.name)) throw new Error(`bad partition ${d.name}`);
  await database.transaction(async (query) => {
    // One snapshot for the high-water and the rows read: a row committed later is past the high-water.
    await query(sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`);
    const [meta] = await query<{ hw: string; chunk: number | null }>(sql`
      SELECT coalesce(max(first_row_number + row_count), 0)::text AS hw, max(chunk_row_count) AS chunk
      FROM columnar.stripe WHERE relation = ${d.relid}::bigint::oid::regclass`);
    // A block per chunk group, the unit citus_columnar skips by min/max.
    const blockRows = Math.max(1000, Number(meta?.chunk ?? 10_000));
    await query(sql`DELETE FROM log_blocks WHERE relid = ${d.relid}::bigint::oid`);
    await query(sql`DELETE FROM log_block_days WHERE relid = ${d.relid}::bigint::oid`);
    // Physical order: the conversion's (time), late rows after; the cursor streams it.
    await query(sql`DECLARE log_blocks_cur NO SCROLL CURSOR FOR
      SELECT trace_id::text AS t, time_ns::text AS ns, service_name AS s, severity_number AS v, lower(body) AS b
      FROM ONLY ${sql.identifier(d.name)}`);
    let n = 0;
    const pending: Block[] = [];
    const flush = async () => {
      if (!pending.length) return;
      const values = pending.map(
        (b, i) => sql`(${d.relid}::bigint::oid, ${n - pending.length + i}, ${b.traceLo}::uuid, ${b.traceHi}::uuid,
          ${b.nullLo?.toString() ?? null}::bigint, ${b.nullHi?.toString() ?? null}::bigint,
          ${b.timeLo.toString()}::bigint, ${b.timeHi.toString()}::bigint, ${b.sevLo}, ${b.sevHi}, ${b.bands},
          ${sql.param([...b.services])}::text[], ${Buffer.from(bloomOf(b.grams))}::bytea,
          ${b.traces.size ? Buffer.from(traceBloomOf(b.traces)) : null}::bytea)`,
      );
      await query(sql`INSERT INTO log_blocks (relid, block, trace_lo, trace_hi, null_time_lo, null_time_hi,
        time_lo, time_hi, sev_lo, sev_hi, bands, services, bloom, trace_bloom) VALUES ${sql.join(values, sql`, `)}`);
      pending.length = 0;
    };
    for (;;) {
      const rows = await query<{ t: string | null; ns: string; s: string; v: number; b: string }>(
        sql.raw(`FETCH ${blockRows} FROM log_blocks_cur`),
      );
      if (!rows.length) break;
      const b = newBlock();
      b.timeLo = b.timeHi = BigInt(rows[0]!.ns);
      b.sevLo = b.sevHi = rows[0]!.v;
      for (const r of rows) {
        const ns = BigInt(r.ns);
        if (ns < b.timeLo) b.timeLo = ns;
        if (ns > b.timeHi) b.timeHi = ns;
        if (r.t === null) {
          if (b.nullLo === null || ns < b.nullLo) b.nullLo = ns;
          if (b.nullHi === null || ns > b.nullHi) b.nullHi = ns;
        } else {
          if (b.traceLo === null || r.t < b.traceLo) b.traceLo = r.t;
          if (b.traceHi === null || r.t > b.traceHi) b.traceHi = r.t;
          b.traces.add(traceKey(r.t));
        }
        if (r.v < b.sevLo) b.sevLo = r.v;
        if (r.v > b.sevHi) b.sevHi = r.v;
        b.bands |= 1 << bandOf(r.v);
        b.services.add(r.s);
        addNgrams(r.b, b.grams);
      }
      pending.push(b);
      n++;
      if (pending.length >= 50) await flush();
    }
    await flush();
    await query(sql`CLOSE log_blocks_cur`);
    await query(sql`INSERT INTO log_block_days (relid, day, rows_hw, block_rows)
      VALUES (${d.relid}::bigint::oid, ${dayOfName(d.name)}, ${meta?.hw ?? '0'}::bigint, ${blockRows})`);
  });
}

/** What of a log filter the blocks can answer; the rest is left to the full condition. */
export interface BlockFilter {
  /** A trace's records: its blocks by their trace-ID range and bloom. */
  traceId?: string | undefined;
  /** Substrings every matching body holds, case-insensitively. */
  include?: string[] | undefined;
  service?: string | undefined;
  excludeServices?: string[] | undefined;
  minSeverity?: number | undefined;
  /** Severity band indexes (SEVERITY_BANDS) a row must be in, and must not be in. */
  bands?: number[] | undefined;
  excludeBands?: number[] | undefined;
  startNs?: bigint | undefined;
  endNs?: bigint | undefined;
}

type BlockRow = { name: string; day: number; lo: string; hi: string; hit: boolean };

/** The time ranges of one cold day that may hold a match. */
export interface DaySkip {
  /** The columnar partition, `logs_p20260101`. */
  partition: string;
  day: number;
  /** Time ranges (ns, inclusive) covering every row of the matching blocks; none: nothing to read. */
  ranges: [string, string][];
}

/** What a search reads for a filter on a server with cold days. */
export interface ColdPlan {
  /** `logs`, or of each cold day where skipping pays only the time ranges of its matching blocks. */
  source: SQL;
  /**
   * The cold days in the filter's range whose blocks were built, ascending: days without an index,
   * where only a time bound (their chunk groups' min/max) keeps a newest-first search from reading all.
   */
  days: number[];
  /**
   * The newest row time the blocks of those days hold, or null without days: where a newest-first search
   * starts its windows, instead of at the last day's end (hours ahead of its newest row for most of the day).
   */
  newestNs: bigint | null;
}

/** The plan without cold days (PGlite, or a search bounded otherwise): the whole table, no windows. */
export const NO_COLD_DAYS: ColdPlan & { skips: DaySkip[] } = { source: sql`logs`, days: [], newestNs: null, skips: [] };

/** "No position of these keys' bits is unset in the bloom `column`": get_bit of (h1 + k·h2) mod bits. */
function bloomTest(column: SQL, keys: Iterable<number>, hashes: number): SQL {
  const h1: string[] = [];
  const h2: string[] = [];
  for (const key of keys) {
    const [a, b] = ngramHashes(key);
    h1.push(String(a));
    h2.push(String(b));
  }
  return sql`NOT EXISTS (SELECT 1 FROM unnest(${sql.param(h1)}::bigint[], ${sql.param(h2)}::bigint[]) AS p(a, b),
      generate_series(0, ${hashes - 1}) AS k
      WHERE get_bit(${column}, (((p.a + k * p.b) & 4294967295) % (length(${column})::bigint * 8))::int) = 0)`;
}

/**
 * The cold days in range and, for a filter the blocks can narrow, each day's time ranges of the blocks
 * that may match (days with current blocks where skipping pays); PGlite has no cold days.
 */
export async function coldPlan(database: Database, f: BlockFilter): Promise<ColdPlan & { skips: DaySkip[] }> {
  if (database.kind === 'pglite') return NO_COLD_DAYS;
  const include = f.include ?? [];
  const selective =
    f.traceId !== undefined ||
    include.length > 0 ||
    f.service !== undefined ||
    !!f.excludeServices?.length ||
    f.minSeverity !== undefined ||
    !!f.bands?.length ||
    !!f.excludeBands?.length;
  const dayBound = (ns: bigint | undefined, dflt: number) => (ns === undefined ? dflt : Number(ns / NS_PER_DAY));
  const fromDay = dayBound(f.startNs, -1);
  const toDay = dayBound(f.endNs, 2 ** 31 - 1);
  // The terms lower-cased by the server, as ILIKE compares them, in the same round trip as the days.
  const [head] = await database.query<{ terms: string[] | null; days: number[] | null; newest: string | null }>(sql`
    SELECT (SELECT array_agg(lower(t)) FROM unnest(${sql.param(include)}::text[]) t) AS terms,
      (SELECT array_agg(day ORDER BY day) FROM log_block_days WHERE day BETWEEN ${fromDay} AND ${toDay}) AS days,
      (SELECT max(b.time_hi)::text FROM log_block_days d JOIN log_blocks b ON b.relid = d.relid
        WHERE d.day BETWEEN ${fromDay} AND ${toDay}) AS newest`);
  const days = head?.days ?? [];
  const newestNs = head?.newest == null ? null : BigInt(head.newest);
  if (!selective || !days.length) return { source: sql`logs`, days, newestNs, skips: [] };
  const grams = new Set<number>();
  for (const t of head?.terms ?? []) addNgrams(t, grams);
  const tests: SQL[] = [sql`true`];
  if (f.traceId !== undefined)
    tests.push(sql`b.trace_lo IS NOT NULL AND ${f.traceId}::uuid BETWEEN b.trace_lo AND b.trace_hi
      AND (b.trace_bloom IS NULL OR ${bloomTest(sql`b.trace_bloom`, [traceKey(f.traceId)], TRACE_BLOOM_HASHES)})`);
  if (grams.size) tests.push(bloomTest(sql`b.bloom`, grams, BLOOM_HASHES));
  if (f.service !== undefined) tests.push(sql`${f.service} = ANY (b.services)`);
  if (f.excludeServices?.length) tests.push(sql`NOT (b.services <@ ${sql.param(f.excludeServices)}::text[])`);
  if (f.minSeverity !== undefined) tests.push(sql`b.sev_hi >= ${f.minSeverity}`);
  const mask = (bands: number[]) => bands.reduce((m, i) => m | (1 << i), 0);
  if (f.bands?.length) tests.push(sql`b.bands & ${mask(f.bands)} <> 0`);
  if (f.excludeBands?.length) tests.push(sql`b.bands & ~${mask(f.excludeBands)}::int <> 0`);
  if (f.startNs !== undefined) tests.push(sql`b.time_hi >= ${f.startNs.toString()}::bigint`);
  if (f.endNs !== undefined) tests.push(sql`b.time_lo <= ${f.endNs.toString()}::bigint`);
  // Only days whose blocks cover every row: no stripe written since they were built.
  const rows = await database.query<BlockRow>(sql`
    SELECT c.relname AS name, d.day, b.time_lo::text AS lo, b.time_hi::text AS hi,
      (${sql.join(tests, sql` AND `)}) AS hit
    FROM log_block_days d JOIN pg_class c ON c.oid = d.relid JOIN log_blocks b ON b.relid = d.relid
    WHERE d.day BETWEEN ${fromDay} AND ${toDay}
      AND d.rows_hw = (SELECT coalesce(max(s.first_row_number + s.row_count), 0) FROM columnar.stripe s
        WHERE s.relation = d.relid::regclass)
    ORDER BY b.relid, b.block`);
  const byDay = new Map<string, BlockRow[]>();
  for (const r of rows) (byDay.get(r.name) ?? byDay.set(r.name, []).get(r.name)!).push(r);
  const skips: DaySkip[] = [];
  for (const blocks of byDay.values()) {
    const skip = daySkip(blocks);
    if (skip) skips.push(skip);
  }
  return { source: blockSource(skips), days, newestNs, skips };
}

/** For each cold day with current blocks where skipping pays, the time ranges of the blocks that may match `f`. */
export async function coldBlockSkips(database: Database, f: BlockFilter): Promise<DaySkip[]> {
  return (await coldPlan(database, f)).skips;
}

const cmp = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The matching blocks' time ranges, consecutive blocks (in a day sorted by time, neighbours in time)
 * merged and then overlapping ranges; null when the day is better scanned whole: most blocks match, or
 * the ranges are too many to be worth refuting one chunk group at a time.
 */
function daySkip(blocks: BlockRow[]): DaySkip | null {
  const hits = blocks.filter((b) => b.hit).length;
  if (hits > blocks.length * MAX_BLOCK_SHARE || !/^logs_p[0-9]{8}$/.test(blocks[0]!.name)) return null;
  const runs: [bigint, bigint][] = [];
  let run: [bigint, bigint] | null = null;
  for (const b of blocks) {
    if (!b.hit) {
      run = null;
      continue;
    }
    const lo = BigInt(b.lo);
    const hi = BigInt(b.hi);
    if (!run) runs.push((run = [lo, hi]));
    else {
      if (lo < run[0]) run[0] = lo;
      if (hi > run[1]) run[1] = hi;
    }
  }
  runs.sort((a, b) => cmp(a[0], b[0]));
  const ranges: [bigint, bigint][] = [];
  for (const [lo, hi] of runs) {
    const last = ranges.at(-1);
    if (last && lo <= last[1]) {
      if (hi > last[1]) last[1] = hi;
    } else ranges.push([lo, hi]);
  }
  if (ranges.length > MAX_RANGES_PER_DAY) return null;
  return {
    partition: blocks[0]!.name,
    day: blocks[0]!.day,
    ranges: ranges.map(([lo, hi]) => [lo.toString(), hi.toString()]),
  };
}

/**
 * What to read instead of `logs` once `skips` are known: the other days as they are, and of each skipped
 * day only its time ranges (citus_columnar refutes the other chunk groups by their time min/max).
 */
export function blockSource(skips: DaySkip[]): SQL {
  if (!skips.length) return sql`logs`;
  const guard = skips.map((d) => {
    const from = (BigInt(d.day) * NS_PER_DAY).toString();
    const to = ((BigInt(d.day) + 1n) * NS_PER_DAY).toString();
    return sql`(time_ns < ${from}::bigint OR time_ns >= ${to}::bigint)`;
  });
  const branches: SQL[] = [sql`SELECT * FROM logs WHERE ${sql.join(guard, sql` AND `)}`];
  for (const d of skips) {
    if (!d.ranges.length) continue;
    const ranges = d.ranges.map(([lo, hi]) => sql`(time_ns >= ${lo}::bigint AND time_ns <= ${hi}::bigint)`);
    branches.push(sql`SELECT * FROM ONLY ${sql.identifier(d.partition)} WHERE ${sql.join(ranges, sql` OR `)}`);
  }
  return sql`(${sql.join(branches, sql` UNION ALL `)})`;
}

/** `logs`, or the block-skipping source for filter `f` (blockSource of coldBlockSkips). */
export async function coldBlockSource(database: Database, f: BlockFilter): Promise<SQL> {
  return (await coldPlan(database, f)).source;
}

/** Drops every block summary: cold days are then read whole until the next buildLogBlocks (a bench baseline). */
export async function forgetLogBlocks(database: Database): Promise<void> {
  await database.query(sql`DELETE FROM log_blocks`);
  await database.query(sql`DELETE FROM log_block_days`);
}

/** Disk bytes of the block summaries, indexes and TOAST included. */
export async function logBlockBytes(database: Database): Promise<number> {
  const [r] = await database.query<{ n: string }>(
    sql`SELECT (pg_total_relation_size('log_blocks') + pg_total_relation_size('log_block_days'))::text AS n`,
  );
  return Number(r?.n ?? 0);
}
