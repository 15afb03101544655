// Block summaries of the cold (columnar) log days, so that a text, service or severity search reads only
// the chunk groups that can match. A cold day is sorted by (trace ID, time) and has no trigram index: a
// search would otherwise decompress every body of the day. As Loki's and ClickHouse's skip indexes do,
// each block of rows (one columnar chunk group, in the day's physical order) keeps:
//   - the range of the sort key it holds: the min/max trace ID of its traced rows, and the time range of
//     its rows without a trace ID (sorted last, by time);
//   - its time range, its services, its severity range and bands;
//   - a bloom filter of every three-character window of its lower-cased bodies (UTF-16 code units), so
//     that a case-insensitive substring (ILIKE '%term%', which PostgreSQL runs as lower() LIKE lower())
//     of three characters or more can only be in a block holding all the term's trigrams.
// A search asks which blocks may match and adds "the day's rows are in one of these key ranges" to its
// WHERE: citus_columnar refutes that against each chunk group's min/max and skips the rest. Nothing else
// changes, so results are exactly a full scan's: a bloom has no false negatives, a range covers every row
// of its block whatever the physical order, and the real condition still filters every row read.
//
// Late rows (written into a converted day, as new stripes) are not in any block: the day's row-number
// high-water is recorded with its blocks, and a day past it is scanned whole until the columnar job
// rebuilds its blocks (buildLogBlocks, every run).
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from './database.ts';
import { NS_PER_DAY } from './partitions.ts';

/** Bit positions per trigram: (h1 + k·h2) mod m, k < BLOOM_HASHES (Kirsch–Mitzenmacher). */
export const BLOOM_HASHES = 3;
/** Bloom bits per distinct trigram of a block, before rounding up to a power of two. */
const BLOOM_BITS_PER_KEY = 8;
const BLOOM_MIN_BITS = 1 << 10;
const BLOOM_MAX_BITS = 1 << 20;
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

/** The two 32-bit hashes of the trigram (a, b, c) of UTF-16 code units. */
export function trigramHashes(a: number, b: number, c: number): [number, number] {
  const h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca6b) ^ Math.imul(c + 0x165667b1, 0xc2b2ae35);
  return [fmix32(h), (fmix32(h ^ 0x5bd1e995) | 1) >>> 0];
}

/** Adds the trigrams of `text` to `into`, each as one number (three 16-bit code units). */
export function addTrigrams(text: string, into: Set<number>): void {
  if (text.length < 3) return;
  let a = text.charCodeAt(0);
  let b = text.charCodeAt(1);
  for (let i = 2; i < text.length; i++) {
    const c = text.charCodeAt(i);
    into.add(a * 4294967296 + b * 65536 + c);
    a = b;
    b = c;
  }
}

/** A bloom filter of these trigram keys: bytes for PostgreSQL's get_bit (bit n is byte n/8, bit n%8). */
export function bloomOf(keys: Set<number>): Uint8Array {
  let bits = BLOOM_MIN_BITS;
  while (bits < keys.size * BLOOM_BITS_PER_KEY && bits < BLOOM_MAX_BITS) bits *= 2;
  const bytes = new Uint8Array(bits / 8);
  const mask = bits - 1;
  for (const key of keys) {
    const [h1, h2] = trigramHashes(Math.floor(key / 4294967296), Math.floor(key / 65536) % 65536, key % 65536);
    for (let k = 0; k < BLOOM_HASHES; k++) {
      const bit = ((h1 + k * h2) >>> 0) & mask;
      bytes[bit >>> 3]! |= 1 << (bit & 7);
    }
  }
  return bytes;
}

