// Scale-out on Citus: when the database behind DATABASE_URL is a Citus coordinator (the `citus`
// extension exists in it), the migrated tables are distributed across its workers. Run after every
// migration, idempotent: a table already in Citus' metadata is left alone, so a table a later
// migration adds is placed by the next start-up. On a plain PostgreSQL or PGlite nothing happens and
// nothing about the layout differs: no key changed for Citus, since every unique key of a distributed
// table already contains its distribution column.
//
// Placement (README, "Scale-out on Citus"):
// - spans, traces and propagation_spans by trace ID, co-located: a trace, its summary and its
//   propagation findings live on one shard, and a lookup by trace ID is a single-shard router query;
// - logs by time_ns (its partition key and the head of its primary key): measured against trace ID,
//   fingerprint and service in `npm run bench:citus`, hashing the nanosecond time spreads rows evenly,
//   where trace ID cannot hold trace-less logs (a distribution column takes no NULL, and a sentinel
//   would pile them on one shard), the content fingerprint piles repeated lines together and service
//   piles a chatty service on one shard. Logs of one trace are an index lookup on every shard;
// - metric series, chunks and exemplars by series ID, co-located: a series' samples sit with it;
// - the small tables every query joins or every job updates (resources, scopes, the operation list,
//   metric metadata, the rule manager's and the fold's state) as reference tables, copied to every node;
// - the minute rollups of the service graph (span_metrics, servicegraph_edges, propagation_problems,
//   propagation_traces) stay on the coordinator: Citus cannot make a partitioned table a reference
//   table, they are small (a row per minute and key), and one fold job writes them.
// Day partitions stay: a partition made later (partition upkeep, a writer) of a distributed parent is
// distributed by Citus itself, with the same shards' placement.
import { sql } from 'drizzle-orm';
import type { Database } from './database.ts';
import type { TraceId } from '@pivot/model';
import type { TableName } from './tables.ts';
import { traceLookupSql } from './trace-queries.ts';
import { SQL_READER_ROLE } from './sql-console.ts';

export const CITUS_EXTENSION = 'citus';

/** Where a table lives on a Citus cluster. */
export type CitusPlacement =
  | { table: TableName; kind: 'distributed'; column: string; colocateWith: TableName | 'none' }
  | { table: TableName; kind: 'reference' }
  | { table: TableName; kind: 'local'; why: string };

/** In creation order: a co-located table names one distributed before it. */
export const CITUS_PLACEMENT: readonly CitusPlacement[] = [
  { table: 'spans', kind: 'distributed', column: 'trace_id', colocateWith: 'none' },
  { table: 'traces', kind: 'distributed', column: 'trace_id', colocateWith: 'spans' },
  { table: 'propagation_spans', kind: 'distributed', column: 'trace_id', colocateWith: 'spans' },
  { table: 'logs', kind: 'distributed', column: 'time_ns', colocateWith: 'none' },
  { table: 'metric_series', kind: 'distributed', column: 'id', colocateWith: 'none' },
  { table: 'metric_chunks', kind: 'distributed', column: 'series_id', colocateWith: 'metric_series' },
  { table: 'metric_exemplars', kind: 'distributed', column: 'series_id', colocateWith: 'metric_series' },
  { table: 'resources', kind: 'reference' },
  { table: 'scopes', kind: 'reference' },
  { table: 'span_operations', kind: 'reference' },
  { table: 'metric_metadata', kind: 'reference' },
  { table: 'servicegraph_watermark', kind: 'reference' },
  { table: 'servicegraph_counters', kind: 'reference' },
  { table: 'alerting_groups', kind: 'reference' },
  { table: 'alerting_alerts', kind: 'reference' },
  { table: 'pg_log_offsets', kind: 'reference' },
  // Every API replica reads a login here; small, and written once per login.
  { table: 'api_sessions', kind: 'reference' },
  // Cold log block summaries: their staleness is read from the columnar stripes, which on Citus are on
  // the workers, so they are not built there (a cold log day is searched whole).
  { table: 'log_block_days', kind: 'local', why: 'summaries of columnar days, not built on Citus' },
  { table: 'log_blocks', kind: 'local', why: 'summaries of columnar days, not built on Citus' },
  { table: 'span_metrics', kind: 'local', why: 'partitioned minute rollup' },
  { table: 'servicegraph_edges', kind: 'local', why: 'partitioned minute rollup' },
  { table: 'propagation_problems', kind: 'local', why: 'partitioned minute rollup' },
  { table: 'propagation_traces', kind: 'local', why: 'partitioned minute rollup' },
];

