// Day partitions on nanosecond range keys. Writers create the partitions a batch needs before
// inserting (so any timestamp lands somewhere), a schedule creates the next days ahead of time,
// and retention drops whole partitions, which is instant and leaves no bloat.
import { sql } from 'drizzle-orm';
import type { Database } from './database.ts';
import type { ClassifiedError } from './errors.ts';
import type { PartitionUnit, PartitionedTable } from './tables.ts';

export const NS_PER_DAY = 86_400_000_000_000n;
export const MS_PER_DAY = 86_400_000;

export function dayIndexOfNs(ns: bigint): number {
  return Number(ns >= 0n ? ns / NS_PER_DAY : (ns - NS_PER_DAY + 1n) / NS_PER_DAY);
}
export function dayIndexOfMs(ms: number): number {
  return Math.floor(ms / MS_PER_DAY);
}

function partitionName(table: string, day: number): string {
  const d = new Date(day * MS_PER_DAY);
  const ymd = d.toISOString().slice(0, 10).replaceAll('-', '');
  return `${table}_p${ymd}`;
}

function bounds(unit: PartitionUnit, day: number): [string, string] {
  if (unit === 'ns') return [(BigInt(day) * NS_PER_DAY).toString(), (BigInt(day + 1) * NS_PER_DAY).toString()];
  return [String(day * MS_PER_DAY), String((day + 1) * MS_PER_DAY)];
}

const IDENT = /^[a-z_][a-z0-9_]*$/;

/**
 * Indexes of the hot (row-store) day partitions only, created with each partition: the parent keeps
 * none (HOT_KEYS below), so that a cold day made columnar (columnar.ts) carries nothing but its sorted
 * data. Each pays on the hot path for a query that uses it (README, Performance).
 */
export const HOT_INDEXES: Readonly<Record<string, readonly { suffix: string; using: string }[]>> = {
  // Measured on 400k spans running the trace search, trace by ID and service stats (pg_stat_user_indexes):
  // only the key and (service, name, start) were scanned. Gone: the attributes GIN (29 B/span; the search
  // checks attributes on the spans of candidate traces, found by trace ID), (service, start) (42 B/span;
  // the (service, name, start) one serves a service alone) and (service, duration) (10 B/span; durations
  // are searched on trace summaries).
  // The BRIN on end time lets the service-graph fold (servicegraph.ts) read the spans that ended in its
  // window: spans are exported as they end, so rows lie roughly in end order, and a few pages per day
  // summarize them without a btree on the ingest path.
  spans: [
    { suffix: 'service_name_start_idx', using: 'btree (service_name, name, start_ns DESC)' },
    { suffix: 'end_brin_idx', using: 'brin ((start_ns + duration_ns)) WITH (autosummarize = on)' },
  ],
  // Logs, audited on 100k bench:logs pino lines COPYed into a table with one index alone (`BENCH_INDEX_COSTS=1
  // npm run bench:logs`; wall µs per row over the heap's 49.5 at load average ~30) and on 500k generated
  // logs through LogQueries, LogqlQueries and FacetQueries (which index each query scanned, and its time
  // with that index dropped): the key +15 µs, 32 B (every search walks it in time order); trace +0 µs,
  // 53 B (trace lookups); (service, time) +9 µs, 65 B (context lines, a rare service); the attributes GIN
  // +2 µs, 40 B (a rare attribute value: 18 ms, 626 ms without); the body trigram GIN +143 µs, 176 B (a
  // rare word or an ID fragment; the rest walk the key). A bigger pending list did not make it cheaper (32
  // MB: +152 µs and 7.5 µs of cleanup; 128 MB: +95 µs, 106 µs of cleanup and its freed pages kept) nor
  // did fastupdate = off (+1,293 µs). (severity, time) was only scanned for a severity that few rows have
  // (no fatal log: 39 ms, 700 ms without it): it now indexes error and fatal rows alone, 56 → 7 B and
  // +3.4 → ~0 µs; warn and below walk the key, as they did. logs_time_idx went in migration 0003.
  logs: [
    { suffix: 'trace_idx', using: 'btree (trace_id, time_ns) WHERE trace_id IS NOT NULL' },
    { suffix: 'service_time_idx', using: 'btree (service_name, time_ns DESC)' },
    { suffix: 'severe_time_idx', using: 'btree (severity_number, time_ns DESC) WHERE severity_number >= 17' },
    { suffix: 'body_trgm_idx', using: 'gin (body gin_trgm_ops)' },
    { suffix: 'attributes_idx', using: 'gin (attributes jsonb_path_ops)' },
  ],
};

