// GET /api/status: what the platform holds and how much disk each signal takes, per table and per day
// partition, with the retention in force. POST /api/admin/retention/run applies the retention now
// (admins only): the same job the ingest service runs hourly.
import { Hono, type MiddlewareHandler } from 'hono';
import { sql } from 'drizzle-orm';
import { SIGNALS, type Signal } from '@pivot/model';
import {
  PartitionManager,
  SIGNAL_TABLES,
  applyRetention,
  formatRetention,
  type Database,
  type RetentionPolicy,
} from '@pivot/store';
import type { AppEnv, Logger } from '@pivot/server-kit';
import pkg from '../package.json' with { type: 'json' };

export interface StatusDeps {
  database: Database;
  retention: RetentionPolicy;
  /**
   * The ingest writers' partition manager when they run in this process. Otherwise a manager of our
   * own: the ingest process then forgets the dropped days at its next hourly run.
   */
  partitions?: PartitionManager;
  /** Guards admin actions (Auth.requireAdmin); absent: open, as when auth is off. */
  requireAdmin?: MiddlewareHandler<AppEnv>;
  logger?: Logger;
  now?: () => number;
}

export interface TableStatus {
  name: string;
  /** Heap, indexes and TOAST, summed over the partitions of a partitioned table. */
  bytes: number;
  /** An estimate, as the planner makes it: rows per page at the last ANALYZE times the pages now. */
  rows: number;
  /** Day partitions, null for a plain table. */
  partitions: number | null;
  /** First and last partition day (YYYY-MM-DD); the last is ahead of today, as partitions are made ahead. */
  oldestDay: string | null;
  newestDay: string | null;
}

export interface SignalStatus {
  bytes: number;
  rows: number;
  /** `7d`, `36h`, or `0` for forever; null for the shared tables. */
  retention: string | null;
  tables: TableStatus[];
}

export type Status = {
  version: string;
  uptimeSeconds: number;
  database: { driver: 'pg' | 'pglite'; serverVersion: string; bytes: number };
  signals: Record<Signal | 'shared', SignalStatus>;
};

/** Tables never analysed are counted exactly up to this heap size, and analysed beyond it. */
const EXACT_COUNT_MAX_BYTES = 16 * 1024 * 1024;
const PAGE_BYTES = 8192;
const IDENT = /^[a-z_][a-z0-9_]*$/;
const started = Date.now();

type RelationRow = {
  parent: string;
  name: string;
  partitioned: boolean;
  bytes: string | number;
  reltuples: number | string;
  relpages: number | string;
  heap: string | number;
};

