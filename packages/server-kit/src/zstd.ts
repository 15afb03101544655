// zstd request bodies (the Collector's otlphttp exporter offers `compression: zstd`), inflated with
// fzstd (pure JavaScript: Node 20's zlib has no zstd) within the same decompressed-size bound as gzip.
// fzstd sizes its window from the frame header, so a header that declares a window or content size
// beyond the bound is refused before fzstd allocates anything.
import { Decompress } from 'fzstd';

export class ZstdLimitError extends Error {
  override readonly name = 'ZstdLimitError';
}

const MAGIC = 0xfd2fb528;
/**
 * The largest window accepted: zstd's levels 1–19 use at most 8 MiB; 32 MiB leaves room while refusing
 * `--long` frames (128 MiB and more), whose window the decoder would have to allocate.
 */
export const MAX_ZSTD_WINDOW = 32 << 20;
/** Input is fed to the decoder in slices, so the output count is checked as it grows. */
const SLICE = 64 * 1024;

/** The window and content sizes the first frame's header declares (content null when absent). */
export function zstdFrameSizes(input: Uint8Array): { window: number; content: number | null } {
  if (input.length < 6) throw new Error('zstd frame header truncated');
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new Error('not a zstd frame (bad magic number)');
  const fhd = input[4]!;
  const fcsFlag = fhd >> 6;
  const single = (fhd & 0x20) !== 0;
  const dictBytes = [0, 1, 2, 4][fhd & 3]!;
  let pos = 5;
  let window = 0;
  if (!single) {
    const wd = input[pos++]!;
    const base = 2 ** (10 + (wd >> 3));
    window = base + (base / 8) * (wd & 7);
  }
  pos += dictBytes;
  const fcsBytes = fcsFlag === 0 ? (single ? 1 : 0) : [0, 2, 4, 8][fcsFlag]!;
  if (pos + fcsBytes > input.length) throw new Error('zstd frame header truncated');
  let content: number | null = null;
  if (fcsBytes === 1) content = input[pos]!;
  else if (fcsBytes === 2) content = view.getUint16(pos, true) + 256;
  else if (fcsBytes === 4) content = view.getUint32(pos, true);
  else if (fcsBytes === 8) content = Number(view.getBigUint64(pos, true));
  return { window: single ? (content ?? 0) : window, content };
}

/** Inflates a zstd body, throwing ZstdLimitError past `maxBytes` of output (or a header declaring more). */
export function zstdDecompress(input: Uint8Array, maxBytes: number): Uint8Array {
  const { window, content } = zstdFrameSizes(input);
  if (content !== null && content > maxBytes)
    throw new ZstdLimitError(`zstd frame declares ${content} bytes of content, over the limit`);
  if (window > MAX_ZSTD_WINDOW && (content === null || content > MAX_ZSTD_WINDOW))
    throw new ZstdLimitError(`zstd frame declares a ${window}-byte window (at most ${MAX_ZSTD_WINDOW})`);
  const parts: Uint8Array[] = [];
  let total = 0;
  const d = new Decompress((chunk) => {
    total += chunk.length;
    if (total > maxBytes) throw new ZstdLimitError('decompressed body over the limit');
    // fzstd may reuse its buffer: keep a copy.
    parts.push(chunk.slice());
  });
  for (let off = 0; off < input.length; off += SLICE)
    d.push(input.subarray(off, Math.min(off + SLICE, input.length)), off + SLICE >= input.length);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
