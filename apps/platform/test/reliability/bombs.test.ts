// Payloads built to exhaust memory or time: each is refused (or bounded) quickly, and the process's
// heap does not balloon.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writer } from '@pivot/protobuf';
import { startHarness, type Harness } from './ingest-harness.ts';
import { watchRss } from '../../../../test-memory.ts';

function otlpJsonSpan(attributes: unknown[], extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bomb' } }] },
        scopeSpans: [
          {
            scope: { name: 's' },
            spans: [
              {
                traceId: '5b8efff798038103d269b633813fc60c',
                spanId: 'eee19b7ec3c1b174',
                name: 'x',
                kind: 1,
                startTimeUnixNano: '1795554618167000000',
                endTimeUnixNano: '1795554618168000000',
                attributes,
                ...extra,
              },
            ],
          },
        ],
      },
    ],
  });
}

/** A snappy block whose header claims `claimed` bytes: the varint length prefix plus a tiny literal. */
function snappyClaiming(claimed: number): Uint8Array {
  const w = new Writer().uint32(claimed).finish();
  return Uint8Array.from([...w, 0x00, 0x41]);
}

/** Peak RSS growth this file may cause (MiB), about twice what it measures (README, Limits); inflating the 1 GiB gzip bomb past MAX_DECOMPRESSED_BYTES would cross it. */
const RSS_BOUND_MIB = 256;

describe('bombs are refused quickly with bounded memory', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ maxBodyBytes: 16 << 20, maxDecompressedBytes: 32 << 20 });
  });
  let rss: ReturnType<typeof watchRss>;
  // After the harness started: what the suite costs, not the database's start-up.
  beforeAll(() => {
    rss = watchRss('bombs (ingest HTTP)');
  });
  afterAll(() => {
    expect(rss.stop().growthMiB).toBeLessThan(RSS_BOUND_MIB);
  });
  afterAll(async () => {
    await h.close();
  });

  async function send(path: string, body: Uint8Array | string, headers: Record<string, string>) {
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const res = await h.ingest.request(path, { method: 'POST', body, headers });
    const text = await res.text();
    return {
      status: res.status,
      text,
      ms: performance.now() - t0,
      heapMb: (process.memoryUsage().heapUsed - heap0) / 1e6,
    };
  }

  it('a gzip bomb (1 GiB of zeros) stops at the decompressed limit', async () => {
    // Built in 64 MiB pieces concatenated as gzip members, so the test itself stays small.
    const member = gzipSync(Buffer.alloc(64 << 20));
    const bomb = Buffer.concat(Array.from({ length: 16 }, () => member));
    const r = await send('/v1/traces', bomb, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(r.status).toBe(413);
    expect(r.text).toMatch(/decompressed body exceeds/);
    expect(r.ms).toBeLessThan(3000);
    expect(r.heapMb).toBeLessThan(200);
  });

  it('a snappy bomb is refused from its header, before decompressing', async () => {
    const r = await send('/api/v1/write', snappyClaiming(2 ** 31), {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
    });
    expect([400, 413]).toContain(r.status);
    expect(r.ms).toBeLessThan(500);
  });

  it('deeply nested JSON values are refused, not recursed into', async () => {
    let v = '{"stringValue":"x"}';
    for (let i = 0; i < 5000; i++) v = `{"kvlistValue":{"values":[{"key":"k","value":${v}}]}}`;
    const body = otlpJsonSpan([]).replace('"attributes":[]', `"attributes":[{"key":"deep","value":${v}}]`);
    const r = await send('/v1/traces', body, { 'content-type': 'application/json' });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/deep|nest/i);
    expect(r.ms).toBeLessThan(2000);
  });

  it('a span with 100,000 attributes is stored with the attribute limit applied', async () => {
    const attrs = Array.from({ length: 100_000 }, (_, i) => ({ key: `k${i}`, value: { intValue: i } }));
    const r = await send('/v1/traces', otlpJsonSpan(attrs), { 'content-type': 'application/json' });
    expect(r.status).toBe(200);
    const res = await h.api.request('/api/traces/5b8efff798038103d269b633813fc60c');
    const span = (
      (await res.json()) as { spans: { attributes: Record<string, unknown>; droppedAttributesCount: number }[] }
    ).spans[0]!;
    expect(Object.keys(span.attributes).length).toBeLessThanOrEqual(128);
    expect(span.droppedAttributesCount).toBeGreaterThanOrEqual(100_000 - 128);
  });

  it('a 10 MB string attribute is cut to the value limit', async () => {
    const body = otlpJsonSpan([{ key: 'big', value: { stringValue: 'x'.repeat(10_000_000) } }], {
      spanId: 'aaa19b7ec3c1b174',
    });
    const r = await send('/v1/traces', body, { 'content-type': 'application/json' });
    expect(r.status).toBe(200);
    const res = await h.api.request('/api/traces/5b8efff798038103d269b633813fc60c');
    const spans = ((await res.json()) as { spans: { spanId: string; attributes: Record<string, string> }[] }).spans;
    const big = spans.find((s) => s.spanId === 'aaa19b7ec3c1b174')!.attributes.big!;
    expect(big.length).toBeLessThanOrEqual(16 * 1024 + 16);
  });

  it('a body over the size limit is refused before it is read in full', async () => {
    const r = await send('/v1/traces', new Uint8Array(17 << 20), { 'content-type': 'application/x-protobuf' });
    expect(r.status).toBe(413);
  });
});
