// Compressed sample chunks: timestamps as delta-of-delta varints (regular scrapes cost one byte).
// Values take one of two encodings, chosen per chunk:
// - integers (counters, histogram buckets: most samples in practice) as delta-of-delta varints, so a
//   steady rate costs one byte;
// - anything else XORed with its predecessor, keeping only the non-zero middle bytes (Gorilla's idea
//   at byte granularity, which JavaScript handles far faster than bit streams). Float64 bits are kept
//   exactly, so NaN payloads such as Prometheus' stale marker survive.
//
// Version 1 (written since; version 0 chunks still decode) adds run lengths: a run of zero deltas of
// deltas, or of unchanged values, costs one byte instead of one byte per sample. That is what a
// regular scrape interval, a steady counter or an idle bucket produces, and where Gorilla spends one
// bit per sample; at byte granularity only runs get below a byte. It opens with a zero byte and the
// version, after 0x80 0x00: a zero sample count written in two bytes, which no version 0 encoder does. db/migrations/0010 teaches the SQL decoder (pivot.decode_chunk) the same format.
const VERSION_RUNS = 1;
const MODE_XOR = 0;
const MODE_INT = 1;
/** In a version 1 XOR stream, headers from 0x80 stand for 1 to 128 unchanged values. */
const XOR_RUN = 0x80;
const XOR_RUN_MAX = 128;
/** Integers up to 2^50 keep their deltas of deltas exact in a double. */
const INT_LIMIT = 2 ** 50;

function allSmallIntegers(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v > INT_LIMIT || v < -INT_LIMIT || Object.is(v, -0)) return false;
  }
  return true;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer); // little-endian: u32[0] low word, u32[1] high word

class ByteWriter {
  buf: Uint8Array;
  pos = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  /** Unsigned varint of a non-negative integer up to 2^53. */
  varint(v: number): void {
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }
  zigzag(v: number): void {
    this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
  }
  /**
   * One delta of delta in a version 1 stream: zeros are counted (returned) and written as one run
   * token, 2k - 1 for k zeros; any other value as the token 2 × zigzag(value).
   */
  run(v: number, zeros: number): number {
    if (v === 0) return zeros + 1;
    this.endRun(zeros);
    this.varint((v >= 0 ? v * 2 : -v * 2 - 1) * 2);
    return 0;
  }
  endRun(zeros: number): void {
    if (zeros > 0) this.varint(zeros * 2 - 1);
  }
}

/**
 * Reads a value's bits into u32 (low, high). A NaN carrying the stale-marker payload is written as the
 * exact marker: V8 may set the quiet bit of a signalling NaN on the way here, and the marker must
 * survive as Prometheus defines it (0x7ff0000000000002).
 */
function loadBits(v: number): void {
  f64[0] = v;
  if (v !== v && u32[0] === 2 && (u32[1]! & 0xfff7ffff) === 0x7ff00000) u32[1] = 0x7ff00000;
}

