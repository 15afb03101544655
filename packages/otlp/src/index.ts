// @pivot/otlp: pure OTLP decoders (bytes → model) and the metrics translation to Prometheus series.
export { OtlpDecodeError } from './errors.ts';
export { DEFAULT_LIMITS, type DecodeOptions, type Limits } from './options.ts';

export { decodeExportTraceRequest, type DecodedTraces } from './traces.ts';
export { decodeExportTraceRequestJson } from './json-traces.ts';

export { decodeExportLogsRequest, INVALID_SPAN_ID_ATTR, INVALID_TRACE_ID_ATTR, type DecodedLogs } from './logs.ts';
export { decodeExportLogsRequestJson } from './json-logs.ts';

export { decodeExportMetricsRequest } from './metrics.ts';
export { decodeExportMetricsRequestJson } from './json-metrics.ts';
export {
  AggregationTemporality,
  FLAG_NO_RECORDED_VALUE,
  type DecodedMetrics,
  type ExponentialHistogramBuckets,
  type ExponentialHistogramDataPoint,
  type HistogramDataPoint,
  type MetricData,
  type NumberDataPoint,
  type OtlpExemplar,
  type OtlpMetric,
  type ResourceMetrics,
  type ScopeMetrics,
  type SummaryDataPoint,
  type ValueAtQuantile,
} from './metrics-model.ts';

export {
  otlpMetricsToPrometheus,
  isStaleNaN,
  STALE_NAN,
  STALE_NAN_BITS,
  type PrometheusTranslation,
  type TranslateOptions,
} from './translate.ts';
export { prometheusLabelName, prometheusMetricName, prometheusUnit, type NamerMetricType } from './naming.ts';

export { encodeExportResponse, type PartialSuccess } from './response.ts';
export { encodeTracesData, tracesDataJson, keyValuesJson } from './encode-traces.ts';
