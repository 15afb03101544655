// Where the tailer of PostgreSQL's log files (apps/ingest/src/pg-tail.ts) stands in each file, saved in
// the same transaction as the records read up to there: after a crash the records of a batch are
// either all stored with the offset past them, or none are and the offset is still before them, so a
// restart resumes without losing or repeating an entry. (The records' (time, content hash) key would
// drop a repeat anyway; the transaction is what makes "no loss" hold too.)
import { sql } from 'drizzle-orm';
import type { ResourceLogs } from '@pivot/model';
import type { Database } from './database.ts';
import { withColumnarFallback } from './columnar.ts';
import { insertLogColumns, toLogColumns } from './log-writer.ts';
import type { PartitionManager } from './partitions.ts';
import { LOGS_TABLE } from './tables.ts';

/** How far one file was read. */
export interface PgLogFileOffset {
  /** The file's identity: `device:inode`, so that a renamed file keeps its offset. */
  fileKey: string;
  /** The path it was last read under. */
  path: string;
  /** Bytes read and stored (up to the end of the last complete entry). */
  byteOffset: number;
  /** Hex of the file's first bytes (up to 64): a reused inode with other content is a new file. */
  headHex: string;
}

interface OffsetRow {
  file_key: string;
  path: string;
  byte_offset: string | number;
  head_hex: string;
  [k: string]: unknown;
}

export class PgLogOffsets {
  constructor(
    private readonly database: Database,
    private readonly partitions: PartitionManager,
  ) {}

  async get(fileKey: string): Promise<PgLogFileOffset | null> {
    const [r] = await this.database.query<OffsetRow>(
      sql`SELECT file_key, path, byte_offset, head_hex FROM pg_log_offsets WHERE file_key = ${fileKey}`,
    );
    return r ? { fileKey: r.file_key, path: r.path, byteOffset: Number(r.byte_offset), headHex: r.head_hex } : null;
  }

  async list(): Promise<PgLogFileOffset[]> {
    const rows = await this.database.query<OffsetRow>(
      sql`SELECT file_key, path, byte_offset, head_hex FROM pg_log_offsets ORDER BY path, file_key`,
    );
    return rows.map((r) => ({
      fileKey: r.file_key,
      path: r.path,
      byteOffset: Number(r.byte_offset),
      headHex: r.head_hex,
    }));
  }

  /**
   * Stores the records read from a file and the offset past them, in one transaction; returns how many
   * records were new. Records may be empty (a chunk of refused lines still moves the offset).
   */
  async commit(batch: ResourceLogs[], offset: PgLogFileOffset, nowMs = Date.now()): Promise<number> {
    const cols = toLogColumns([batch]);
    return this.partitions.write([[LOGS_TABLE, cols.days]], () =>
      withColumnarFallback((late) =>
        this.database.transaction(async (query) => {
          const inserted = await insertLogColumns(query, cols, late);
          await query(sql`
            INSERT INTO pg_log_offsets (file_key, path, byte_offset, head_hex, updated_at_ms)
            VALUES (${offset.fileKey}, ${offset.path}, ${offset.byteOffset}, ${offset.headHex}, ${nowMs})
            ON CONFLICT (file_key) DO UPDATE SET path = EXCLUDED.path, byte_offset = EXCLUDED.byte_offset,
              head_hex = EXCLUDED.head_hex, updated_at_ms = EXCLUDED.updated_at_ms`);
          return inserted;
        }),
      ),
    );
  }

  /** Forgets files not read for `olderThanMs` (rotated away and deleted long ago). */
  async forgetOlderThan(olderThanMs: number, nowMs = Date.now()): Promise<number> {
    const rows = await this.database.query(
      sql`DELETE FROM pg_log_offsets WHERE updated_at_ms < ${nowMs - olderThanMs} RETURNING 1`,
    );
    return rows.length;
  }
}

/** Where the server this store runs on writes its own log, as far as this session may see it. */
export interface PgServerLogFiles {
  /** `logging_collector`: without it the server writes no log file of its own. */
  loggingCollector: boolean;
  /** `log_destination`, split: jsonlog and csvlog are the ones a tailer reads. */
  destinations: string[];
  /** `data_directory`, which relative log paths start from; null when this role may not read it. */
  dataDirectory: string | null;
  /** `pg_current_logfile(…)`, as the server gives it (absolute, or relative to the data directory). */
  jsonlog: string | null;
  csvlog: string | null;
  /** Why the data directory or the current files could not be read (superuser or pg_monitor needed). */
  denied: string | null;
  /** `log_timezone` (an IANA name, or an offset), which the log's timestamps are written in. */
  logTimezone: string;
}

/**
 * Reads the server's log settings and current log files (PG_LOG_PATHS=auto). PGlite has no server log:
 * null. The paths are the server's; they name files here only when the server runs on this host.
 */
export async function readServerLogFiles(database: Database): Promise<PgServerLogFiles | null> {
  if (database.kind !== 'pg') return null;
  const [s] = await database.query<{ collector: string; destinations: string; tz: string }>(
    sql`SELECT current_setting('logging_collector') AS collector, current_setting('log_destination') AS destinations,
      current_setting('log_timezone') AS tz`,
  );
  const out: PgServerLogFiles = {
    loggingCollector: s?.collector === 'on',
    destinations: (s?.destinations ?? '')
      .split(',')
      .map((d) => d.trim().toLowerCase())
      .filter(Boolean),
    dataDirectory: null,
    jsonlog: null,
    csvlog: null,
    denied: null,
    logTimezone: s?.tz ?? 'UTC',
  };
  try {
    // data_directory needs pg_read_all_settings, pg_current_logfile pg_monitor (or superuser).
    const [f] = await database.query<{ data_dir: string; jsonlog: string | null; csvlog: string | null }>(
      sql`SELECT current_setting('data_directory') AS data_dir,
        pg_current_logfile('jsonlog') AS jsonlog, pg_current_logfile('csvlog') AS csvlog`,
    );
    out.dataDirectory = f?.data_dir ?? null;
    out.jsonlog = f?.jsonlog ?? null;
    out.csvlog = f?.csvlog ?? null;
  } catch (err) {
    out.denied = err instanceof Error ? err.message : String(err);
  }
  return out;
}
