// Failures that refuse a whole log request, each carrying the HTTP status the server should answer.
// Faults confined to one line or entry are not thrown: they are listed in the decode result.

export class LogDecodeError extends Error {
  override readonly name: string = 'LogDecodeError';
  readonly status: 400 | 413 = 400;
  constructor(
    message: string,
    /** Byte offset of the fault, when the format has one (snappy, protobuf). */
    readonly offset: number | null = null,
  ) {
    super(message);
  }
}

/** A snappy body declares more than the limit; raised from the header, before decompressing. */
export class LogPayloadTooLargeError extends LogDecodeError {
  override readonly name: string = 'LogPayloadTooLargeError';
  override readonly status = 413;
  constructor(
    readonly declaredBytes: number,
    readonly limitBytes: number,
  ) {
    super(`snappy body declares ${declaredBytes} uncompressed bytes, over the limit of ${limitBytes} bytes`, 0);
  }
}
