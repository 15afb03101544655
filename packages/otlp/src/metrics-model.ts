// A faithful in-memory form of OTLP metrics (opentelemetry/proto/metrics/v1). It is what both metrics
// decoders produce and what translate.ts maps onto Prometheus' data model; nothing is lost before that step.
import type { Attributes, Resource, Scope, SpanId, TraceId, UnixNano } from '@pivot/model';

export const AggregationTemporality = { UNSPECIFIED: 0, DELTA: 1, CUMULATIVE: 2 } as const;
/** DataPointFlags: the point marks the end of a series (Prometheus staleness). */
export const FLAG_NO_RECORDED_VALUE = 1;

export interface OtlpExemplar {
  filteredAttributes: Attributes;
  timeUnixNano: UnixNano;
  /** as_double arrives as a number, as_int as a bigint. */
  value: number | bigint;
  traceId: TraceId | null;
  spanId: SpanId | null;
}

export interface NumberDataPoint {
  attributes: Attributes;
  startTimeUnixNano: UnixNano;
  timeUnixNano: UnixNano;
  /** as_double arrives as a number, as_int as a bigint; a point with neither is 0. */
  value: number | bigint;
  exemplars: OtlpExemplar[];
  flags: number;
}

export interface HistogramDataPoint {
  attributes: Attributes;
  startTimeUnixNano: UnixNano;
  timeUnixNano: UnixNano;
  count: number;
  /** Null when the producer left the optional sum unset (e.g. negative observations). */
  sum: number | null;
  /** Per-bucket (not cumulative) counts; one more than explicitBounds when both are present. */
  bucketCounts: number[];
  explicitBounds: number[];
  exemplars: OtlpExemplar[];
  flags: number;
  min: number | null;
  max: number | null;
}

export interface ExponentialHistogramBuckets {
  offset: number;
  bucketCounts: number[];
}

export interface ExponentialHistogramDataPoint {
  attributes: Attributes;
  startTimeUnixNano: UnixNano;
  timeUnixNano: UnixNano;
  count: number;
  sum: number | null;
  scale: number;
  zeroCount: number;
  positive: ExponentialHistogramBuckets;
  negative: ExponentialHistogramBuckets;
  flags: number;
  exemplars: OtlpExemplar[];
  min: number | null;
  max: number | null;
  zeroThreshold: number;
}

export interface ValueAtQuantile {
  quantile: number;
  value: number;
}

export interface SummaryDataPoint {
  attributes: Attributes;
  startTimeUnixNano: UnixNano;
  timeUnixNano: UnixNano;
  count: number;
  sum: number;
  quantileValues: ValueAtQuantile[];
  flags: number;
}

export type MetricData =
  | { type: 'gauge'; dataPoints: NumberDataPoint[] }
  | { type: 'sum'; aggregationTemporality: number; isMonotonic: boolean; dataPoints: NumberDataPoint[] }
  | { type: 'histogram'; aggregationTemporality: number; dataPoints: HistogramDataPoint[] }
  | { type: 'exponentialHistogram'; aggregationTemporality: number; dataPoints: ExponentialHistogramDataPoint[] }
  | { type: 'summary'; dataPoints: SummaryDataPoint[] };

export interface OtlpMetric {
  name: string;
  description: string;
  unit: string;
  metadata: Attributes;
  data: MetricData;
}

export interface ScopeMetrics {
  scope: Scope;
  metrics: OtlpMetric[];
}

export interface ResourceMetrics {
  resource: Resource;
  scopeMetrics: ScopeMetrics[];
}

/**
 * What the metrics decoders return; `accepted` counts data points and metrics with no data are skipped.
 * Decoding refuses nothing on its own: points Prometheus cannot store are counted by otlpMetricsToPrometheus.
 */
export interface DecodedMetrics {
  resourceMetrics: ResourceMetrics[];
  accepted: number;
  rejected: number;
  message: string;
}
