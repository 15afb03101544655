// Prometheus marks the end of a series with a NaN of a specific bit pattern (value.StaleNaN,
// 0x7ff0000000000002). JavaScript numbers cannot be relied on to keep NaN payloads, so the bits are read
// straight from the Float64Array's buffer.

const STALE_HI = 0x7ff00000;
const STALE_LO = 0x00000002;

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Word view of a Float64Array: element i occupies words 2i (low on little-endian) and 2i + 1. */
export function wordsOf(values: Float64Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
}

export function isStaleAt(words: Uint32Array, i: number): boolean {
  const lo = littleEndian ? words[2 * i] : words[2 * i + 1];
  const hi = littleEndian ? words[2 * i + 1] : words[2 * i];
  return hi === STALE_HI && lo === STALE_LO;
}

/** Whether values[i] is a stale marker (as opposed to any other NaN). */
export function isStaleMarker(values: Float64Array, i: number): boolean {
  return Number.isNaN(values[i]!) && isStaleAt(wordsOf(values), i);
}

/** Writes a stale marker at values[i] without the value ever passing through a JavaScript number. */
export function writeStaleMarker(values: Float64Array, i: number): void {
  const w = wordsOf(values);
  w[littleEndian ? 2 * i : 2 * i + 1] = STALE_LO;
  w[littleEndian ? 2 * i + 1 : 2 * i] = STALE_HI;
}

/** The stale marker's bits, for encoders that write raw 64-bit words (protobuf fixed64). */
export const STALE_NAN_BITS = 0x7ff0000000000002n;
