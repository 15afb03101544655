// Typed store errors. The HTTP layer maps them to retryable answers (503) without knowing the driver.

/** The database could not be reached or stopped answering; the caller should retry later. */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The write queue is full: back-pressure, the caller should retry later (HTTP 429). */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
  constructor(
    readonly queued: number,
    readonly limit: number,
  ) {
    super(`ingest queue is full (${queued} of ${limit} items queued); retry later`);
  }
}

/** The store is shutting down and takes no new work. */
export class StoreClosedError extends Error {
  override readonly name = 'StoreClosedError';
  constructor() {
    super('the store is shutting down');
  }
}

/** A query failed; carries the SQL so that logs show what ran. */
export class QueryError extends Error {
  override readonly name = 'QueryError';
  constructor(
    message: string,
    readonly query: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);

/** True for failures that may pass by themselves: connection loss, shutdown, timeouts, overload. */
export function isTransientDbError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
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
  return e.cause !== undefined && e.cause !== err ? isTransientDbError(e.cause) : false;
}

/** Deadlocks and serialization failures: the same transaction can simply run again. */
export function isRetryableTxError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === '40P01' || code === '40001') return true;
  const cause = (err as { cause?: unknown } | null)?.cause;
  return cause !== undefined && cause !== err ? isRetryableTxError(cause) : false;
}
