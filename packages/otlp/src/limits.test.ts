// Bounds on what a request can make the decoders keep: attribute counts, value lengths, nesting depth.
import { describe, expect, it } from 'vitest';
import { Writer } from '@pivot/protobuf';
import {
  DEFAULT_LIMITS,
  decodeExportLogsRequest,
  decodeExportLogsRequestJson,
  decodeExportMetricsRequest,
  decodeExportTraceRequest,
  decodeExportTraceRequestJson,
  OtlpDecodeError,
  type DecodeOptions,
} from './index.ts';
import { encodeLogs, encodeMetrics, encodeTraces, type TAny, type TAttrs } from '../testing/otlp-writer.ts';

const T = '0af7651916cd43dd8448eb211c80319c';
const S = 'b7ad6b7169203331';

function span(attributes: TAttrs, opts?: DecodeOptions, extra: { droppedAttributesCount?: number } = {}) {
  const d = decodeExportTraceRequest(
    encodeTraces([{ scopes: [{ items: [{ traceId: T, spanId: S, attributes, ...extra }] }] }]),
    opts,
  );
  return d.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
}
const many = (n: number): TAttrs => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `v${i}`]));
const nested = (depth: number): TAny => (depth === 1 ? 'leaf' : [nested(depth - 1)]);

describe('attribute count', () => {
  it('keeps the first 128 attributes by default and adds the rest to droppedAttributesCount', () => {
    expect(DEFAULT_LIMITS).toEqual({
      maxAttributes: 128,
      maxAttributeValueLength: 16384,
      maxDepth: 16,
      maxBodyLength: 1048576,
    });
    const s = span(many(200), undefined, { droppedAttributesCount: 5 });
    expect(Object.keys(s.attributes)).toHaveLength(128);
    expect(s.attributes.k127).toBe('v127');
    expect(s.attributes.k128).toBeUndefined();
    expect(s.droppedAttributesCount).toBe(72 + 5);
  });

  it('applies a configured limit to every entity', () => {
    const opts = { maxAttributes: 2 };
    const d = decodeExportTraceRequest(
      encodeTraces([
        {
          attributes: many(3),
          scopes: [
            {
              attributes: many(4),
              items: [
                {
                  traceId: T,
                  spanId: S,
                  attributes: many(5),
                  events: [{ name: 'e', attributes: many(6) }],
                  links: [{ traceId: T, spanId: S, attributes: many(7) }],
                },
              ],
            },
          ],
        },
      ]),
      opts,
    );
    const rs = d.resourceSpans[0]!;
    const sp = rs.scopeSpans[0]!.spans[0]!;
    expect([
      rs.resource.droppedAttributesCount,
      sp.droppedAttributesCount,
      sp.events[0]!.droppedAttributesCount,
      sp.links[0]!.droppedAttributesCount,
    ]).toEqual([1, 3, 4, 5]);
    expect(Object.keys(rs.scopeSpans[0]!.scope.attributes)).toEqual(['k0', 'k1']);
    const log = decodeExportLogsRequest(encodeLogs([{ scopes: [{ items: [{ attributes: many(9) }] }] }]), opts)
      .resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
    expect([Object.keys(log.attributes).length, log.droppedAttributesCount]).toEqual([2, 7]);
    const m = decodeExportMetricsRequest(
      encodeMetrics([{ scopes: [{ items: [{ name: 'g', gauge: [{ double: 1, attributes: many(4) }] }] }] }]),
      opts,
    );
    expect(Object.keys(m.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.data.dataPoints[0]!.attributes)).toEqual([
      'k0',
      'k1',
    ]);
    const j = decodeExportTraceRequestJson(
      JSON.stringify({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: T,
                    spanId: S,
                    attributes: Object.entries(many(5)).map(([key, v]) => ({ key, value: { stringValue: v } })),
                  },
                ],
              },
            ],
          },
        ],
      }),
      opts,
    );
    expect(j.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.droppedAttributesCount).toBe(3);
  });
});

