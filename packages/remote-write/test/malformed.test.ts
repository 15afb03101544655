// Whole-request faults: bad snappy, bad protobuf, bombs. The decoder must throw only its typed errors,
// with byte offsets for protobuf faults, and never hang.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Writer, WireType } from '@pivot/protobuf';
import { compress, uncompress } from 'snappyjs';
import { decodeWriteRequest, PayloadTooLargeError, RemoteWriteDecodeError } from '../src/index.ts';
import { watchRss } from '../../../test-memory.ts';

const fixture = new Uint8Array(readFileSync(new URL('./fixtures/prom-remote-write-15.pb.snappy', import.meta.url)));
const fixtureProto: Uint8Array = uncompress(fixture);

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

/** Decodes, and checks that any failure is one of the package's typed errors. */
function decodeOrTypedError(body: Uint8Array): void {
  try {
    decodeWriteRequest(body);
  } catch (e) {
    if (!(e instanceof RemoteWriteDecodeError)) throw e;
  }
}

// Real compressed zeros: snappyjs turns 100 MiB into 4.9 MB of 64-byte copies. Made before the RSS watch
// starts, since the 100 MiB it compresses is the test's own and not what the decoder's bound is about.
const bomb: Uint8Array = compress(new Uint8Array(100 * 1024 * 1024));

/** Peak RSS growth this file may cause (MiB), about twice what it measures (README, Limits); a decoder that trusted a snappy header's length or a lying protobuf length would cross it. */
const RSS_BOUND_MIB = 96;
let rss: ReturnType<typeof watchRss>;
beforeAll(() => {
  rss = watchRss('malformed remote-write (fuzz, bombs)');
});
afterAll(() => {
  expect(rss.stop().growthMiB).toBeLessThan(RSS_BOUND_MIB);
});

describe('invalid snappy', () => {
  it('is a RemoteWriteDecodeError (400) with a clear message', () => {
    const err = thrown(() => decodeWriteRequest(new TextEncoder().encode('{"not":"snappy"}')));
    expect(err).toBeInstanceOf(RemoteWriteDecodeError);
    expect(err).not.toBeInstanceOf(PayloadTooLargeError);
    expect((err as RemoteWriteDecodeError).status).toBe(400);
    expect((err as Error).message).toMatch(/^invalid snappy block: /);
  });

  it('an uncompressed protobuf body is refused rather than misread', () => {
    expect(() => decodeWriteRequest(fixtureProto)).toThrow(RemoteWriteDecodeError);
  });

  it('an empty body is invalid snappy', () => {
    expect(() => decodeWriteRequest(new Uint8Array())).toThrow(/invalid snappy block: truncated length header/);
  });
});

describe('snappy bomb', () => {
  it('is refused from the header before decompressing (413)', () => {
    expect(bomb.length).toBeLessThan(5 * 1024 * 1024);
    const err = thrown(() => decodeWriteRequest(bomb)) as PayloadTooLargeError;
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err.status).toBe(413);
    expect(err.declaredBytes).toBe(100 * 1024 * 1024);
    expect(err.limitBytes).toBe(64 * 1024 * 1024);
    expect(err.message).toBe('snappy body declares 104857600 uncompressed bytes, over the limit of 67108864 bytes');
  });

  it('is refused even when the rest of the body is garbage, so nothing was decompressed', () => {
    const header = [0x80, 0x80, 0x80, 0x80, 0x08]; // 2 GiB
    expect(() => decodeWriteRequest(new Uint8Array([...header, 1, 2, 3]))).toThrow(PayloadTooLargeError);
  });

  it('honours a configured limit', () => {
    expect(() => decodeWriteRequest(fixture, { maxDecompressedBytes: 4000 })).toThrow(PayloadTooLargeError);
    expect(decodeWriteRequest(fixture, { maxDecompressedBytes: fixtureProto.length }).batch.series).toHaveLength(26);
  });
});

