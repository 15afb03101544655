// OTLP/JSON ExportMetricsServiceRequest → the metrics model of metrics-model.ts.
import type { Attributes, SpanId, TraceId } from '@pivot/model';
import { checkHexId } from './hex.ts';
import { JsonCtx, parseJsonBody, type JsonObject } from './json.ts';
import { jsonResource, jsonScope } from './json-resource.ts';
import type {
  DecodedMetrics,
  ExponentialHistogramBuckets,
  HistogramDataPoint,
  MetricData,
  NumberDataPoint,
  OtlpExemplar,
  OtlpMetric,
  ResourceMetrics,
  ScopeMetrics,
  SummaryDataPoint,
  ExponentialHistogramDataPoint,
} from './metrics-model.ts';
import { resolveLimits, type DecodeOptions } from './options.ts';
import { Rejections } from './rejections.ts';

const TEMPORALITY_NAMES: Readonly<Record<string, number>> = {
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA: 1,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
};

export function decodeExportMetricsRequestJson(body: string | Uint8Array, options?: DecodeOptions): DecodedMetrics {
  const c = new JsonCtx(resolveLimits(options), 'ExportMetricsServiceRequest');
  const root = c.rootObject(parseJsonBody(body, 'ExportMetricsServiceRequest'));
  const rej = new Rejections('data point');
  const list = c.arr(root, 'resourceMetrics', 'resource_metrics');
  const resourceMetrics: ResourceMetrics[] = [];
  c.push('resourceMetrics');
  for (let i = 0; i < list.length; i++) {
    c.at(i);
    const rm = c.elem(list[i]);
    const resource = jsonResource(c, rm);
    const scopes = c.arr(rm, 'scopeMetrics', 'scope_metrics');
    const scopeMetrics: ScopeMetrics[] = [];
    c.push('scopeMetrics');
    for (let j = 0; j < scopes.length; j++) {
      c.at(j);
      const sm = c.elem(scopes[j]);
      const scope = jsonScope(c, sm);
      const items = c.arr(sm, 'metrics', 'metrics');
      const metrics: OtlpMetric[] = [];
      c.push('metrics');
      for (let k = 0; k < items.length; k++) {
        c.at(k);
        const m = jsonMetric(c, c.elem(items[k]));
        if (m !== null) {
          metrics.push(m);
          rej.accepted += m.data.dataPoints.length;
        }
      }
      c.pop();
      scopeMetrics.push({ scope, metrics });
    }
    c.pop();
    resourceMetrics.push({ resource, scopeMetrics });
  }
  c.pop();
  return { resourceMetrics, accepted: rej.accepted, rejected: rej.rejected, message: rej.message() };
}

function jsonMetric(c: JsonCtx, o: JsonObject): OtlpMetric | null {
  const metadata: Attributes = {};
  c.attributes(o, 'metadata', 'metadata', metadata);
  let data: MetricData | null = null;
  let d: JsonObject | null;
  if ((d = c.obj(o, 'gauge', 'gauge')) !== null) {
    data = { type: 'gauge', dataPoints: points(c, d, 'gauge', numberPoint) };
  } else if ((d = c.obj(o, 'sum', 'sum')) !== null) {
    c.push('sum');
    const aggregationTemporality = c.enumValue(
      d,
      'aggregationTemporality',
      'aggregation_temporality',
      TEMPORALITY_NAMES,
    );
    const isMonotonic = c.bool(d, 'isMonotonic', 'is_monotonic');
    c.pop();
    data = { type: 'sum', aggregationTemporality, isMonotonic, dataPoints: points(c, d, 'sum', numberPoint) };
  } else if ((d = c.obj(o, 'histogram', 'histogram')) !== null) {
    c.push('histogram');
    const aggregationTemporality = c.enumValue(
      d,
      'aggregationTemporality',
      'aggregation_temporality',
      TEMPORALITY_NAMES,
    );
    c.pop();
    data = { type: 'histogram', aggregationTemporality, dataPoints: points(c, d, 'histogram', histogramPoint) };
  } else if ((d = c.obj(o, 'exponentialHistogram', 'exponential_histogram')) !== null) {
    c.push('exponentialHistogram');
    const aggregationTemporality = c.enumValue(
      d,
      'aggregationTemporality',
      'aggregation_temporality',
      TEMPORALITY_NAMES,
    );
    c.pop();
    data = {
      type: 'exponentialHistogram',
      aggregationTemporality,
      dataPoints: points(c, d, 'exponentialHistogram', expHistogramPoint),
    };
  } else if ((d = c.obj(o, 'summary', 'summary')) !== null) {
    data = { type: 'summary', dataPoints: points(c, d, 'summary', summaryPoint) };
  }
  if (data === null) return null;
  return {
    name: c.str(o, 'name', 'name'),
    description: c.str(o, 'description', 'description'),
    unit: c.str(o, 'unit', 'unit'),
    metadata,
    data,
  };
}

function points<T>(c: JsonCtx, d: JsonObject, kind: string, read: (c: JsonCtx, o: JsonObject) => T): T[] {
  c.push(kind);
  const list = c.arr(d, 'dataPoints', 'data_points');
  const out: T[] = [];
  c.push('dataPoints');
  for (let i = 0; i < list.length; i++) {
    c.at(i);
    out.push(read(c, c.elem(list[i])));
  }
  c.pop();
  c.pop();
  return out;
}