/**
 * The unique key of each hot (row-store) day partition, named `<partition>_key`: what the writers' ON
 * CONFLICT DO NOTHING dedupes a retried batch on. Not on the parent (migration 0007): a key there must
 * exist on every partition, and on a cold columnar day it cost more than the data (columnar.ts).
 */
export const HOT_KEYS: Readonly<Record<string, string>> = {
  spans: 'trace_id, span_id, start_ns',
  logs: 'time_ns, fingerprint',
};

type Query = <R extends Record<string, unknown> = Record<string, unknown>>(q: ReturnType<typeof sql>) => Promise<R[]>;

/** Creates a row-store partition's unique key when it lacks it; a columnar day is left keyless. */
async function ensureHotKey(query: Query, table: string, partition: string): Promise<void> {
  const key = HOT_KEYS[table];
  if (!key || !IDENT.test(partition)) return;
  const [r] = await query<{ am: string | null; has: boolean }>(sql`
    SELECT a.amname AS am, EXISTS (SELECT 1 FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid
      WHERE x.indrelid = c.oid AND ic.relname = ${`${partition}_key`}) AS has
    FROM pg_class c LEFT JOIN pg_am a ON a.oid = c.relam
    WHERE c.relname = ${partition} AND pg_table_is_visible(c.oid)`);
  if (r?.am === 'heap' && !r.has)
    await query(sql.raw(`CREATE UNIQUE INDEX IF NOT EXISTS "${partition}_key" ON "${partition}" USING btree (${key})`));
}

/**
 * A row's day had no partition, and creating it again did not help: its partition is being dropped at
 * this moment (a detach in progress in another process). The write stored nothing; a retry shortly
 * after the drop finishes creates the day afresh.
 */
export class PartitionUnavailableError extends Error implements ClassifiedError {
  override readonly name = 'PartitionUnavailableError';
  readonly status = 503;
  readonly retryAfterSeconds = 1;
  readonly expose = true;
  constructor(
    readonly table: string,
    options?: { cause?: unknown },
  ) {
    super(`a day partition of ${table} is being dropped by retention or converted to columnar; retry shortly`, options);
  }
}

/**
 * SQLSTATE 23514 raised by tuple routing ("no partition of relation … found for row"), the same text on
 * PostgreSQL and PGlite; a CHECK constraint's failure shares the code but not the text.
 */
export function isNoPartitionError(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | null | undefined; e;) {
    // Citus reports the same routing failure from a worker's shard as XX000, naming the shard.
    if (
      (e.code === '23514' || e.code === 'XX000') &&
      typeof e.message === 'string' &&
      e.message.startsWith('no partition of relation')
    )
      return true;
    e = e.cause === e ? undefined : (e.cause as typeof e);
  }
  return false;
}

/** Citus' refusal of DETACH PARTITION … CONCURRENTLY on a distributed table (SQLSTATE XX000). */
export function isConcurrentDetachRefused(err: unknown): boolean {
  for (let e = err as { message?: unknown; cause?: unknown } | null | undefined; e;) {
    if (
      typeof e.message === 'string' &&
      e.message.includes('DETACH PARTITION .. CONCURRENTLY commands are currently unsupported')
    )
      return true;
    e = e.cause === e ? undefined : (e.cause as typeof e);
  }
  return false;
}

/** What a write needs: each table with the days its rows fall on. */
export type PartitionNeeds = readonly (readonly [PartitionedTable, Iterable<number>])[];

export class PartitionManager {
  /** Partitions known to exist, per table: a cache so the hot path asks the database nothing. */
  private known = new Map<string, Set<number>>();

  constructor(private readonly database: Database) {}

  async ensure(table: PartitionedTable, days: Iterable<number>): Promise<void> {
    let set = this.known.get(table.name);
    if (!set) this.known.set(table.name, (set = new Set()));
    for (const day of days) {
      if (set.has(day)) continue;
      await this.create(table, day);
      set.add(day);
    }
  }

  /** Forgets cached days of a table, so that the next ensure() asks the database again. */
  forget(table: PartitionedTable, days: Iterable<number>): void {
    const known = this.known.get(table.name);
    if (known) for (const day of days) known.delete(day);
  }