describe('invalid protobuf', () => {
  it('names the byte offset', () => {
    const err = thrown(() =>
      decodeWriteRequest(compress(new Uint8Array([0x0a, 0x05, 0x0a]))),
    ) as RemoteWriteDecodeError;
    expect(err).toBeInstanceOf(RemoteWriteDecodeError);
    expect(err.message).toBe(
      'invalid WriteRequest protobuf: truncated length-delimited field (length 5) at byte 1 of the decompressed body',
    );
    expect(err.offset).toBe(1);
  });

  it('refuses a known field with the wrong wire type', () => {
    expect(() => decodeWriteRequest(compress(new Uint8Array([0x08, 0x01])))).toThrow(
      /field 1 has wire type 0, expected 2/,
    );
  });

  it('every truncated prefix of a real request fails with a typed error or decodes', () => {
    let failures = 0;
    for (let n = 0; n < fixtureProto.length; n++) {
      try {
        decodeWriteRequest(compress(fixtureProto.subarray(0, n)));
      } catch (e) {
        expect(e).toBeInstanceOf(RemoteWriteDecodeError);
        expect((e as RemoteWriteDecodeError).offset).toBeTypeOf('number');
        failures++;
      }
    }
    // Most prefixes cut a message in half; a few end exactly between two series.
    expect(failures).toBeGreaterThan(fixtureProto.length * 0.9);
  });

  it('every truncated prefix of the compressed body fails with a typed error', () => {
    for (let n = 0; n < fixture.length; n++) {
      expect(() => decodeWriteRequest(fixture.subarray(0, n))).toThrow(RemoteWriteDecodeError);
    }
  });

  it('skips unknown fields of every wire type, groups included', () => {
    const w = new Writer();
    w.tag(9, WireType.LEN).string('unknown at the top');
    w.tag(10, WireType.VARINT).uint32(300);
    w.fork(1);
    w.tag(7, WireType.I64).double(1);
    w.tag(8, WireType.LEN).string('unknown in the series');
    w.fork(1)
      .tag(1, WireType.LEN)
      .string('__name__')
      .tag(2, WireType.LEN)
      .string('m')
      .tag(3, WireType.I32)
      .fixed32(7)
      .join();
    w.tag(11, WireType.SGROUP).tag(1, WireType.LEN).string('in a group').tag(11, WireType.EGROUP);
    w.fork(2)
      .tag(1, WireType.I64)
      .double(2.5)
      .tag(2, WireType.VARINT)
      .varint64(1234n)
      .tag(5, WireType.LEN)
      .string('x')
      .join();
    w.join();
    const { batch, rejected } = decodeWriteRequest(compress(w.finish()));
    expect(rejected).toEqual([]);
    expect(batch.series).toEqual([
      { labels: { __name__: 'm' }, samples: [{ timestampMs: 1234, value: 2.5 }], exemplars: [] },
    ]);
  });

  it('refuses deeply nested groups with a typed error instead of overflowing the stack', () => {
    const body = new Uint8Array(100_000).fill(0x5b); // field 11, start group, repeated
    expect(() => decodeWriteRequest(compress(body))).toThrow(/groups nested too deeply/);
  });
});

describe('fuzz: only typed errors, bounded time', () => {
  const check = (input: Uint8Array) => {
    const t0 = performance.now();
    decodeOrTypedError(input);
    expect(performance.now() - t0).toBeLessThan(500);
  };

  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), check), { numRuns: 2000 });
  });

  it('bit flips in the compressed body', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(fixture.length * 8 - 1), { minLength: 1, maxLength: 6 }), (bits) => {
        const b = fixture.slice();
        for (const bit of bits) b[bit >> 3]! ^= 1 << (bit & 7);
        check(b);
      }),
      { numRuns: 2000 },
    );
  });

  it('bit flips in the protobuf, recompressed (reaches the protobuf decoder)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(fixtureProto.length * 8 - 1), { minLength: 1, maxLength: 6 }), (bits) => {
        const b = fixtureProto.slice();
        for (const bit of bits) b[bit >> 3]! ^= 1 << (bit & 7);
        check(compress(b));
      }),
      { numRuns: 2000 },
    );
  });

  it('truncations and random splices of the protobuf, recompressed', () => {
    fc.assert(
      fc.property(
        fc.nat(fixtureProto.length),
        fc.uint8Array({ maxLength: 40 }),
        fc.nat(fixtureProto.length),
        (cut, junk, at) => {
          const head = fixtureProto.subarray(0, Math.min(cut, at));
          const b = new Uint8Array([...head, ...junk, ...fixtureProto.subarray(at, cut)]);
          check(compress(b));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