export function encodeChunk(timestamps: ArrayLike<number>, values: ArrayLike<number>): Uint8Array {
  const n = timestamps.length;
  const w = new ByteWriter(16 + n * 2);
  w.buf[w.pos++] = 0x80;
  w.buf[w.pos++] = 0x00;
  w.buf[w.pos++] = VERSION_RUNS;
  w.varint(n);
  if (n === 0) return w.buf.slice(0, w.pos);
  w.zigzag(timestamps[0]!);
  let prevTs = timestamps[0]!;
  let prevDelta = 0;
  let zeros = 0;
  for (let i = 1; i < n; i++) {
    const delta = timestamps[i]! - prevTs;
    zeros = w.run(delta - prevDelta, zeros);
    prevDelta = delta;
    prevTs = timestamps[i]!;
  }
  w.endRun(zeros);
  if (allSmallIntegers(values)) {
    w.ensure(1);
    w.buf[w.pos++] = MODE_INT;
    w.zigzag(values[0]!);
    let prevV = values[0]!;
    let prevDv = 0;
    zeros = 0;
    for (let i = 1; i < n; i++) {
      const dv = values[i]! - prevV;
      zeros = w.run(dv - prevDv, zeros);
      prevDv = dv;
      prevV = values[i]!;
    }
    w.endRun(zeros);
    return w.buf.slice(0, w.pos);
  }
  w.ensure(9);
  w.buf[w.pos++] = MODE_XOR;
  loadBits(values[0]!);
  let lo = u32[0]!;
  let hi = u32[1]!;
  for (let b = 0; b < 4; b++) w.buf[w.pos++] = (lo >>> (b * 8)) & 0xff;
  for (let b = 0; b < 4; b++) w.buf[w.pos++] = (hi >>> (b * 8)) & 0xff;
  let same = 0;
  for (let i = 1; i < n; i++) {
    loadBits(values[i]!);
    const nlo = u32[0]!;
    const nhi = u32[1]!;
    const xlo = (nlo ^ lo) >>> 0;
    const xhi = (nhi ^ hi) >>> 0;
    lo = nlo;
    hi = nhi;
    w.ensure(10);
    if (xlo === 0 && xhi === 0) {
      if (++same === XOR_RUN_MAX) {
        w.buf[w.pos++] = XOR_RUN + same - 1;
        same = 0;
      }
      continue;
    }
    if (same) w.buf[w.pos++] = XOR_RUN + same - 1;
    same = 0;
    // Bytes of the 64-bit XOR, most significant first: count zero bytes at both ends.
    let lead = 0;
    for (let b = 7; b >= 0 && byteAt(xlo, xhi, b) === 0; b--) lead++;
    let trail = 0;
    for (let b = 0; b < 8 && byteAt(xlo, xhi, b) === 0; b++) trail++;
    w.buf[w.pos++] = ((lead << 3) | trail) + 1;
    for (let b = 7 - lead; b >= trail; b--) w.buf[w.pos++] = byteAt(xlo, xhi, b);
  }
  w.ensure(1);
  if (same) w.buf[w.pos++] = XOR_RUN + same - 1;
  return w.buf.slice(0, w.pos);
}

function byteAt(lo: number, hi: number, b: number): number {
  return b < 4 ? (lo >>> (b * 8)) & 0xff : (hi >>> ((b - 4) * 8)) & 0xff;
}

export interface DecodedChunk {
  timestamps: Float64Array;
  values: Float64Array;
}

export class ChunkDecodeError extends Error {
  override readonly name = 'ChunkDecodeError';
}