/**
 * What each pooled connection sets on a Citus coordinator. With Citus' defaults a multi-shard query (a
 * trace search, the logs of a trace: one task per shard) runs on up to 16 connections per worker, of
 * which one is kept afterwards: every such query opened the others anew (TLS, then a worker backend
 * with cold caches), and that was most of its time (`npm run bench:citus`, README "Capacity planning").
 * Four per worker, all kept: one query's tasks still run four at a time on each worker, on connections
 * already open. Worker connections: pool size × 4 per pivot process at most.
 */
export const CITUS_SESSION_SETTINGS: Readonly<Record<string, string>> = {
  'citus.max_adaptive_executor_pool_size': '4',
  'citus.max_cached_conns_per_worker': '4',
};

/** The statement that applies CITUS_SESSION_SETTINGS to a session where the citus extension exists, and nothing elsewhere. */
export const CITUS_SESSION_SQL = `SELECT ${Object.entries(CITUS_SESSION_SETTINGS)
  .map(([k, v]) => `set_config('${k}', '${v}', false)`)
  .join(', ')} FROM pg_extension WHERE extname = '${CITUS_EXTENSION}'`;

/** Whether this database is a Citus coordinator (the extension created in it). */
export async function isCitus(database: Database): Promise<boolean> {
  if (database.kind === 'pglite') return false;
  const [r] = await database.query<{ on: boolean }>(
    sql`SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = ${CITUS_EXTENSION}) AS "on"`,
  );
  return r?.on === true;
}

/** How each store table is placed now: 'h' hash-distributed, 'n' reference, absent when local. */
export async function citusTableKinds(
  database: Database,
): Promise<Map<string, { kind: string; column: string | null }>> {
  const rows = await database.query<{ name: string; method: string; col: string | null }>(sql`
    SELECT logicalrelid::regclass::text AS name, partmethod AS method,
           column_to_column_name(logicalrelid, partkey) AS col
    FROM pg_dist_partition`);
  return new Map(rows.map((r) => [r.name.replaceAll('"', ''), { kind: r.method, column: r.col }]));
}

/**
 * Distributes the store's tables on a Citus coordinator; does nothing elsewhere. Returns the tables it
 * placed in this call. `query` runs on the migrating connection (which holds the migration lock).
 */
export async function distributeOnCitus(
  query: (text: string) => Promise<{ rows: Record<string, unknown>[] }>,
): Promise<string[]> {
  const ext = await query(`SELECT 1 FROM pg_extension WHERE extname = '${CITUS_EXTENSION}'`);
  if (ext.rows.length === 0) return [];
  const done = new Set(
    (await query(`SELECT logicalrelid::regclass::text AS name FROM pg_dist_partition`)).rows.map((r) =>
      String(r.name).replaceAll('"', ''),
    ),
  );
  const placed: string[] = [];
  for (const p of CITUS_PLACEMENT) {
    if (p.kind === 'local' || done.has(p.table)) continue;
    // Names and columns are the code's constants above, never input.
    if (p.kind === 'reference') await query(`SELECT create_reference_table('${p.table}')`);
    else
      await query(`SELECT create_distributed_table('${p.table}', '${p.column}', colocate_with => '${p.colocateWith}')`);
    placed.push(p.table);
  }
  return placed;
}

/**
 * The role whose SELECT on the tables under the console's views the workers see, and the console's
 * role a member of it on the workers only. Citus runs the shard queries of a view over distributed
 * tables as the current user (it has no definer's rights for views: citusdata/citus#6161), so inside
 * pivot.sql_console the workers are asked, as pivot_reader, for the shards of spans, logs, … On the
 * coordinator pivot_reader stays what migration 0004 made it: the views and nothing else.
 */
export const CITUS_CONSOLE_SHARD_ROLE = 'pivot_reader_shards';

/**
 * Lets the SQL console (sql-console.ts) read its views on a Citus coordinator; does nothing elsewhere.
 * Idempotent, run after every migration, so that a worker added since, or a table a later view reads,
 * is covered at the next start. `pivot_reader` becomes LOGIN without a password (the workers must let
 * the coordinator connect as it: README, "Scale-out on Citus"); `pivot_reader_shards` is granted SELECT
 * on the distributed and reference tables the pivot.* views read (Citus puts the grant on every shard,
 * and on the shards it creates or moves later); on each worker, and never on the coordinator,
 * `pivot_reader` is made a member of it. Roles are the whole node's, shared by its databases: a
 * concurrent start in another database may change one first, hence each step checks before acting
 * and is retried. Returns the workers that could not be prepared (down, or no rights to grant roles),
 * where the console then fails with their error.
 */
