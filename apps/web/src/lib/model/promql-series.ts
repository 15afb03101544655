// Prometheus query results to what the chart draws: one shared time axis, a column per series
// with gaps (null) where a series has no sample, and a readable name for each series.
import type { PromExemplarGroup, PromSeries } from '@pivot/api-types';

export interface AlignedSeries {
  /** Unix seconds. */
  xs: number[];
  ys: (number | null)[][];
  names: string[];
  labels: Record<string, string>[];
}

/** name{a="1", b="2"}, the way Prometheus prints a series. */
export function seriesName(metric: Record<string, string>): string {
  const { __name__: name = '', ...rest } = metric;
  const inner = Object.keys(rest)
    .sort()
    .map((k) => `${k}="${rest[k]}"`)
    .join(', ');
  return inner ? `${name}{${inner}}` : name || '{}';
}

/** Parses Prometheus sample values, including "+Inf", "-Inf" and "NaN" (drawn as gaps). */
export function sampleValue(v: string): number | null {
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

export function alignMatrix(result: readonly PromSeries[]): AlignedSeries {
  const times = new Set<number>();
  for (const s of result) for (const [t] of s.values ?? (s.value ? [s.value] : [])) times.add(t);
  const xs = [...times].sort((a, b) => a - b);
  const pos = new Map(xs.map((t, i) => [t, i]));
  const ys = result.map((s) => {
    const col = new Array<number | null>(xs.length).fill(null);
    for (const [t, v] of s.values ?? (s.value ? [s.value] : [])) col[pos.get(t)!] = sampleValue(v);
    return col;
  });
  return { xs, ys, names: result.map((s) => seriesName(s.metric)), labels: result.map((s) => s.metric) };
}

/**
 * Several query results on one time axis (the P50, P95 and P99 of one histogram), named for the
 * legend: as Prometheus prints them, prefixed by the part's label when there are several parts; a
 * lone series without labels is named by its expression rather than "{}".
 */
export function alignResults(
  parts: readonly { label: string | null; result: readonly PromSeries[] }[],
  expr: string,
): AlignedSeries {
  const all = parts.flatMap((p) => p.result.map((s) => ({ s, label: p.label })));
  const aligned = alignMatrix(all.map((x) => x.s));
  aligned.names = all.map(({ s, label }) => {
    const n = seriesName(s.metric);
    if (label) return n === '{}' ? label : `${label} ${n}`;
    return all.length === 1 && n === '{}' ? expr.trim() : n;
  });
  return aligned;
}

export interface ExemplarPoint {
  /** Unix seconds. */
  t: number;
  value: number;
  traceId: string;
  spanId: string | null;
  labels: Record<string, string>;
  seriesLabels: Record<string, string>;
}

const TRACE_ID_LABELS = ['trace_id', 'traceId', 'traceID', 'trace.id'];
const SPAN_ID_LABELS = ['span_id', 'spanId', 'spanID', 'span.id'];

export function flattenExemplars(groups: readonly PromExemplarGroup[]): ExemplarPoint[] {
  const out: ExemplarPoint[] = [];
  for (const g of groups) {
    for (const e of g.exemplars) {
      const traceId = TRACE_ID_LABELS.map((k) => e.labels[k]).find(Boolean);
      if (!traceId) continue;
      const value = Number(e.value);
      if (!Number.isFinite(value)) continue;
      out.push({
        t: e.timestamp,
        value,
        traceId: traceId.toLowerCase(),
        spanId: SPAN_ID_LABELS.map((k) => e.labels[k]).find(Boolean) ?? null,
        labels: e.labels,
        seriesLabels: g.seriesLabels,
      });
    }
  }
  return out.sort((a, b) => a.t - b.t);
}

/** About how many exemplar columns a chart draws across its width: a diamond is ~8 px wide. */
export const EXEMPLAR_COLUMNS = 120;

/**
 * The bucket width (seconds) the chart asks query_exemplars to thin by (its `step`): per series, the
 * highest exemplar of each bucket is kept. A whole number of query steps, so buckets line up with the
 * plotted points, and about EXEMPLAR_COLUMNS of them across the range.
 */
export function exemplarThinStepS(rangeS: number, stepS: number): number {
  const step = stepS > 0 ? stepS : 1;
  return Math.max(1, Math.ceil(Math.max(step, rangeS / EXEMPLAR_COLUMNS) / step)) * step;
}

/** Exemplars in [fromS, toS], one per trace (its largest value), largest (slowest) first. */
export function exemplarsInWindow(points: readonly ExemplarPoint[], fromS: number, toS: number): ExemplarPoint[] {
  const best = new Map<string, ExemplarPoint>();
  for (const p of points) {
    if (p.t < fromS || p.t > toS) continue;
    const prev = best.get(p.traceId);
    if (!prev || p.value > prev.value) best.set(p.traceId, p);
  }
  return [...best.values()].sort((a, b) => b.value - a.value || a.t - b.t);
}

export interface SpanFilterFromLabels {
  service?: string;
  route?: string;
  /** Which labels were used, to say so in the panel. */
  from: string[];
}

/**
 * The span search that matches a metric's series, for metrics without exemplars: the service from
 * `service`, `service_name` or `job`, the route from `route`, `http_route` or `handler`. Only values
 * shared by every series are used, so the search never narrows to one series out of several.
 */
export function spanFilterFromLabels(labelSets: readonly Record<string, string>[]): SpanFilterFromLabels {
  const common = (keys: string[]): [string, string] | undefined => {
    for (const k of keys) {
      const values = new Set(labelSets.map((l) => l[k]));
      if (values.size === 1) {
        const v = [...values][0];
        if (v) return [k, v];
      }
    }
    return undefined;
  };
  const out: SpanFilterFromLabels = { from: [] };
  if (labelSets.length === 0) return out;
  const svc = common(['service', 'service_name', 'job']);
  if (svc) {
    // Prometheus' job label is often "namespace/service": the service is its last part.
    out.service = svc[0] === 'job' ? svc[1].split('/').pop()! : svc[1];
    out.from.push(`${svc[0]}="${svc[1]}" → service`);
  }
  const route = common(['route', 'http_route', 'handler']);
  if (route) {
    out.route = route[1];
    out.from.push(`${route[0]}="${route[1]}" → http.route`);
  }
  return out;
}
