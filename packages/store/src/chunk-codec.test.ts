import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ChunkDecodeError, decodeChunk, encodeChunk, mergeChunks } from './chunk-codec.ts';

const STALE = new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0]!;
const bits = (v: number) => new BigUint64Array(new Float64Array([v]).buffer)[0];

describe('chunk codec', () => {
  it('round-trips values bit-exactly, stale markers and infinities included', () => {
    const ts = [1_700_000_000_000, 1_700_000_015_000, 1_700_000_030_000, 1_700_000_044_999, 1_700_000_090_000];
    const vs = [1, 2.5, STALE, Infinity, -0];
    const d = decodeChunk(encodeChunk(ts, vs));
    expect(Array.from(d.timestamps)).toEqual(ts);
    expect(Array.from(d.values).map(bits)).toEqual(vs.map(bits));
  });

  it('stores a regularly scraped counter in about 3 bytes per sample', () => {
    const n = 240;
    const ts = Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * 15_000);
    const vs = Array.from({ length: n }, (_, i) => 1000 + i * 3);
    const bytes = encodeChunk(ts, vs).length;
    // Integer counters at a steady rate: one byte of time and one of value per sample.
    expect(bytes / n).toBeLessThan(2.1);
    expect(
      encodeChunk(
        ts,
        ts.map(() => 7),
      ).length / n,
    ).toBeLessThan(2.1);
    // Floats fall back to XOR: a slowly moving gauge still stays well under 8 bytes.
    const gauge = ts.map((_, i) => 0.25 + i / 1024);
    expect(encodeChunk(ts, gauge).length / n).toBeLessThan(5);
  });

  it('round-trips integer chunks exactly, negatives and large values included', () => {
    const ts = [1, 2, 3, 4, 5];
    for (const vs of [
      [0, -5, 2 ** 50, -(2 ** 50), 3],
      [1e15, 1e15 + 1, 1e15 + 3, 1e15 + 6, 0],
    ]) {
      const d = decodeChunk(encodeChunk(ts, vs));
      expect(Array.from(d.values)).toEqual(vs);
    }
    expect(Object.is(decodeChunk(encodeChunk([1, 2], [0, -0])).values[1], -0)).toBe(true);
  });

  it('round-trips any series (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 2 ** 45 }), fc.oneof(fc.double(), fc.integer(), fc.maxSafeInteger())),
          { maxLength: 300 },
        ),
        (pairs) => {
          const ts = pairs.map((p) => p[0]);
          const vs = pairs.map((p) => p[1]);
          const d = decodeChunk(encodeChunk(ts, vs));
          expect(Array.from(d.timestamps)).toEqual(ts);
          expect(Array.from(d.values).map(bits)).toEqual(vs.map(bits));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses a truncated chunk with a typed error', () => {
    const full = encodeChunk([1, 2, 3], [1.5, 2.25, 99.125]);
    for (let i = 0; i < full.length; i++) expect(() => decodeChunk(full.subarray(0, i))).toThrow(ChunkDecodeError);
  });

  it('merges out-of-order chunks and drops duplicate timestamps, keeping the first value', () => {
    const a = decodeChunk(encodeChunk([10, 20, 30], [1, 2, 3]));
    const b = decodeChunk(encodeChunk([5, 20, 40], [0.5, 99, 4]));
    const m = mergeChunks([a, b]);
    expect(Array.from(m.timestamps)).toEqual([5, 10, 20, 30, 40]);
    expect(Array.from(m.values)).toEqual([0.5, 1, 2, 3, 4]);
  });
});

describe('series IDs', async () => {
  const { seriesId, SeriesIdCache } = await import('./series-id.ts');
  it('do not depend on label order and cannot be forged by separator characters in values', () => {
    expect(seriesId({ a: '1', b: '2' })).toBe(seriesId({ b: '2', a: '1' }));
    expect(seriesId({ a: '1\u00feb\u00ff2' })).not.toBe(seriesId({ a: '1', b: '2' }));
    expect(seriesId({ a: '1","b' })).not.toBe(seriesId({ a: '1', b: '' }));
    const cache = new SeriesIdCache(2);
    expect(cache.get({ b: '2', a: '1' })).toBe(seriesId({ a: '1', b: '2' }));
    expect(cache.get({ x: 'y' })).toBe(seriesId({ x: 'y' }));
    expect(cache.get({ z: 'w' })).toBe(seriesId({ z: 'w' })); // past the bound it starts over, still right
  });
});
