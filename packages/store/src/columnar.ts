// Cold day partitions of the high-volume tables become columnar (citus_columnar's access method), sorted
// by what is looked up, so that a day no longer written costs a fraction of its row-store bytes and one
// trace is found in one chunk group by its min/max. Servers without the extension (PGlite, a managed
// PostgreSQL) keep row partitions: detection decides, nothing else changes.
//
// One conversion, online and interruptible at any point:
//   1. build `<table>_c<day>` (columnar) from the partition, sorted, with the parent's btree indexes and
//      a CHECK of the day's range, in ONE transaction: it exists complete or not at all;
//   2. DETACH CONCURRENTLY the row partition (no exclusive lock on the parent). From now on nothing can
//      write to it: writes for that day get PartitionUnavailableError (503, retried by the client) as the
//      name is still taken, and queries do not see the day until step 4;
//   3. copy the rows that arrived between 1 and 2 (compared by count: spans and logs are never updated or
//      deleted, only dropped by whole day);
//   4. in one short transaction: give the columnar table the late-write guard, rename the row table to
//      `<table>_r<day>`, the columnar one to the partition's name, ATTACH it (the CHECK spares the
//      validation scan);
//   5. drop `<table>_r<day>`.
// A run resumes whatever an interrupted one left: a pending detach is finalized, a detached row partition
// is finished from its columnar copy (or attached back when there is none), a half-built copy was rolled
// back with its transaction, and a retired row table is dropped only once its day is attached again.
//
// A columnar day has no index at all (migration 0007 took the key off the parents; a btree key was 50 of
// 108 B per span). Writes to it stay exactly-once by another way: the guard trigger refuses the writers'
// ON CONFLICT path (which, with no unique index, would insert a retried row twice), and the late path
// (withColumnarFallback, lockLateDays) takes a lock per day, so late writers of a day run one after the
// other, each skipping by an anti-join the rows already stored.
import { sql, type SQL } from 'drizzle-orm';
import { isCitus } from './citus.ts';
import { convertDayOnCitus, recoverOnCitus, type ColumnarDays } from './columnar-citus.ts';
import type { CopyIn, Database } from './database.ts';
import { isUniqueViolation } from './errors.ts';
import { MS_PER_DAY, NS_PER_DAY } from './partitions.ts';
import { LOGS_TABLE, SPANS_TABLE, type PartitionedTable } from './tables.ts';
import { buildLogBlocks } from './log-blocks.ts';

export const COLUMNAR_EXTENSION = 'citus_columnar';

/**
 * zstd level of the columnar copies. Measured on 200k generated spans sorted by trace: level 3 (the
 * extension's default) 14.0 B/span in 2.7 s, 9 12.6 B in 3.2 s, 12 12.5 B in 5.9 s, 19 12.2 B in 89 s.
 */
export const COLUMNAR_COMPRESSION_LEVEL = 9;
/**
 * Rows per chunk group (the unit min/max prunes and a lookup decompresses) and per stripe. A lookup
 * reads the min/max of every chunk group of every stripe for each column it fetches, so small chunk
 * groups win on a small day and lose on a big one. One trace fetched whole (every column), level 9:
 * on 200k spans, chunk groups of 10k rows 12–13 ms, of 2k 4 ms; on 3M spans (stripes of 150k rows)
 * 10k 8 ms, 5k 13 ms, 2k 15 ms; with stripes of 1M rows, 10k 4–5 ms and 20k 5–9 ms. Bytes moved by
 * under 4% across all of these. 10k is the extension's default, so the chunk group size is left to the
 * session's `columnar.chunk_group_row_limit` (the log block summaries' tests set a smaller one).
 */
export const COLUMNAR_CHUNK_GROUP_ROWS = 10_000;
export const COLUMNAR_STRIPE_ROWS = 1_000_000;

/** The trigger (and its function, migration 0007) on every columnar day that refuses all but late writes. */
const GUARD = 'pivot_columnar_day_guard';

