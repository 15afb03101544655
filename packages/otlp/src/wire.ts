// Protobuf helpers on top of @pivot/protobuf's Reader that the OTLP decoders share: wire-type checks
// that name the field, group skipping without recursion, and number/string fast paths.
import { ProtobufError, WireType, type Reader } from '@pivot/protobuf';

export const VARINT = WireType.VARINT;
export const I64 = WireType.I64;
export const LEN = WireType.LEN;
export const I32 = WireType.I32;

const WIRE_NAMES = ['varint', '64-bit', 'length-delimited', 'start-group', 'end-group', '32-bit', '6', '7'];

function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Called right after `r.tag()` returned `key` for a known field whose wire type is wrong. */
export function badWire(r: Reader, key: number, expected: number, field: string): never {
  throw new ProtobufError(
    `${field} (field ${key >>> 3}) has wire type ${WIRE_NAMES[key & 7]}, expected ${WIRE_NAMES[expected]}`,
    r.pos - varintSize(key),
  );
}

/**
 * Skips an unknown field. The Reader's own group skipping recurses per nesting level, which a payload
 * of nested start-group tags could use to exhaust the stack, so groups are walked here with a counter.
 */
export function skipField(r: Reader, key: number): void {
  const wt = key & 7;
  if (wt === WireType.SGROUP) {
    let depth = 1;
    while (depth > 0) {
      if (r.pos >= r.end) throw new ProtobufError('unterminated group', r.pos);
      const k = r.tag();
      const w = k & 7;
      if (w === WireType.SGROUP) depth++;
      else if (w === WireType.EGROUP) depth--;
      else r.skip(w);
    }
    return;
  }
  if (wt === WireType.EGROUP) throw new ProtobufError('unexpected end-group tag', r.pos - varintSize(key));
  r.skip(wt);
}

/** Skips the payload of a length-delimited field whose tag was just read. */
export function skipLen(r: Reader): void {
  const n = r.len();
  r.pos += n;
}

const textDecoder = new TextDecoder('utf-8', { fatal: false });

/** UTF-8 decode; short ASCII strings (most keys and names) skip the TextDecoder call overhead. */
export function utf8(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n === 0) return '';
  if (n <= 24) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return textDecoder.decode(buf.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return textDecoder.decode(buf.subarray(start, end));
}

export function readString(r: Reader): string {
  const n = r.len();
  const start = r.pos;
  r.pos = start + n;
  return utf8(r.buf, start, start + n);
}

/**
 * A string cut to `max` UTF-16 units. Only a prefix of the bytes is decoded (a unit never takes more than
 * three bytes), so a huge value costs no more than a short one.
 */
export function readStringMax(r: Reader, max: number): string {
  const n = r.len();
  const start = r.pos;
  r.pos = start + n;
  if (n <= max) return utf8(r.buf, start, start + n);
  const take = Math.min(n, max * 3 + 3);
  return truncate(utf8(r.buf, start, start + take), max);
}

export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = max;
  // Do not leave half of a surrogate pair behind.
  const last = s.charCodeAt(cut - 1);
  if (cut > 0 && last >= 0xd800 && last <= 0xdbff) cut--;
  return s.slice(0, cut);
}

/** fixed64 as a number: exact below 2^53, which covers any real count. */
export function fixed64Number(r: Reader): number {
  const at = r.pos;
  if (r.end - at < 8) throw new ProtobufError('truncated 8-byte field', at);
  const b = r.buf;
  const lo = (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
  const hi = (b[at + 4]! | (b[at + 5]! << 8) | (b[at + 6]! << 16)) + b[at + 7]! * 0x1000000;
  r.pos = at + 8;
  return hi * 4294967296 + lo;
}

/** uint64 varint as a number (exponential histogram bucket counts). */
export function uvarintNumber(r: Reader): number {
  const buf = r.buf;
  let pos = r.pos;
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= r.end) throw new ProtobufError('truncated varint', r.pos);
    const b = buf[pos++]!;
    result += (b & 0x7f) * mul;
    if (b < 0x80) {
      r.pos = pos;
      return result;
    }
    mul *= 128;
  }
  throw new ProtobufError('varint longer than 10 bytes', r.pos);
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * An int64 attribute value: a number when exact, else its decimal string (the model's rule), so that
 * large IDs stored as ints survive. Small non-negative values avoid BigInt entirely.
 */
export function int64Value(r: Reader): number | string {
  const buf = r.buf;
  let pos = r.pos;
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 7; i++) {
    if (pos >= r.end) break;
    const b = buf[pos++]!;
    result += (b & 0x7f) * mul;
    if (b < 0x80) {
      r.pos = pos;
      return result;
    }
    mul *= 128;
  }
  const v = r.varint64(true);
  return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v.toString();
}

/** sint32 (zig-zag), as used by exponential histogram scale and bucket offsets. */
export function sint32(r: Reader): number {
  const v = r.uint32();
  return (v >>> 1) ^ -(v & 1);
}
