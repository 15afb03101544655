// One interface over two drivers: node-postgres for a server, PGlite (embedded, WASM) when no
// DATABASE_URL is given, so a newcomer needs nothing but Node.
import { mkdirSync } from 'node:fs';
import { sql, type SQL } from 'drizzle-orm';
import { drizzle as drizzlePg, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite, type PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { migrationsFolder, schema } from '@pivot/db';
import { CITUS_SESSION_SQL, distributeOnCitus, prepareSqlConsoleOnCitus } from './citus.ts';
import { isTransientDbError, toConnectionError, toQueryError, toTransactionError } from './errors.ts';

export type Drizzle = NodePgDatabase<typeof schema> | PgliteDatabase<typeof schema>;
export type Row = Record<string, unknown>;

export interface DatabaseOptions {
  /** postgres:// URL; when absent, PGlite runs embedded under dataDir. */
  url?: string | undefined;
  /** Where PGlite keeps its files; `memory://` for a throwaway database. */
  dataDir?: string | undefined;
  poolSize?: number;
  /** Bound on one statement, so a stuck database gives an error rather than a hung request. */
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export interface Database {
  readonly kind: 'pg' | 'pglite';
  readonly db: Drizzle;
  /**
   * Runs a query built with drizzle's `sql` template (parameters are always bound, never spliced).
   * Aborting `signal` cancels the statement on PostgreSQL (pg_cancel_backend) and rejects with the
   * signal's reason; PGlite cannot interrupt a running statement, so there it only refuses to start one.
   */
  query<T extends Row = Row>(q: SQL, opts?: QueryOptions): Promise<T[]>;
  /**
   * Runs fn in one transaction; `query` inside uses the transaction's connection, and so does `copy`
   * (COPY FROM STDIN), which is null on PGlite.
   */
  transaction<T>(
    fn: (query: <R extends Row = Row>(q: SQL) => Promise<R[]>, copy: CopyIn | null) => Promise<T>,
  ): Promise<T>;
  /**
   * Takes the session-level advisory lock `key` without waiting, on a connection of its own that holds
   * it until released; null when another session holds it. Maintenance jobs use it so that, however
   * many processes run them, each job runs in one at a time. PGlite (one process) takes the same lock
   * on its one connection, and refuses a key this process already holds.
   */
  tryAdvisoryLock(key: bigint): Promise<AdvisoryLock | null>;
  ping(): Promise<void>;
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `COPY table (columns) FROM STDIN` of rows in COPY's text format (tab-separated, `\N` for NULL, one row
 * a line), as a string or its UTF-8 bytes, on the transaction's connection; resolves with the rows
 * copied. Table and column names are the store's own constants (checked as plain identifiers), never input.
 */
export type CopyIn = (table: string, columns: readonly string[], rows: string | Uint8Array) => Promise<number>;

const COPY_IDENT = /^[a-z_][a-z0-9_]*$/;

async function copyIn(
  client: pg.PoolClient,
  table: string,
  columns: readonly string[],
  rows: string | Uint8Array,
): Promise<number> {
  if (![table, ...columns].every((n) => COPY_IDENT.test(n))) throw new Error(`bad COPY target ${table}`);
  const stream = client.query(copyFrom(`COPY "${table}" ("${columns.join('", "')}") FROM STDIN`));
  try {
    await pipeline(Readable.from([rows]), stream);
  } catch (err) {
    throw toQueryError(err);
  }
  return stream.rowCount;
}

export interface QueryOptions {
  signal?: AbortSignal | undefined;
}

export interface AdvisoryLock {
  release(): Promise<void>;
  /**
   * Whether the lock is still this session's: false once its connection has died (the server then
   * released it, and another process may hold it). Long holders (rule groups) ask before each step.
   */
  held(): Promise<boolean>;
}

const tryLockSql = (key: bigint) => sql`SELECT pg_try_advisory_lock(${key.toString()}::bigint) AS ok`;
const unlockSql = (key: bigint) => sql`SELECT pg_advisory_unlock(${key.toString()}::bigint)`;

type Executor = { execute(q: SQL): Promise<unknown> };
async function run<T extends Row>(ex: Executor, q: SQL): Promise<T[]> {
  try {
    const res = (await ex.execute(q)) as { rows: T[] };
    return res.rows;
  } catch (err) {
    // Every failure names its statement (SQL text and parameter shapes), the driver error as its cause.
    throw toQueryError(err, q);
  }
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  return opts.url ? openPg(opts.url, opts) : openPglite(opts.dataDir ?? './data');
}

export interface StoreOptions extends DatabaseOptions {
  /** Apply the committed migrations after opening (default true; the compose file runs them once, apart). */
  migrate?: boolean;
}

/** The part of a pino logger the store writes to. */
export interface StoreLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** What every entry point does at start-up: open the database, say which, and migrate unless told not to. */
export async function openStore(opts: StoreOptions, logger?: StoreLogger): Promise<Database> {
  const database = await openDatabase(opts);
  logger?.info(
    { driver: database.kind, dataDir: database.kind === 'pglite' ? opts.dataDir : undefined },
    'database opened',
  );
  if (opts.migrate ?? true) {
    await database.migrate();
    logger?.info({}, 'migrations applied');
  }
  return database;
}

/**
 * The onConnect of one pool: the first connection applies CITUS_SESSION_SQL and learns from its row
 * count whether the server is a Citus coordinator; later connections on plain PostgreSQL then skip the
 * catalog query. (Citus is created before a process starts; a server that gains it needs a restart.)
 */
function citusSession(): (client: pg.ClientBase) => Promise<void> {
  let citus: boolean | undefined;
  return async (client) => {
    if (citus === false) return;
    const r = await client.query(CITUS_SESSION_SQL);
    citus = (r.rowCount ?? 0) > 0;
  };
}

function openPg(url: string, opts: DatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 8,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 3000,
    statement_timeout: opts.statementTimeoutMs ?? 30_000,
    // query_timeout also covers a server that stopped answering on an open socket.
    query_timeout: (opts.statementTimeoutMs ?? 30_000) + 5000,
    idleTimeoutMillis: 10_000,
    // Awaited before a new connection's first caller gets it; sets nothing unless Citus (citus.ts).
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- pg-pool awaits it; its types lag.
    onConnect: citusSession(),
  });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', () => {});
  const db = drizzlePg(pool, { schema });

  /** A statement on a connection of its own, so that exactly it can be cancelled. */
  async function cancellable<T extends Row>(q: SQL, signal: AbortSignal): Promise<T[]> {
    signal.throwIfAborted();
    const client = await pool.connect().catch((e: unknown) => {
      throw toConnectionError(e);
    });
    const ignore = () => {};
    client.on('error', ignore);
    const pid = (client as unknown as { processID: number }).processID;
    let cancelled = false;
    const onAbort = () => {
      cancelled = true;
      // From another pooled connection; failure to cancel only lets the statement run to its timeout.
      // ::int: Citus adds pg_cancel_backend(bigint) (global process IDs), and an untyped parameter would
      // then match neither overload.
      void run(db, sql`SELECT pg_cancel_backend(${pid}::int)`).catch(() => {});
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await run<T>(drizzlePg(client, { schema }), q);
    } catch (err) {
      if (cancelled) throw signal.reason as Error;
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      client.off('error', ignore);
      // A connection a cancel was sent to is not reused: the cancel may land after this statement ended,
      // on whatever the next caller runs.
      client.release(cancelled);
    }
  }

  return {
    kind: 'pg',
    db,
    query: (q, opts) => (opts?.signal ? cancellable(q, opts.signal) : run(db, q)),
    async transaction(fn) {
      // Not drizzle's transaction on the pool: it sends BEGIN outside its try, so a pooled connection that
      // died while idle is never released (the pool shrinks for good and pool.end() hangs), and a
      // checked-out client has no 'error' listener, so its socket dropping is an uncaught exception.
      const client = await pool.connect().catch((e: unknown) => {
        throw toConnectionError(e);
      });
      const ignore = () => {};
      client.on('error', ignore);
      let failure: unknown;
      try {
        // No schema: the body only runs SQL, and a schema makes drizzle rebuild its relational config
        // on every transaction (a measured share of ingest's CPU per batch).
        return await drizzlePg(client).transaction((tx) =>
          fn(
            (q) => run(tx, q),
            (table, columns, rows) => copyIn(client, table, columns, rows),
          ),
        );
      } catch (err) {
        failure = err;
        throw toTransactionError(err);
      } finally {
        client.off('error', ignore);
        // A connection that failed is destroyed rather than handed to the next caller.
        client.release(failure !== undefined && isTransientDbError(failure));
      }
    },
    async tryAdvisoryLock(key) {
      // Not a pooled connection: the job itself needs the pool (a pool of one would deadlock), and a
      // session lock must stay with the one connection that took it.
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: opts.connectTimeoutMs ?? 3000 });
      client.on('error', () => {});
      try {
        await client.connect();
      } catch (err) {
        await client.end().catch(() => {});
        throw toConnectionError(err);
      }
      const session = drizzlePg(client);
      let ok = false;
      try {
        ok = (await run<{ ok: boolean }>(session, tryLockSql(key)))[0]?.ok === true;
      } finally {
        if (!ok) await client.end().catch(() => {});
      }
      if (!ok) return null;
      let lost = false;
      client.on('error', () => (lost = true));
      client.on('end', () => (lost = true));
      return {
        async held() {
          if (lost) return false;
          try {
            await run(session, sql`SELECT 1`);
            return true;
          } catch {
            lost = true;
            await client.end().catch(() => {});
            return false;
          }
        },
        async release() {
          // Ending the session releases the lock too, should the unlock itself fail.
          await run(session, unlockSql(key)).catch(() => {});
          await client.end().catch(() => {});
        },
      };
    },
    async ping() {
      await run(db, sql`select 1`);
    },
    async migrate() {
      // Several processes (migrate job, ingest, api) may start together: serialise on an advisory lock.
      const client = await pool.connect().catch((e: unknown) => {
        throw toConnectionError(e);
      });
      try {
        await client.query('select pg_advisory_lock(7493001)');
        await migratePg(drizzlePg(client, { schema }), { migrationsFolder });
        // On a Citus coordinator the tables are then distributed (citus.ts); elsewhere this reads one row.
        await distributeOnCitus((text) => client.query(text));
        await prepareSqlConsoleOnCitus((text) => client.query(text));
      } finally {
        await client.query('select pg_advisory_unlock(7493001)').catch(() => {});
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}

async function openPglite(dataDir: string): Promise<Database> {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir, { extensions: { pg_trgm } });
  const db = drizzlePglite(client, { schema });
  // PGlite has one connection: transactions serialise through it, which the group-commit writers expect.
  // Its session would take an advisory lock it already holds again, so this process remembers its own.
  const held = new Set<bigint>();
  return {
    kind: 'pglite',
    db,
    query: (q, opts) => {
      if (opts?.signal?.aborted) return Promise.reject(opts.signal.reason as Error);
      return run(db, q);
    },
    async transaction(fn) {
      try {
        // PGlite has no COPY FROM STDIN: writers take their parameter path.
        return await db.transaction((tx) => fn((q) => run(tx, q), null));
      } catch (err) {
        throw toTransactionError(err);
      }
    },
    async tryAdvisoryLock(key) {
      // Marked before the statement: a second caller in this process must not get in while it runs.
      if (held.has(key)) return null;
      held.add(key);
      let ok = false;
      try {
        ok = (await run<{ ok: boolean }>(db, tryLockSql(key)))[0]?.ok === true;
      } finally {
        if (!ok) held.delete(key);
      }
      if (!ok) return null;
      return {
        // One embedded connection in this process: the lock lasts as long as it does.
        held: () => Promise.resolve(held.has(key)),
        async release() {
          try {
            await run(db, unlockSql(key));
          } finally {
            held.delete(key);
          }
        },
      };
    },
    async ping() {
      await run(db, sql`select 1`);
    },
    async migrate() {
      await migratePglite(db, { migrationsFolder });
    },
    async close() {
      await client.close();
    },
  };
}
