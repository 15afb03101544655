// One error type for HTTP answers, and one mapping from every error to an answer. Expected errors
// (bad input, back-pressure) say what was wrong; bugs answer 500 without internals.

export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const badRequest = (msg: string, cause?: unknown) => new HttpError(400, msg, {}, { cause });
export const notFound = (msg: string) => new HttpError(404, msg);
export const payloadTooLarge = (msg: string) => new HttpError(413, msg);
export const unsupportedMediaType = (msg: string) => new HttpError(415, msg);

/**
 * An error raised below the HTTP layer (the store's back-pressure, unavailable and shutting-down errors)
 * that says how to answer it. Matched by shape, so this kit imports nothing from the layers below.
 */
export interface ClassifiedError {
  readonly message: string;
  /** The HTTP status to answer with, 400-599. */
  readonly status: number;
  /** Sent as Retry-After. */
  readonly retryAfterSeconds?: number | undefined;
  /** The message may be shown to the client; otherwise the answer only names the status. */
  readonly expose: boolean;
}

export function isClassifiedError(err: unknown): err is ClassifiedError {
  if (!(err instanceof Error)) return false;
  const e = err as Error & Partial<Record<keyof ClassifiedError, unknown>>;
  return (
    typeof e.status === 'number' &&
    Number.isInteger(e.status) &&
    e.status >= 400 &&
    e.status <= 599 &&
    typeof e.expose === 'boolean' &&
    (e.retryAfterSeconds === undefined || typeof e.retryAfterSeconds === 'number')
  );
}

/** Maps HTTP errors and classified errors to an HttpError; anything else is a bug and yields undefined. */
export function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (!isClassifiedError(err)) return undefined;
  const headers: Record<string, string> =
    err.retryAfterSeconds !== undefined && err.retryAfterSeconds > 0
      ? { 'Retry-After': String(Math.ceil(err.retryAfterSeconds)) }
      : {};
  const message = err.expose ? err.message : err.status >= 500 ? 'service unavailable' : 'request refused';
  return new HttpError(err.status, message, headers, { cause: err });
}
