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
 * Skips an unknown field. Reader.skip is not used: its group skipping recurses once per nesting level
 * (a payload of nested start-group tags could exhaust the stack), and its length-delimited case loses
 * the length prefix (`this.pos += this.len()` reads pos before len() advances it).
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
      else skipScalar(r, w);
    }
    return;
  }
  if (wt === WireType.EGROUP) throw new ProtobufError('unexpected end-group tag', r.pos - varintSize(key));
  skipScalar(r, wt);
}

function skipScalar(r: Reader, wt: number): void {
  switch (wt) {
    case WireType.VARINT: {
      const start = r.pos;
      for (let i = 0; ; i++) {
        if (i === 10) throw new ProtobufError('varint longer than 10 bytes', start);
        if (r.pos >= r.end) throw new ProtobufError('truncated varint', start);
        if (r.buf[r.pos++]! < 0x80) return;
      }
    }
    case WireType.I64:
      skipFixed(r, 8);
      return;
    case WireType.LEN:
      skipLen(r);
      return;
    case WireType.I32:
      skipFixed(r, 4);
      return;
    default:
      throw new ProtobufError(`unexpected wire type ${wt}`, r.pos);
  }
}

function skipFixed(r: Reader, n: number): void {
  if (r.end - r.pos < n) throw new ProtobufError(`truncated ${n}-byte field`, r.pos);
  r.pos += n;
}

/** Skips the payload of a length-delimited field whose tag was just read. */
export function skipLen(r: Reader): void {
  const n = r.len();
  r.pos += n;
}

const textDecoder = new TextDecoder('utf-8', { fatal: false });

// Attribute keys, names and most attribute values repeat across the items of a request and across
// requests. A small byte-keyed cache returns the same string for the same bytes, which saves both the
// decode and the garbage. It is a pure memo: a miss or an eviction only costs a decode.
const INTERN_MAX = 64;
const INTERN_SLOTS = 4096;
const internBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(INTERN_SLOTS).fill(undefined);
const internStrings: string[] = new Array<string>(INTERN_SLOTS).fill('');

/** UTF-8 decode of buf[start, end); invalid sequences become U+FFFD. */
export function utf8(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n === 0) return '';
  if (n > INTERN_MAX) return textDecoder.decode(buf.subarray(start, end));
  let h = 0x811c9dc5 | 0;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 16777619);
  const slot = h & (INTERN_SLOTS - 1);
  const k = internBytes[slot];
  if (k !== undefined && k.length === n) {
    let i = 0;
    while (i < n && k[i] === buf[start + i]) i++;
    if (i === n) return internStrings[slot]!;
  }
  const s = textDecoder.decode(buf.subarray(start, end));
  internBytes[slot] = buf.slice(start, end);
  internStrings[slot] = s;
  return s;
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