/** as_int (int64, usually a string) or as_double; the oneof is absent for a point with no value. */
function pointValue(c: JsonCtx, o: JsonObject): number | bigint {
  const i = o.asInt ?? o.as_int;
  if (i !== undefined && i !== null) return c.bigint(o, 'asInt', 'as_int', true);
  return c.double(o, 'asDouble', 'as_double');
}

function numberPoint(c: JsonCtx, o: JsonObject): NumberDataPoint {
  const attributes: Attributes = {};
  c.attributes(o, 'attributes', 'attributes', attributes);
  return {
    attributes,
    startTimeUnixNano: c.nanos(o, 'startTimeUnixNano', 'start_time_unix_nano'),
    timeUnixNano: c.nanos(o, 'timeUnixNano', 'time_unix_nano'),
    value: pointValue(c, o),
    exemplars: exemplars(c, o),
    flags: c.int32(o, 'flags', 'flags', false),
  };
}

function histogramPoint(c: JsonCtx, o: JsonObject): HistogramDataPoint {
  const attributes: Attributes = {};
  c.attributes(o, 'attributes', 'attributes', attributes);
  return {
    attributes,
    startTimeUnixNano: c.nanos(o, 'startTimeUnixNano', 'start_time_unix_nano'),
    timeUnixNano: c.nanos(o, 'timeUnixNano', 'time_unix_nano'),
    count: c.count(o, 'count', 'count'),
    sum: c.optDouble(o, 'sum', 'sum'),
    bucketCounts: c.counts(o, 'bucketCounts', 'bucket_counts'),
    explicitBounds: c.doubles(o, 'explicitBounds', 'explicit_bounds'),
    exemplars: exemplars(c, o),
    flags: c.int32(o, 'flags', 'flags', false),
    min: c.optDouble(o, 'min', 'min'),
    max: c.optDouble(o, 'max', 'max'),
  };
}

function buckets(c: JsonCtx, o: JsonObject, camel: string): ExponentialHistogramBuckets {
  const b = c.obj(o, camel, camel);
  if (b === null) return { offset: 0, bucketCounts: [] };
  c.push(camel);
  const out = {
    offset: c.int32(b, 'offset', 'offset', true),
    bucketCounts: c.counts(b, 'bucketCounts', 'bucket_counts'),
  };
  c.pop();
  return out;
}

function expHistogramPoint(c: JsonCtx, o: JsonObject): ExponentialHistogramDataPoint {
  const attributes: Attributes = {};
  c.attributes(o, 'attributes', 'attributes', attributes);
  return {
    attributes,
    startTimeUnixNano: c.nanos(o, 'startTimeUnixNano', 'start_time_unix_nano'),
    timeUnixNano: c.nanos(o, 'timeUnixNano', 'time_unix_nano'),
    count: c.count(o, 'count', 'count'),
    sum: c.optDouble(o, 'sum', 'sum'),
    scale: c.int32(o, 'scale', 'scale', true),
    zeroCount: c.count(o, 'zeroCount', 'zero_count'),
    positive: buckets(c, o, 'positive'),
    negative: buckets(c, o, 'negative'),
    flags: c.int32(o, 'flags', 'flags', false),
    exemplars: exemplars(c, o),
    min: c.optDouble(o, 'min', 'min'),
    max: c.optDouble(o, 'max', 'max'),
    zeroThreshold: c.double(o, 'zeroThreshold', 'zero_threshold'),
  };
}

function summaryPoint(c: JsonCtx, o: JsonObject): SummaryDataPoint {
  const attributes: Attributes = {};
  c.attributes(o, 'attributes', 'attributes', attributes);
  const qs = c.arr(o, 'quantileValues', 'quantile_values');
  const quantileValues = new Array<{ quantile: number; value: number }>(qs.length);
  c.push('quantileValues');
  for (let i = 0; i < qs.length; i++) {
    c.at(i);
    const q = c.elem(qs[i]);
    quantileValues[i] = { quantile: c.double(q, 'quantile', 'quantile'), value: c.double(q, 'value', 'value') };
  }
  c.pop();
  return {
    attributes,
    startTimeUnixNano: c.nanos(o, 'startTimeUnixNano', 'start_time_unix_nano'),
    timeUnixNano: c.nanos(o, 'timeUnixNano', 'time_unix_nano'),
    count: c.count(o, 'count', 'count'),
    sum: c.double(o, 'sum', 'sum'),
    quantileValues,
    flags: c.int32(o, 'flags', 'flags', false),
  };
}

function exemplars(c: JsonCtx, o: JsonObject): OtlpExemplar[] {
  const list = c.arr(o, 'exemplars', 'exemplars');
  const out: OtlpExemplar[] = [];
  c.push('exemplars');
  for (let i = 0; i < list.length; i++) {
    c.at(i);
    const e = c.elem(list[i]);
    const filteredAttributes: Attributes = {};
    c.attributes(e, 'filteredAttributes', 'filtered_attributes', filteredAttributes);
    const t = c.str(e, 'traceId', 'trace_id');
    const s = c.str(e, 'spanId', 'span_id');
    out.push({
      filteredAttributes,
      timeUnixNano: c.nanos(e, 'timeUnixNano', 'time_unix_nano'),
      value: pointValue(c, e),
      traceId: checkHexId(t, 16) === 'ok' ? (t.toLowerCase() as TraceId) : null,
      spanId: checkHexId(s, 8) === 'ok' ? (s.toLowerCase() as SpanId) : null,
    });
  }
  c.pop();
  return out;
}
