// The snappy block decoder: it must agree with a reference compressor, and refuse every malformed or
// oversized stream with a SnappyError instead of hanging, over-allocating or returning padded output.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compress, uncompress } from 'snappyjs';
import { readSnappyHeader, SnappyError, snappyDecompress } from '../src/index.ts';
import { watchRss } from '../../../test-memory.ts';

const MiB = 1024 * 1024;
const bytes = (...b: number[]) => new Uint8Array(b);

/** Peak RSS growth this file may cause (MiB), about twice what it measures (README, Limits); decompressing what a header claims instead of what the limit allows would cross it. */
const RSS_BOUND_MIB = 64;
let rss: ReturnType<typeof watchRss>;
beforeAll(() => {
  rss = watchRss('snappy (fuzz, bombs)');
});
afterAll(() => {
  expect(rss.stop().growthMiB).toBeLessThan(RSS_BOUND_MIB);
});

describe('snappyDecompress', () => {
  it('round-trips what snappyjs compresses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (input) => {
        expect(snappyDecompress(compress(input), MiB)).toEqual(input);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips repetitive input (overlapping copies) and large literals', () => {
    const repetitive = new TextEncoder().encode('abcabcabcabc'.repeat(5000) + 'x'.repeat(70000));
    // Compared as Buffers: a deep equality over 200 000 elements takes seconds.
    expect(Buffer.from(snappyDecompress(compress(repetitive), MiB)).equals(repetitive)).toBe(true);
    const random = new Uint8Array(200_000).map(() => (Math.random() * 256) | 0);
    expect(Buffer.from(snappyDecompress(compress(random), MiB)).equals(random)).toBe(true);
  });

  it('decodes hand-written streams with every tag kind', () => {
    // "abcd" literal, then a 1-byte-offset copy of 4, a 2-byte-offset copy of 3, a 4-byte-offset copy of 2.
    const stream = bytes(13, 0x0c, 0x61, 0x62, 0x63, 0x64, 0x01, 0x04, 0x0a, 0x04, 0x00, 0x07, 0x02, 0x00, 0x00, 0x00);
    expect(new TextDecoder().decode(snappyDecompress(stream, 100))).toBe('abcdabcdabcbc');
  });

  it('refuses the 6 bytes on which snappyjs loops forever (negative literal length)', () => {
    expect(() => snappyDecompress(bytes(0x10, 0xfc, 0xfa, 0xff, 0xff, 0xff), MiB)).toThrow(SnappyError);
  });

  it('refuses a stream shorter than its header declares (snappyjs pads it with zeros)', () => {
    const good = compress(new TextEncoder().encode('hello world, hello world'));
    const short = good.slice();
    short[0] = good[0]! + 5;
    expect(Array.from(uncompress(short)).slice(-5)).toEqual([0, 0, 0, 0, 0]);
    expect(() => snappyDecompress(short, MiB)).toThrow(/produced 24 bytes but the header declares 29/);
  });

  it.each([
    ['empty input', bytes()],
    ['unterminated header', bytes(0x80, 0x80)],
    ['header over 5 bytes', bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x01)],
    ['header over 32 bits', bytes(0xff, 0xff, 0xff, 0xff, 0x7f)],
    ['literal past the input', bytes(4, 0x0c, 0x61)],
    ['literal past the declared length', bytes(1, 0x04, 0x61, 0x62)],
    ['truncated literal length', bytes(100, 0xf0)],
    ['copy before any output', bytes(4, 0x01, 0x01)],
    ['copy offset 0', bytes(8, 0x0c, 0x61, 0x62, 0x63, 0x64, 0x01, 0x00)],
    ['copy past the declared length', bytes(6, 0x0c, 0x61, 0x62, 0x63, 0x64, 0x01, 0x04)],
    ['truncated 2-byte copy', bytes(8, 0x0c, 0x61, 0x62, 0x63, 0x64, 0x0e, 0x04)],
    ['truncated 4-byte copy', bytes(8, 0x0c, 0x61, 0x62, 0x63, 0x64, 0x0f, 0x04, 0x00, 0x00)],
  ])('refuses %s', (_name, input) => {
    expect(() => snappyDecompress(input, MiB)).toThrow(SnappyError);
  });

  it('refuses a declared size over the limit before allocating, reporting the size', () => {
    // A 6-byte body claiming 4 GiB - 1.
    const bomb = bytes(0xff, 0xff, 0xff, 0xff, 0x0f, 0x00);
    const err = (() => {
      try {
        snappyDecompress(bomb, 64 * MiB);
      } catch (e) {
        return e as SnappyError;
      }
    })();
    expect(err).toBeInstanceOf(SnappyError);
    expect(err!.declaredBytes).toBe(0xffffffff);
  });

  it('refuses a declared size the input could never expand to, even under the limit', () => {
    // 10 MiB declared by a 10-byte body: at most 22× expansion is possible.
    const header = [0x80, 0x80, 0x80, 0x05];
    expect(() => snappyDecompress(bytes(...header, 0, 0, 0, 0, 0, 0), 64 * MiB)).toThrow(
      /more than 10 compressed bytes can hold/,
    );
  });

  it('reads the header alone', () => {
    expect(readSnappyHeader(compress(new Uint8Array(300)))).toEqual({ uncompressedBytes: 300, headerBytes: 2 });
  });

  it('throws only SnappyError, quickly, on random and mutated input', () => {
    const seed = compress(new TextEncoder().encode('the quick brown fox '.repeat(50)));
    const mutated = fc
      .array(fc.tuple(fc.nat(seed.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })
      .map((edits) => {
        const b = seed.slice();
        for (const [i, v] of edits) b[i] = v;
        return b;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated), (input) => {
        const t0 = performance.now();
        try {
          snappyDecompress(input, MiB);
        } catch (e) {
          expect(e).toBeInstanceOf(SnappyError);
        }
        expect(performance.now() - t0).toBeLessThan(200);
      }),
      { numRuns: 3000 },
    );
  });
});
