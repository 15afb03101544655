import { describe, expect, it } from 'vitest';
import { parseSpanId, parseTraceId, unixNano, type ResourceSpans } from '@pivot/model';
import { decodeExportTraceRequest, encodeTracesData, tracesDataJson } from './index.ts';

const trace = parseTraceId('4bf92f3577b34da6a3ce929d0e0e4736')!;
const input: ResourceSpans[] = [
  {
    resource: { attributes: { 'service.name': 'checkout', 'host.cores': 8 }, droppedAttributesCount: 1 },
    scopeSpans: [
      {
        scope: { name: 'http', version: '1.2.0', attributes: { lib: 'undici' } },
        spans: [
          {
            traceId: trace,
            spanId: parseSpanId('00f067aa0ba902b7')!,
            parentSpanId: parseSpanId('1111111111111111')!,
            traceState: 'k=v',
            flags: 257,
            name: 'GET /cart',
            kind: 3,
            startTimeUnixNano: unixNano(1_795_554_618_123_456_789n),
            endTimeUnixNano: unixNano(1_795_554_618_223_456_789n),
            attributes: {
              s: 'x',
              i: 42,
              neg: -7,
              d: 0.5,
              b: true,
              arr: ['a', 1],
              kv: { inner: 'y' },
              empty: null,
            },
            droppedAttributesCount: 2,
            events: [
              {
                timeUnixNano: unixNano(1_795_554_618_123_456_790n),
                name: 'exception',
                attributes: { 'exception.message': 'boom' },
                droppedAttributesCount: 0,
              },
            ],
            droppedEventsCount: 3,
            links: [
              {
                traceId: trace,
                spanId: parseSpanId('2222222222222222')!,
                traceState: '',
                attributes: { why: 'retry' },
                droppedAttributesCount: 0,
                flags: 1,
              },
            ],
            droppedLinksCount: 4,
            status: { code: 2, message: 'declined' },
          },
        ],
      },
    ],
  },
];

describe('encodeTracesData', () => {
  it('round-trips through the OTLP decoder (TracesData and ExportTraceServiceRequest share field 1)', () => {
    const decoded = decodeExportTraceRequest(encodeTracesData(input));
    expect(decoded.rejected).toBe(0);
    expect(decoded.resourceSpans).toEqual(input);
  });

  it('writes OTLP/JSON with hex IDs and int64 as strings', () => {
    const [rs] = tracesDataJson(input) as { scopeSpans: { spans: Record<string, unknown>[] }[] }[];
    const span = rs!.scopeSpans[0]!.spans[0]!;
    expect(span).toMatchObject({
      traceId: trace,
      spanId: '00f067aa0ba902b7',
      startTimeUnixNano: '1795554618123456789',
      kind: 3,
      status: { code: 2, message: 'declined' },
    });
    expect(span.attributes).toContainEqual({ key: 'i', value: { intValue: '42' } });
    expect(span.attributes).toContainEqual({ key: 'd', value: { doubleValue: 0.5 } });
    expect(span.attributes).toContainEqual({
      key: 'kv',
      value: { kvlistValue: { values: [{ key: 'inner', value: { stringValue: 'y' } }] } },
    });
  });
});
