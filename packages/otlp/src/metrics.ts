// ExportMetricsServiceRequest (protobuf) → the OTLP metrics model of metrics-model.ts.
import { ProtobufError, Reader } from '@pivot/protobuf';
import type { Attributes, Scope, SpanId, TraceId, UnixNano } from '@pivot/model';
import { takeAttribute } from './anyvalue.ts';
import { toDecodeError } from './errors.ts';
import { allZero, toHex } from './hex.ts';
import type {
  DecodedMetrics,
  ExponentialHistogramBuckets,
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  MetricData,
  NumberDataPoint,
  OtlpExemplar,
  OtlpMetric,
  ResourceMetrics,
  ScopeMetrics,
  SummaryDataPoint,
  ValueAtQuantile,
} from './metrics-model.ts';
import { resolveLimits, type DecodeOptions, type Limits } from './options.ts';
import { Rejections } from './rejections.ts';
import { emptyResource, emptyScope, readResource, readScope } from './resource.ts';
import { I64, LEN, VARINT, badWire, fixed64Number, readString, sint32, skipField, uvarintNumber } from './wire.ts';

const ZERO_NS = 0n as UnixNano;

export function decodeExportMetricsRequest(bytes: Uint8Array, options?: DecodeOptions): DecodedMetrics {
  const lim = resolveLimits(options);
  const rej = new Rejections('data point');
  const resourceMetrics: ResourceMetrics[] = [];
  const r = new Reader(bytes);
  try {
    while (r.pos < r.end) {
      const k = r.tag();
      if (k >>> 3 === 1) {
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'ExportMetricsServiceRequest.resource_metrics');
        resourceMetrics.push(readResourceMetrics(r, lim, rej));
      } else skipField(r, k);
    }
  } catch (e) {
    throw toDecodeError(e, 'invalid ExportMetricsServiceRequest');
  }
  return { resourceMetrics, accepted: rej.accepted, rejected: rej.rejected, message: rej.message() };
}

function readResourceMetrics(r: Reader, lim: Limits, rej: Rejections): ResourceMetrics {
  const outer = r.enter();
  let resource = emptyResource();
  const scopeMetrics: ScopeMetrics[] = [];
  while (r.pos < r.end) {
    const k = r.tag();
    switch (k >>> 3) {
      case 1:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'ResourceMetrics.resource');
        resource = readResource(r, lim);
        break;
      case 2:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'ResourceMetrics.scope_metrics');
        scopeMetrics.push(readScopeMetrics(r, lim, rej));
        break;
      default:
        skipField(r, k);
    }
  }
  r.leave(outer);
  return { resource, scopeMetrics };
}

function readScopeMetrics(r: Reader, lim: Limits, rej: Rejections): ScopeMetrics {
  const outer = r.enter();
  let scope: Scope = emptyScope();
  const metrics: OtlpMetric[] = [];
  while (r.pos < r.end) {
    const k = r.tag();
    switch (k >>> 3) {
      case 1:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'ScopeMetrics.scope');
        scope = readScope(r, lim);
        break;
      case 2: {
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'ScopeMetrics.metrics');
        const m = readMetric(r, lim);
        if (m !== null) {
          metrics.push(m);
          rej.accepted += m.data.dataPoints.length;
        }
        break;
      }
      default:
        skipField(r, k);
    }
  }
  r.leave(outer);
  return { scope, metrics };
}

function readMetric(r: Reader, lim: Limits): OtlpMetric | null {
  const outer = r.enter();
  let name = '';
  let description = '';
  let unit = '';
  const metadata: Attributes = {};
  let kept = 0;
  // `data` is a oneof: the last one on the wire wins, as protobuf requires.
  let data: MetricData | null = null;
  while (r.pos < r.end) {
    const k = r.tag();
    switch (k >>> 3) {
      case 1:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Metric.name');
        name = readString(r);
        break;
      case 2:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Metric.description');
        description = readString(r);
        break;
      case 3:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Metric.unit');
        unit = readString(r);
        break;
      case 5:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Metric.gauge');
        data = readNumberMetric(r, lim, false);
        break;
      case 7:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Metric.sum');
        data = readNumberMetric(r, lim, true);
        break;
      case 9:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Metric.histogram');
        data = readHistogram(r, lim);
        break;
      case 10:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Metric.exponential_histogram');
        data = readExponentialHistogram(r, lim);
        break;
      case 11:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Metric.summary');
        data = readSummary(r, lim);
        break;
      case 12:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Metric.metadata');
        if (takeAttribute(r, metadata, kept, lim)) kept++;
        break;
      default:
        skipField(r, k);
    }
  }
  r.leave(outer);
  return data === null ? null : { name, description, unit, metadata, data };
}

