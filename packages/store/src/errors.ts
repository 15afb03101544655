// Typed store errors, and the classification of database failures. The errors a caller may answer with
// (back-pressure, an unreachable database, shutdown) carry `status`, `retryAfterSeconds` and `expose`,
// which is all an HTTP layer needs: it maps them without importing the store or knowing the driver.
import { DrizzleQueryError, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';

/** What the store's answerable errors carry; server-kit maps any error of this shape. */
export interface ClassifiedError extends Error {
  /** The HTTP status that describes the failure (429 back-pressure, 503 unavailable). */
  readonly status: number;
  /** How long a client should wait before retrying. */
  readonly retryAfterSeconds?: number;
  /** The message says nothing internal and may be shown to a client. */
  readonly expose: boolean;
}

/** The database could not be reached or stopped answering; the caller should retry later. */
export class DatabaseUnavailableError extends Error implements ClassifiedError {
  override readonly name = 'DatabaseUnavailableError';
  readonly status = 503;
  readonly retryAfterSeconds = 5;
  readonly expose = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The write queue is full: back-pressure, the caller should retry later (HTTP 429). */
export class QueueFullError extends Error implements ClassifiedError {
  override readonly name = 'QueueFullError';
  readonly status = 429;
  readonly retryAfterSeconds = 1;
  readonly expose = true;
  constructor(
    readonly queued: number,
    readonly limit: number,
  ) {
    super(`ingest queue is full (${queued} of ${limit} items queued); retry later`);
  }
}

/** The store is shutting down and takes no new work. */
export class StoreClosedError extends Error implements ClassifiedError {
  override readonly name = 'StoreClosedError';
  readonly status = 503;
  readonly retryAfterSeconds = 5;
  readonly expose = true;
  constructor() {
    super('the store is shutting down');
  }
}

/**
 * The database refused a value the caller gave (SQLSTATE 2201B: a regular expression it cannot compile,
 * such as "regular expression is too complex"): the request is at fault, not the server (HTTP 400).
 */
export class InvalidInputError extends Error implements ClassifiedError {
  override readonly name = 'InvalidInputError';
  readonly status = 400;
  readonly expose = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A statement failed. Carries the SQL text and the shapes of its parameters (types and array lengths,
 * never values, which may be user data), with the driver's error as `cause` and its SQLSTATE as `code`.
 */
export class QueryError extends Error {
  override readonly name = 'QueryError';
  /** SQLSTATE of the driver error, when it has one. */
  readonly code: string | undefined;
  constructor(
    message: string,
    readonly query: string,
    readonly params: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    const code = (options?.cause as { code?: unknown } | undefined)?.code;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

/** A parameter's shape: its type, and an array's element type and length; never its value. */
export function paramShape(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (v instanceof Uint8Array) return `bytes(${v.length})`;
  if (Array.isArray(v)) {
    const first: unknown = v.find((x) => x !== null && x !== undefined);
    return `${first === undefined ? 'null' : paramShape(first)}[${v.length}]`;
  }
  if (v instanceof Date) return 'date';
  return typeof v;
}

const dialect = new PgDialect();

/** Turns what a query threw into a QueryError, or a DatabaseUnavailableError when it may pass by itself. */
export function toQueryError(err: unknown, q?: SQL): Error {
  if (err instanceof DatabaseUnavailableError || err instanceof QueryError) return err;
  let text = '';
  let params: unknown[] = [];
  let driverError = err;
  if (err instanceof DrizzleQueryError) {
    // drizzle's own wrapper puts parameter values in its message: keep only the SQL and the cause.
    text = err.query;
    params = err.params as unknown[];
    driverError = err.cause ?? err;
  } else if (q) {
    const rendered = dialect.sqlToQuery(q);
    text = rendered.sql;
    params = rendered.params;
  }
  const driverMessage = driverError instanceof Error ? driverError.message : String(driverError);
  const queryError = new QueryError(driverMessage, text, params.map(paramShape), { cause: driverError });
  if (isTransientDbError(driverError))
    return new DatabaseUnavailableError(`database unavailable: ${driverMessage}`, { cause: queryError });
  if (queryError.code === '2201B')
    return new InvalidInputError(`the database refused a pattern: ${driverMessage}`, { cause: queryError });
  return queryError;
}

/**
 * What a transaction threw: drizzle's own statements (BEGIN, COMMIT) become QueryErrors; what the
 * transaction's body threw is already classified, or is not a database error at all, and stays as is.
 */
export function toTransactionError(err: unknown): unknown {
  return err instanceof DrizzleQueryError ? toQueryError(err) : toConnectionError(err);
}

/** A failure outside any query (connecting, releasing): unavailable when transient, as is otherwise. */
export function toConnectionError(err: unknown): unknown {
  if (err instanceof DatabaseUnavailableError || !isTransientDbError(err)) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new DatabaseUnavailableError(`database unavailable: ${msg}`, { cause: err });
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);

/** True for failures that may pass by themselves: connection loss, shutdown, timeouts, overload. */
export function isTransientDbError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e instanceof DatabaseUnavailableError) return true;
  const code = typeof e.code === 'string' ? e.code : '';
  if (CONNECTION_CODES.has(code)) return true;
  // SQLSTATE classes: 08 connection exception, 57 operator intervention (shutdown, statement timeout),
  // 53 insufficient resources.
  if (/^(08|57|53)/.test(code)) return true;
  const msg = typeof e.message === 'string' ? e.message : '';
  if (
    /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|Client has encountered a connection error|Connection ended|the database system is (starting up|shutting down)/i.test(
      msg,
    )
  )
    return true;
  // A Citus coordinator that loses a worker (restarting, shutting down, unreachable) mid-statement
  // reports it as XX000 "failure on connection marked as essential" or "connection to the remote node …
  // failed with the following error: …": the worker comes back, so the client should retry (503), not drop.
  if (/failure on connection marked as essential|connection to the remote node \S+ failed/i.test(msg)) return true;
  return e.cause !== undefined && e.cause !== err ? isTransientDbError(e.cause) : false;
}

/** Deadlocks and serialization failures: the same transaction can simply run again. */
export function isRetryableTxError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === '40P01' || code === '40001') return true;
  const cause = (err as { cause?: unknown } | null)?.cause;
  return cause !== undefined && cause !== err ? isRetryableTxError(cause) : false;
}

/** SQLSTATE 23505 anywhere in the cause chain: a row with the same key is stored already. */
export function isUniqueViolation(err: unknown): boolean {
  for (
    let e = err as { code?: unknown; cause?: unknown; routine?: unknown; message?: unknown } | null | undefined;
    e;
  ) {
    if (e.code === '23505') return true;
    // A Citus coordinator reports a shard's unique violation during COPY as XX000 from its COPY code
    // (multi_copy.c's ReportCopyError), with the worker's message kept.
    if (
      e.code === 'XX000' &&
      e.routine === 'ReportCopyError' &&
      typeof e.message === 'string' &&
      e.message.startsWith('duplicate key value violates unique constraint')
    )
      return true;
    e = e.cause === e ? undefined : (e.cause as typeof e);
  }
  return false;
}