/** Whether cold partitions are converted, and why not when they are not. */
export interface StorageMode {
  mode: 'columnar' | 'row';
  /** Why row partitions: the driver, or the extension missing from the server. */
  reason: string | null;
}

/**
 * What the server offers, read only: `columnar` once the extension exists in this database. Used by the
 * status page, which must not create anything.
 */
export async function readStorageMode(database: Database): Promise<StorageMode> {
  if (database.kind === 'pglite') return { mode: 'row', reason: 'embedded PGlite has no citus_columnar' };
  const [row] = await database.query<{ created: boolean; available: boolean }>(sql`
    SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = ${COLUMNAR_EXTENSION}) AS created,
           EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = ${COLUMNAR_EXTENSION}) AS available`);
  if (row?.created) return { mode: 'columnar', reason: null };
  if (row?.available)
    return { mode: 'row', reason: 'citus_columnar is installed but not created yet (the columnar job creates it)' };
  return { mode: 'row', reason: 'the server has no citus_columnar extension' };
}

/**
 * Like readStorageMode, but creates the extension when the server has its files (a superuser's right: a
 * role without it keeps row partitions, with the error as the reason).
 */
export async function ensureColumnar(database: Database): Promise<StorageMode> {
  const mode = await readStorageMode(database);
  if (mode.mode === 'columnar' || database.kind === 'pglite' || !mode.reason?.includes('not created')) return mode;
  try {
    await database.query(sql.raw(`CREATE EXTENSION IF NOT EXISTS ${COLUMNAR_EXTENSION}`));
    return { mode: 'columnar', reason: null };
  } catch (err) {
    return { mode: 'row', reason: `CREATE EXTENSION ${COLUMNAR_EXTENSION} failed: ${(err as Error).message}` };
  }
}

/** A table whose cold days are converted: its unique key (for the catch-up copy) and its sort order. */
export interface ColumnarTable {
  table: PartitionedTable;
  /** The range key, the leading column of every day's bounds. */
  rangeKey: string;
  /** The hot days' unique key (HOT_KEYS): what identifies a row for the catch-up copy. */
  key: readonly string[];
  /** Rows are rewritten in this order: what lookups filter on, so min/max per chunk group prunes. */
  orderBy: string;
}

export const COLUMNAR_TABLES: readonly ColumnarTable[] = [
  // One trace's spans sit together: a lookup by trace ID reads one chunk group.
  { table: SPANS_TABLE, rangeKey: 'start_ns', key: ['trace_id', 'span_id', 'start_ns'], orderBy: 'trace_id, start_ns' },
  // By time: every search is time-bounded (newest first, in widening windows), so a day's chunk groups
  // outside the bound are skipped by their min/max, and the late path's (time, fingerprint) anti-join too.
  // A trace's logs are found by the block summaries' trace-ID blooms (log-blocks.ts), then read by time.
  // Sorted by trace ID, the rows without one filled chunk groups without trace-ID min/max, which every
  // trace lookup read, and a word search read the whole day (README, cold partitions).
  { table: LOGS_TABLE, rangeKey: 'time_ns', key: ['time_ns', 'fingerprint'], orderBy: 'time_ns' },
];

export interface ColumnarOptions {
  /** A day partition is converted once its end is this far in the past. 0: also today's, when idle. */
  coldAfterMs: number;
  nowMs: number;
  signal?: AbortSignal;
  /** With coldAfterMs 0, a partition whose newest row is younger than this is still being written. */
  idleMs?: number;
}

export interface ColumnarResult {
  mode: StorageMode;
  /** Partitions converted by this run, `spans_p20260101`. */
  converted: string[];
  /** Rows copied per converted partition, the catch-up included. */
  rows: Record<string, number>;
}

const IDENT = /^[a-z_][a-z0-9_]*$/;
const DAY_NAME = /_([pcr])(\d{4})(\d{2})(\d{2})$/;

export type DayTable = {
  name: string;
  kind: 'p' | 'c' | 'r';
  day: number;
  state: 'attached' | 'pending' | 'detached';
  am: string;
};

