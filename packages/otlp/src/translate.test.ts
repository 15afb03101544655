// OTLP metrics → Prometheus series, checked against what Prometheus' OTLP receiver produces.
import { describe, expect, it } from 'vitest';
import type { TimeSeries } from '@pivot/model';
import {
  decodeExportMetricsRequest,
  isStaleNaN,
  otlpMetricsToPrometheus,
  type PrometheusTranslation,
} from './index.ts';
import { fixture } from '../testing/fixtures.ts';
import { encodeMetrics, type TAttrs, type TMetric } from '../testing/otlp-writer.ts';

function translate(metrics: TMetric[], resource: TAttrs = { 'service.name': 'svc' }): PrometheusTranslation {
  return otlpMetricsToPrometheus(
    decodeExportMetricsRequest(
      encodeMetrics([{ attributes: resource, scopes: [{ name: 'lib', version: '2', items: metrics }] }]),
    ).resourceMetrics,
  );
}
const byName = (t: PrometheusTranslation, name: string): TimeSeries[] =>
  t.batch.series.filter((s) => s.labels.__name__ === name);

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';

describe('fixtures', () => {
  it.each([
    ['otlp-metrics-00.pb', 1795554617722],
    ['otlp-metrics-01.pb', 1795554617761],
    ['otlp-metrics-05.pb', 1795554618178],
    ['otlp-metrics-06.pb', 1795554618211],
    ['otlp-metrics-10.pb', 1795554618619],
    ['otlp-metrics-11.pb', 1795554618650],
  ])('%s → histogram buckets, a _total counter and a _bytes gauge at %d ms', (file, ms) => {
    const t = otlpMetricsToPrometheus(decodeExportMetricsRequest(fixture(file)).resourceMetrics);
    expect(t.rejected).toBe(0);
    expect(t.message).toBe('');
    const names = [...new Set(t.batch.series.map((s) => s.labels.__name__))];
    expect(names).toEqual([
      'http_server_request_duration_seconds_sum',
      'http_server_request_duration_seconds_count',
      'http_server_request_duration_seconds_bucket',
      'http_server_requests_total',
      'process_memory_usage_bytes',
    ]);
    // Only service.name on the resource: job but no target_info, as in Prometheus.
    expect(t.batch.series).toHaveLength(20);
    const buckets = byName(t, 'http_server_request_duration_seconds_bucket');
    expect(buckets.map((s) => [s.labels.le, s.samples[0]!.value])).toEqual([
      ['0', 0],
      ...['5', '10', '25', '50', '75', '100', '250', '500', '750', '1000', '2500', '5000', '7500', '10000', '+Inf'].map(
        (le) => [le, 50],
      ),
    ]);
    expect(buckets[0]!.labels).toEqual({
      __name__: 'http_server_request_duration_seconds_bucket',
      http_request_method: 'GET',
      http_route: '/api/checkout',
      job: 'checkout-api',
      le: '0',
    });
    expect(byName(t, 'http_server_request_duration_seconds_count')[0]!.samples).toEqual([
      { timestampMs: ms, value: 50 },
    ]);
    expect(byName(t, 'http_server_requests_total')[0]).toEqual({
      labels: { __name__: 'http_server_requests_total', job: 'checkout-api', route: '/api/checkout' },
      samples: [{ timestampMs: ms, value: 50 }],
      exemplars: [],
    });
    expect(byName(t, 'process_memory_usage_bytes')[0]!.samples).toEqual([{ timestampMs: ms, value: 123456789 }]);
    expect(t.batch.metadata).toEqual([
      { metricFamilyName: 'http_server_request_duration_seconds', type: 'histogram', help: '', unit: 'seconds' },
      { metricFamilyName: 'http_server_requests_total', type: 'counter', help: '', unit: '' },
      { metricFamilyName: 'process_memory_usage_bytes', type: 'gauge', help: '', unit: 'bytes' },
    ]);
  });
});

