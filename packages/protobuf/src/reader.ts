// A minimal protobuf wire-format reader. Hand-written because decoding is the ingest hot path and
// because every error must name the byte where it happened (protobufjs reports neither cheaply).
// It never allocates for sub-messages: a nested message is a window [pos, end) over the same buffer.

export class ProtobufError extends Error {
  override readonly name = 'ProtobufError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
  }
}

export const WireType = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

const textDecoder = new TextDecoder('utf-8', { fatal: false });

export class Reader {
  pos: number;
  end: number;
  readonly buf: Uint8Array;
  private view: DataView | undefined;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  eof(): boolean {
    return this.pos >= this.end;
  }

  /** Reads a field key; returns field number * 8 + wire type, like the wire does. */
  tag(): number {
    const at = this.pos;
    const key = this.uint32();
    const field = key >>> 3;
    const wt = key & 7;
    if (field === 0) throw new ProtobufError('invalid field number 0', at);
    if (wt > 5) throw new ProtobufError(`invalid wire type ${wt}`, at);
    return key;
  }

  /** A varint that must fit in 32 bits (lengths, enums, field keys). */
  uint32(): number {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= this.end) throw new ProtobufError('truncated varint', this.pos);
      const b = buf[pos++]!;
      result |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return result >>> 0;
      }
    }
    // Longer varints (negative int32 are sign-extended to 10 bytes): keep the low 32 bits.
    for (let i = 0; i < 5; i++) {
      if (pos >= this.end) throw new ProtobufError('truncated varint', this.pos);
      if (buf[pos++]! < 0x80) {
        this.pos = pos;
        return result >>> 0;
      }
    }
    throw new ProtobufError('varint longer than 10 bytes', this.pos);
  }

  int32(): number {
    return this.uint32() | 0;
  }

  /** A 64-bit varint as bigint (int64 and uint64 fields). */
  varint64(signed = true): bigint {
    const buf = this.buf;
    const start = this.pos;
    let pos = start;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= this.end) throw new ProtobufError('truncated varint', start);
      const b = buf[pos++]!;
      if (i < 4) lo |= (b & 0x7f) << (i * 7);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (i * 7 - 32);
      if (b < 0x80) {
        this.pos = pos;
        const v = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
        return signed ? BigInt.asIntN(64, v) : v;
      }
    }
    throw new ProtobufError('varint longer than 10 bytes', start);
  }

  /** A varint read as a JS number, exact up to 2^53 (counts, int64 values that are small in practice). */
  varintNumber(): number {
    return Number(this.varint64());
  }

  sint64(): bigint {
    const v = this.varint64(false);
    return (v >> 1n) ^ -(v & 1n);
  }

  bool(): boolean {
    return this.uint32() !== 0;
  }

  private need(n: number): number {
    const at = this.pos;
    if (this.end - at < n) throw new ProtobufError(`truncated ${n}-byte field`, at);
    this.pos = at + n;
    return at;
  }

  private dv(): DataView {
    return (this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength));
  }

  fixed32(): number {
    return this.dv().getUint32(this.need(4), true);
  }
  sfixed32(): number {
    return this.dv().getInt32(this.need(4), true);
  }
  float(): number {
    return this.dv().getFloat32(this.need(4), true);
  }
  fixed64(): bigint {
    return this.dv().getBigUint64(this.need(8), true);
  }
  sfixed64(): bigint {
    return this.dv().getBigInt64(this.need(8), true);
  }
  double(): number {
    return this.dv().getFloat64(this.need(8), true);
  }

  /** Length of a length-delimited field, checked against the enclosing message. */
  len(): number {
    const at = this.pos;
    const n = this.uint32();
    if (n > this.end - this.pos) throw new ProtobufError(`truncated length-delimited field (length ${n})`, at);
    return n;
  }

  /** Bytes as a view into the input; copy before keeping them past the request. */
  bytes(): Uint8Array {
    const n = this.len();
    const start = this.pos;
    this.pos += n;
    return this.buf.subarray(start, start + n);
  }

  string(): string {
    const n = this.len();
    const start = this.pos;
    this.pos += n;
    return textDecoder.decode(this.buf.subarray(start, start + n));
  }

  /** Enters a nested message: returns its end and moves the window; call `leave(end)` after. */
  enter(): number {
    const n = this.len();
    const outer = this.end;
    this.end = this.pos + n;
    return outer;
  }
  leave(outerEnd: number): void {
    this.pos = this.end;
    this.end = outerEnd;
  }

  /** A nested message as its own reader over the same buffer. */
  sub(): Reader {
    const n = this.len();
    const r = new Reader(this.buf, this.pos, this.pos + n);
    r.view = this.view;
    this.pos += n;
    return r;
  }

  skip(wireType: number, depth = 0): void {
    switch (wireType) {
      case WireType.VARINT:
        this.varint64();
        return;
      case WireType.I64:
        this.need(8);
        return;
      case WireType.LEN: {
        // len() moves pos past the length varint: add the length only after reading it.
        const n = this.len();
        this.pos += n;
        return;
      }
      case WireType.I32:
        this.need(4);
        return;
      case WireType.SGROUP: {
        // Groups are deprecated and never sent by OTLP or remote-write: skip to the matching end,
        // with a nesting bound so that crafted input cannot exhaust the stack.
        if (depth >= 32) throw new ProtobufError('groups nested too deeply', this.pos);
        for (;;) {
          if (this.eof()) throw new ProtobufError('unterminated group', this.pos);
          const key = this.tag();
          if ((key & 7) === WireType.EGROUP) return;
          this.skip(key & 7, depth + 1);
        }
      }
      default:
        throw new ProtobufError(`unexpected wire type ${wireType}`, this.pos);
    }
  }

  /** Checks the wire type of a known field, so that a wrong one is an error rather than garbage. */
  expect(key: number, wireType: number): void {
    if ((key & 7) !== wireType)
      throw new ProtobufError(`field ${key >>> 3} has wire type ${key & 7}, expected ${wireType}`, this.pos);
  }
}

/** Packed repeated doubles, or a single unpacked one, as the spec requires readers to accept both. */
export function readRepeatedDouble(r: Reader, key: number, out: number[]): void {
  if ((key & 7) === WireType.LEN) {
    const n = r.len();
    if (n % 8 !== 0) throw new ProtobufError('packed double length not a multiple of 8', r.pos);
    const end = r.pos + n;
    while (r.pos < end) out.push(r.double());
  } else {
    r.expect(key, WireType.I64);
    out.push(r.double());
  }
}

export function readRepeatedFixed64(r: Reader, key: number, out: bigint[]): void {
  if ((key & 7) === WireType.LEN) {
    const n = r.len();
    if (n % 8 !== 0) throw new ProtobufError('packed fixed64 length not a multiple of 8', r.pos);
    const end = r.pos + n;
    while (r.pos < end) out.push(r.fixed64());
  } else {
    r.expect(key, WireType.I64);
    out.push(r.fixed64());
  }
}
