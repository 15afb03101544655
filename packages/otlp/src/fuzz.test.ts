// Property tests: whatever bytes arrive, a decoder either returns or throws OtlpDecodeError, quickly;
// and spans built from arbitrary IDs and attribute values decode to exactly what the model prescribes.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { AttrValue } from '@pivot/model';
import {
  decodeExportLogsRequest,
  decodeExportLogsRequestJson,
  decodeExportMetricsRequest,
  decodeExportMetricsRequestJson,
  decodeExportTraceRequest,
  decodeExportTraceRequestJson,
  OtlpDecodeError,
} from './index.ts';
import { fixture, fixtureText, JSON_FIXTURES, PROTOBUF_FIXTURES } from '../testing/fixtures.ts';
import { encodeTraces, type TAny, type TSpan } from '../testing/otlp-writer.ts';
import { watchRss } from '../../../test-memory.ts';

const PB_DECODERS = [decodeExportTraceRequest, decodeExportLogsRequest, decodeExportMetricsRequest];
const JSON_DECODERS = [decodeExportTraceRequestJson, decodeExportLogsRequestJson, decodeExportMetricsRequestJson];

// Timing is checked after each run rather than inside the property: a slow decode on a busy machine must
// not send fast-check into shrinking, and every run is capped so that nothing can spin for minutes.
const budget = (numRuns: number) => ({ numRuns, interruptAfterTimeLimit: 20_000 });
let slowest = 0;
beforeEach(() => {
  slowest = 0;
});
afterEach(() => {
  // Fixture-sized inputs decode in well under a millisecond; this only catches runaway work.
  expect(slowest).toBeLessThan(1_000);
});

/** Runs every decoder; anything but success or OtlpDecodeError fails the property. */
function survives<T>(decoders: ((x: T) => unknown)[], input: T): void {
  for (const decode of decoders) {
    const started = performance.now();
    try {
      decode(input);
    } catch (e) {
      if (!(e instanceof OtlpDecodeError)) throw e;
    }
    slowest = Math.max(slowest, performance.now() - started);
  }
}

/** Peak RSS growth this file may cause (MiB), about twice what it measures (README, Limits); a decoder that sized a buffer or array from a lying length field would cross it. */
const RSS_BOUND_MIB = 160;
let rss: ReturnType<typeof watchRss>;
beforeAll(() => {
  rss = watchRss('fuzz (otlp decoders)');
});
afterAll(() => {
  expect(rss.stop().growthMiB).toBeLessThan(RSS_BOUND_MIB);
});

describe('protobuf robustness', () => {
  it.each(PROTOBUF_FIXTURES)('%s survives random bit flips', (file) => {
    const base = fixture(file);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: base.length * 8 - 1 }), { minLength: 1, maxLength: 8 }), (bits) => {
        const b = base.slice();
        for (const bit of bits) b[bit >> 3]! ^= 1 << (bit & 7);
        survives(PB_DECODERS, b);
      }),
      budget(300),
    );
  });

  it.each(PROTOBUF_FIXTURES)('%s survives truncation followed by random bytes', (file) => {
    const base = fixture(file);
    fc.assert(
      fc.property(fc.nat({ max: base.length }), fc.uint8Array({ maxLength: 64 }), (cut, tail) => {
        const b = new Uint8Array(cut + tail.length);
        b.set(base.subarray(0, cut));
        b.set(tail, cut);
        survives(PB_DECODERS, b);
      }),
      budget(200),
    );
  });

  it('survives random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (b) => survives(PB_DECODERS, b)),
      budget(2000),
    );
  });

  it('survives byte-level splices of two fixtures', () => {
    const all = PROTOBUF_FIXTURES.map(fixture);
    fc.assert(
      fc.property(
        fc.nat({ max: all.length - 1 }),
        fc.nat({ max: all.length - 1 }),
        fc.nat(),
        fc.nat(),
        (i, j, a, b) => {
          const x = all[i]!;
          const y = all[j]!;
          const head = x.subarray(0, a % (x.length + 1));
          const tail = y.subarray(b % (y.length + 1));
          const out = new Uint8Array(head.length + tail.length);
          out.set(head);
          out.set(tail, head.length);
          survives(PB_DECODERS, out);
        },
      ),
      budget(500),
    );
  });
});

describe('JSON robustness', () => {
  it.each(JSON_FIXTURES)('%s survives random character edits', (file) => {
    const base = fixtureText(file);
    const edit = fc.record({
      at: fc.nat({ max: base.length - 1 }),
      ch: fc.constantFrom(...'{}[]":,0123456789-eE.tfn \\xA'),
    });
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 6 }), (edits) => {
        const chars = base.split('');
        for (const e of edits) chars[e.at] = e.ch;
        survives(JSON_DECODERS, chars.join(''));
      }),
      budget(300),
    );
  });

  it('survives arbitrary JSON documents', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 6 }), (text) => survives(JSON_DECODERS, text)),
      budget(1000),
    );
  });

  it('survives OTLP-shaped documents with arbitrary leaves', () => {
    const leaf = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), maxLength: 40 }),
    );
    const kv = fc.record({
      key: fc.string(),
      value: fc.oneof(leaf, fc.record({ stringValue: leaf }), fc.record({ intValue: leaf })),
    });
    const few = <T>(a: fc.Arbitrary<T>) => fc.array(a, { maxLength: 4 });
    const span = fc.record(
      {
        traceId: leaf,
        spanId: leaf,
        parentSpanId: leaf,
        kind: leaf,
        startTimeUnixNano: leaf,
        attributes: fc.oneof(leaf, few(kv)),
        events: leaf,
        status: leaf,
      },
      { requiredKeys: [] },
    );
    const doc = fc.record({
      resourceSpans: few(
        fc.record({ resource: fc.record({ attributes: few(kv) }), scopeSpans: few(fc.record({ spans: few(span) })) }),
      ),
    });
    fc.assert(
      fc.property(doc, (d) => survives(JSON_DECODERS, JSON.stringify(d))),
      budget(500),
    );
  });
});