describe('histograms', () => {
  const t = translate([
    {
      name: 'rpc.duration',
      unit: 's',
      description: 'RPC latency',
      temporality: 2,
      histogram: [
        {
          attributes: { 'rpc.method': 'Get' },
          time: 1_700_000_000_123_456_789n,
          count: 6,
          sum: 3.25,
          bucketCounts: [2, 3, 0, 1],
          bounds: [0.1, 0.5, 1],
          exemplars: [
            { double: 0.05, traceId: T, spanId: S, time: 1_700_000_000_100_000_000n },
            { double: 0.3, traceId: T },
            { double: 1, attributes: { 'user.id': 'u-1' } },
            { double: 7 },
          ],
        },
      ],
    },
  ]);

  it('turns per-bucket counts into cumulative le buckets with +Inf last, plus _sum and _count', () => {
    expect(t.rejected).toBe(0);
    const b = byName(t, 'rpc_duration_seconds_bucket');
    expect(b.map((s) => [s.labels.le, s.samples])).toEqual([
      ['0.1', [{ timestampMs: 1_700_000_000_123, value: 2 }]],
      ['0.5', [{ timestampMs: 1_700_000_000_123, value: 5 }]],
      ['1', [{ timestampMs: 1_700_000_000_123, value: 5 }]],
      ['+Inf', [{ timestampMs: 1_700_000_000_123, value: 6 }]],
    ]);
    expect(byName(t, 'rpc_duration_seconds_sum')[0]!.samples[0]!.value).toBe(3.25);
    expect(byName(t, 'rpc_duration_seconds_count')[0]!.samples[0]!.value).toBe(6);
    expect(b[0]!.labels).toEqual({ __name__: 'rpc_duration_seconds_bucket', job: 'svc', le: '0.1', rpc_method: 'Get' });
    expect(t.batch.metadata).toContainEqual({
      metricFamilyName: 'rpc_duration_seconds',
      type: 'histogram',
      help: 'RPC latency',
      unit: 'seconds',
    });
  });

  it('attaches each exemplar to the bucket that contains its value, keeping trace links', () => {
    const b = byName(t, 'rpc_duration_seconds_bucket');
    const at = (le: string) => b.find((s) => s.labels.le === le)!.exemplars;
    expect(at('0.1')).toEqual([
      { labels: { trace_id: T, span_id: S }, value: 0.05, timestampMs: 1_700_000_000_100, traceId: T, spanId: S },
    ]);
    expect(at('0.5')).toEqual([{ labels: { trace_id: T }, value: 0.3, timestampMs: 0, traceId: T, spanId: null }]);
    expect(at('1')).toEqual([{ labels: { user_id: 'u-1' }, value: 1, timestampMs: 0, traceId: null, spanId: null }]);
    expect(at('+Inf').map((e) => e.value)).toEqual([7]);
    expect(byName(t, 'rpc_duration_seconds_sum')[0]!.exemplars).toEqual([]);
  });

  it('marks every series of a NO_RECORDED_VALUE point with the stale NaN', () => {
    const s = translate([
      { name: 'h', temporality: 2, histogram: [{ count: 1, sum: 1, bucketCounts: [1, 0], bounds: [1], flags: 1 }] },
    ]);
    expect(s.batch.series).toHaveLength(4);
    for (const ts of s.batch.series) expect(isStaleNaN(ts.samples[0]!.value)).toBe(true);
  });

  it('omits _sum when the producer left it unset', () => {
    const s = translate([{ name: 'h', temporality: 2, histogram: [{ count: 1, bucketCounts: [1], bounds: [] }] }]);
    expect(s.batch.series.map((x) => x.labels.__name__)).toEqual(['h_count', 'h_bucket']);
  });
});

