// OTLP metrics → Prometheus series, mirroring Prometheus' own OTLP receiver
// (storage/remote/otlptranslator/prometheusremotewrite) so that series are named and labelled the way
// Prometheus users expect. Pure: the caller stores the batch and reports `rejected` as partial success.
import { SERVICE_NAME } from '@pivot/model';
import type {
  AttrValue,
  Attributes,
  Exemplar,
  Labels,
  MetricMetadata,
  MetricsBatch,
  MetricType,
  Resource,
  Sample,
  Scope,
  TimeSeries,
  UnixMillis,
  UnixNano,
} from '@pivot/model';
import {
  AggregationTemporality,
  FLAG_NO_RECORDED_VALUE,
  type HistogramDataPoint,
  type NumberDataPoint,
  type OtlpExemplar,
  type OtlpMetric,
  type ResourceMetrics,
  type SummaryDataPoint,
} from './metrics-model.ts';
import {
  formatFloat,
  prometheusLabelName,
  prometheusMetricName,
  prometheusUnit,
  type NamerMetricType,
} from './naming.ts';
import { Rejections } from './rejections.ts';

export interface TranslateOptions {
  /** Resource attributes copied onto every series of that resource (Prometheus' promote_resource_attributes). */
  promoteResourceAttributes?: readonly string[];
  /** Adds otel_scope_name/otel_scope_version/otel_scope_* labels (Prometheus' promote_scope_metadata). */
  promoteScopeMetadata?: boolean;
  /** Leaves out the per-resource `target_info` series. */
  disableTargetInfo?: boolean;
}

export interface PrometheusTranslation {
  batch: MetricsBatch;
  /** Data points that could not be represented (delta temporality, exponential histograms, bad names). */
  rejected: number;
  message: string;
}

/**
 * Prometheus' staleness marker: a NaN with this exact bit pattern ends a series. V8 keeps the pattern in
 * object fields (Sample.value) but canonicalises NaNs stored into double arrays, so code that copies
 * sample values into arrays must test isStaleNaN first.
 */
export const STALE_NAN_BITS = 0x7ff0000000000002n;
const staleView = new DataView(new ArrayBuffer(8));
staleView.setBigUint64(0, STALE_NAN_BITS);
export const STALE_NAN: number = staleView.getFloat64(0);

export function isStaleNaN(v: number): boolean {
  staleView.setFloat64(0, v);
  return staleView.getBigUint64(0) === STALE_NAN_BITS;
}

const SERVICE_NAMESPACE = 'service.namespace';
const SERVICE_INSTANCE_ID = 'service.instance.id';
const TARGET_INFO = 'target_info';
// Prometheus spaces target_info samples at half the default 5m lookback delta so that every instant
// query over the request's time span finds one.
const TARGET_INFO_INTERVAL_MS = 150_000;
// OpenMetrics caps an exemplar's label set at 128 runes; past it, Prometheus keeps only the trace link.
const MAX_EXEMPLAR_RUNES = 128;

type LabelPairs = [string, string][];

function toMillis(ns: UnixNano | bigint): UnixMillis {
  return Number(ns / 1_000_000n) as UnixMillis;
}

/** pcommon.Value.AsString: strings as-is, numbers the ES6 way, structures as JSON, empty as ''. */
export function attrValueString(v: AttrValue | undefined): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === null || v === undefined) return '';
  return JSON.stringify(v);
}

