// The OTLP/JSON mapping's looser corners: snake_case keys, int64 as string or number, enum names,
// special doubles, and AnyValue shapes.
import { describe, expect, it } from 'vitest';
import {
  decodeExportLogsRequestJson,
  decodeExportMetricsRequestJson,
  decodeExportTraceRequestJson,
  OtlpDecodeError,
  type HistogramDataPoint,
} from './index.ts';

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';

describe('OTLP/JSON field names and scalars', () => {
  it('accepts snake_case keys, int64 numbers and enum names', () => {
    const d = decodeExportTraceRequestJson(
      JSON.stringify({
        resource_spans: [
          {
            resource: {
              attributes: [{ key: 'service.name', value: { string_value: 'svc' } }],
              dropped_attributes_count: 2,
            },
            scope_spans: [
              {
                scope: { name: 'lib', version: '1' },
                spans: [
                  {
                    trace_id: TRACE,
                    span_id: SPAN,
                    parent_span_id: '',
                    name: 'op',
                    kind: 'SPAN_KIND_CLIENT',
                    start_time_unix_nano: 1544712660000000000,
                    end_time_unix_nano: '1544712661000000000',
                    attributes: [
                      { key: 'n', value: { int_value: '9007199254740993' } },
                      { key: 'm', value: { intValue: -42 } },
                      { key: 'd', value: { double_value: 'NaN' } },
                      { key: 'b', value: { bool_value: true } },
                      { key: 'bytes', value: { bytes_value: 'AAEC' } },
                      { key: 'arr', value: { array_value: { values: [{ stringValue: 'a' }, { intValue: '1' }] } } },
                      {
                        key: 'kv',
                        value: { kvlist_value: { values: [{ key: 'x', value: { boolValue: false } }, { key: 'y' }] } },
                      },
                      { key: 'empty', value: {} },
                      { key: 'none' },
                    ],
                    status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
                    events: [{ time_unix_nano: '5', name: 'e', dropped_attributes_count: 1 }],
                    dropped_events_count: 3,
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    const rs = d.resourceSpans[0]!;
    expect(rs.resource).toEqual({ attributes: { 'service.name': 'svc' }, droppedAttributesCount: 2 });
    expect(rs.scopeSpans[0]!.scope).toEqual({ name: 'lib', version: '1', attributes: {} });
    const s = rs.scopeSpans[0]!.spans[0]!;
    expect(s).toMatchObject({ traceId: TRACE, spanId: SPAN, parentSpanId: null, kind: 3, droppedEventsCount: 3 });
    expect(s.startTimeUnixNano).toBe(1544712660000000000n);
    expect(s.endTimeUnixNano).toBe(1544712661000000000n);
    expect(s.status).toEqual({ code: 2, message: 'boom' });
    expect(s.events).toEqual([{ timeUnixNano: 5n, name: 'e', attributes: {}, droppedAttributesCount: 1 }]);
    expect(s.attributes).toEqual({
      n: '9007199254740993', // beyond 2^53: kept exact as a decimal string
      m: -42,
      d: NaN,
      b: true,
      bytes: 'AAEC',
      arr: ['a', 1],
      kv: { x: false, y: null },
      empty: null,
      none: null,
    });
  });

  it('decodes log severities by name and bodies of every AnyValue kind', () => {
    const log = (body: object, extra: object = {}) => ({ body, ...extra });
    const d = decodeExportLogsRequestJson(
      JSON.stringify({
        resourceLogs: [
          {
            scopeLogs: [
              {
                logRecords: [
                  log({ stringValue: 'plain' }, { severityNumber: 'SEVERITY_NUMBER_WARN2', eventName: 'ev' }),
                  log({
                    kvlistValue: {
                      values: [
                        { key: 'user', value: { kvlistValue: { values: [{ key: 'id', value: { intValue: '7' } }] } } },
                      ],
                    },
                  }),
                  log({ arrayValue: { values: [{ doubleValue: 1.5 }, { doubleValue: '-Infinity' }] } }),
                  log({ bytesValue: '3q2+7w==' }),
                ],
              },
            ],
          },
        ],
      }),
    );
    const recs = d.resourceLogs[0]!.scopeLogs[0]!.logRecords;
    expect(recs.map((r) => r.body)).toEqual(['plain', { user: { id: 7 } }, [1.5, -Infinity], '3q2+7w==']);
    expect(recs[0]).toMatchObject({ severityNumber: 14, eventName: 'ev', traceId: null, spanId: null });
    expect(d).toMatchObject({ accepted: 4, rejected: 0 });
  });

  it('decodes metrics with int64 counts as strings and aggregation temporality by name', () => {
    const d = decodeExportMetricsRequestJson(
      JSON.stringify({
        resourceMetrics: [
          {
            scopeMetrics: [
              {
                metrics: [
                  {
                    name: 'h',
                    histogram: {
                      aggregation_temporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE',
                      data_points: [
                        {
                          time_unix_nano: '2000000',
                          count: '3',
                          sum: 2.5,
                          bucket_counts: ['1', 2],
                          explicit_bounds: [1],
                          exemplars: [{ as_int: '3', trace_id: TRACE, span_id: SPAN, time_unix_nano: '1000000' }],
                        },
                      ],
                    },
                  },
                  { name: 'g', gauge: { dataPoints: [{ asInt: '-5' }, { asDouble: 'Infinity' }] } },
                  { name: 'nodata' },
                ],
              },
            ],
          },
        ],
      }),
    );
    const ms = d.resourceMetrics[0]!.scopeMetrics[0]!.metrics;
    expect(ms.map((m) => m.name)).toEqual(['h', 'g']);
    expect(ms[0]!.data).toMatchObject({
      type: 'histogram',
      aggregationTemporality: 2,
      dataPoints: [{ count: 3, sum: 2.5, bucketCounts: [1, 2], explicitBounds: [1], min: null, max: null }],
    });
    expect((ms[0]!.data.dataPoints[0] as HistogramDataPoint).exemplars).toEqual([
      { filteredAttributes: {}, timeUnixNano: 1000000n, value: 3n, traceId: TRACE, spanId: SPAN },
    ]);
    expect(ms[1]!.data.dataPoints.map((p) => ('value' in p ? p.value : undefined))).toEqual([-5n, Infinity]);
    expect(d.accepted).toBe(3);
  });

  it.each([
    [
      '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"' +
        TRACE +
        '","spanId":"' +
        SPAN +
        '","startTimeUnixNano":"12x"}]}]}]}',
      'ExportTraceServiceRequest.resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: expected an integer or a decimal string, got "12x"',
    ],
    [
      '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"' + TRACE + '","spanId":"' + SPAN + '","kind":1.5}]}]}]}',
      'ExportTraceServiceRequest.resourceSpans[0].scopeSpans[0].spans[0].kind: expected a 32-bit integer, got number',
    ],
    [
      '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"' +
        TRACE +
        '","spanId":"' +
        SPAN +
        '","attributes":[{"key":"a","value":{"intValue":"99999999999999999999"}}]}]}]}]}',
      'ExportTraceServiceRequest.resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.intValue: 99999999999999999999 is out of range for a 64-bit integer',
    ],
    [
      '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"' +
        TRACE +
        '","spanId":"' +
        SPAN +
        '","attributes":[{"key":"a","value":{"bytesValue":"not base64!"}}]}]}]}]}',
      'ExportTraceServiceRequest.resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.bytesValue: expected a base64 string',
    ],
    [
      '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"' +
        TRACE +
        '","spanId":"' +
        SPAN +
        '","endTimeUnixNano":"' +
        '9'.repeat(1_000_000) +
        '"}]}]}]}',
      'ExportTraceServiceRequest.resourceSpans[0].scopeSpans[0].spans[0].endTimeUnixNano: 999999999999999999999999… is out of range for a 64-bit integer',
    ],
  ])('rejects malformed scalars with the field path: %#', (body, message) => {
    expect(() => decodeExportTraceRequestJson(body)).toThrow(new OtlpDecodeError(message));
  });
});
