import { ProtobufError } from '@pivot/protobuf';

/**
 * The request as a whole could not be decoded (garbage, truncation, wrong wire type, invalid JSON, wrong shape).
 * Servers answer it with 400; items that are merely invalid are counted as rejected instead.
 */
export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
  constructor(
    message: string,
    /** Byte offset for protobuf input; character position for JSON syntax errors; null when not known. */
    readonly offset: number | null = null,
  ) {
    super(message);
  }
}

/**
 * Turns a wire-level failure into the one error type callers handle. Anything else is a bug in this
 * package and is rethrown untouched so that it is not mistaken for a client error.
 */
export function toDecodeError(e: unknown, message: string): unknown {
  if (e instanceof OtlpDecodeError) return e;
  if (e instanceof ProtobufError) return new OtlpDecodeError(`${message}: ${e.message}`, e.offset);
  return e;
}