/** Gauge (sum = false) or Sum (sum = true); they share the NumberDataPoint list at field 1. */
function readNumberMetric(r: Reader, lim: Limits, sum: boolean): MetricData {
  const outer = r.enter();
  const dataPoints: NumberDataPoint[] = [];
  let temporality = 0;
  let monotonic = false;
  const what = sum ? 'Sum' : 'Gauge';
  while (r.pos < r.end) {
    const k = r.tag();
    const f = k >>> 3;
    if (f === 1) {
      if ((k & 7) !== LEN) badWire(r, k, LEN, `${what}.data_points`);
      dataPoints.push(readNumberDataPoint(r, lim));
    } else if (sum && f === 2) {
      if ((k & 7) !== VARINT) badWire(r, k, VARINT, 'Sum.aggregation_temporality');
      temporality = r.int32();
    } else if (sum && f === 3) {
      if ((k & 7) !== VARINT) badWire(r, k, VARINT, 'Sum.is_monotonic');
      monotonic = r.bool();
    } else skipField(r, k);
  }
  r.leave(outer);
  return sum
    ? { type: 'sum', aggregationTemporality: temporality, isMonotonic: monotonic, dataPoints }
    : { type: 'gauge', dataPoints };
}

function readHistogram(r: Reader, lim: Limits): MetricData {
  const outer = r.enter();
  const dataPoints: HistogramDataPoint[] = [];
  let temporality = 0;
  while (r.pos < r.end) {
    const k = r.tag();
    const f = k >>> 3;
    if (f === 1) {
      if ((k & 7) !== LEN) badWire(r, k, LEN, 'Histogram.data_points');
      dataPoints.push(readHistogramDataPoint(r, lim));
    } else if (f === 2) {
      if ((k & 7) !== VARINT) badWire(r, k, VARINT, 'Histogram.aggregation_temporality');
      temporality = r.int32();
    } else skipField(r, k);
  }
  r.leave(outer);
  return { type: 'histogram', aggregationTemporality: temporality, dataPoints };
}

function readExponentialHistogram(r: Reader, lim: Limits): MetricData {
  const outer = r.enter();
  const dataPoints: ExponentialHistogramDataPoint[] = [];
  let temporality = 0;
  while (r.pos < r.end) {
    const k = r.tag();
    const f = k >>> 3;
    if (f === 1) {
      if ((k & 7) !== LEN) badWire(r, k, LEN, 'ExponentialHistogram.data_points');
      dataPoints.push(readExponentialHistogramDataPoint(r, lim));
    } else if (f === 2) {
      if ((k & 7) !== VARINT) badWire(r, k, VARINT, 'ExponentialHistogram.aggregation_temporality');
      temporality = r.int32();
    } else skipField(r, k);
  }
  r.leave(outer);
  return { type: 'exponentialHistogram', aggregationTemporality: temporality, dataPoints };
}

function readSummary(r: Reader, lim: Limits): MetricData {
  const outer = r.enter();
  const dataPoints: SummaryDataPoint[] = [];
  while (r.pos < r.end) {
    const k = r.tag();
    if (k >>> 3 === 1) {
      if ((k & 7) !== LEN) badWire(r, k, LEN, 'Summary.data_points');
      dataPoints.push(readSummaryDataPoint(r, lim));
    } else skipField(r, k);
  }
  r.leave(outer);
  return { type: 'summary', dataPoints };
}

