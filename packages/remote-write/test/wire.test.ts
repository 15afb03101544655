// The hot-path field readers: interned strings must never be confused with one another, and the
// fast int64 path must agree with the exact bigint one.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Reader, Writer } from '@pivot/protobuf';
import { int64, utf8 } from '../src/wire.ts';

describe('utf8', () => {
  it('decodes any string exactly, through the intern table or not', () => {
    const enc = new TextEncoder();
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ maxLength: 50 }), fc.string({ unit: 'binary', maxLength: 50 })), {
          maxLength: 50,
        }),
        (strings) => {
          for (const s of [...strings, ...strings]) {
            const b = enc.encode(s);
            expect(utf8(b, 0, b.length)).toBe(s);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('tells apart many short ASCII strings that share table slots', () => {
    const enc = new TextEncoder();
    const strings = Array.from({ length: 20_000 }, (_, i) => `v${i}`);
    for (let round = 0; round < 2; round++)
      for (const s of strings) {
        const b = enc.encode(s);
        expect(utf8(b, 0, b.length)).toBe(s);
      }
  });

  it('returns null for invalid UTF-8', () => {
    expect(utf8(new Uint8Array([0xc3]), 0, 1)).toBeNull();
    expect(utf8(new Uint8Array([0xed, 0xa0, 0x80]), 0, 3)).toBeNull(); // an encoded surrogate
  });
});

describe('int64', () => {
  it('agrees with Reader.varint64 for any int64', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
        const buf = new Writer().varint64(v).finish();
        const r = new Reader(buf);
        expect(int64(r)).toBe(Number(v));
        expect(r.pos).toBe(buf.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves truncation to the exact reader, which throws with an offset', () => {
    expect(() => int64(new Reader(new Uint8Array([0x80, 0x80])))).toThrow(/truncated varint at byte 0/);
  });
});
