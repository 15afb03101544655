// Expected failures of a remote-write request, each carrying the HTTP status the server should answer,
// so that the server maps them without parsing messages. Anything else thrown by the decoder is a bug.

export class RemoteWriteDecodeError extends Error {
  override readonly name: string = 'RemoteWriteDecodeError';
  readonly status: 400 | 413 = 400;
  constructor(
    message: string,
    /** Byte offset of the fault: in the compressed body for snappy faults, in the decompressed one for protobuf faults. */
    readonly offset: number | null = null,
  ) {
    super(message);
  }
}

/** The snappy header declares more than the limit; raised before anything is decompressed. */
export class PayloadTooLargeError extends RemoteWriteDecodeError {
  override readonly name: string = 'PayloadTooLargeError';
  override readonly status = 413;
  constructor(
    readonly declaredBytes: number,
    readonly limitBytes: number,
  ) {
    super(`snappy body declares ${declaredBytes} uncompressed bytes, over the limit of ${limitBytes} bytes`, 0);
  }
}