export function decodeChunk(data: Uint8Array): DecodedChunk {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    for (;;) {
      if (pos >= data.length) throw new ChunkDecodeError('truncated chunk');
      const b = data[pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 0x80;
    }
  };
  const unzigzag = (v: number): number => (v % 2 === 0 ? v / 2 : -(v + 1) / 2);
  const zigzag = (): number => unzigzag(varint());
  let version = 0;
  if (data.length >= 2 && data[0] === 0x80 && data[1] === 0x00) {
    if (data.length < 3) throw new ChunkDecodeError('truncated chunk');
    version = data[2]!;
    if (version !== VERSION_RUNS) throw new ChunkDecodeError(`unknown chunk version ${version}`);
    pos = 3;
  }
  const n = varint();
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  if (n === 0) return { timestamps, values };
  /** Fills out[1..n) from deltas of deltas after out[0], as plain varints (v0) or run tokens (v1). */
  const deltas = (out: Float64Array, first: number): void => {
    let cur = first;
    out[0] = cur;
    let delta = 0;
    let i = 1;
    while (i < n) {
      if (version === 0) {
        delta += zigzag();
        cur += delta;
        out[i++] = cur;
        continue;
      }
      const t = varint();
      if (t % 2 === 1) {
        const k = (t + 1) / 2;
        if (i + k > n) throw new ChunkDecodeError('run past the end of the chunk');
        for (let j = 0; j < k; j++) out[i++] = cur += delta;
      } else {
        delta += unzigzag(t / 2);
        cur += delta;
        out[i++] = cur;
      }
    }
  };
  deltas(timestamps, zigzag());
  if (pos >= data.length) throw new ChunkDecodeError('truncated chunk');
  const mode = data[pos++]!;
  if (mode === MODE_INT) {
    deltas(values, zigzag());
    return { timestamps, values };
  }
  if (mode !== MODE_XOR) throw new ChunkDecodeError(`unknown chunk value encoding ${mode}`);
  if (pos + 8 > data.length) throw new ChunkDecodeError('truncated chunk');
  let lo = (data[pos]! | (data[pos + 1]! << 8) | (data[pos + 2]! << 16) | (data[pos + 3]! << 24)) >>> 0;
  let hi = (data[pos + 4]! | (data[pos + 5]! << 8) | (data[pos + 6]! << 16) | (data[pos + 7]! << 24)) >>> 0;
  pos += 8;
  // Written as words, never through a JavaScript number, so NaN payloads keep their bits.
  const words = new Uint32Array(values.buffer);
  words[0] = lo;
  words[1] = hi;
  let i = 1;
  while (i < n) {
    if (pos >= data.length) throw new ChunkDecodeError('truncated chunk');
    const h = data[pos++]!;
    if (h >= XOR_RUN && version === VERSION_RUNS) {
      const k = h - XOR_RUN + 1;
      if (i + k > n) throw new ChunkDecodeError('run past the end of the chunk');
      for (let j = 0; j < k; j++, i++) {
        words[2 * i] = lo;
        words[2 * i + 1] = hi;
      }
      continue;
    }
    if (h !== 0) {
      const lead = (h - 1) >> 3;
      const trail = (h - 1) & 7;
      let xlo = 0;
      let xhi = 0;
      for (let b = 7 - lead; b >= trail; b--) {
        if (pos >= data.length) throw new ChunkDecodeError('truncated chunk');
        const byte = data[pos++]!;
        if (b < 4) xlo |= byte << (b * 8);
        else xhi |= byte << ((b - 4) * 8);
      }
      lo = (lo ^ xlo) >>> 0;
      hi = (hi ^ xhi) >>> 0;
    }
    words[2 * i] = lo;
    words[2 * i + 1] = hi;
    i++;
  }
  return { timestamps, values };
}

/**
 * Merges decoded chunks of one series into one ascending run. Duplicate timestamps (retried
 * requests) keep the first value seen, as Prometheus keeps the first-appended sample.
 */
export function mergeChunks(chunks: DecodedChunk[]): DecodedChunk {
  if (chunks.length === 1 && isStrictlyAscending(chunks[0]!.timestamps)) return chunks[0]!;
  let total = 0;
  for (const c of chunks) total += c.timestamps.length;
  const idx = new Uint32Array(total);
  const ts = new Float64Array(total);
  const vs = new Float64Array(total);
  let k = 0;
  for (const c of chunks) {
    ts.set(c.timestamps, k);
    vs.set(c.values, k);
    k += c.timestamps.length;
  }
  for (let i = 0; i < total; i++) idx[i] = i;
  // A stable sort on time keeps the earlier-listed duplicate first. Values are copied between typed
  // arrays word by word, never through a JavaScript number, so NaN payloads keep their bits.
  const order = Array.from(idx).sort((a, b) => ts[a]! - ts[b]! || a - b);
  const outTs = new Float64Array(total);
  const outVs = new Float64Array(total);
  const src = new Uint32Array(vs.buffer);
  const dst = new Uint32Array(outVs.buffer);
  let n = 0;
  for (const i of order) {
    if (n > 0 && outTs[n - 1] === ts[i]) continue;
    outTs[n] = ts[i]!;
    dst[2 * n] = src[2 * i]!;
    dst[2 * n + 1] = src[2 * i + 1]!;
    n++;
  }
  return { timestamps: outTs.subarray(0, n), values: outVs.subarray(0, n) };
}

function isStrictlyAscending(ts: Float64Array): boolean {
  for (let i = 1; i < ts.length; i++) if (ts[i]! <= ts[i - 1]!) return false;
  return true;
}