/** Whether a bloom may hold every trigram of `text` (already lower-cased); true below three characters. */
export function bloomMayContain(bloom: Uint8Array, text: string): boolean {
  const keys = new Set<number>();
  addTrigrams(text, keys);
  const mask = bloom.length * 8 - 1;
  for (const key of keys) {
    const [h1, h2] = trigramHashes(Math.floor(key / 4294967296), Math.floor(key / 65536) % 65536, key % 65536);
    for (let k = 0; k < BLOOM_HASHES; k++) {
      const bit = ((h1 + k * h2) >>> 0) & mask;
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
  trigrams: Set<number>;
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
  trigrams: new Set(),
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
    // Physical order: the conversion's (trace ID, time), late rows after; the cursor streams it.
    await query(
      sql.raw(`DECLARE log_blocks_cur NO SCROLL CURSOR FOR
        SELECT trace_id::text AS t, time_ns::text AS ns, service_name AS s, severity_number AS v, lower(body) AS b
        FROM ONLY "${d.name}"`),
    );
    let n = 0;
    const pending: Block[] = [];
    const flush = async () => {
      if (!pending.length) return;
      const values = pending.map(
        (b, i) => sql`(${d.relid}::bigint::oid, ${n - pending.length + i}, ${b.traceLo}::uuid, ${b.traceHi}::uuid,
          ${b.nullLo?.toString() ?? null}::bigint, ${b.nullHi?.toString() ?? null}::bigint,
          ${b.timeLo.toString()}::bigint, ${b.timeHi.toString()}::bigint, ${b.sevLo}, ${b.sevHi}, ${b.bands},
          ${sql.param([...b.services])}::text[], ${Buffer.from(bloomOf(b.trigrams))}::bytea)`,
      );
      await query(sql`INSERT INTO log_blocks (relid, block, trace_lo, trace_hi, null_time_lo, null_time_hi,
        time_lo, time_hi, sev_lo, sev_hi, bands, services, bloom) VALUES ${sql.join(values, sql`, `)}`);
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
        }
        if (r.v < b.sevLo) b.sevLo = r.v;
        if (r.v > b.sevHi) b.sevHi = r.v;
        b.bands |= 1 << bandOf(r.v);
        b.services.add(r.s);
        addTrigrams(r.b, b.trigrams);
      }
      pending.push(b);
      n++;
      if (pending.length >= 50) await flush();
    }
    await flush();
    await query(sql.raw(`CLOSE log_blocks_cur`));
    await query(sql`INSERT INTO log_block_days (relid, day, rows_hw, block_rows)
      VALUES (${d.relid}::bigint::oid, ${dayOfName(d.name)}, ${meta?.hw ?? '0'}::bigint, ${blockRows})`);
  });
}

