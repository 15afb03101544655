// The columnar conversion of a cold day on a Citus coordinator (columnar.ts dispatches here). The day
// partitions are distributed, so the single node's protocol does not carry over: Citus refuses DETACH …
// CONCURRENTLY, and a local columnar copy swapped in would not be distributed. Instead:
//   1. the guard trigger goes on the row partition (its shards): from now on the writers' plain path is
//      refused for that day and every write to it takes the late path, which holds the day's advisory
//      lock (lockLateDays) and skips rows already stored;
//   2. `<table>_c<day>` is built columnar, distributed co-located with the parent (same shard count and
//      placement), and filled by one INSERT … SELECT … ORDER BY that Citus pushes down to each pair of
//      co-located shards, so every shard is sorted by the table's orderBy (EXPLAIN shows the Sort under
//      each task's Insert): a trace sits in one chunk group of its shard. One transaction: the copy
//      exists complete or not at all;
//   3. one transaction: the day's advisory lock (late writers of that day wait, nobody else), the rows the
//      late path added since the copy's snapshot join it (compared by count, as spans and logs are never
//      updated), the guard on the copy, then DETACH (not concurrent: ACCESS EXCLUSIVE on the parent), the
//      renames and ATTACH. The parent's exclusive lock is held from the DETACH to the commit only:
//      catalog changes on the coordinator and the workers, no scan (the copy's CHECK implies the bounds).
//      lock_timeout bounds the wait behind a long query, and the step is retried;
//   4. the retired row table `<table>_r<day>` is dropped.
// Interrupted anywhere, nothing is lost: before 3 commits the row partition holds every row of the day
// and stays attached (a guarded row day takes late writes like a columnar one); after, the columnar day
// does. The next run reuses a finished copy (its catch-up covers whatever came later), drops a retired
// table whose day is attached again, and drops a copy whose day is gone (retention).
import { sql, type SQL } from 'drizzle-orm';
import { CITUS_PLACEMENT } from './citus.ts';
import type { Database } from './database.ts';
import type { ColumnarTable, DayTable } from './columnar.ts';

/** What columnar.ts shares with this protocol: its day tables' names and listing, its guard and settings. */
export interface ColumnarDays {
  dayName(table: string, kind: 'p' | 'c' | 'r', day: number): string;
  dayBounds(t: ColumnarTable, day: number): [string, string];
  dayTables(database: Database, table: string): Promise<DayTable[]>;
  /** The statements that make the day's empty columnar copy, with the single node's settings. */
  createCopy(t: ColumnarTable, day: number): SQL[];
  guard: string;
}

/** The wait for the parent's exclusive lock before a swap gives up and is tried again. */
const SWAP_LOCK_TIMEOUT = '2s';
const SWAP_ATTEMPTS = 5;

function distributionColumn(t: ColumnarTable): string {
  const p = CITUS_PLACEMENT.find((c) => c.table === t.table.name);
  if (p?.kind !== 'distributed') throw new Error(`${t.table.name} is not a distributed table`);
  return p.column;
}

async function hasGuard(database: Database, table: string, guard: string): Promise<boolean> {
  const rows = await database.query(sql`
    SELECT 1 FROM pg_trigger WHERE tgrelid = ${table}::regclass AND tgname = ${guard}`);
  return rows.length > 0;
}

async function isDistributed(database: Database, table: string): Promise<boolean> {
  const rows = await database.query(sql`SELECT 1 FROM pg_dist_partition WHERE logicalrelid = ${table}::regclass`);
  return rows.length > 0;
}

// Citus refuses a trigger on a distributed table unless told it is safe: this one reads nothing and only
// raises, so running it on each shard's placement is exactly its single-node meaning.
const createGuard = (table: string, guard: string) => [
  sql.raw(`SET LOCAL citus.enable_unsafe_triggers = on`),
  sql.raw(`DROP TRIGGER IF EXISTS ${guard} ON "${table}"`),
  sql.raw(`CREATE TRIGGER ${guard} BEFORE INSERT ON "${table}" FOR EACH ROW EXECUTE FUNCTION ${guard}()`),
];

