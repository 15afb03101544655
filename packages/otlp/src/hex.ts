// ID and bytes encodings. IDs are converted on every span, link, log and exemplar, so hex goes through
// 256-entry lookup tables into a reused char-code array: one string allocation per ID, where building it
// by concatenation leaves a chain of intermediate strings for the collector.

const DIGITS = '0123456789abcdef';
const HEX_HI = new Uint8Array(256);
const HEX_LO = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  HEX_HI[i] = DIGITS.charCodeAt(i >> 4);
  HEX_LO[i] = DIGITS.charCodeAt(i & 15);
}
const SPAN_CHARS: number[] = new Array<number>(16).fill(0);
const TRACE_CHARS: number[] = new Array<number>(32).fill(0);

/** Lower-case hex of buf[start, start + n). */
export function toHex(buf: Uint8Array, start: number, n: number): string {
  if (n !== 8 && n !== 16) return toHexLong(buf, start, n);
  const out = n === 8 ? SPAN_CHARS : TRACE_CHARS;
  for (let i = 0; i < n; i++) {
    const b = buf[start + i]!;
    out[2 * i] = HEX_HI[b]!;
    out[2 * i + 1] = HEX_LO[b]!;
  }
  return String.fromCharCode.apply(null, out);
}

// Odd-sized values (malformed IDs kept for debugging) go in chunks: apply() has an argument limit.
const CHUNK = 4096;
function toHexLong(buf: Uint8Array, start: number, n: number): string {
  let s = '';
  for (let at = 0; at < n; at += CHUNK) {
    const m = Math.min(CHUNK, n - at);
    const out = new Array<number>(m * 2);
    for (let i = 0; i < m; i++) {
      const b = buf[start + at + i]!;
      out[2 * i] = HEX_HI[b]!;
      out[2 * i + 1] = HEX_LO[b]!;
    }
    s += String.fromCharCode.apply(null, out);
  }
  return s;
}

export function allZero(buf: Uint8Array, start: number, n: number): boolean {
  let acc = 0;
  const end = start + n;
  for (let i = start; i < end; i++) acc |= buf[i]!;
  return acc === 0;
}

// -1 for anything that is not a hex digit; lets the JSON path validate and lower-case in one pass.
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[97 + i] = 10 + i;
  HEX_VALUE[65 + i] = 10 + i;
}

/**
 * Classifies a hex ID from OTLP/JSON: 'ok' (valid, non-zero), 'empty', 'zero', 'length' or 'hex'.
 * Case is accepted either way; callers lower-case valid IDs.
 */
export function checkHexId(s: string, nbytes: number): 'ok' | 'empty' | 'zero' | 'length' | 'hex' {
  if (s.length === 0) return 'empty';
  let nonZero = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? HEX_VALUE[c]! : -1;
    if (v < 0) return 'hex';
    if (v !== 0) nonZero = true;
  }
  if (s.length !== nbytes * 2) return 'length';
  return nonZero ? 'ok' : 'zero';
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding, as the protobuf JSON mapping writes bytes. */
export function toBase64(buf: Uint8Array, start: number, end: number): string {
  let out = '';
  let i = start;
  for (; i + 2 < end; i += 3) {
    const n = (buf[i]! << 16) | (buf[i + 1]! << 8) | buf[i + 2]!;
    out += B64[n >>> 18]! + B64[(n >>> 12) & 63]! + B64[(n >>> 6) & 63]! + B64[n & 63]!;
  }
  const rest = end - i;
  if (rest === 1) {
    const n = buf[i]! << 16;
    out += B64[n >>> 18]! + B64[(n >>> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (buf[i]! << 16) | (buf[i + 1]! << 8);
    out += B64[n >>> 18]! + B64[(n >>> 12) & 63]! + B64[(n >>> 6) & 63]! + '=';
  }
  return out;
}
