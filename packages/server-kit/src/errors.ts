// One error type for HTTP answers, and one mapping from every error to an answer. Expected errors
// (bad input, back-pressure) say what was wrong; bugs answer 500 without internals.
import { DatabaseUnavailableError, QueueFullError, StoreClosedError } from '@pivot/store';

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

/** Seconds a client should wait before retrying, per cause. */
export const RETRY_AFTER_QUEUE_FULL = '1';
export const RETRY_AFTER_UNAVAILABLE = '5';

/** Maps store and HTTP errors to an HttpError; anything else is a bug and yields undefined. */
export function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof QueueFullError) return new HttpError(429, err.message, { 'Retry-After': RETRY_AFTER_QUEUE_FULL });
  if (err instanceof DatabaseUnavailableError || err instanceof StoreClosedError)
    return new HttpError(503, err.message, { 'Retry-After': RETRY_AFTER_UNAVAILABLE });
  return undefined;
}