function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function setLabel(o: Labels, k: string, v: string): void {
  if (k === '__proto__')
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/** Attributes → sanitised label pairs; keys that collide after sanitising are joined with ';' in key order. */
function attributeLabels(attrs: Attributes, skip?: ReadonlySet<string>): Map<string, string> {
  const keys = Object.keys(attrs).sort();
  const out = new Map<string, string>();
  for (const k of keys) {
    if (skip !== undefined && skip.has(k)) continue;
    const name = prometheusLabelName(k);
    if (name === '') continue;
    const v = attrValueString(attrs[k]);
    const prev = out.get(name);
    out.set(name, prev === undefined ? v : `${prev};${v}`);
  }
  return out;
}

class Converter {
  private readonly series = new Map<string, TimeSeries>();
  private readonly metadata = new Map<string, MetricMetadata>();
  readonly rej = new Rejections('data point');

  constructor(private readonly opts: TranslateOptions) {}

  result(): PrometheusTranslation {
    return {
      batch: { series: [...this.series.values()], metadata: [...this.metadata.values()] },
      rejected: this.rej.rejected,
      message: this.rej.message(),
    };
  }

  addMetadata(m: MetricMetadata): void {
    if (!this.metadata.has(m.metricFamilyName)) this.metadata.set(m.metricFamilyName, m);
  }

  /**
   * Finds or creates the series for base labels + extras and appends a sample. Labels are kept sorted
   * so that one label set always maps to one series; empty values are dropped because Prometheus treats
   * an empty label as an absent one.
   */
  addSample(base: LabelPairs, name: string, extraName: string | null, extraValue: string, sample: Sample): TimeSeries {
    const pairs: LabelPairs = [];
    let nameDone = false;
    let extraDone = extraName === null;
    for (const p of base) {
      if (!nameDone && p[0] > '__name__') {
        pairs.push(['__name__', name]);
        nameDone = true;
      }
      if (!extraDone && p[0] > extraName!) {
        pairs.push([extraName!, extraValue]);
        extraDone = true;
      }
      if (p[0] === extraName) continue;
      pairs.push(p);
    }
    if (!nameDone) pairs.push(['__name__', name]);
    if (!extraDone) pairs.push([extraName!, extraValue]);

    let key = '';
    for (const [k, v] of pairs) key += `${k}\xff${v}\xff`;
    let ts = this.series.get(key);
    if (ts === undefined) {
      const labels: Labels = {};
      for (const [k, v] of pairs) setLabel(labels, k, v);
      ts = { labels, samples: [], exemplars: [] };
      this.series.set(key, ts);
    }
    ts.samples.push(sample);
    return ts;
  }

  /** Labels shared by every series of one data point, sorted by name, without `__name__`. */
  baseLabels(resource: Resource, scope: Scope, attrs: Attributes): LabelPairs {
    const l = attributeLabels(attrs);
    const ra = resource.attributes;
    const promoted = this.opts.promoteResourceAttributes;
    if (promoted !== undefined) {
      for (const k of [...promoted].sort()) {
        if (!Object.hasOwn(ra, k)) continue;
        const name = prometheusLabelName(k);
        if (name !== '' && !l.has(name)) l.set(name, attrValueString(ra[k]));
      }
    }
    if (this.opts.promoteScopeMetadata && scope.name !== '') {
      l.set('otel_scope_name', scope.name);
      l.set('otel_scope_version', scope.version);
      for (const k of Object.keys(scope.attributes)) {
        const name = prometheusLabelName(`otel_scope_${k}`);
        if (name !== '') l.set(name, attrValueString(scope.attributes[k]));
      }
    }
    addJobInstance(ra, l);
    l.delete('__name__');
    const pairs: LabelPairs = [];
    for (const [k, v] of l) if (v !== '') pairs.push([k, v]);
    return pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  targetInfo(resource: Resource, earliest: bigint, latest: bigint): void {
    const ra = resource.attributes;
    const identifying = new Set([SERVICE_NAME, SERVICE_NAMESPACE, SERVICE_INSTANCE_ID]);
    const others = Object.keys(ra).filter((k) => !identifying.has(k));
    if (others.length === 0) return;
    const l = attributeLabels(ra, identifying);
    addJobInstance(ra, l);
    if (!l.has('job') && !l.has('instance')) return;
    l.delete('__name__');
    const pairs: LabelPairs = [];
    for (const [k, v] of l) if (v !== '') pairs.push([k, v]);
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const first: number = toMillis(earliest);
    const last = toMillis(latest);
    let ts: TimeSeries | undefined;
    for (let t = first; t < last; t += TARGET_INFO_INTERVAL_MS)
      ts = this.addSample(pairs, TARGET_INFO, null, '', { timestampMs: t as UnixMillis, value: 1 });
    const lastSample = ts?.samples[ts.samples.length - 1];
    if (lastSample === undefined || lastSample.timestampMs < last)
      this.addSample(pairs, TARGET_INFO, null, '', { timestampMs: last, value: 1 });
    this.addMetadata({ metricFamilyName: TARGET_INFO, type: 'gauge', help: 'Target metadata', unit: '' });
  }
}

function addJobInstance(ra: Attributes, l: Map<string, string>): void {
  if (Object.hasOwn(ra, SERVICE_NAME)) {
    let job = attrValueString(ra[SERVICE_NAME]);
    if (Object.hasOwn(ra, SERVICE_NAMESPACE)) job = `${attrValueString(ra[SERVICE_NAMESPACE])}/${job}`;
    l.set('job', job);
  }
  if (Object.hasOwn(ra, SERVICE_INSTANCE_ID)) l.set('instance', attrValueString(ra[SERVICE_INSTANCE_ID]));
}

function namerType(m: OtlpMetric): NamerMetricType {
  switch (m.data.type) {
    case 'gauge':
      return 'gauge';
    case 'sum':
      return m.data.isMonotonic ? 'monotonicCounter' : 'nonMonotonicCounter';
    case 'histogram':
      return 'histogram';
    case 'exponentialHistogram':
      return 'exponentialHistogram';
    case 'summary':
      return 'summary';
  }
}

function promType(m: OtlpMetric): MetricType {
  switch (m.data.type) {
    case 'gauge':
      return 'gauge';
    case 'sum':
      return m.data.isMonotonic ? 'counter' : 'gauge';
    case 'histogram':
    case 'exponentialHistogram':
      return 'histogram';
    case 'summary':
      return 'summary';
  }
}

function quote(name: string): string {
  return JSON.stringify(name.length > 100 ? `${name.slice(0, 100)}…` : name);
}

function temporalityName(t: number): string {
  return t === AggregationTemporality.DELTA
    ? 'DELTA'
    : t === AggregationTemporality.UNSPECIFIED
      ? 'UNSPECIFIED'
      : String(t);
}

function toExemplar(e: OtlpExemplar): Exemplar {
  const labels: Labels = {};
  let runes = 0;
  if (e.traceId !== null) {
    labels.trace_id = e.traceId;
    runes += 8 + 32;
  }
  if (e.spanId !== null) {
    labels.span_id = e.spanId;
    runes += 7 + 16;
  }
  const extra: [string, string][] = [];
  for (const k of Object.keys(e.filteredAttributes)) {
    const name = prometheusLabelName(k);
    if (name === '') continue;
    const v = attrValueString(e.filteredAttributes[k]);
    runes += runeCount(name) + runeCount(v);
    extra.push([name, v]);
  }
  if (runes <= MAX_EXEMPLAR_RUNES) for (const [k, v] of extra) if (!Object.hasOwn(labels, k)) setLabel(labels, k, v);
  return {
    labels,
    value: Number(e.value),
    timestampMs: toMillis(e.timeUnixNano),
    traceId: e.traceId,
    spanId: e.spanId,
  };
}

function pointValue(p: NumberDataPoint): number {
  return (p.flags & FLAG_NO_RECORDED_VALUE) !== 0 ? STALE_NAN : Number(p.value);
}

/** Translates decoded OTLP metrics into Prometheus series plus per-family metadata. */
export function otlpMetricsToPrometheus(
  resourceMetrics: readonly ResourceMetrics[],
  options: TranslateOptions = {},
): PrometheusTranslation {
  const c = new Converter(options);
  for (const rm of resourceMetrics) {
    const resource = rm.resource;
    let earliest = -1n;
    let latest = -1n;
    for (const sm of rm.scopeMetrics) {
      for (const m of sm.metrics) {
        for (const p of m.data.dataPoints) {
          const t = p.timeUnixNano as bigint;
          if (earliest < 0n || t < earliest) earliest = t;
          if (t > latest) latest = t;
        }
        translateMetric(c, resource, sm.scope, m);
      }
    }
    if (earliest >= 0n && !options.disableTargetInfo) c.targetInfo(resource, earliest, latest);
  }
  return c.result();
}

function translateMetric(c: Converter, resource: Resource, scope: Scope, m: OtlpMetric): void {
  const d = m.data;
  const points = d.dataPoints.length;
  if (points === 0) return;
  if (d.type === 'exponentialHistogram') {
    c.rej.reject(`metric ${quote(m.name)} is an exponential histogram, which is not supported`, points);
    return;
  }
  if ((d.type === 'sum' || d.type === 'histogram') && d.aggregationTemporality !== AggregationTemporality.CUMULATIVE) {
    c.rej.reject(
      `metric ${quote(m.name)} has ${temporalityName(d.aggregationTemporality)} aggregation temporality; only CUMULATIVE is supported`,
      points,
    );
    return;
  }
  const name = prometheusMetricName(m.name, m.unit, namerType(m));
  if (name === '') {
    c.rej.reject(`metric name ${quote(m.name)} has no valid Prometheus form`, points);
    return;
  }
  c.rej.accepted += points;
  c.addMetadata({ metricFamilyName: name, type: promType(m), help: m.description, unit: prometheusUnit(m.unit) });

  switch (d.type) {
    case 'gauge':
      for (const p of d.dataPoints) {
        const base = c.baseLabels(resource, scope, p.attributes);
        // Prometheus does not carry exemplars on gauges.
        c.addSample(base, name, null, '', { timestampMs: toMillis(p.timeUnixNano), value: pointValue(p) });
      }
      return;
    case 'sum':
      for (const p of d.dataPoints) {
        const base = c.baseLabels(resource, scope, p.attributes);
        const ts = c.addSample(base, name, null, '', { timestampMs: toMillis(p.timeUnixNano), value: pointValue(p) });
        for (const e of p.exemplars) ts.exemplars.push(toExemplar(e));
      }
      return;
    case 'histogram':
      for (const p of d.dataPoints) histogramPoint(c, resource, scope, name, p);
      return;
    case 'summary':
      for (const p of d.dataPoints) summaryPoint(c, resource, scope, name, p);
      return;
  }
}

function histogramPoint(c: Converter, resource: Resource, scope: Scope, name: string, p: HistogramDataPoint): void {
  const base = c.baseLabels(resource, scope, p.attributes);
  const timestampMs = toMillis(p.timeUnixNano);
  const stale = (p.flags & FLAG_NO_RECORDED_VALUE) !== 0;
  if (p.sum !== null) c.addSample(base, `${name}_sum`, null, '', { timestampMs, value: stale ? STALE_NAN : p.sum });
  c.addSample(base, `${name}_count`, null, '', { timestampMs, value: stale ? STALE_NAN : p.count });

  // OTLP buckets are per-bucket counts; Prometheus `le` buckets are cumulative.
  const buckets: { bound: number; ts: TimeSeries }[] = [];
  const n = Math.min(p.explicitBounds.length, p.bucketCounts.length);
  let cumulative = 0;
  for (let i = 0; i < n; i++) {
    const bound = p.explicitBounds[i]!;
    cumulative += p.bucketCounts[i]!;
    const ts = c.addSample(base, `${name}_bucket`, 'le', formatFloat(bound), {
      timestampMs,
      value: stale ? STALE_NAN : cumulative,
    });
    buckets.push({ bound, ts });
  }
  // +Inf carries the point's count, as Prometheus does, even if the buckets disagree with it.
  const inf = c.addSample(base, `${name}_bucket`, 'le', '+Inf', { timestampMs, value: stale ? STALE_NAN : p.count });
  buckets.push({ bound: Infinity, ts: inf });

  if (p.exemplars.length === 0) return;
  buckets.sort((a, b) => a.bound - b.bound);
  for (const e of p.exemplars) {
    const ex = toExemplar(e);
    // An exemplar belongs to the first bucket whose upper bound contains its value.
    const target = buckets.find((b) => ex.value <= b.bound);
    if (target !== undefined) target.ts.exemplars.push(ex);
  }
}

function summaryPoint(c: Converter, resource: Resource, scope: Scope, name: string, p: SummaryDataPoint): void {
  const base = c.baseLabels(resource, scope, p.attributes);
  const timestampMs = toMillis(p.timeUnixNano);
  const stale = (p.flags & FLAG_NO_RECORDED_VALUE) !== 0;
  c.addSample(base, `${name}_sum`, null, '', { timestampMs, value: stale ? STALE_NAN : p.sum });
  c.addSample(base, `${name}_count`, null, '', { timestampMs, value: stale ? STALE_NAN : p.count });
  for (const q of p.quantileValues) {
    c.addSample(base, name, 'quantile', formatFloat(q.quantile), { timestampMs, value: stale ? STALE_NAN : q.value });
  }
}