describe('sums and gauges', () => {
  it('makes a monotonic cumulative sum a _total counter with its exemplars', () => {
    const t = translate([
      {
        name: 'http.server.requests',
        unit: '{request}',
        temporality: 2,
        monotonic: true,
        sum: [
          {
            int: 42n,
            time: 5_000_000n,
            attributes: { code: { int: 200 } },
            exemplars: [{ int: 1n, traceId: T, spanId: S }],
          },
        ],
      },
    ]);
    expect(t.batch.series).toEqual([
      {
        labels: { __name__: 'http_server_requests_total', code: '200', job: 'svc' },
        samples: [{ timestampMs: 5, value: 42 }],
        exemplars: [{ labels: { trace_id: T, span_id: S }, value: 1, timestampMs: 0, traceId: T, spanId: S }],
      },
    ]);
    expect(t.batch.metadata).toEqual([
      { metricFamilyName: 'http_server_requests_total', type: 'counter', help: '', unit: '' },
    ]);
  });

  it('makes a non-monotonic sum a gauge without _total', () => {
    const t = translate([
      { name: 'queue.depth', unit: '{item}', temporality: 2, monotonic: false, sum: [{ double: -3 }] },
    ]);
    expect(t.batch.series.map((s) => [s.labels.__name__, s.samples[0]!.value])).toEqual([['queue_depth', -3]]);
    expect(t.batch.metadata[0]!.type).toBe('gauge');
  });

  it('adds _ratio to unit-1 gauges and the stale NaN for NO_RECORDED_VALUE', () => {
    const t = translate([
      {
        name: 'cpu.utilization',
        unit: '1',
        gauge: [
          { double: 0.5, time: 1_000_000n },
          { flags: 1, time: 2_000_000n },
        ],
      },
    ]);
    const [s] = t.batch.series;
    expect(s!.labels.__name__).toBe('cpu_utilization_ratio');
    expect(s!.samples.map((x) => x.timestampMs)).toEqual([1, 2]);
    expect(s!.samples[0]!.value).toBe(0.5);
    expect(isStaleNaN(s!.samples[1]!.value)).toBe(true);
    expect(isStaleNaN(NaN)).toBe(false);
  });

  it('joins attributes that collide after sanitising, in key order, and lets job/instance win', () => {
    const t = translate(
      [
        {
          name: 'g',
          gauge: [{ double: 1, attributes: { 'a.b': 'x', a_b: 'y', job: 'mine', '': 'dropped', empty: '' } }],
        },
      ],
      { 'service.name': 'svc', 'service.namespace': 'shop', 'service.instance.id': 'pod-1' },
    );
    expect(t.batch.series[0]!.labels).toEqual({ __name__: 'g', a_b: 'x;y', instance: 'pod-1', job: 'shop/svc' });
  });
});

describe('summaries', () => {
  it('emits quantile series plus _sum and _count', () => {
    const t = translate([
      {
        name: 'rpc.latency',
        unit: 'ms',
        summary: [
          {
            count: 10,
            sum: 55,
            quantiles: [
              [0.5, 4],
              [0.99, 9.5],
            ],
            time: 3_000_000n,
          },
        ],
      },
    ]);
    expect(t.batch.series.map((s) => [s.labels.__name__, s.labels.quantile, s.samples[0]!.value])).toEqual([
      ['rpc_latency_milliseconds_sum', undefined, 55],
      ['rpc_latency_milliseconds_count', undefined, 10],
      ['rpc_latency_milliseconds', '0.5', 4],
      ['rpc_latency_milliseconds', '0.99', 9.5],
    ]);
    expect(t.batch.metadata[0]).toEqual({
      metricFamilyName: 'rpc_latency_milliseconds',
      type: 'summary',
      help: '',
      unit: 'milliseconds',
    });
  });
});

describe('rejections (partial success)', () => {
  it('rejects DELTA and UNSPECIFIED temporality points and keeps the rest of the request', () => {
    const t = translate([
      { name: 'deltas', temporality: 1, monotonic: true, sum: [{ int: 1n }, { int: 2n }] },
      { name: 'delta.h', temporality: 1, histogram: [{ count: 1, bucketCounts: [1], bounds: [] }] },
      { name: 'unspecified', temporality: 0, monotonic: false, sum: [{ int: 1n }] },
      { name: 'ok', gauge: [{ double: 1 }] },
    ]);
    expect(t.rejected).toBe(4);
    expect(t.message).toBe(
      'rejected 4 of 5 data points: metric "deltas" has DELTA aggregation temporality; only CUMULATIVE is supported (2); ' +
        'metric "delta.h" has DELTA aggregation temporality; only CUMULATIVE is supported (1); ' +
        'metric "unspecified" has UNSPECIFIED aggregation temporality; only CUMULATIVE is supported (1)',
    );
    expect(t.batch.series.map((s) => s.labels.__name__)).toEqual(['ok']);
    expect(t.batch.metadata.map((m) => m.metricFamilyName)).toEqual(['ok']);
  });

  it('rejects exponential histograms with a clear message', () => {
    const t = translate([
      {
        name: 'latency',
        temporality: 2,
        expHistogram: [
          { count: 3, scale: 1 },
          { count: 1, scale: 1 },
        ],
      },
    ]);
    expect(t).toMatchObject({
      rejected: 2,
      message: 'rejected 2 of 2 data points: metric "latency" is an exponential histogram, which is not supported (2)',
    });
    expect(t.batch.series).toEqual([]);
  });

  it('rejects metrics whose name has no valid Prometheus form', () => {
    const t = translate([{ name: '#$%', gauge: [{ double: 1 }] }]);
    expect(t.rejected).toBe(1);
    expect(t.message).toContain('metric name "#$%" has no valid Prometheus form');
  });
});