  /**
   * Runs `write` (one transaction) after ensuring the partitions it needs. When a day this cache listed
   * is gone (another process's retention dropped it, by its own clock or policy), the transaction fails
   * whole with SQLSTATE 23514 and stored nothing: the days are forgotten, created again, and the write
   * runs once more, so its promise still settles only after a commit. Writes reach here inside the
   * retention (ingest refuses older items), so recreating the day stores nothing retention must keep out.
   */
  async write<T>(needs: PartitionNeeds, write: () => Promise<T>): Promise<T> {
    const wanted = needs.map(([table, days]) => [table, [...days]] as const);
    for (const [table, days] of wanted) await this.ensure(table, days);
    try {
      return await write();
    } catch (err) {
      if (!isNoPartitionError(err)) throw err;
      for (const [table, days] of wanted) {
        this.forget(table, days);
        await this.ensure(table, days);
      }
    }
    try {
      return await write();
    } catch (err) {
      // The name still exists, so CREATE … IF NOT EXISTS did nothing: a detach of that day is pending.
      if (!isNoPartitionError(err)) throw err;
      const table = wanted.map(([t]) => t.name).join(', ');
      throw new PartitionUnavailableError(table, { cause: err });
    }
  }

  private async create(table: PartitionedTable, day: number): Promise<void> {
    // Identifiers cannot be bound as parameters; these come from code constants and integer days only.
    if (!IDENT.test(table.name) || !Number.isInteger(day)) throw new Error(`bad partition ${table.name}/${day}`);
    const name = partitionName(table.name, day);
    const [from, to] = bounds(table.unit, day);
    const ddl = `CREATE TABLE IF NOT EXISTS "${name}" PARTITION OF "${table.name}" FOR VALUES FROM (${from}) TO (${to})`;
    for (let attempt = 0; ; attempt++) {
      try {
        // With its key in one transaction: no write can land in a new day that does not dedupe it yet.
        await this.database.transaction(async (query) => {
          await query(sql.raw(ddl));
          await ensureHotKey(query, table.name, name);
        });
        await this.ensureHotIndexes(table.name, name);
        return;
      } catch (err) {
        // Two processes creating the same partition race on the catalog; the loser sees a
        // duplicate-type or duplicate-table error although the partition now exists.
        const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
        // On Citus the other process's DDL runs on every shard and lasts longer: wait it out a little.
        if ((code === '23505' || code === '42P07') && attempt < 10) {
          await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
          continue;
        }
        throw err;
      }
    }
  }

  /**
   * Creates the hot indexes a row-store partition lacks (new, or from before they moved off the parent);
   * a columnar one is left alone. IF NOT EXISTS: another process may have made them.
   */
  async ensureHotIndexes(table: string, partition: string): Promise<void> {
    await ensureHotKey((q) => this.database.query(q), table, partition);
    const wanted = HOT_INDEXES[table];
    if (!wanted?.length || !IDENT.test(partition)) return;
    const [r] = await this.database.query<{ am: string | null; have: string[] | null }>(sql`
      SELECT a.amname AS am, (SELECT array_agg(ic.relname::text) FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid
        WHERE x.indrelid = c.oid) AS have
      FROM pg_class c LEFT JOIN pg_am a ON a.oid = c.relam
      WHERE c.relname = ${partition} AND pg_table_is_visible(c.oid)`);
    if (r?.am !== 'heap') return;
    // Only the missing ones: even CREATE INDEX IF NOT EXISTS takes a SHARE lock, which waits for writers.
    const have = new Set(r.have ?? []);
    for (const { suffix, using } of wanted)
      if (!have.has(`${partition}_${suffix}`))
        await this.database.query(
          sql.raw(`CREATE INDEX IF NOT EXISTS "${partition}_${suffix}" ON "${partition}" USING ${using}`),
        );
  }

