// ID and bytes encodings. IDs are converted on every span, link, log and exemplar, so they go through
// lookup tables rather than toString(16)/padStart.

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push((i < 16 ? '0' : '') + i.toString(16));

/** Lower-case hex of buf[start, start + n). */
export function toHex(buf: Uint8Array, start: number, n: number): string {
  let s = '';
  const end = start + n;
  for (let i = start; i < end; i++) s += HEX[buf[i]!]!;
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