describe('round trips', () => {
  const bytesOf = (n: number[]) => new Uint8Array(n);
  const id = (lengths: number[]) =>
    fc.oneof(
      fc
        .constantFrom(...lengths)
        .chain((n) => fc.array(fc.integer({ min: 0, max: 255 }), { minLength: n, maxLength: n })),
      fc.array(fc.constant(0), { minLength: 0, maxLength: 16 }),
    );
  const usable = (b: number[], n: number) => b.length === n && b.some((x) => x !== 0);
  const hex = (b: number[]) => Buffer.from(b).toString('hex');

  it('accepts exactly the spans whose IDs are usable, and reports them with lower-case hex', () => {
    const spanArb = fc.record({
      trace: id([16, 15, 17, 0]),
      span: id([8, 7, 0]),
      parent: fc.option(id([8, 3]), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(spanArb, { maxLength: 20 }), (specs) => {
        const spans: TSpan[] = specs.map((s, i) => ({
          traceId: bytesOf(s.trace),
          spanId: bytesOf(s.span),
          ...(s.parent === undefined ? {} : { parentSpanId: bytesOf(s.parent) }),
          name: `s${i}`,
        }));
        const d = decodeExportTraceRequest(encodeTraces([{ scopes: [{ items: spans }] }]));
        const ok = specs.filter(
          (s) =>
            usable(s.trace, 16) &&
            usable(s.span, 8) &&
            (s.parent === undefined || s.parent.length === 0 || s.parent.length === 8),
        );
        const got = d.resourceSpans[0]!.scopeSpans[0]!.spans;
        expect(got.map((s) => [s.traceId, s.spanId])).toEqual(ok.map((s) => [hex(s.trace), hex(s.span)]));
        expect(got.map((s) => s.parentSpanId)).toEqual(
          ok.map((s) => (s.parent !== undefined && usable(s.parent, 8) ? hex(s.parent) : null)),
        );
        expect(d.accepted).toBe(ok.length);
        expect(d.rejected).toBe(specs.length - ok.length);
        expect(d.message === '').toBe(d.rejected === 0);
      }),
      budget(300),
    );
  });

  // AnyValues within the default depth of 16, and the model value each must become.
  const anyValue: fc.Arbitrary<TAny> = fc.letrec<{ v: TAny }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small', maxDepth: 6 },
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.boolean(),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((int) => ({ int })),
      fc.double({ noNaN: true }).map((double) => ({ double })),
      fc.uint8Array({ maxLength: 20 }).map((bytes) => ({ bytes })),
      fc.array(tie('v'), { maxLength: 4 }),
      fc.dictionary(fc.string({ maxLength: 6 }), tie('v'), { maxKeys: 4 }).map((kv) => ({ kv })),
      fc.constant(null),
    ),
  })).v;

  function expected(v: TAny): AttrValue {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (Array.isArray(v)) return v.map(expected);
    if ('int' in v) {
      const n = BigInt(v.int);
      return n >= -(2n ** 53n) + 1n && n <= 2n ** 53n - 1n ? Number(n) : n.toString();
    }
    if ('double' in v) return v.double;
    if ('bytes' in v) return Buffer.from(v.bytes).toString('base64');
    const out: Record<string, AttrValue> = {};
    for (const [k, x] of Object.entries(v.kv))
      Object.defineProperty(out, k, { value: expected(x), enumerable: true, writable: true, configurable: true });
    return out;
  }

  it('decodes every AnyValue kind to its model value', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 8 }), anyValue, { maxKeys: 6 }), (attrs) => {
        const d = decodeExportTraceRequest(
          encodeTraces([
            {
              scopes: [
                {
                  items: [
                    { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', attributes: attrs },
                  ],
                },
              ],
            },
          ]),
        );
        const want: Record<string, AttrValue> = {};
        for (const [k, x] of Object.entries(attrs))
          Object.defineProperty(want, k, { value: expected(x), enumerable: true, writable: true, configurable: true });
        expect(d.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes).toEqual(want);
      }),
      budget(300),
    );
  });
});

describe('linear time', () => {
  it('decodes twenty times the spans in nowhere near four hundred times the time', () => {
    const spans = (n: number): TSpan[] =>
      Array.from({ length: n }, (_, i) => ({
        traceId: (i + 1).toString(16).padStart(32, '0'),
        spanId: (i + 1).toString(16).padStart(16, '0'),
        name: 'op',
        attributes: { 'http.route': '/x', n: { int: i } },
      }));
    const small = encodeTraces([{ scopes: [{ items: spans(1_000) }] }]);
    const large = encodeTraces([{ scopes: [{ items: spans(20_000) }] }]);
    const once = (b: Uint8Array) => {
      const t = performance.now();
      decodeExportTraceRequest(b);
      return performance.now() - t;
    };
    once(large); // warm up
    // Interleaved best-of-seven, so that a busy machine slows both sizes alike. Linear work gives a
    // ratio near 20 and quadratic work near 400; the threshold sits far from both.
    let s = Infinity;
    let l = Infinity;
    for (let i = 0; i < 7; i++) {
      s = Math.min(s, once(small));
      l = Math.min(l, once(large));
    }
    expect(l / Math.max(s, 0.25)).toBeLessThan(100);
  });
});