function dayName(table: string, kind: 'p' | 'c' | 'r', day: number): string {
  return `${table}_${kind}${new Date(day * MS_PER_DAY).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

function dayBounds(t: ColumnarTable, day: number): [string, string] {
  if (t.table.unit === 'ns') return [(BigInt(day) * NS_PER_DAY).toString(), (BigInt(day + 1) * NS_PER_DAY).toString()];
  return [String(day * MS_PER_DAY), String((day + 1) * MS_PER_DAY)];
}

/** Every `<table>_[pcr]<day>` table with its state towards the parent and its access method. */
async function dayTables(database: Database, table: string): Promise<DayTable[]> {
  const rows = await database.query<{ name: string; pending: boolean | null; am: string | null }>(sql`
    SELECT c.relname AS name, i.inhdetachpending AS pending, a.amname AS am
    FROM pg_class c
    LEFT JOIN pg_am a ON a.oid = c.relam
    LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
      AND i.inhparent = (SELECT p.oid FROM pg_class p WHERE p.relname = ${table} AND pg_table_is_visible(p.oid))
    WHERE c.relkind = 'r' AND c.relname ~ ${`^${table}_[pcr][0-9]{8}$`} AND pg_table_is_visible(c.oid)
    ORDER BY c.relname`);
  return rows.flatMap(({ name, pending, am }) => {
    const m = DAY_NAME.exec(name);
    if (!m) return [];
    const day = Date.UTC(+m[2]!, +m[3]! - 1, +m[4]!) / MS_PER_DAY;
    const state = pending === null ? 'detached' : pending ? 'pending' : 'attached';
    return [{ name, kind: m[1] as DayTable['kind'], day, state, am: am ?? 'heap' } as const];
  });
}

/** The empty columnar copy of a day (`<table>_c<day>`), dropped first if a run left one: its statements. */
function createCopy(t: ColumnarTable, day: number): SQL[] {
  const parent = t.table.name;
  const copy = dayName(parent, 'c', day);
  const [from, to] = dayBounds(t, day);
  return [
    sql.raw(`DROP TABLE IF EXISTS "${copy}"`),
    sql.raw(
      `CREATE TABLE "${copy}" (LIKE "${parent}" INCLUDING DEFAULTS, CONSTRAINT "${copy}_range" CHECK (${t.rangeKey} >= ${from} AND ${t.rangeKey} < ${to})) USING columnar`,
    ),
    sql.raw(
      `ALTER TABLE "${copy}" SET (columnar.compression = zstd, columnar.compression_level = ${COLUMNAR_COMPRESSION_LEVEL}, columnar.stripe_row_limit = ${COLUMNAR_STRIPE_ROWS})`,
    ),
  ];
}

/** What the Citus protocol shares with this one. */
const DAYS: ColumnarDays = {
  dayName,
  dayBounds,
  dayTables,
  createCopy,
  guard: GUARD,
};

/**
 * Converts every cold row partition of spans and logs to columnar, finishing first what an interrupted
 * run left. Returns without doing anything when the server has no citus_columnar.
 */
export async function convertColdPartitions(database: Database, opts: ColumnarOptions): Promise<ColumnarResult> {
  const mode = await ensureColumnar(database);
  const result: ColumnarResult = { mode, converted: [], rows: {} };
  if (mode.mode !== 'columnar') return result;
  const idleMs = opts.idleMs ?? 60_000;
  // Distributed day partitions take another protocol (columnar-citus.ts).
  const citus = await isCitus(database);
  for (const t of COLUMNAR_TABLES) {
    if (!IDENT.test(t.table.name)) throw new Error(`bad table ${t.table.name}`);
    await (citus ? recoverOnCitus(database, t, DAYS) : recover(database, t));
    for (const p of await dayTables(database, t.table.name)) {
      if (opts.signal?.aborted) return result;
      if (p.kind !== 'p' || p.state !== 'attached' || p.am !== 'heap') continue;
      if (!(await isCold(database, t, p, opts.coldAfterMs, opts.nowMs, idleMs))) continue;
      const rows = await (citus ? convertDayOnCitus(database, t, p.day, DAYS) : convertDay(database, t, p.day));
      if (rows === null) continue;
      result.converted.push(p.name);
      result.rows[p.name] = rows;
    }
  }
  // The cold log days' block summaries for text, service and severity search: new days and stale ones.
  // Not on Citus: a summary's staleness is read from the columnar stripes, which are on the workers.
  if (!citus) await buildLogBlocks(database);
  return result;
}

/** Past its end by COLD_AFTER; with COLD_AFTER 0, any non-empty day whose newest row is idleMs old. */
async function isCold(
  database: Database,
  t: ColumnarTable,
  p: DayTable,
  coldAfterMs: number,
  nowMs: number,
  idleMs: number,
): Promise<boolean> {
  const endMs = (p.day + 1) * MS_PER_DAY;
  if (endMs + coldAfterMs <= nowMs) return true;
  if (coldAfterMs > 0 || p.day * MS_PER_DAY > nowMs) return false;
  // The newest row by the range key: item time, not write time, but ingest refuses items far in the past.
  const [r] = await database.query<{ newest: string | null }>(
    sql.raw(`SELECT max(${t.rangeKey})::text AS newest FROM "${p.name}"`),
  );
  if (r?.newest == null) return false;
  const newestMs = t.table.unit === 'ns' ? Number(BigInt(r.newest) / 1_000_000n) : Number(r.newest);
  return newestMs <= nowMs - idleMs;
}

/**
 * The parent's keys and btree indexes, for the columnar copy: ATTACH adopts matching ones instead of
 * building them while the day is detached. None since migration 0007 (a columnar day has no index); kept
 * so that an index added to a parent later reaches the cold days without a scan at ATTACH.
 */
async function indexDdl(database: Database, t: ColumnarTable, target: string): Promise<string[]> {
  const keys = await database.query<{ def: string }>(sql`
    SELECT pg_get_constraintdef(k.oid) AS def FROM pg_constraint k JOIN pg_class tc ON tc.oid = k.conrelid
    WHERE tc.relname = ${t.table.name} AND pg_table_is_visible(tc.oid) AND k.contype IN ('p', 'u') ORDER BY k.conname`);
  const rows = await database.query<{ name: string; def: string }>(sql`
    SELECT ic.relname AS name, pg_get_indexdef(ic.oid) AS def
    FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid JOIN pg_class tc ON tc.oid = x.indrelid
    JOIN pg_am a ON a.oid = ic.relam
    WHERE tc.relname = ${t.table.name} AND pg_table_is_visible(tc.oid) AND a.amname = 'btree'
      AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = ic.oid)
    ORDER BY ic.relname`);
  return [
    ...keys.map(({ def }, i) => `ALTER TABLE "${target}" ADD CONSTRAINT "${target}_key${i}" ${def}`),
    ...rows.map(({ name, def }) => {
      // "CREATE [UNIQUE] INDEX name ON ONLY public.spans USING btree (...) [WHERE ...]"
      const m = /^CREATE (UNIQUE )?INDEX \S+ ON ONLY \S+ (USING .*)$/s.exec(def);
      if (!m) throw new Error(`unexpected index definition of ${name}: ${def}`);
      return `CREATE ${m[1] ?? ''}INDEX "${target}_${name}" ON "${target}" ${m[2]}`;
    }),
  ];
}

/**
 * Steps 1 to 5 for one day; the row count of the columnar copy, or null when the day was not there any
 * more (dropped by retention meanwhile).
 */
async function convertDay(database: Database, t: ColumnarTable, day: number): Promise<number | null> {
  const parent = t.table.name;
  const part = dayName(parent, 'p', day);
  const copy = dayName(parent, 'c', day);
  const indexes = await indexDdl(database, t, copy);
  // 1. The copy, whole or not at all. ORDER BY puts each sort key's rows in few chunk groups.
  await database.transaction(async (query) => {
    for (const q of createCopy(t, day)) await query(q);
    await query(sql.raw(`INSERT INTO "${copy}" SELECT * FROM "${part}" ORDER BY ${t.orderBy}`));
    for (const ddl of indexes) await query(sql.raw(ddl));
  });
  return finishDay(database, t, day);
}

/** Steps 2 to 5, from wherever an earlier run stopped: the copy exists. */
async function finishDay(database: Database, t: ColumnarTable, day: number): Promise<number | null> {
  const parent = t.table.name;
  const part = dayName(parent, 'p', day);
  const copy = dayName(parent, 'c', day);
  const retired = dayName(parent, 'r', day);
  const state = (await dayTables(database, parent)).find((d) => d.name === part)?.state;
  if (!state) return null;
  // 2. Outside any transaction, as a concurrent detach requires.
  if (state !== 'detached')
    await database.query(
      sql.raw(
        `ALTER TABLE "${parent}" DETACH PARTITION "${part}" ${state === 'pending' ? 'FINALIZE' : 'CONCURRENTLY'}`,
      ),
    );
  // 3. Nothing writes to the detached table now; the rows that came after the copy's snapshot join it.
  const count = async (name: string) =>
    Number((await database.query<{ n: string }>(sql.raw(`SELECT count(*)::text AS n FROM "${name}"`)))[0]?.n ?? 0);
  const want = await count(part);
  let have = await count(copy);
  if (have !== want) {
    const match = t.key.map((k) => `c.${k} = p.${k}`).join(' AND ');
    await database.query(
      sql.raw(
        `INSERT INTO "${copy}" SELECT p.* FROM "${part}" p WHERE NOT EXISTS (SELECT 1 FROM "${copy}" c WHERE ${match}) ORDER BY ${t.orderBy}`,
      ),
    );
    have = await count(copy);
    if (have !== want) throw new Error(`columnar copy of ${part} has ${have} rows, the partition ${want}`);
  }
  // 4. The swap: catalog changes only, no scan (the CHECK implies the bounds), milliseconds.
  const [from, to] = dayBounds(t, day);
  await database.transaction(async (query) => {
    // The guard only now: the catch-up above inserted into the copy plainly.
    await query(sql.raw(`DROP TRIGGER IF EXISTS ${GUARD} ON "${copy}"`));
    await query(sql.raw(`CREATE TRIGGER ${GUARD} BEFORE INSERT ON "${copy}" FOR EACH ROW EXECUTE FUNCTION ${GUARD}()`));
    await query(sql.raw(`ALTER TABLE "${part}" RENAME TO "${retired}"`));
    await query(sql.raw(`ALTER TABLE "${copy}" RENAME TO "${part}"`));
    await query(sql.raw(`ALTER TABLE "${parent}" ATTACH PARTITION "${part}" FOR VALUES FROM (${from}) TO (${to})`));
  });
  // 5.
  await database.query(sql.raw(`DROP TABLE IF EXISTS "${retired}"`));
  return have;
}

/** Finishes or undoes what an interrupted run left for this table. */
async function recover(database: Database, t: ColumnarTable): Promise<void> {
  const tables = await dayTables(database, t.table.name);
  const byName = new Map(tables.map((d) => [d.name, d]));
  for (const d of tables) {
    const part = byName.get(dayName(t.table.name, 'p', d.day));
    if (d.kind === 'r') {
      // Retired in the swap's transaction, so its day's columnar partition is attached: safe to drop.
      if (part?.state === 'attached') await database.query(sql.raw(`DROP TABLE IF EXISTS "${d.name}"`));
    } else if (d.kind === 'p' && d.state !== 'attached' && d.am === 'heap') {
      if (byName.has(dayName(t.table.name, 'c', d.day))) await finishDay(database, t, d.day);
      else {
        if (d.state === 'pending')
          await database.query(sql.raw(`ALTER TABLE "${t.table.name}" DETACH PARTITION "${d.name}" FINALIZE`));
        const [from, to] = dayBounds(t, d.day);
        await database.query(
          sql.raw(`ALTER TABLE "${t.table.name}" ATTACH PARTITION "${d.name}" FOR VALUES FROM (${from}) TO (${to})`),
        );
      }
    } else if (d.kind === 'c' && part?.state === 'attached') {
      // A copy whose row partition is still attached: step 2 never ran; the next conversion rebuilds it.
      await database.query(sql.raw(`DROP TABLE IF EXISTS "${d.name}"`));
    }
  }
}

/**
 * A write that reached a columnar day by the writers' plain path: refused by the guard trigger, or by
 * citus_columnar itself (ON CONFLICT is a speculative insert, which it refuses) on a day that still has
 * an index, converted before migration 0007.
 */
export function isColumnarConflictError(err: unknown): boolean {
  for (let e = err as { message?: unknown; cause?: unknown } | null | undefined; e;) {
    if (
      typeof e.message === 'string' &&
      (e.message.includes('columnar_tuple_insert_speculative') || e.message.startsWith('pivot_columnar_day:'))
    )
      return true;
    e = e.cause === e ? undefined : (e.cause as typeof e);
  }
  return false;
}

/**
 * The late path's first statement, in the writer's transaction: takes a transaction lock per day of the
 * batch (in day order, so two late writers cannot deadlock) and lets the guard pass. The anti-join of
 * the insert that follows runs with a snapshot taken after the lock, so it sees every row an earlier late
 * writer of the same day committed: with no unique index on a columnar day, this makes it exactly-once.
 */
export async function lockLateDays(
  query: (q: ReturnType<typeof sql>) => Promise<unknown[]>,
  table: PartitionedTable,
  days: Iterable<number>,
): Promise<void> {
  // SET LOCAL rather than set_config: on a Citus coordinator the guard runs on the workers, and Citus
  // passes a transaction's SET LOCAL commands on to them when told to (elsewhere a harmless placeholder).
  await query(sql`SET LOCAL citus.propagate_set_commands = 'local'`);
  await query(sql`SET LOCAL pivot.columnar_late = 'on'`);
  for (const day of [...days].sort((a, b) => a - b))
    await query(sql`SELECT pg_advisory_xact_lock(hashtext(${table.name}), ${day}::int)`);
}

/**
 * Runs a writer's transaction with ON CONFLICT DO NOTHING (`late` false); when a row falls on a columnar
 * day, which only the late path may write (see lockLateDays), runs it again with `late` true: the
 * statement then skips rows already stored by an anti-join and inserts the rest plainly. On a row day, a
 * concurrent writer storing the same row between the two makes its unique key refuse the whole
 * transaction (nothing stored): it runs once more and skips it.
 */
export async function withColumnarFallback<T>(run: (late: boolean) => Promise<T>): Promise<T> {
  try {
    return await run(false);
  } catch (err) {
    if (!isColumnarConflictError(err)) throw err;
  }
  try {
    return await run(true);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
  return run(true);
}

type TxQuery = Parameters<Parameters<Database['transaction']>[0]>[0];

/**
 * One writer batch in one transaction, the same for spans and logs: by COPY where the database offers it
 * (PostgreSQL). A batch that holds a stored row (its unique key refuses the COPY) or reaches a columnar day
 * (its guard refuses it) is written again by `insert`, which skips what is stored, through
 * withColumnarFallback and, on a columnar day, under lockLateDays. PGlite always takes `insert`.
 */
export async function writeByCopyOrInsert<T>(
  database: Database,
  table: PartitionedTable,
  days: Iterable<number>,
  copy: (query: TxQuery, copyIn: CopyIn) => Promise<T>,
  insert: (query: TxQuery, late: boolean) => Promise<T>,
): Promise<T> {
  if (database.kind === 'pg') {
    try {
      return await database.transaction((query, copyIn) => copy(query, copyIn!));
    } catch (err) {
      if (!isUniqueViolation(err) && !isColumnarConflictError(err)) throw err;
    }
  }
  return withColumnarFallback((late) =>
    database.transaction(async (query) => {
      if (late) await lockLateDays(query, table, days);
      return insert(query, late);
    }),
  );
}