function readNumberDataPoint(r: Reader, lim: Limits): NumberDataPoint {
  const outer = r.enter();
  const attributes: Attributes = {};
  let kept = 0;
  let start = ZERO_NS;
  let time = ZERO_NS;
  let value: number | bigint = 0;
  const exemplars: OtlpExemplar[] = [];
  let flags = 0;
  while (r.pos < r.end) {
    const k = r.tag();
    switch (k >>> 3) {
      case 7:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'NumberDataPoint.attributes');
        if (takeAttribute(r, attributes, kept, lim)) kept++;
        break;
      case 2:
        if ((k & 7) !== I64) badWire(r, k, I64, 'NumberDataPoint.start_time_unix_nano');
        start = r.fixed64() as UnixNano;
        break;
      case 3:
        if ((k & 7) !== I64) badWire(r, k, I64, 'NumberDataPoint.time_unix_nano');
        time = r.fixed64() as UnixNano;
        break;
      case 4:
        if ((k & 7) !== I64) badWire(r, k, I64, 'NumberDataPoint.as_double');
        value = r.double();
        break;
      case 6:
        if ((k & 7) !== I64) badWire(r, k, I64, 'NumberDataPoint.as_int');
        value = r.sfixed64();
        break;
      case 5:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'NumberDataPoint.exemplars');
        exemplars.push(readExemplar(r, lim));
        break;
      case 8:
        if ((k & 7) !== VARINT) badWire(r, k, VARINT, 'NumberDataPoint.flags');
        flags = r.uint32();
        break;
      default:
        skipField(r, k);
    }
  }
  r.leave(outer);
  return { attributes, startTimeUnixNano: start, timeUnixNano: time, value, exemplars, flags };
}

function readHistogramDataPoint(r: Reader, lim: Limits): HistogramDataPoint {
  const outer = r.enter();
  const attributes: Attributes = {};
  let kept = 0;
  let start = ZERO_NS;
  let time = ZERO_NS;
  let count = 0;
  let sum: number | null = null;
  const bucketCounts: number[] = [];
  const explicitBounds: number[] = [];
  const exemplars: OtlpExemplar[] = [];
  let flags = 0;
  let min: number | null = null;
  let max: number | null = null;
  while (r.pos < r.end) {
    const k = r.tag();
    switch (k >>> 3) {
      case 9:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'HistogramDataPoint.attributes');
        if (takeAttribute(r, attributes, kept, lim)) kept++;
        break;
      case 2:
        if ((k & 7) !== I64) badWire(r, k, I64, 'HistogramDataPoint.start_time_unix_nano');
        start = r.fixed64() as UnixNano;
        break;
      case 3:
        if ((k & 7) !== I64) badWire(r, k, I64, 'HistogramDataPoint.time_unix_nano');
        time = r.fixed64() as UnixNano;
        break;
      case 4:
        if ((k & 7) !== I64) badWire(r, k, I64, 'HistogramDataPoint.count');
        count = fixed64Number(r);
        break;
      case 5:
        if ((k & 7) !== I64) badWire(r, k, I64, 'HistogramDataPoint.sum');
        sum = r.double();
        break;
      case 6:
        readFixed64s(r, k, bucketCounts, 'HistogramDataPoint.bucket_counts');
        break;
      case 7:
        readDoubles(r, k, explicitBounds, 'HistogramDataPoint.explicit_bounds');
        break;
      case 8:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'HistogramDataPoint.exemplars');
        exemplars.push(readExemplar(r, lim));
        break;
      case 10:
        if ((k & 7) !== VARINT) badWire(r, k, VARINT, 'HistogramDataPoint.flags');
        flags = r.uint32();
        break;
      case 11:
        if ((k & 7) !== I64) badWire(r, k, I64, 'HistogramDataPoint.min');
        min = r.double();
        break;
      case 12:
        if ((k & 7) !== I64) badWire(r, k, I64, 'HistogramDataPoint.max');
        max = r.double();
        break;
      default:
        skipField(r, k);
    }
  }
  r.leave(outer);
  return {
    attributes,
    startTimeUnixNano: start,
    timeUnixNano: time,
    count,
    sum,
    bucketCounts,
    explicitBounds,
    exemplars,
    flags,
    min,
    max,
  };
}