/** What of a log filter the blocks can answer; the rest is left to the full condition. */
export interface BlockFilter {
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

type BlockRow = {
  name: string;
  day: number;
  trace_lo: string | null;
  trace_hi: string | null;
  null_lo: string | null;
  null_hi: string | null;
  hit: boolean;
};

/** The key ranges of one cold day that may hold a match. */
export interface DaySkip {
  /** The columnar partition, `logs_p20260101`. */
  partition: string;
  day: number;
  /** Trace-ID ranges of matching blocks. */
  traced: [string, string][];
  /** Time ranges of the matching blocks' rows without a trace ID. */
  untraced: [bigint, bigint][];
}

/**
 * For each cold day with current blocks where skipping pays, the key ranges of the blocks that may match
 * `f`; empty when nothing is to be skipped (PGlite, no cold day, nothing selective, most blocks match).
 */
export async function coldBlockSkips(database: Database, f: BlockFilter): Promise<DaySkip[]> {
  if (database.kind === 'pglite') return [];
  const include = f.include ?? [];
  const selective =
    include.length > 0 ||
    f.service !== undefined ||
    !!f.excludeServices?.length ||
    f.minSeverity !== undefined ||
    !!f.bands?.length ||
    !!f.excludeBands?.length;
  if (!selective) return [];
  const dayBound = (ns: bigint | undefined, dflt: number) => (ns === undefined ? dflt : Number(ns / NS_PER_DAY));
  const fromDay = dayBound(f.startNs, -1);
  const toDay = dayBound(f.endNs, 2 ** 31 - 1);
  // The terms lower-cased by the server, as ILIKE compares them, in the same round trip as the days.
  const [head] = await database.query<{ terms: string[] | null; days: number }>(sql`
    SELECT (SELECT array_agg(lower(t)) FROM unnest(${sql.param(include)}::text[]) t) AS terms,
      (SELECT count(*)::int FROM log_block_days WHERE day BETWEEN ${fromDay} AND ${toDay}) AS days`);
  if (!head?.days) return [];
  const keys = new Set<number>();
  for (const t of head.terms ?? []) addTrigrams(t, keys);
  const h1: string[] = [];
  const h2: string[] = [];
  for (const key of keys) {
    const [a, b] = trigramHashes(Math.floor(key / 4294967296), Math.floor(key / 65536) % 65536, key % 65536);
    h1.push(String(a));
    h2.push(String(b));
  }
  const tests: SQL[] = [sql`true`];
  if (h1.length)
    tests.push(sql`NOT EXISTS (SELECT 1 FROM unnest(${sql.param(h1)}::bigint[], ${sql.param(h2)}::bigint[]) AS p(a, b),
      generate_series(0, ${BLOOM_HASHES - 1}) AS k
      WHERE get_bit(b.bloom, ((p.a + k * p.b) & (length(b.bloom)::bigint * 8 - 1))::int) = 0)`);
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
    SELECT c.relname AS name, d.day, b.trace_lo::text AS trace_lo, b.trace_hi::text AS trace_hi,
      b.null_time_lo::text AS null_lo, b.null_time_hi::text AS null_hi, (${sql.join(tests, sql` AND `)}) AS hit
    FROM log_block_days d JOIN pg_class c ON c.oid = d.relid JOIN log_blocks b ON b.relid = d.relid
    WHERE d.day BETWEEN ${fromDay} AND ${toDay}
      AND d.rows_hw = (SELECT coalesce(max(s.first_row_number + s.row_count), 0) FROM columnar.stripe s
        WHERE s.relation = d.relid::regclass)
    ORDER BY b.relid, b.block`);
  const byDay = new Map<string, BlockRow[]>();
  for (const r of rows) (byDay.get(r.name) ?? byDay.set(r.name, []).get(r.name)!).push(r);
  const out: DaySkip[] = [];
  for (const blocks of byDay.values()) {
    const skip = daySkip(blocks);
    if (skip) out.push(skip);
  }
  return out;
}

/** Consecutive matching blocks merged into key ranges; null when the day is better scanned whole. */
function daySkip(blocks: BlockRow[]): DaySkip | null {
  const hits = blocks.filter((b) => b.hit).length;
  if (hits > blocks.length * MAX_BLOCK_SHARE) return null;
  const skip: DaySkip = { partition: blocks[0]!.name, day: blocks[0]!.day, traced: [], untraced: [] };
  let run: { tLo: string | null; tHi: string | null; nLo: bigint | null; nHi: bigint | null } | null = null;
  const close = () => {
    if (run?.tLo != null && run.tHi != null) skip.traced.push([run.tLo, run.tHi]);
    if (run?.nLo != null && run.nHi != null) skip.untraced.push([run.nLo, run.nHi]);
    run = null;
  };
  for (const b of blocks) {
    if (!b.hit) {
      close();
      continue;
    }
    run ??= { tLo: null, tHi: null, nLo: null, nHi: null };
    if (b.trace_lo !== null && (run.tLo === null || b.trace_lo < run.tLo)) run.tLo = b.trace_lo;
    if (b.trace_hi !== null && (run.tHi === null || b.trace_hi > run.tHi)) run.tHi = b.trace_hi;
    const nLo = b.null_lo === null ? null : BigInt(b.null_lo);
    const nHi = b.null_hi === null ? null : BigInt(b.null_hi);
    if (nLo !== null && (run.nLo === null || nLo < run.nLo)) run.nLo = nLo;
    if (nHi !== null && (run.nHi === null || nHi > run.nHi)) run.nHi = nHi;
  }
  close();
  if (skip.traced.length + skip.untraced.length > MAX_RANGES_PER_DAY) return null;
  if (!/^logs_p[0-9]{8}$/.test(skip.partition)) return null;
  return skip;
}

/**
 * What to read instead of `logs` once `skips` are known: the other days as they are, and of each skipped
 * day only its matching key ranges. citus_columnar refutes a chunk group one column at a time, so each
 * branch ORs ranges of one column: trace IDs for the traced rows; for the rows without a trace ID
 * (sorted last, by time) time ranges, which the traced chunk groups' whole-day times cannot refute, so
 * that branch costs a scan of the day's traced part and is only there when such a block matches.
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
    const part = sql.identifier(d.partition);
    if (d.traced.length)
      branches.push(
        sql`SELECT * FROM ONLY ${part} WHERE ${sql.join(
          d.traced.map(([lo, hi]) => sql`(trace_id >= ${lo}::uuid AND trace_id <= ${hi}::uuid)`),
          sql` OR `,
        )}`,
      );
    if (d.untraced.length)
      branches.push(
        sql`SELECT * FROM ONLY ${part} WHERE trace_id IS NULL AND (${sql.join(
          d.untraced.map(
            ([lo, hi]) => sql`(time_ns >= ${lo.toString()}::bigint AND time_ns <= ${hi.toString()}::bigint)`,
          ),
          sql` OR `,
        )})`,
      );
  }
  return sql`(${sql.join(branches, sql` UNION ALL `)})`;
}

/** `logs`, or the block-skipping source for filter `f` (blockSource of coldBlockSkips). */
export async function coldBlockSource(database: Database, f: BlockFilter): Promise<SQL> {
  return blockSource(await coldBlockSkips(database, f));
}
