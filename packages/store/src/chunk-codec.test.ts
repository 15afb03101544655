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
    // A counter whose rate varies: at most one byte of time and one of value per sample.
    const vs = Array.from({ length: n }, (_, i) => 1000 + i * 3 + (i % 2));
    const bytes = encodeChunk(ts, vs).length;
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

  it('stores runs of regular timestamps, steady counters and unchanged gauges in a few bytes', () => {
    const n = 480;
    const ts = Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * 15_000);
    // Run lengths: the whole chunk is a header, two first values and a run token each.
    expect(
      encodeChunk(
        ts,
        ts.map((_, i) => 1000 + i * 3),
      ).length,
    ).toBeLessThan(30);
    expect(
      encodeChunk(
        ts,
        ts.map(() => 0.25),
      ).length,
    ).toBeLessThan(30);
    // A gauge that changes now and then pays for its changes only.
    const steps = ts.map((_, i) => 0.5 + Math.floor(i / 100) * 0.125);
    expect(encodeChunk(ts, steps).length).toBeLessThan(60);
    // Jittered timestamps and a counter of varying rate cost about a byte each.
    const jitter = ts.map((t, i) => t + ((i * 7919) % 5) - 2);
    const irregular = ts.map((_, i) => i * 3 + ((i * 104729) % 3));
    expect(encodeChunk(jitter, irregular).length / n).toBeLessThan(2.1);
  });

  it('round-trips series with runs and breaks in them (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 200 }), fc.integer({ min: -3, max: 3 }), fc.boolean()), { maxLength: 400 }),
        fc.boolean(),
        (steps, asFloat) => {
          // Long stretches of one step with occasional changes: what run lengths are for.
          let t = 1_700_000_000_000;
          let v = 0;
          const ts: number[] = [];
          const vs: number[] = [];
          for (const [len, dv, jump] of steps) {
            for (let i = 0; i < len % 150; i++) {
              t += jump ? 15_001 : 15_000;
              v += dv;
              ts.push(t);
              vs.push(asFloat ? v * 0.1 : v);
            }
          }
          const d = decodeChunk(encodeChunk(ts, vs));
          expect(Array.from(d.timestamps)).toEqual(ts);
          expect(Array.from(d.values).map(bits)).toEqual(vs.map(bits));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('still decodes version 0 chunks, written before run lengths', () => {
    // n = 3; ts 1000, dod 1000, dod 0; integers: 5, dod 2, dod 0.
    const ints = decodeChunk(Uint8Array.from([3, 0xd0, 0x0f, 0xd0, 0x0f, 0, 1, 10, 4, 0]));
    expect(Array.from(ints.timestamps)).toEqual([1000, 2000, 3000]);
    expect(Array.from(ints.values)).toEqual([5, 7, 9]);
    // n = 2, ts 1 and 2; XOR: 1.5 (0x3ff8000000000000), then unchanged (header 0).
    const xor = decodeChunk(Uint8Array.from([2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0]));
    expect(Array.from(xor.values)).toEqual([1.5, 1.5]);
    expect(decodeChunk(Uint8Array.from([0])).timestamps.length).toBe(0);
  });

  it('refuses a run past the end and an unknown version with a typed error', () => {
    // Version 1, n = 2, ts 0, then a run of 5 zero deltas of deltas.
    expect(() => decodeChunk(Uint8Array.from([0x80, 0, 1, 2, 0, 9]))).toThrow(ChunkDecodeError);
    expect(() => decodeChunk(Uint8Array.from([0x80, 0, 9, 1, 0, 1, 0]))).toThrow(ChunkDecodeError);
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