/** Steps 1 to 4 for one day; the columnar day's row count, or null when the day is not there any more. */
export async function convertDayOnCitus(
  database: Database,
  t: ColumnarTable,
  day: number,
  days: ColumnarDays,
): Promise<number | null> {
  const parent = t.table.name;
  const part = days.dayName(parent, 'p', day);
  const copy = days.dayName(parent, 'c', day);
  const tables = await days.dayTables(database, parent);
  if (tables.find((d) => d.name === part)?.state !== 'attached') return null;
  // 1.
  if (!(await hasGuard(database, part, days.guard)))
    await database.transaction(async (query) => {
      for (const q of createGuard(part, days.guard)) await query(q);
    });
  // 2. A copy left by an interrupted run is whole (its own transaction) and is reused.
  const existing = tables.find((d) => d.name === copy);
  if (!existing || existing.am !== 'columnar' || !(await isDistributed(database, copy))) {
    await database.transaction(async (query) => {
      for (const q of days.createCopy(t, day)) await query(q);
      await query(
        sql.raw(`SELECT create_distributed_table('${copy}', '${distributionColumn(t)}', colocate_with => '${parent}')`),
      );
      await query(sql.raw(`INSERT INTO "${copy}" SELECT * FROM "${part}" ORDER BY ${t.orderBy}`));
    });
  }
  // 3.
  let rows: number;
  for (let attempt = 1; ; attempt++) {
    try {
      rows = await swap(database, t, day, days);
      break;
    } catch (err) {
      if ((err as { code?: string }).code !== '55P03' || attempt >= SWAP_ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
  // 4.
  await database.query(sql.raw(`DROP TABLE IF EXISTS "${days.dayName(parent, 'r', day)}"`));
  return rows;
}

async function swap(database: Database, t: ColumnarTable, day: number, days: ColumnarDays): Promise<number> {
  const parent = t.table.name;
  const part = days.dayName(parent, 'p', day);
  const copy = days.dayName(parent, 'c', day);
  const [from, to] = days.dayBounds(t, day);
  return database.transaction(async (query) => {
    // The late path's lock for this day (lockLateDays): the row partition takes no other writes (step 1).
    await query(sql`SELECT pg_advisory_xact_lock(hashtext(${parent}), ${day}::int)`);
    const count = async (name: string) =>
      Number((await query<{ n: string }>(sql.raw(`SELECT count(*)::text AS n FROM "${name}"`)))[0]?.n ?? 0);
    const want = await count(part);
    let have = await count(copy);
    if (have !== want) {
      const match = t.key.map((k) => `c.${k} = p.${k}`).join(' AND ');
      await query(
        sql.raw(
          `INSERT INTO "${copy}" SELECT p.* FROM "${part}" p WHERE NOT EXISTS (SELECT 1 FROM "${copy}" c WHERE ${match}) ORDER BY ${t.orderBy}`,
        ),
      );
      have = await count(copy);
      if (have !== want) throw new Error(`columnar copy of ${part} has ${have} rows, the partition ${want}`);
    }
    for (const q of createGuard(copy, days.guard)) await query(q);
    await query(sql.raw(`SET LOCAL lock_timeout = '${SWAP_LOCK_TIMEOUT}'`));
    await query(sql.raw(`ALTER TABLE "${parent}" DETACH PARTITION "${part}"`));
    await query(sql.raw(`ALTER TABLE "${part}" RENAME TO "${days.dayName(parent, 'r', day)}"`));
    await query(sql.raw(`ALTER TABLE "${copy}" RENAME TO "${part}"`));
    await query(sql.raw(`ALTER TABLE "${parent}" ATTACH PARTITION "${part}" FOR VALUES FROM (${from}) TO (${to})`));
    return have;
  });
}

/** What an interrupted run left that the next conversion will not reuse. */
export async function recoverOnCitus(database: Database, t: ColumnarTable, days: ColumnarDays): Promise<void> {
  const tables = await days.dayTables(database, t.table.name);
  const byName = new Map(tables.map((d) => [d.name, d]));
  for (const d of tables) {
    const part = byName.get(days.dayName(t.table.name, 'p', d.day));
    // A retired row table: the swap committed, its day is columnar and attached.
    if (d.kind === 'r' && part?.state === 'attached') await database.query(sql.raw(`DROP TABLE IF EXISTS "${d.name}"`));
    // A copy whose day retention dropped meanwhile.
    if (d.kind === 'c' && !part) await database.query(sql.raw(`DROP TABLE IF EXISTS "${d.name}"`));
  }
}
