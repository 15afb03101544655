// The SQL escape hatch for admins: one statement of theirs over the `pivot.*` views (migration
// 0004_sql_views), in a read-only transaction, bounded in rows and time. What keeps it safe is the
// database, not parsing the text: the statement runs inside pivot.sql_console, a SECURITY DEFINER
// function owned by pivot_reader, where the role can read the views and nothing else and cannot be
// changed back; the text travels as a bound parameter, never spliced into our own SQL. The function
// (migration 0016) plans the text as a subquery first, then runs it at the top level. On a Citus
// coordinator the workers are asked for the shards as pivot_reader, which may read them there and
// nothing more (prepareSqlConsoleOnCitus in citus.ts).
import { sql } from 'drizzle-orm';
import type { Database } from './database.ts';
import { QueryError } from './errors.ts';

/** The caller's SQL failed (syntax, permissions, timeout): a 400 whose message is the database's. */
export class SqlConsoleError extends Error {
  override readonly name = 'SqlConsoleError';
  readonly status = 400;
  readonly expose = true;
}

export interface SqlConsoleResult {
  columns: string[];
  /** Cells as JSON values: numbers, strings (bigint, numeric, timestamps as ISO 8601, bytea as \x hex), objects. */
  rows: unknown[][];
  /** More rows existed than the limit. */
  truncated: boolean;
  rowLimit: number;
  elapsedMs: number;
}

export interface SqlConsoleOptions {
  rowLimit: number;
  /** statement_timeout on PostgreSQL; PGlite cannot interrupt a statement, so there it is not enforced. */
  timeoutMs: number;
}

export const SQL_READER_ROLE = 'pivot_reader';

/** A cell from its JSON type and text: integers beyond 2^53 stay strings so no digit is lost. */
function cell(type: string | undefined, text: string | null | undefined): unknown {
  if (text === null || text === undefined) return null;
  switch (type) {
    case 'number': {
      const n = Number(text);
      return Number.isSafeInteger(n) || !/^-?\d+$/.test(text) ? n : text;
    }
    case 'boolean':
      return text === 'true';
    case 'object':
    case 'array':
      return JSON.parse(text) as unknown;
    default:
      return text;
  }
}

/** The database's own words for what went wrong, whichever wrapper carries them. */
function databaseMessage(err: unknown): { code: string | undefined; message: string } | null {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof QueryError) {
      const cause = e.cause instanceof Error ? e.cause.message : e.message;
      return { code: e.code, message: cause };
    }
  }
  return null;
}

export class SqlConsole {
  constructor(
    private readonly database: Database,
    private readonly opts: SqlConsoleOptions,
  ) {}

  async run(text: string): Promise<SqlConsoleResult> {
    // A trailing semicolon is what people type; the statement becomes a subquery, which takes none.
    const statement = text.trim().replace(/;\s*$/, '');
    if (statement === '') throw new SqlConsoleError('no SQL statement given');
    const limit = this.opts.rowLimit;
    const started = performance.now();
    try {
      const rows = await this.database.transaction(async (query) => {
        await query(sql`SET TRANSACTION READ ONLY`);
        await query(sql`SELECT set_config('statement_timeout', ${String(this.opts.timeoutMs)}, true)`);
        return query<{ keys: string[]; types: string[]; vals: (string | null)[] }>(
          sql`SELECT keys, types, vals FROM pivot.sql_console(${statement}, ${limit + 1})`,
        );
      });
      // Column names come with the rows: a result without rows has none.
      const columns = rows[0]?.keys ?? [];
      return {
        columns,
        rows: rows.slice(0, limit).map((r) => columns.map((_, i) => cell(r.types[i], r.vals[i]))),
        truncated: rows.length > limit,
        rowLimit: limit,
        elapsedMs: Math.round(performance.now() - started),
      };
    } catch (err) {
      const db = databaseMessage(err);
      if (!db) throw err;
      if (db.code === '57014') throw new SqlConsoleError(`statement timeout (${this.opts.timeoutMs} ms)`);
      // Connection failures stay what they are (503); anything else was the statement's doing.
      if (db.code?.startsWith('08')) throw err;
      throw new SqlConsoleError(db.message);
    }
  }
}

/** RFC 4180 CSV of a result: objects and arrays as JSON text. */
export function toCsv(result: Pick<SqlConsoleResult, 'columns' | 'rows'>): string {
  const field = (v: unknown): string => {
    const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [result.columns, ...result.rows].map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}