export async function prepareSqlConsoleOnCitus(
  query: (text: string) => Promise<{ rows: Record<string, unknown>[] }>,
): Promise<string[]> {
  const ext = await query(`SELECT 1 FROM pg_extension WHERE extname = '${CITUS_EXTENSION}'`);
  if (ext.rows.length === 0) return [];
  const reader = SQL_READER_ROLE;
  const shards = CITUS_CONSOLE_SHARD_ROLE;
  // Role names are the code's constants, never input.
  const step = async (check: string, act: string[]) => {
    for (let attempt = 0; ; attempt++) {
      if ((await query(check)).rows.length === 0) return;
      try {
        for (const a of act) await query(a);
        return;
      } catch (err) {
        // Another database's start did the same a moment before: look again.
        if (attempt >= 2 || !/already|concurrently|duplicate/i.test(String((err as Error).message))) throw err;
      }
    }
  };
  try {
    await prepareRoles(query, step);
  } catch (err) {
    // A migrating user without the right to create or alter roles: the store still starts, the console
    // answers with the workers' refusal until an administrator runs the same steps.
    if ((err as { code?: string }).code === '42501') return [`coordinator: ${(err as Error).message}`];
    throw err;
  }
  const grantOnWorkers = () =>
    query(`
    SELECT nodename || ':' || nodeport AS node, success, result FROM run_command_on_workers($cmd$
      DO $do$
      BEGIN
        IF NOT pg_has_role('${reader}', '${shards}', 'MEMBER') THEN
          -- This worker only: Citus would otherwise pass the grant on to every node, the coordinator too.
          PERFORM set_config('citus.enable_ddl_propagation', 'off', true);
          PERFORM set_config('citus.enable_create_role_propagation', 'off', true);
          GRANT ${shards} TO ${reader};
        END IF;
      END
      $do$
    $cmd$)`);
  let onWorkers = await grantOnWorkers();
  // A worker's failure may be a concurrent grant from another database's start: once more.
  if (onWorkers.rows.some((r) => r.success !== true)) onWorkers = await grantOnWorkers();
  return onWorkers.rows.filter((r) => r.success !== true).map((r) => `${String(r.node)}: ${String(r.result)}`);
}

async function prepareRoles(
  query: (text: string) => Promise<{ rows: Record<string, unknown>[] }>,
  step: (check: string, act: string[]) => Promise<void>,
): Promise<void> {
  const reader = SQL_READER_ROLE;
  const shards = CITUS_CONSOLE_SHARD_ROLE;
  await step(`SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${shards}')`, [
    `CREATE ROLE ${shards} NOLOGIN`,
  ]);
  // Migration 0004 made it NOLOGIN; Citus copies the attribute to every node (and to a node added later).
  await step(`SELECT 1 FROM pg_roles WHERE rolname = '${reader}' AND NOT rolcanlogin`, [`ALTER ROLE ${reader} LOGIN`]);
  // The Citus tables the views read, from the views' own dependencies, so that a view added later counts.
  const tables = await query(`
    SELECT DISTINCT d.refobjid::regclass::text AS name
    FROM pg_rewrite r
    JOIN pg_class v ON v.oid = r.ev_class
    JOIN pg_namespace n ON n.oid = v.relnamespace AND n.nspname = 'pivot'
    JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass
    JOIN pg_dist_partition p ON p.logicalrelid = d.refobjid
    WHERE NOT has_table_privilege('${shards}', d.refobjid, 'SELECT')
    ORDER BY 1`);
  if (tables.rows.length > 0)
    await query(`GRANT SELECT ON ${tables.rows.map((r) => String(r.name)).join(', ')} TO ${shards}`);
  // Never a member on the coordinator, where it would open the base tables to the console.
  await step(`SELECT 1 WHERE pg_has_role('${reader}', '${shards}', 'MEMBER')`, [
    `DO $do$
    BEGIN
      PERFORM set_config('citus.enable_ddl_propagation', 'off', true);
      PERFORM set_config('citus.enable_create_role_propagation', 'off', true);
      REVOKE ${shards} FROM ${reader};
    END
    $do$`,
  ]);
}

/** The EXPLAIN of TraceQueries.getTrace's statement for `traceId`, as text (one line per plan row). */
export async function explainTraceLookup(database: Database, traceId: TraceId): Promise<string> {
  const rows = await database.query<{ 'QUERY PLAN': string }>(sql`EXPLAIN ${traceLookupSql(traceId)}`);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

/**
 * Sizes of the Citus tables (distributed and reference, partitions included) summed over their shards'
 * placements: the coordinator's own relations are empty shells, so pg_total_relation_size says 0 there.
 */
export async function citusRelationSizes(database: Database): Promise<Map<string, { bytes: number; heap: number }>> {
  const rows = await database.query<{ name: string; bytes: string | number; heap: string | number }>(sql`
    SELECT c.relname AS name, citus_total_relation_size(c.oid) AS bytes, citus_relation_size(c.oid) AS heap
    FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
    WHERE c.relkind = 'r' AND pg_table_is_visible(c.oid)`);
  return new Map(rows.map((r) => [r.name, { bytes: Number(r.bytes), heap: Number(r.heap) }]));
}
