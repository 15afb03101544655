// Random, mutated and truncated input to all three decoders: NDJSON never throws, the Loki decoders
// throw only LogDecodeError, and every call returns quickly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compress } from 'snappyjs';
import { decodeLokiPushJson, decodeLokiPushProtobuf, decodeNdjson, LogDecodeError } from '../src/index.ts';
import { pushRequestProtobuf } from './loki-proto.ts';
import { watchRss } from '../../../test-memory.ts';

const MAX_MS = 500;
const OBSERVED = { observedTimeUnixNano: 1n };

function timed(f: () => unknown): void {
  const t0 = performance.now();
  try {
    f();
  } catch (e) {
    if (!(e instanceof LogDecodeError)) throw e;
  } finally {
    expect(performance.now() - t0).toBeLessThan(MAX_MS);
  }
}

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const sampleLine = JSON.stringify({
  level: 30,
  time: 1700000000000,
  pid: 1,
  trace_id: TRACE,
  span_id: '00f067aa0ba902b7',
  msg: 'hi',
  n: { a: [1, 2] },
});
const sampleJsonPush = JSON.stringify({
  streams: [
    {
      stream: { app: 'a', level: 'info' },
      values: [
        ['1700000000000000000', sampleLine, { trace_id: TRACE }],
        ['1', 'plain'],
      ],
    },
  ],
});
const sampleProto = pushRequestProtobuf([
  {
    labels: '{app="a", env="p\\"x"}',
    entries: [{ ts: 1700000000000000000n, line: sampleLine, metadata: [['trace_id', TRACE]] }],
  },
]);

/** Structured JSON values shaped like logs, so the fuzzer reaches the interpreters, not just JSON.parse. */
const logValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    TRACE,
    '00f067aa0ba902b7',
    `00-${TRACE}-00f067aa0ba902b7-01`,
    '__proto__',
    'NaN',
    '1e400',
    '-1',
    '9'.repeat(30),
  ),
);
const logObject = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      'level',
      'time',
      'msg',
      'message',
      'trace_id',
      'traceId',
      'trace',
      'span_id',
      'span',
      'traceparent',
      'trace_flags',
      'service',
      'service.name',
      'pid',
      'hostname',
      '__proto__',
    ),
    fc.string(),
  ),
  logValue,
);

function mutate(base: Uint8Array) {
  return fc
    .array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 })
    .map((edits) => {
      const b = base.slice();
      for (const [i, v] of edits) b[i] = v;
      return b;
    });
}

/** Peak RSS growth this file may cause (MiB), about twice what it measures (README, Limits); a decoder that sized a buffer or array from a lying length field would cross it. */
const RSS_BOUND_MIB = 320;
let rss: ReturnType<typeof watchRss>;
beforeAll(() => {
  rss = watchRss('fuzz (log formats)');
});
afterAll(() => {
  expect(rss.stop().growthMiB).toBeLessThan(RSS_BOUND_MIB);
});

describe('fuzz', () => {
  it('decodeNdjson never throws, on log-shaped objects, random text and bytes', () => {
    const body = fc.oneof(
      fc.array(logObject, { maxLength: 8 }).map((objs) => objs.map((o) => JSON.stringify(o)).join('\n')),
      fc.string({ unit: 'binary', maxLength: 400 }),
      fc.uint8Array({ maxLength: 400 }),
    );
    fc.assert(
      fc.property(body, (b) => {
        const t0 = performance.now();
        const out = decodeNdjson(b, OBSERVED);
        expect(performance.now() - t0).toBeLessThan(MAX_MS);
        expect(out.accepted + out.errors.length).toBeLessThanOrEqual(
          typeof b === 'string' ? b.split('\n').length : b.length + 1,
        );
      }),
      { numRuns: 1500 },
    );
  });

  it('decodeLokiPushJson throws only LogDecodeError', () => {
    const push = fc
      .array(
        fc.record({
          stream: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.jsonValue({ maxDepth: 1 })),
          values: fc.array(
            fc
              .tuple(
                fc.oneof(fc.bigInt({ min: -5n, max: 2n ** 64n }).map(String), fc.jsonValue({ maxDepth: 0 })),
                fc.oneof(
                  logObject.map((o) => JSON.stringify(o)),
                  fc.string(),
                ),
                fc.option(fc.jsonValue({ maxDepth: 1 }), { nil: undefined }),
              )
              .map((t) => (t[2] === undefined ? t.slice(0, 2) : t)),
            { maxLength: 4 },
          ),
        }),
        { maxLength: 4 },
      )
      .map((streams) => JSON.stringify({ streams }));
    const mutated = mutate(new TextEncoder().encode(sampleJsonPush)).map((b) => new TextDecoder().decode(b));
    fc.assert(
      fc.property(fc.oneof(push, mutated, fc.string({ maxLength: 200 })), (b) =>
        timed(() => decodeLokiPushJson(b, OBSERVED)),
      ),
      {
        numRuns: 1500,
      },
    );
  });

  it('decodeLokiPushProtobuf throws only LogDecodeError, on random bytes, bit flips and mutated protobuf', () => {
    const compressed = compress(sampleProto);
    const inputs = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      mutate(compressed),
      mutate(sampleProto).map((b) => compress(b)),
      fc.nat(sampleProto.length).map((n) => compress(sampleProto.slice(0, n))),
    );
    fc.assert(
      fc.property(inputs, (b) => timed(() => decodeLokiPushProtobuf(b, OBSERVED))),
      { numRuns: 3000 },
    );
  });
});