describe('value length', () => {
  it('truncates long strings, nested ones included, without splitting a surrogate pair', () => {
    const s = span({ long: 'a'.repeat(20_000), euro: '€'.repeat(20_000), arr: ['b'.repeat(17_000)] });
    expect(s.attributes.long).toBe('a'.repeat(16_384));
    expect(s.attributes.euro).toBe('€'.repeat(16_384));
    expect(s.attributes.arr).toEqual(['b'.repeat(16_384)]);
    expect(span({ e: '😀'.repeat(10) }, { maxAttributeValueLength: 5 }).attributes.e).toBe('😀😀');
  });

  it('truncates bytes values so that their base64 fits', () => {
    const bytes = new Uint8Array(30_000).map((_, i) => i);
    const full = Buffer.from(bytes).toString('base64');
    const got = span({ b: { bytes } }).attributes.b as string;
    expect(got.length).toBeLessThanOrEqual(16_384);
    expect(full.startsWith(got)).toBe(true);
    expect(got.length).toBeGreaterThan(16_000);
  });

  it('truncates JSON strings the same way', () => {
    const d = decodeExportTraceRequestJson(
      JSON.stringify({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [{ traceId: T, spanId: S, attributes: [{ key: 'x', value: { stringValue: 'z'.repeat(100) } }] }],
              },
            ],
          },
        ],
      }),
      { maxAttributeValueLength: 10 },
    );
    expect(d.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes.x).toBe('z'.repeat(10));
  });

  it('bounds the raw value kept for a malformed log trace ID, however long it is', () => {
    const id = new Uint8Array(200_000).fill(0xab);
    const rec = (opts?: DecodeOptions) =>
      decodeExportLogsRequest(encodeLogs([{ scopes: [{ items: [{ body: 'b', traceId: id }] }] }]), opts)
        .resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
    expect(rec().attributes['otel.invalid_trace_id']).toBe('ab'.repeat(8192));
    expect(rec({ maxAttributeValueLength: 1e9 }).attributes['otel.invalid_trace_id']).toBe('ab'.repeat(200_000));
  });

  it('has its own, larger limit for log bodies', () => {
    const body = 'x'.repeat(20_000);
    const rec = (opts?: DecodeOptions) =>
      decodeExportLogsRequest(encodeLogs([{ scopes: [{ items: [{ body }] }] }]), opts).resourceLogs[0]!.scopeLogs[0]!
        .logRecords[0]!.body;
    expect(rec()).toBe(body);
    expect(rec({ maxBodyLength: 100 })).toBe('x'.repeat(100));
    const j = decodeExportLogsRequestJson(
      JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: body } }] }] }] }),
      { maxBodyLength: 7 },
    );
    expect(j.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.body).toBe('xxxxxxx');
  });
});

describe('nesting depth', () => {
  it('accepts 16 levels and refuses 17, naming the byte', () => {
    expect(span({ ok: nested(16) }).attributes.ok).toEqual(nested(16));
    const e = (() => {
      try {
        span({ deep: nested(17) });
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(OtlpDecodeError);
    expect((e as OtlpDecodeError).message).toMatch(
      /^invalid ExportTraceServiceRequest: AnyValue nested deeper than 16 levels at byte \d+$/,
    );
  });

  it('honours a configured depth, capped so that recursion stays shallow', () => {
    expect(() => span({ a: nested(3) }, { maxDepth: 2 })).toThrow(/nested deeper than 2 levels/);
    expect(() => span({ a: nested(300) }, { maxDepth: 1e9 })).toThrow(/nested deeper than 256 levels/);
  });

  it('fails fast on very deep protobuf and JSON nesting', () => {
    const w = new Writer();
    for (let i = 0; i < 2_000; i++) w.fork(5).fork(1);
    w.tag(1, 2).string('x');
    for (let i = 0; i < 2_000; i++) w.join().join();
    const anyValue = w.finish();
    // resource_logs { scope_logs { log_records { body: <2000 nested arrays> } } }
    const body = new Writer();
    body.fork(1).fork(2).fork(2).tag(5, 2).bytes(anyValue).join().join().join();
    const started = performance.now();
    expect(() => decodeExportLogsRequest(body.finish())).toThrow(/AnyValue nested deeper than 16 levels/);
    let json = '{"stringValue":"x"}';
    for (let i = 0; i < 50_000; i++) json = `{"arrayValue":{"values":[${json}]}}`;
    expect(() =>
      decodeExportLogsRequestJson(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":${json}}]}]}]}`),
    ).toThrow(/logRecords\[0\]\.body(\.arrayValue\.values\[0\]){16}: AnyValue nested deeper than 16 levels$/);
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});
