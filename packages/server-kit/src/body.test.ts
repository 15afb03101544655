// Request bodies in every encoding the Collector's otlphttp exporter offers, each within the same
// decompressed-size bound: gzip and deflate (zlib), zstd (encoded here by Debian's zstd CLI, the
// reference implementation) and snappy in both its block and framing formats.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { Hono } from 'hono';
import snappyjs from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { readBody } from './body.ts';
import { toHttpError } from './errors.ts';

const ZSTD = '/usr/bin/zstd';

function app(maxDecompressedBytes: number) {
  const a = new Hono();
  a.post('/', async (c) =>
    c.json({ bytes: (await readBody(c, { maxBodyBytes: 64 << 20, maxDecompressedBytes })).length }),
  );
  a.onError((err, c) => {
    const h = toHttpError(err);
    return c.json({ error: h?.message ?? String(err) }, (h?.status ?? 500) as 400);
  });
  return a;
}
const post = (maxOut: number, body: Uint8Array, encoding: string) =>
  app(maxOut).request('/', { method: 'POST', body, headers: { 'content-encoding': encoding } });

/** Snappy's framing format, built per google/snappy framing_format.txt (64 KiB chunks, masked CRC-32C). */
function framed(data: Uint8Array, corrupt = false): Uint8Array {
  const crc = (d: Uint8Array) => {
    let c = 0xffffffff;
    for (const b of d) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    }
    c = (c ^ 0xffffffff) >>> 0;
    return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
  };
  const parts: Uint8Array[] = [Uint8Array.from([0xff, 6, 0, 0, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59])];
  for (let off = 0; off < data.length || off === 0; off += 65536) {
    const piece = data.subarray(off, off + 65536);
    const block = snappyjs.compress(piece);
    const len = block.length + 4;
    const head = new Uint8Array(8);
    head.set([0x00, len & 0xff, (len >> 8) & 0xff, len >> 16]);
    new DataView(head.buffer).setUint32(4, crc(piece) ^ (corrupt ? 1 : 0), true);
    parts.push(head, block);
    if (!data.length) break;
  }
  return Buffer.concat(parts);
}

const payload = Buffer.from('{"resourceSpans":[]}'.repeat(20_000));

describe('request body encodings', () => {
  it('computes CRC-32C as the framing format specifies (check value of "123456789")', async () => {
    // framed() and the decoder share no code; a stream of "123456789" made with the spec's check value
    // (0xe3069283) must decode, one made with another value must not.
    const ok = framed(Buffer.from('123456789'));
    const crcField = new DataView(ok.buffer, ok.byteOffset + 14, 4).getUint32(0, true);
    const c = 0xe3069283;
    expect(crcField).toBe(((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0);
    expect((await post(1 << 20, ok, 'snappy')).status).toBe(200);
  });

  it('inflates snappy block and framed bodies, and x-snappy-framed', async () => {
    for (const [body, enc] of [
      [snappyjs.compress(new Uint8Array(payload)), 'snappy'],
      [framed(payload), 'snappy'],
      [framed(payload), 'x-snappy-framed'],
    ] as const) {
      const res = await post(1 << 20, body, enc);
      expect(await res.json()).toEqual({ bytes: payload.length });
    }
  });

  it('refuses a corrupt framed chunk with 400 and a snappy bomb with 413', async () => {
    const bad = await post(1 << 20, framed(payload, true), 'snappy');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/invalid snappy body: chunk checksum mismatch/);
    const big = new Uint8Array(4 << 20);
    expect((await post(1 << 20, snappyjs.compress(big), 'snappy')).status).toBe(413);
    expect((await post(1 << 20, framed(big), 'snappy')).status).toBe(413);
  });

  it.runIf(existsSync(ZSTD))('inflates zstd bodies made by the zstd CLI', async () => {
    const z = execFileSync(ZSTD, ['-q', '-c', '-3'], { input: payload });
    const res = await post(1 << 20, z, 'zstd');
    expect(await res.json()).toEqual({ bytes: payload.length });
    // An identity body with zstd's magic number but garbage after it is a 400, not a crash.
    const bad = await post(1 << 20, Buffer.concat([z.subarray(0, 8), Buffer.alloc(64, 0xff)]), 'zstd');
    expect(bad.status).toBe(400);
  });

  it.runIf(existsSync(ZSTD))('refuses zstd bombs with 413, from the frame header and while inflating', async () => {
    const zeros = Buffer.alloc(64 << 20);
    // Content size in the header (the CLI knows it from a file-sized input given with --stream-size).
    const declared = execFileSync(ZSTD, ['-q', '-c', '-19', `--stream-size=${zeros.length}`], { input: zeros });
    expect(declared.length).toBeLessThan(64 * 1024);
    expect((await post(16 << 20, declared, 'zstd')).status).toBe(413);
    // No content size and a small window: only counting the output as it grows can stop it.
    const streamed = execFileSync(ZSTD, ['-q', '-c', '--no-content-size', '--zstd=wlog=20'], { input: zeros });
    const t0 = process.memoryUsage().arrayBuffers;
    const res = await post(16 << 20, streamed, 'zstd');
    expect(res.status).toBe(413);
    expect(process.memoryUsage().arrayBuffers - t0).toBeLessThan(48 << 20);
    // gzip keeps its bound too.
    expect((await post(16 << 20, gzipSync(zeros), 'gzip')).status).toBe(413);
  });
});