/** `exactCountMaxBytes`: tables never analysed are counted up to this heap size, analysed beyond it. */
export async function readStatus(
  database: Database,
  retention: RetentionPolicy,
  exactCountMaxBytes = EXACT_COUNT_MAX_BYTES,
): Promise<Status> {
  const all = Object.values(SIGNAL_TABLES).flat();
  const names = sql.join(
    all.map((n) => sql`${n}`),
    sql`, `,
  );
  // Each table, and each partition of a partitioned table, in the schema the migrations use.
  const rows = await database.query<RelationRow>(sql`
    WITH t AS (
      SELECT c.oid, c.relname, c.relkind, c.reltuples, c.relpages FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname IN (${names})
    )
    SELECT t.relname AS parent, c.relname AS name, true AS partitioned, pg_total_relation_size(c.oid) AS bytes,
           pg_relation_size(c.oid) AS heap, c.reltuples, c.relpages
      FROM t JOIN pg_inherits i ON i.inhparent = t.oid JOIN pg_class c ON c.oid = i.inhrelid WHERE t.relkind = 'p'
    UNION ALL
    SELECT t.relname, t.relname, t.relkind = 'p', pg_total_relation_size(t.oid), pg_relation_size(t.oid), t.reltuples, t.relpages FROM t`);
  const [meta] = await database.query<{ version: string; bytes: string | number }>(
    sql`SELECT current_setting('server_version') AS version, pg_database_size(current_database()) AS bytes`,
  );

  const tables = new Map<string, TableStatus>();
  for (const r of rows) {
    let t = tables.get(r.parent);
    if (!t)
      tables.set(
        r.parent,
        (t = { name: r.parent, bytes: 0, rows: 0, partitions: null, oldestDay: null, newestDay: null }),
      );
    if (r.name === r.parent) {
      // The parent row of a partitioned table has no storage of its own; it only marks the table.
      if (r.partitioned) t.partitions ??= 0;
      else t.bytes += Number(r.bytes);
      if (!r.partitioned) t.rows += await rowCount(database, r, exactCountMaxBytes);
      continue;
    }
    t.partitions = (t.partitions ?? 0) + 1;
    t.bytes += Number(r.bytes);
    t.rows += await rowCount(database, r, exactCountMaxBytes);
    const m = /_p(\d{4})(\d{2})(\d{2})$/.exec(r.name);
    if (m) {
      const day = `${m[1]}-${m[2]}-${m[3]}`;
      if (!t.oldestDay || day < t.oldestDay) t.oldestDay = day;
      if (!t.newestDay || day > t.newestDay) t.newestDay = day;
    }
  }

  const signals = {} as Record<Signal | 'shared', SignalStatus>;
  for (const [signal, names] of Object.entries(SIGNAL_TABLES) as [Signal | 'shared', readonly string[]][]) {
    const list = names.map((n) => tables.get(n)).filter((t): t is TableStatus => t !== undefined);
    signals[signal] = {
      bytes: list.reduce((s, t) => s + t.bytes, 0),
      rows: list.reduce((s, t) => s + t.rows, 0),
      retention: signal === 'shared' ? null : formatRetention(retention[signal]),
      tables: list,
    };
  }
  return {
    version: pkg.version,
    uptimeSeconds: Math.round((Date.now() - started) / 1000),
    database: { driver: database.kind, serverVersion: meta?.version ?? '', bytes: Number(meta?.bytes ?? 0) },
    signals,
  };
}

/**
 * Rows without counting them, as the planner estimates: the density at the last ANALYZE (reltuples
 * per relpages) times the pages the table has now. A table never analysed (reltuples -1; PGlite never
 * autovacuums) is counted when small and analysed once when large.
 */
async function rowCount(database: Database, r: RelationRow, exactCountMaxBytes: number): Promise<number> {
  const pages = Math.ceil(Number(r.heap) / PAGE_BYTES);
  let reltuples = Number(r.reltuples);
  let relpages = Number(r.relpages);
  if (pages === 0) return 0;
  if (reltuples < 0 || relpages === 0) {
    if (!IDENT.test(r.name)) return 0;
    if (Number(r.heap) <= exactCountMaxBytes) {
      const [c] = await database.query<{ n: string | number }>(
        sql`SELECT count(*) AS n FROM ${sql.identifier(r.name)}`,
      );
      return Number(c?.n ?? 0);
    }
    await database.query(sql`ANALYZE ${sql.identifier(r.name)}`);
    const [a] = await database.query<{ reltuples: number | string; relpages: number | string }>(
      sql`SELECT reltuples, relpages FROM pg_class WHERE oid = ${r.name}::regclass`,
    );
    reltuples = Number(a?.reltuples ?? -1);
    relpages = Number(a?.relpages ?? 0);
    if (reltuples < 0 || relpages === 0) return 0;
  }
  return Math.round((reltuples / relpages) * pages);
}

export function statusRoutes(deps: StatusDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const now = deps.now ?? Date.now;
  app.get('/api/status', async (c) => c.json(await readStatus(deps.database, deps.retention)));

  const admin: MiddlewareHandler<AppEnv> = deps.requireAdmin ?? ((_c, next) => next());
  const partitions = deps.partitions ?? new PartitionManager(deps.database);
  // The ingest service runs this hourly; an admin can run it now, e.g. after lowering a retention.
  app.post('/api/admin/retention/run', admin, async (c) => {
    const result = await applyRetention(deps.database, partitions, deps.retention, now());
    deps.logger?.info({ ...result, reqId: c.get('requestId') }, 'retention run on request');
    return c.json({
      retention: Object.fromEntries(SIGNALS.map((s) => [s, formatRetention(deps.retention[s])])),
      dropped: result.dropped,
      tracesDeleted: result.tracesDeleted,
    });
  });
  return app;
}