function readExponentialHistogramDataPoint(r: Reader, lim: Limits): ExponentialHistogramDataPoint {
  const outer = r.enter();
  const attributes: Attributes = {};
  let kept = 0;
  let start = ZERO_NS;
  let time = ZERO_NS;
  let count = 0;
  let sum: number | null = null;
  let scale = 0;
  let zeroCount = 0;
  let positive: ExponentialHistogramBuckets = { offset: 0, bucketCounts: [] };
  let negative: ExponentialHistogramBuckets = { offset: 0, bucketCounts: [] };
  let flags = 0;
  const exemplars: OtlpExemplar[] = [];
  let min: number | null = null;
  let max: number | null = null;
  let zeroThreshold = 0;
  while (r.pos < r.end) {
    const k = r.tag();
    switch (k >>> 3) {
      case 1:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'ExponentialHistogramDataPoint.attributes');
        if (takeAttribute(r, attributes, kept, lim)) kept++;
        break;
      case 2:
        if ((k & 7) !== I64) badWire(r, k, I64, 'ExponentialHistogramDataPoint.start_time_unix_nano');
        start = r.fixed64() as UnixNano;
        break;
      case 3:
        if ((k & 7) !== I64) badWire(r, k, I64, 'ExponentialHistogramDataPoint.time_unix_nano');
        time = r.fixed64() as UnixNano;
        break;
      case 4:
        if ((k & 7) !== I64) badWire(r, k, I64, 'ExponentialHistogramDataPoint.count');
        count = fixed64Number(r);
        break;
      case 5:
        if ((k & 7) !== I64) badWire(r, k, I64, 'ExponentialHistogramDataPoint.sum');
        sum = r.double();
        break;
      case 6:
        if ((k & 7) !== VARINT) badWire(r, k, VARINT, 'ExponentialHistogramDataPoint.scale');
        scale = sint32(r);
        break;
      case 7:
        if ((k & 7) !== I64) badWire(r, k, I64, 'ExponentialHistogramDataPoint.zero_count');
        zeroCount = fixed64Number(r);
        break;
      case 8:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'ExponentialHistogramDataPoint.positive');
        positive = readBuckets(r);
        break;
      case 9:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'ExponentialHistogramDataPoint.negative');
        negative = readBuckets(r);
        break;
      case 10:
        if ((k & 7) !== VARINT) badWire(r, k, VARINT, 'ExponentialHistogramDataPoint.flags');
        flags = r.uint32();
        break;
      case 11:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'ExponentialHistogramDataPoint.exemplars');
        exemplars.push(readExemplar(r, lim));
        break;
      case 12:
        if ((k & 7) !== I64) badWire(r, k, I64, 'ExponentialHistogramDataPoint.min');
        min = r.double();
        break;
      case 13:
        if ((k & 7) !== I64) badWire(r, k, I64, 'ExponentialHistogramDataPoint.max');
        max = r.double();
        break;
      case 14:
        if ((k & 7) !== I64) badWire(r, k, I64, 'ExponentialHistogramDataPoint.zero_threshold');
        zeroThreshold = r.double();
        break;
      default:
        skipField(r, k);
    }
  }
  r.leave(outer);
  return {
    attributes,
    startTimeUnixNano: start,
    timeUnixNano: time,
    count,
    sum,
    scale,
    zeroCount,
    positive,
    negative,
    flags,
    exemplars,
    min,
    max,
    zeroThreshold,
  };
}

function readBuckets(r: Reader): ExponentialHistogramBuckets {
  const outer = r.enter();
  let offset = 0;
  const bucketCounts: number[] = [];
  while (r.pos < r.end) {
    const k = r.tag();
    const f = k >>> 3;
    if (f === 1) {
      if ((k & 7) !== VARINT) badWire(r, k, VARINT, 'ExponentialHistogramDataPoint.Buckets.offset');
      offset = sint32(r);
    } else if (f === 2) {
      // Packed is the proto3 default, but parsers must accept unpacked repeated scalars too.
      if ((k & 7) === LEN) {
        const n = r.len();
        const end = r.pos + n;
        while (r.pos < end) bucketCounts.push(uvarintNumber(r));
        if (r.pos !== end) throw new ProtobufError('packed varint overruns its field', end);
      } else {
        if ((k & 7) !== VARINT) badWire(r, k, VARINT, 'ExponentialHistogramDataPoint.Buckets.bucket_counts');
        bucketCounts.push(uvarintNumber(r));
      }
    } else skipField(r, k);
  }
  r.leave(outer);
  return { offset, bucketCounts };
}

