// A protobuf writer for the few messages the servers answer with (OTLP export responses) and for tests
// and benchmarks that build payloads. Length prefixes are back-patched so nesting costs no copies.

export class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  pos = 0;
  private stack: number[] = [];

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  uint32(v: number): this {
    this.ensure(5);
    v >>>= 0;
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
    return this;
  }

  varint64(v: bigint): this {
    this.ensure(10);
    let u = BigInt.asUintN(64, v);
    while (u > 0x7fn) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
    return this;
  }

  tag(field: number, wireType: number): this {
    return this.uint32((field << 3) | wireType);
  }

  double(v: number): this {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
    return this;
  }

  fixed64(v: bigint): this {
    this.ensure(8);
    this.view.setBigUint64(this.pos, BigInt.asUintN(64, v), true);
    this.pos += 8;
    return this;
  }

  fixed32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
    return this;
  }

  bytes(v: Uint8Array): this {
    this.uint32(v.length);
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
    return this;
  }

  string(s: string): this {
    return this.bytes(new TextEncoder().encode(s));
  }

  /** Starts a length-delimited field whose length is patched by `fork`'s matching `join`. */
  fork(field: number): this {
    this.tag(field, 2);
    this.ensure(5);
    this.stack.push(this.pos);
    this.pos += 5; // room for the longest 32-bit varint, trimmed in join
    return this;
  }

  join(): this {
    const lenAt = this.stack.pop();
    if (lenAt === undefined) throw new Error('join without fork');
    const bodyStart = lenAt + 5;
    const len = this.pos - bodyStart;
    const tmp: number[] = [];
    let v = len;
    while (v > 0x7f) {
      tmp.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    tmp.push(v);
    this.buf.copyWithin(lenAt + tmp.length, bodyStart, this.pos);
    for (let i = 0; i < tmp.length; i++) this.buf[lenAt + i] = tmp[i]!;
    this.pos = lenAt + tmp.length + len;
    return this;
  }

  finish(): Uint8Array {
    if (this.stack.length) throw new Error('unjoined fork');
    return this.buf.slice(0, this.pos);
  }
}
