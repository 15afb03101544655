// Metrics from the captured fixtures (a histogram, a counter and a gauge per export) and the decoding of
// every OTLP metric kind from Writer-built requests.
import { describe, expect, it } from 'vitest';
import { decodeExportMetricsRequest, type HistogramDataPoint, type NumberDataPoint, type OtlpMetric } from './index.ts';
import { fixture } from '../testing/fixtures.ts';
import { encodeMetrics } from '../testing/otlp-writer.ts';

const BOUNDS = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
const COUNTS = [0, 50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

// [file, histogram start, counter start, gauge start, time of all three, sum, min, max]
const FIXTURES: [string, bigint, bigint, bigint, bigint, number, number, number][] = [
  [
    'otlp-metrics-00.pb',
    1795554617719000000n,
    1795554617720000000n,
    1795554617721000000n,
    1795554617722000000n,
    4.96360529009515,
    0.00465992567800746,
    1.6641830593869154,
  ],
  [
    'otlp-metrics-01.pb',
    1795554617719000000n,
    1795554617720000000n,
    1795554617721000000n,
    1795554617761000000n,
    4.96360529009515,
    0.00465992567800746,
    1.6641830593869154,
  ],
  [
    'otlp-metrics-05.pb',
    1795554618176000000n,
    1795554618176000000n,
    1795554618177000000n,
    1795554618178000000n,
    4.8273852005872415,
    0.000895965293111245,
    1.600598418462262,
  ],
  [
    'otlp-metrics-06.pb',
    1795554618176000000n,
    1795554618176000000n,
    1795554618177000000n,
    1795554618211000000n,
    4.8273852005872415,
    0.000895965293111245,
    1.600598418462262,
  ],
  [
    'otlp-metrics-10.pb',
    1795554618617000000n,
    1795554618617000000n,
    1795554618619000000n,
    1795554618619000000n,
    4.102494837306377,
    0.007606794957526053,
    1.4231037736899772,
  ],
  [
    'otlp-metrics-11.pb',
    1795554618617000000n,
    1795554618617000000n,
    1795554618619000000n,
    1795554618650000000n,
    4.102494837306377,
    0.007606794957526053,
    1.4231037736899772,
  ],
];

describe.each(FIXTURES)('metrics fixture %s', (file, hStart, cStart, gStart, time, sum, min, max) => {
  const d = decodeExportMetricsRequest(fixture(file));

  it('has one resource and scope with three metrics of one point each', () => {
    expect(d).toMatchObject({ accepted: 3, rejected: 0, message: '' });
    expect(d.resourceMetrics).toHaveLength(1);
    const rm = d.resourceMetrics[0]!;
    expect(rm.resource).toEqual({ attributes: { 'service.name': 'checkout-api' }, droppedAttributesCount: 0 });
    expect(rm.scopeMetrics.map((s) => s.scope)).toEqual([{ name: 'm', version: '', attributes: {} }]);
    expect(rm.scopeMetrics[0]!.metrics.map((m) => [m.name, m.unit, m.description, m.data.type])).toEqual([
      ['http.server.request.duration', 's', '', 'histogram'],
      ['http.server.requests', '', '', 'sum'],
      ['process.memory.usage', 'By', '', 'gauge'],
    ]);
  });

  const [h, c, g] = d.resourceMetrics[0]!.scopeMetrics[0]!.metrics as [OtlpMetric, OtlpMetric, OtlpMetric];

  it('decodes the cumulative histogram', () => {
    expect(h.data).toMatchObject({ type: 'histogram', aggregationTemporality: 2 });
    const p = h.data.dataPoints[0] as HistogramDataPoint;
    expect(p).toEqual({
      attributes: { 'http.route': '/api/checkout', 'http.request.method': 'GET' },
      startTimeUnixNano: hStart,
      timeUnixNano: time,
      count: 50,
      sum,
      bucketCounts: COUNTS,
      explicitBounds: BOUNDS,
      exemplars: [],
      flags: 0,
      min,
      max,
    });
  });

  it('decodes the monotonic cumulative counter and the gauge', () => {
    expect(c.data).toMatchObject({ type: 'sum', aggregationTemporality: 2, isMonotonic: true });
    expect(c.data.dataPoints[0] as NumberDataPoint).toEqual({
      attributes: { route: '/api/checkout' },
      startTimeUnixNano: cStart,
      timeUnixNano: time,
      value: 50,
      exemplars: [],
      flags: 0,
    });
    expect(g.data.dataPoints[0] as NumberDataPoint).toEqual({
      attributes: {},
      startTimeUnixNano: gStart,
      timeUnixNano: time,
      value: 123456789,
      exemplars: [],
      flags: 0,
    });
  });
});

describe('metric kinds', () => {
  const T = '4bf92f3577b34da6a3ce929d0e0e4736';
  const S = '00f067aa0ba902b7';

  it('decodes exemplars with filtered attributes, int values and trace links', () => {
    const d = decodeExportMetricsRequest(
      encodeMetrics([
        {
          scopes: [
            {
              items: [
                {
                  name: 'c',
                  temporality: 2,
                  monotonic: true,
                  sum: [
                    {
                      int: -7n,
                      time: 2n,
                      exemplars: [
                        { int: 3n, time: 1_000_000n, traceId: T, spanId: S, attributes: { 'user.id': 'u1' } },
                        { double: 0.5, traceId: '00000000000000000000000000000000', spanId: 'abcd' },
                      ],
                    },
                  ],
                },
              ],
            },
          ],
        },
      ]),
    );
    const p = d.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.data.dataPoints[0] as NumberDataPoint;
    expect(p.value).toBe(-7n);
    expect(p.exemplars).toEqual([
      { filteredAttributes: { 'user.id': 'u1' }, timeUnixNano: 1_000_000n, value: 3n, traceId: T, spanId: S },
      { filteredAttributes: {}, timeUnixNano: 0n, value: 0.5, traceId: null, spanId: null },
    ]);
  });

  it('accepts packed and unpacked repeated histogram fields alike', () => {
    const point = { count: 6, sum: 3.25, bucketCounts: [2, 3, 0, 1], bounds: [0.1, 0.5, 1] };
    const decode = (unpacked: boolean) =>
      decodeExportMetricsRequest(
        encodeMetrics([{ scopes: [{ items: [{ name: 'h', temporality: 2, histogram: [{ ...point, unpacked }] }] }] }]),
      ).resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.data.dataPoints[0];
    expect(decode(false)).toMatchObject({
      count: 6,
      sum: 3.25,
      bucketCounts: [2, 3, 0, 1],
      explicitBounds: [0.1, 0.5, 1],
      min: null,
    });
    expect(decode(true)).toEqual(decode(false));
  });

  it('decodes summaries and exponential histograms', () => {
    const d = decodeExportMetricsRequest(
      encodeMetrics([
        {
          scopes: [
            {
              items: [
                {
                  name: 's',
                  summary: [
                    {
                      count: 4,
                      sum: 10,
                      quantiles: [
                        [0.5, 2],
                        [0.99, 4],
                      ],
                      flags: 1,
                    },
                  ],
                },
                {
                  name: 'e',
                  temporality: 1,
                  expHistogram: [{ count: 5, scale: -2, zeroCount: 1, positive: { offset: -3, counts: [1, 3] } }],
                },
              ],
            },
          ],
        },
      ]),
    );
    const [s, e] = d.resourceMetrics[0]!.scopeMetrics[0]!.metrics;
    expect(s!.data).toEqual({
      type: 'summary',
      dataPoints: [
        {
          attributes: {},
          startTimeUnixNano: 0n,
          timeUnixNano: 0n,
          count: 4,
          sum: 10,
          quantileValues: [
            { quantile: 0.5, value: 2 },
            { quantile: 0.99, value: 4 },
          ],
          flags: 1,
        },
      ],
    });
    expect(e!.data).toMatchObject({
      type: 'exponentialHistogram',
      aggregationTemporality: 1,
      dataPoints: [
        {
          count: 5,
          scale: -2,
          zeroCount: 1,
          positive: { offset: -3, bucketCounts: [1, 3] },
          negative: { offset: 0, bucketCounts: [] },
        },
      ],
    });
    expect(d.accepted).toBe(2);
  });
});