function readSummaryDataPoint(r: Reader, lim: Limits): SummaryDataPoint {
  const outer = r.enter();
  const attributes: Attributes = {};
  let kept = 0;
  let start = ZERO_NS;
  let time = ZERO_NS;
  let count = 0;
  let sum = 0;
  const quantileValues: ValueAtQuantile[] = [];
  let flags = 0;
  while (r.pos < r.end) {
    const k = r.tag();
    switch (k >>> 3) {
      case 7:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'SummaryDataPoint.attributes');
        if (takeAttribute(r, attributes, kept, lim)) kept++;
        break;
      case 2:
        if ((k & 7) !== I64) badWire(r, k, I64, 'SummaryDataPoint.start_time_unix_nano');
        start = r.fixed64() as UnixNano;
        break;
      case 3:
        if ((k & 7) !== I64) badWire(r, k, I64, 'SummaryDataPoint.time_unix_nano');
        time = r.fixed64() as UnixNano;
        break;
      case 4:
        if ((k & 7) !== I64) badWire(r, k, I64, 'SummaryDataPoint.count');
        count = fixed64Number(r);
        break;
      case 5:
        if ((k & 7) !== I64) badWire(r, k, I64, 'SummaryDataPoint.sum');
        sum = r.double();
        break;
      case 6:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'SummaryDataPoint.quantile_values');
        quantileValues.push(readQuantile(r));
        break;
      case 8:
        if ((k & 7) !== VARINT) badWire(r, k, VARINT, 'SummaryDataPoint.flags');
        flags = r.uint32();
        break;
      default:
        skipField(r, k);
    }
  }
  r.leave(outer);
  return { attributes, startTimeUnixNano: start, timeUnixNano: time, count, sum, quantileValues, flags };
}

function readQuantile(r: Reader): ValueAtQuantile {
  const outer = r.enter();
  let quantile = 0;
  let value = 0;
  while (r.pos < r.end) {
    const k = r.tag();
    const f = k >>> 3;
    if (f === 1) {
      if ((k & 7) !== I64) badWire(r, k, I64, 'SummaryDataPoint.ValueAtQuantile.quantile');
      quantile = r.double();
    } else if (f === 2) {
      if ((k & 7) !== I64) badWire(r, k, I64, 'SummaryDataPoint.ValueAtQuantile.value');
      value = r.double();
    } else skipField(r, k);
  }
  r.leave(outer);
  return { quantile, value };
}

function readExemplar(r: Reader, lim: Limits): OtlpExemplar {
  const outer = r.enter();
  const buf = r.buf;
  const filteredAttributes: Attributes = {};
  let kept = 0;
  let time = ZERO_NS;
  let value: number | bigint = 0;
  let traceAt = 0;
  let traceLen = 0;
  let spanAt = 0;
  let spanLen = 0;
  while (r.pos < r.end) {
    const k = r.tag();
    switch (k >>> 3) {
      case 7:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Exemplar.filtered_attributes');
        if (takeAttribute(r, filteredAttributes, kept, lim)) kept++;
        break;
      case 2:
        if ((k & 7) !== I64) badWire(r, k, I64, 'Exemplar.time_unix_nano');
        time = r.fixed64() as UnixNano;
        break;
      case 3:
        if ((k & 7) !== I64) badWire(r, k, I64, 'Exemplar.as_double');
        value = r.double();
        break;
      case 6:
        if ((k & 7) !== I64) badWire(r, k, I64, 'Exemplar.as_int');
        value = r.sfixed64();
        break;
      case 4:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Exemplar.span_id');
        spanLen = r.len();
        spanAt = r.pos;
        r.pos += spanLen;
        break;
      case 5:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Exemplar.trace_id');
        traceLen = r.len();
        traceAt = r.pos;
        r.pos += traceLen;
        break;
      default:
        skipField(r, k);
    }
  }
  r.leave(outer);
  // An exemplar is still a valid sample without its trace link, so bad IDs only lose the link.
  const traceId = traceLen === 16 && !allZero(buf, traceAt, 16) ? (toHex(buf, traceAt, 16) as TraceId) : null;
  const spanId = spanLen === 8 && !allZero(buf, spanAt, 8) ? (toHex(buf, spanAt, 8) as SpanId) : null;
  return { filteredAttributes, timeUnixNano: time, value, traceId, spanId };
}

function readFixed64s(r: Reader, key: number, out: number[], field: string): void {
  if ((key & 7) === LEN) {
    const n = r.len();
    if (n % 8 !== 0) throw new ProtobufError(`${field}: packed length ${n} is not a multiple of 8`, r.pos);
    const end = r.pos + n;
    while (r.pos < end) out.push(fixed64Number(r));
  } else {
    if ((key & 7) !== I64) badWire(r, key, I64, field);
    out.push(fixed64Number(r));
  }
}

function readDoubles(r: Reader, key: number, out: number[], field: string): void {
  if ((key & 7) === LEN) {
    const n = r.len();
    if (n % 8 !== 0) throw new ProtobufError(`${field}: packed length ${n} is not a multiple of 8`, r.pos);
    const end = r.pos + n;
    while (r.pos < end) out.push(r.double());
  } else {
    if ((key & 7) !== I64) badWire(r, key, I64, field);
    out.push(r.double());
  }
}
