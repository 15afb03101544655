// Snappy block-format decompression (not the framed format), shared by remote-write and Loki
// protobuf pushes. Hand-written instead of using snappyjs because snappyjs trusts its input: a 6-byte
// body with a negative literal length loops forever, and a stream shorter than its header declares
// comes back zero-padded. Every step here is bounds-checked, and the declared size is checked against
// the limit before anything is allocated.

export class SnappyError extends Error {
  override readonly name = 'SnappyError';
  constructor(
    message: string,
    /** Offset in the compressed input where the fault was found. */
    readonly offset: number,
    /** Set when the stream is well-formed so far but declares more than the caller allows. */
    readonly declaredBytes: number | null = null,
  ) {
    super(message);
  }
}

// The densest tag (a 2-byte-offset copy) turns 3 input bytes into 64 output bytes; a header that
// declares more than this ratio allows cannot be honest.
const MAX_EXPANSION = 22;

export interface SnappyHeader {
  uncompressedBytes: number;
  headerBytes: number;
}

/** Reads the uncompressed-length varint that starts every snappy block. */
export function readSnappyHeader(input: Uint8Array): SnappyHeader {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= input.length) throw new SnappyError('truncated length header', i);
    const b = input[i]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) {
      if (value > 0xffffffff) throw new SnappyError('length header exceeds 32 bits', 0);
      return { uncompressedBytes: value, headerBytes: i + 1 };
    }
  }
  throw new SnappyError('length header longer than 5 bytes', 0);
}

export function snappyDecompress(input: Uint8Array, maxBytes: number): Uint8Array {
  const { uncompressedBytes: length, headerBytes } = readSnappyHeader(input);
  if (length > maxBytes)
    throw new SnappyError(`declares ${length} uncompressed bytes, over the limit of ${maxBytes}`, 0, length);
  const end = input.length;
  if (length > (end - headerBytes) * MAX_EXPANSION)
    throw new SnappyError(`declares ${length} uncompressed bytes, more than ${end} compressed bytes can hold`, 0);

  const out = new Uint8Array(length);
  let ip = headerBytes;
  let op = 0;
  while (ip < end) {
    const at = ip;
    const tag = input[ip++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const extra = n - 59;
        if (extra > end - ip) throw new SnappyError('truncated literal length', at);
        n = 0;
        for (let i = 0; i < extra; i++) n += input[ip + i]! * 2 ** (8 * i);
        ip += extra;
      }
      n += 1;
      if (n > end - ip) throw new SnappyError(`literal of ${n} bytes runs past the end of the input`, at);
      if (n > length - op) throw new SnappyError(`literal of ${n} bytes runs past the declared length`, at);
      if (n <= 32) for (let i = 0; i < n; i++) out[op + i] = input[ip + i]!;
      else out.set(input.subarray(ip, ip + n), op);
      ip += n;
      op += n;
      continue;
    }
    let n: number;
    let offset: number;
    if (kind === 1) {
      if (ip >= end) throw new SnappyError('truncated copy', at);
      n = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | input[ip++]!;
    } else if (kind === 2) {
      if (ip + 2 > end) throw new SnappyError('truncated copy', at);
      n = (tag >>> 2) + 1;
      offset = input[ip]! | (input[ip + 1]! << 8);
      ip += 2;
    } else {
      if (ip + 4 > end) throw new SnappyError('truncated copy', at);
      n = (tag >>> 2) + 1;
      offset = (input[ip]! | (input[ip + 1]! << 8) | (input[ip + 2]! << 16)) + input[ip + 3]! * 2 ** 24;
      ip += 4;
    }
    if (offset === 0 || offset > op)
      throw new SnappyError(`copy offset ${offset} is outside the ${op} bytes produced`, at);
    if (n > length - op) throw new SnappyError(`copy of ${n} bytes runs past the declared length`, at);
    const from = op - offset;
    // Byte by byte when short (a native call costs more) or overlapping (an offset shorter than the
    // length repeats a pattern, which copyWithin would not reproduce).
    if (n <= 32 || offset < n) for (let i = 0; i < n; i++) out[op + i] = out[from + i]!;
    else out.copyWithin(op, from, from + n);
    op += n;
  }
  if (op !== length) throw new SnappyError(`produced ${op} bytes but the header declares ${length}`, end);
  return out;
}
