// What the database holds and how much disk each signal takes, per table and per day partition, read
// from the catalog (pg_class) rather than by counting, so it stays cheap on large tables.
import { sql } from 'drizzle-orm';
import { citusRelationSizes, isCitus } from './citus.ts';
import type { Database } from './database.ts';
import { readStorageMode, type StorageMode } from './columnar.ts';
import { formatRetention, type RetentionPolicy } from './retention.ts';
import { SIGNAL_TABLES, TABLES, type TableOwner } from './tables.ts';

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
  /** Day partitions in the columnar layout (cold days converted by the columnar job). */
  columnarPartitions: number;
}

export interface SignalStatus {
  bytes: number;
  rows: number;
  /** `7d`, `36h`, or `0` for forever; null for the shared tables. */
  retention: string | null;
  tables: TableStatus[];
}

export interface StorageStatus {
  database: {
    driver: 'pg' | 'pglite';
    serverVersion: string;
    bytes: number;
    /** Whether cold day partitions become columnar here, and after how long (`2h`, `0s`). */
    layout: StorageMode & { coldAfter: string };
  };
  signals: Record<TableOwner, SignalStatus>;
}

/** Tables never analysed are counted exactly up to this heap size, and analysed beyond it. */
const EXACT_COUNT_MAX_BYTES = 16 * 1024 * 1024;
const PAGE_BYTES = 8192;
const DEFAULT_COLD_AFTER_MS = 2 * 3_600_000;

/** COLD_AFTER as configured: `2h`, `90m`, `0s`. */
function formatColdAfter(ms: number): string {
  return ms > 0 ? formatRetention(ms) : '0s';
}
const IDENT = /^[a-z_][a-z0-9_]*$/;

type RelationRow = {
  parent: string;
  name: string;
  partitioned: boolean;
  bytes: string | number;
  reltuples: number | string;
  relpages: number | string;
  heap: string | number;
  am: string;
  /** A Citus table: always counted, never estimated from the coordinator's statistics. */
  counted?: boolean;
};

export class StatusQueries {
  constructor(private readonly database: Database) {}

  /**
   * Disk use and rows per signal and table, with the retention in force. `exactCountMaxBytes`: tables
   * never analysed are counted up to this heap size, and analysed beyond it.
   */
  storage(
    retention: RetentionPolicy,
    opts: { exactCountMaxBytes?: number; coldAfterMs?: number } = {},
  ): Promise<StorageStatus> {
    return readStorage(
      this.database,
      retention,
      opts.exactCountMaxBytes ?? EXACT_COUNT_MAX_BYTES,
      opts.coldAfterMs ?? DEFAULT_COLD_AFTER_MS,
    );
  }
}

async function readStorage(
  database: Database,
  retention: RetentionPolicy,
  exactCountMaxBytes: number,
  coldAfterMs: number,
): Promise<StorageStatus> {
  const names = sql.join(
    TABLES.map((t) => sql`${t.name}`),
    sql`, `,
  );
  // Each table, and each partition of a partitioned table, in the schema the migrations use.
  const rows = await database.query<RelationRow>(sql`
    WITH t AS (
      SELECT c.oid, c.relname, c.relkind, c.reltuples, c.relpages FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname IN (${names})
    )
    SELECT t.relname AS parent, c.relname AS name, true AS partitioned, pg_total_relation_size(c.oid) AS bytes,
           pg_relation_size(c.oid) AS heap, c.reltuples, c.relpages, coalesce(a.amname, 'heap') AS am
      FROM t JOIN pg_inherits i ON i.inhparent = t.oid JOIN pg_class c ON c.oid = i.inhrelid
      LEFT JOIN pg_am a ON a.oid = c.relam WHERE t.relkind = 'p'
    UNION ALL
    SELECT t.relname, t.relname, t.relkind = 'p', pg_total_relation_size(t.oid), pg_relation_size(t.oid), t.reltuples, t.relpages, 'heap' FROM t`);
  // On a Citus coordinator the rows live in the workers' shards: sizes summed over them, and rows
  // counted (the coordinator's planner statistics of a shell table say nothing).
  const citus = (await isCitus(database)) ? await citusRelationSizes(database) : null;
  if (citus)
    for (const r of rows) {
      const size = citus.get(r.name);
      if (!size) continue;
      r.bytes = size.bytes;
      r.heap = size.heap;
      r.reltuples = -1;
      r.counted = true;
    }
  const [meta] = await database.query<{ version: string; bytes: string | number }>(
    sql`SELECT current_setting('server_version') AS version, pg_database_size(current_database()) AS bytes`,
  );

  const tables = new Map<string, TableStatus>();
  for (const r of rows) {
    let t = tables.get(r.parent);
    if (!t)
      tables.set(
        r.parent,
        (t = {
          name: r.parent,
          bytes: 0,
          rows: 0,
          partitions: null,
          oldestDay: null,
          newestDay: null,
          columnarPartitions: 0,
        }),
      );
    if (r.name === r.parent) {
      // The parent row of a partitioned table has no storage of its own; it only marks the table.
      if (r.partitioned) t.partitions ??= 0;
      else t.bytes += Number(r.bytes);
      if (!r.partitioned) t.rows += await rowCount(database, r, exactCountMaxBytes);
      continue;
    }
    t.partitions = (t.partitions ?? 0) + 1;
    if (r.am === 'columnar') t.columnarPartitions++;
    t.bytes += Number(r.bytes);
    t.rows += await rowCount(database, r, exactCountMaxBytes);
    const m = /_p(\d{4})(\d{2})(\d{2})$/.exec(r.name);
    if (m) {
      const day = `${m[1]}-${m[2]}-${m[3]}`;
      if (!t.oldestDay || day < t.oldestDay) t.oldestDay = day;
      if (!t.newestDay || day > t.newestDay) t.newestDay = day;
    }
  }

  const signals = {} as Record<TableOwner, SignalStatus>;
  for (const [signal, names] of Object.entries(SIGNAL_TABLES) as [TableOwner, readonly string[]][]) {
    const list = names.map((n) => tables.get(n)).filter((t): t is TableStatus => t !== undefined);
    signals[signal] = {
      bytes: list.reduce((s, t) => s + t.bytes, 0),
      rows: list.reduce((s, t) => s + t.rows, 0),
      retention: signal === 'shared' ? null : formatRetention(retention[signal]),
      tables: list,
    };
  }
  const layout = { ...(await readStorageMode(database)), coldAfter: formatColdAfter(coldAfterMs) };
  return {
    database: { driver: database.kind, serverVersion: meta?.version ?? '', bytes: Number(meta?.bytes ?? 0), layout },
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
    if (Number(r.heap) <= exactCountMaxBytes || r.counted) {
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