  /** Lists a table's partitions with their day index. */
  async list(table: PartitionedTable): Promise<{ name: string; day: number }[]> {
    const rows = await this.database.query<{ name: string }>(sql`
      SELECT c.relname AS name FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
      WHERE p.relname = ${table.name} ORDER BY c.relname`);
    const out: { name: string; day: number }[] = [];
    for (const { name } of rows) {
      const m = /_p(\d{4})(\d{2})(\d{2})$/.exec(name);
      if (m) out.push({ name, day: Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!) / MS_PER_DAY });
    }
    return out;
  }

  /**
   * Drops partitions whose whole day is older than the cutoff; returns their names. Each is first
   * detached CONCURRENTLY: a plain DROP of a partition takes an ACCESS EXCLUSIVE lock on the parent, so
   * one long query on the table stalled every insert behind the waiting DROP; a concurrent detach
   * waits for those queries without blocking anyone, and the detached table is then dropped alone.
   * A detach interrupted half-way (statement timeout, crash) leaves the partition "pending": it is
   * finalized. A table detached but never dropped is no partition any more: it is dropped by its name.
   */
  async dropOlderThan(table: PartitionedTable, cutoffMs: number): Promise<string[]> {
    const dropped: string[] = [];
    for (const p of await this.dayTables(table)) {
      if ((p.day + 1) * MS_PER_DAY > cutoffMs) continue;
      // Forgotten first: from now on a write to this day creates it again rather than trusting the cache.
      this.known.get(table.name)?.delete(p.day);
      // Outside any transaction (a concurrent detach refuses to run in one): each statement is its own.
      if (p.state !== 'detached')
        await this.database
          .query(
            sql.raw(
              `ALTER TABLE "${table.name}" DETACH PARTITION "${p.name}" ${p.state === 'pending' ? 'FINALIZE' : 'CONCURRENTLY'}`,
            ),
          )
          .catch((err: unknown) => {
            // Citus refuses a concurrent detach of a distributed table's partition: there the DROP below
            // detaches it (a short exclusive lock on the parent, on every shard).
            if (!isConcurrentDetachRefused(err)) throw err;
          });
      await this.database.query(sql.raw(`DROP TABLE IF EXISTS "${p.name}"`));
      dropped.push(p.name);
    }
    // Another process may have dropped some first: forget those too, so the next write to such a day
    // creates its partition again instead of failing.
    this.forgetOlderThan(table, cutoffMs);
    return dropped;
  }

  /**
   * Every table named as one of `table`'s days, with its state: a partition, a partition whose detach is
   * pending, or a table detached from it. Pending ones come first: PostgreSQL allows one pending detach
   * per parent, so it must be finalized before another partition can be detached concurrently.
   */
  private async dayTables(
    table: PartitionedTable,
  ): Promise<{ name: string; day: number; state: 'attached' | 'pending' | 'detached' }[]> {
    if (!IDENT.test(table.name)) throw new Error(`bad table ${table.name}`);
    const rows = await this.database.query<{ name: string; pending: boolean | null }>(sql`
      SELECT c.relname AS name, i.inhdetachpending AS pending
      FROM pg_class c
      LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
        AND i.inhparent = (SELECT p.oid FROM pg_class p WHERE p.relname = ${table.name} AND pg_table_is_visible(p.oid))
      WHERE c.relkind = 'r' AND c.relname ~ ${`^${table.name}_p[0-9]{8}$`} AND pg_table_is_visible(c.oid)
      ORDER BY i.inhdetachpending DESC NULLS LAST, c.relname`);
    return rows.flatMap(({ name, pending }) => {
      const m = /_p(\d{4})(\d{2})(\d{2})$/.exec(name);
      if (!m) return [];
      const day = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!) / MS_PER_DAY;
      return [{ name, day, state: pending === null ? 'detached' : pending ? 'pending' : 'attached' } as const];
    });
  }

  /**
   * Forgets cached days older than the cutoff, without asking the database: another process's retention
   * may have dropped them, and a write to such a day must then create its partition again.
   */
  forgetOlderThan(table: PartitionedTable, cutoffMs: number): void {
    const known = this.known.get(table.name);
    if (known) for (const day of known) if ((day + 1) * MS_PER_DAY <= cutoffMs) known.delete(day);
  }

  /** Creates today's partition and the next `daysAhead`, so the first writes of a day wait for no DDL. */
  async prepareAhead(tables: readonly PartitionedTable[], nowMs: number, daysAhead = 2): Promise<void> {
    const today = dayIndexOfMs(nowMs);
    const days = Array.from({ length: daysAhead + 1 }, (_, i) => today + i);
    for (const t of tables) await this.ensure(t, days);
    // Partitions made before their indexes moved off the parent (migration 0003) get them here.
    for (const t of tables) for (const p of await this.list(t)) await this.ensureHotIndexes(t.name, p.name);
  }
}
