// Reads a request body within bounds: the size as sent, and the size after decompression, so that
// neither a huge upload nor a small gzip bomb can exhaust memory.
import { gunzip, inflate } from 'node:zlib';
import { promisify } from 'node:util';
import type { Context } from 'hono';
import { SnappyError, isFramedSnappy, snappyDecompress, snappyFramedDecompress } from '@pivot/snappy';
import { badRequest, payloadTooLarge, unsupportedMediaType } from './errors.ts';
import { ZstdLimitError, zstdDecompress } from './zstd.ts';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

export interface BodyLimits {
  maxBodyBytes: number;
  maxDecompressedBytes: number;
}

/** The raw body, refused with 413 as soon as it passes the limit (without reading the rest). */
export async function readRawBody(c: Context, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (declared > maxBytes)
    throw payloadTooLarge(`request body of ${declared} bytes exceeds the limit of ${maxBytes} bytes`);
  const stream = c.req.raw.body;
  if (!stream) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = (await reader.read()) as { done: boolean; value: Uint8Array };
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw payloadTooLarge(`request body exceeds the limit of ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let off = 0;
  for (const ch of chunks) {
    out.set(ch, off);
    off += ch.byteLength;
  }
  return out;
}

/**
 * The body with Content-Encoding gzip, deflate, zstd or snappy undone (what the Collector's otlphttp
 * exporter can send). `passThrough` lists encodings the route decodes itself (remote-write's snappy).
 */
export async function readBody(c: Context, limits: BodyLimits, passThrough: string[] = []): Promise<Uint8Array> {
  const raw = await readRawBody(c, limits.maxBodyBytes);
  const encoding = (c.req.header('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '' || passThrough.includes(encoding)) return raw;
  if (encoding === 'zstd') return inflateZstd(raw, limits.maxDecompressedBytes);
  if (encoding === 'snappy' || encoding === 'x-snappy-framed') return inflateSnappy(raw, limits.maxDecompressedBytes);
  if (encoding !== 'gzip' && encoding !== 'deflate' && encoding !== 'x-gzip')
    throw unsupportedMediaType(`unsupported Content-Encoding "${encoding}" (use gzip, zstd, snappy or identity)`);
  try {
    const fn = encoding === 'deflate' ? inflateAsync : gunzipAsync;
    return await fn(raw, { maxOutputLength: limits.maxDecompressedBytes });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      throw payloadTooLarge(`decompressed body exceeds the limit of ${limits.maxDecompressedBytes} bytes`);
    throw badRequest(`invalid ${encoding} body: ${(err as Error).message}`, err);
  }
}

function inflateZstd(raw: Uint8Array, max: number): Uint8Array {
  try {
    return zstdDecompress(raw, max);
  } catch (err) {
    if (err instanceof ZstdLimitError) throw payloadTooLarge(`decompressed body exceeds the limit of ${max} bytes`);
    throw badRequest(`invalid zstd body: ${(err as Error).message}`, err);
  }
}

/**
 * "snappy" has meant both formats: the block format (as Prometheus and Loki use it) and, from the
 * Collector, the framing format. The framing format's stream identifier tells them apart, as the
 * Collector's own receiver does.
 */
function inflateSnappy(raw: Uint8Array, max: number): Uint8Array {
  try {
    return isFramedSnappy(raw) ? snappyFramedDecompress(raw, max) : snappyDecompress(raw, max);
  } catch (err) {
    if (err instanceof SnappyError && err.declaredBytes !== null)
      throw payloadTooLarge(`decompressed body exceeds the limit of ${max} bytes`);
    throw badRequest(`invalid snappy body: ${(err as Error).message}`, err);
  }
}

/** The media type without parameters, lower-cased. */
export function mediaType(c: Context): string {
  return (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}