describe('target_info', () => {
  it('carries the non-identifying resource attributes with job and instance, value 1', () => {
    const t = translate(
      [
        {
          name: 'g',
          gauge: [
            { double: 1, time: 10_000_000n },
            { double: 2, time: 20_000_000n },
          ],
        },
      ],
      {
        'service.name': 'api',
        'service.namespace': 'shop',
        'service.instance.id': 'pod-7',
        'host.name': 'node-1',
        'k8s.pod.uid': 'abc',
      },
    );
    const info = byName(t, 'target_info');
    expect(info).toEqual([
      {
        labels: {
          __name__: 'target_info',
          host_name: 'node-1',
          instance: 'pod-7',
          job: 'shop/api',
          k8s_pod_uid: 'abc',
        },
        samples: [
          { timestampMs: 10, value: 1 },
          { timestampMs: 20, value: 1 },
        ],
        exemplars: [],
      },
    ]);
    expect(byName(t, 'g')[0]!.labels).toEqual({ __name__: 'g', instance: 'pod-7', job: 'shop/api' });
    expect(t.batch.metadata).toContainEqual({
      metricFamilyName: 'target_info',
      type: 'gauge',
      help: 'Target metadata',
      unit: '',
    });
  });

  it('spaces samples over a long batch at half the default lookback delta', () => {
    const t = translate(
      [
        {
          name: 'g',
          gauge: [
            { double: 1, time: 0n },
            { double: 1, time: 400_000_000_000n },
          ],
        },
      ],
      {
        'service.name': 'api',
        'host.name': 'h',
      },
    );
    expect(byName(t, 'target_info')[0]!.samples.map((s) => s.timestampMs)).toEqual([0, 150_000, 300_000, 400_000]);
  });

  it('is left out without identifying attributes or without anything else to carry', () => {
    expect(byName(translate([{ name: 'g', gauge: [{ double: 1 }] }], { 'host.name': 'h' }), 'target_info')).toEqual([]);
    expect(byName(translate([{ name: 'g', gauge: [{ double: 1 }] }], { 'service.name': 's' }), 'target_info')).toEqual(
      [],
    );
  });
});

describe('options', () => {
  it('promotes chosen resource attributes and scope metadata', () => {
    const d = decodeExportMetricsRequest(
      encodeMetrics([
        {
          attributes: { 'service.name': 'svc', 'k8s.namespace.name': 'prod', 'host.name': 'h' },
          scopes: [
            { name: 'lib', version: '2', attributes: { tier: 'x' }, items: [{ name: 'g', gauge: [{ double: 1 }] }] },
          ],
        },
      ]),
    );
    const t = otlpMetricsToPrometheus(d.resourceMetrics, {
      promoteResourceAttributes: ['k8s.namespace.name'],
      promoteScopeMetadata: true,
      disableTargetInfo: true,
    });
    expect(t.batch.series).toHaveLength(1);
    expect(t.batch.series[0]!.labels).toEqual({
      __name__: 'g',
      job: 'svc',
      k8s_namespace_name: 'prod',
      otel_scope_name: 'lib',
      otel_scope_tier: 'x',
      otel_scope_version: '2',
    });
  });
});
