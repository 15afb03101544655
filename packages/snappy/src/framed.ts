// Snappy's framing format (google/snappy framing_format.txt): a stream of chunks, each a type byte, a
// 3-byte little-endian length and its data. The OpenTelemetry Collector's otlphttp exporter has sent
// it as `Content-Encoding: snappy` (and as `x-snappy-framed`), so a server has to tell it from the
// block format by its stream identifier, as the Collector's own receiver does.
import { SnappyError, snappyDecompress } from './block.ts';

const STREAM_ID = [0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]; // "\xff\x06\0\0sNaPpY"
/** The framing format caps a chunk's uncompressed data at 64 KiB. */
const MAX_CHUNK_DATA = 65_536;

/** Whether the bytes start with the framing format's stream identifier. */
export function isFramedSnappy(input: Uint8Array): boolean {
  if (input.length < STREAM_ID.length) return false;
  for (let i = 0; i < STREAM_ID.length; i++) if (input[i] !== STREAM_ID[i]) return false;
  return true;
}

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC32C_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The framing format stores each chunk's CRC-32C rotated and offset ("masked"). */
const masked = (crc: number) => ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;

/** Decompresses a framed snappy stream, refusing more than `maxBytes` of output and any corrupt chunk. */
export function snappyFramedDecompress(input: Uint8Array, maxBytes: number): Uint8Array {
  if (!isFramedSnappy(input)) throw new SnappyError('not a framed snappy stream (no stream identifier)', 0);
  const parts: Uint8Array[] = [];
  let total = 0;
  let pos = 0;
  while (pos < input.length) {
    if (pos + 4 > input.length) throw new SnappyError('truncated chunk header', pos);
    const type = input[pos]!;
    const len = input[pos + 1]! | (input[pos + 2]! << 8) | (input[pos + 3]! << 16);
    const start = pos + 4;
    if (start + len > input.length) throw new SnappyError(`chunk of ${len} bytes runs past the end`, pos);
    const chunk = input.subarray(start, start + len);
    if (type === 0x00 || type === 0x01) {
      if (len < 4) throw new SnappyError('data chunk without its checksum', pos);
      const expected = chunk[0]! | (chunk[1]! << 8) | (chunk[2]! << 16) | (chunk[3]! << 24);
      const data =
        type === 0x00
          ? snappyDecompress(chunk.subarray(4), Math.min(MAX_CHUNK_DATA, maxBytes - total))
          : chunk.subarray(4);
      if (data.length > MAX_CHUNK_DATA) throw new SnappyError('uncompressed chunk larger than 64 KiB', pos);
      if (masked(crc32c(data)) !== expected >>> 0) throw new SnappyError('chunk checksum mismatch', pos);
      total += data.length;
      if (total > maxBytes)
        throw new SnappyError(`decompressed stream exceeds the limit of ${maxBytes} bytes`, pos, total);
      parts.push(data);
    } else if (type === 0xff) {
      if (len !== 6 || !isFramedSnappy(input.subarray(pos, pos + 10)))
        throw new SnappyError('invalid stream identifier', pos);
    } else if (type >= 0x02 && type <= 0x7f) {
      throw new SnappyError(`reserved unskippable chunk type 0x${type.toString(16)}`, pos);
    }
    // 0x80–0xfe: padding and skippable chunks.
    pos = start + len;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
