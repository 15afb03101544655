// Evaluates metric queries over the entries a LogQuery selects, at each step of a range (or at one
// instant), with Loki's semantics: a range function at time t sees the entries in (t - range, t]
// (pkg/logql/range_vector.go), a window without entries gives no point, and aggregations group per step.
import type { AggregateOp, BinaryOp, LogQuery, MetricQuery } from './ast.ts';
import { ERROR_DETAILS_LABEL, ERROR_LABEL, labelsKey, type Labels } from './pipeline.ts';
import { LogQLError } from './parser.ts';

/** One entry that passed the pipeline, reduced to what range functions need. */
export interface Sample {
  timeNs: bigint;
  labels: Labels;
  bytes: number;
}

/** Where a range function's entries come from: those of `query` with time in (fromNs, toNs]. */
export type SampleSource = (query: LogQuery, fromNs: bigint, toNs: bigint) => Promise<Sample[]>;

export interface Series {
  labels: Labels;
  /** Value per step index; steps without a value are absent. */
  points: Map<number, number>;
}

export type MetricResult = { kind: 'scalar'; value: number } | { kind: 'vector'; series: Series[] };

const NS_PER_S = 1e9;

async function evalRange(
  q: Extract<MetricQuery, { kind: 'range' }>,
  steps: readonly bigint[],
  source: SampleSource,
): Promise<Series[]> {
  const first = steps[0]!;
  const last = steps[steps.length - 1]!;
  const samples = await source(q.query, first - q.rangeNs, last);
  const seconds = Number(q.rangeNs) / NS_PER_S;
  const n = steps.length;
  const stepNs = n > 1 ? steps[1]! - first : 1n;
  // Each sample adds to the steps t with t - range < ts <= t: a run of indexes computed directly, so
  // the cost follows the samples, not series × steps (a series per trace or user is common).
  const bySeries = new Map<string, { labels: Labels; counts: Float64Array; bytes: Float64Array }>();
  for (const s of samples) {
    if (s.labels[ERROR_LABEL] !== undefined)
      throw new LogQLError(
        `pipeline error: '${s.labels[ERROR_LABEL]}' for series ${labelsKey(s.labels)}; use a label filter such as | __error__="" or | drop __error__ to intentionally skip this error`,
        0,
      );
    const lo = s.timeNs <= first ? 0 : Number((s.timeNs - first + stepNs - 1n) / stepNs);
    const reach = s.timeNs + q.rangeNs - 1n;
    const hi = reach < first ? -1 : Math.min(n - 1, Number((reach - first) / stepNs));
    if (lo > hi || s.timeNs > last) continue;
    const key = labelsKey(s.labels);
    let e = bySeries.get(key);
    if (!e) bySeries.set(key, (e = { labels: s.labels, counts: new Float64Array(n), bytes: new Float64Array(n) }));
    for (let i = lo; i <= hi; i++) {
      e.counts[i]! += 1;
      e.bytes[i]! += s.bytes;
    }
  }
  const out: Series[] = [];
  for (const e of bySeries.values()) {
    const points = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const count = e.counts[i]!;
      if (count === 0) continue;
      const bytes = e.bytes[i]!;
      points.set(
        i,
        q.fn === 'count_over_time'
          ? count
          : q.fn === 'rate'
            ? count / seconds
            : q.fn === 'bytes_over_time'
              ? bytes
              : bytes / seconds,
      );
    }
    if (points.size) {
      const labels = { ...e.labels };
      delete labels[ERROR_DETAILS_LABEL];
      out.push({ labels, points });
    }
  }
  return out;
}

function groupLabels(labels: Labels, grouping: { without: boolean; labels: string[] } | undefined): Labels {
  if (!grouping) return {};
  const out: Labels = {};
  if (grouping.without) {
    const drop = new Set(grouping.labels);
    for (const [k, v] of Object.entries(labels)) if (!drop.has(k)) out[k] = v;
  } else for (const k of grouping.labels) if (labels[k] !== undefined && labels[k] !== '') out[k] = labels[k];
  return out;
}

function aggregate(
  op: AggregateOp,
  param: number | undefined,
  grouping: { without: boolean; labels: string[] } | undefined,
  input: Series[],
  stepCount: number,
): Series[] {
  const groups = new Map<string, { labels: Labels; members: Series[] }>();
  for (const s of input) {
    const g = groupLabels(s.labels, grouping);
    const key = labelsKey(g);
    let e = groups.get(key);
    if (!e) groups.set(key, (e = { labels: g, members: [] }));
    e.members.push(s);
  }
  if (op === 'topk' || op === 'bottomk') {
    const kept = new Map<Series, Series>();
    for (const g of groups.values())
      for (let i = 0; i < stepCount; i++) {
        const present = g.members.filter((s) => s.points.has(i));
        present.sort((a, b) =>
          op === 'topk' ? b.points.get(i)! - a.points.get(i)! : a.points.get(i)! - b.points.get(i)!,
        );
        for (const s of present.slice(0, param)) {
          let k = kept.get(s);
          if (!k) kept.set(s, (k = { labels: s.labels, points: new Map() }));
          k.points.set(i, s.points.get(i)!);
        }
      }
    return [...kept.values()];
  }
  const out: Series[] = [];
  for (const g of groups.values()) {
    const acc = new Map<number, { sum: number; n: number; max: number; min: number }>();
    for (const m of g.members)
      for (const [i, v] of m.points) {
        const a = acc.get(i);
        if (!a) acc.set(i, { sum: v, n: 1, max: v, min: v });
        else {
          a.sum += v;
          a.n++;
          // Math.max/min, as PromQL's, let NaN win.
          a.max = Math.max(a.max, v);
          a.min = Math.min(a.min, v);
        }
      }
    const points = new Map<number, number>();
    for (const i of [...acc.keys()].sort((a, b) => a - b)) {
      const a = acc.get(i)!;
      points.set(
        i,
        op === 'sum' ? a.sum : op === 'avg' ? a.sum / a.n : op === 'max' ? a.max : op === 'min' ? a.min : a.n,
      );
    }
    if (points.size) out.push({ labels: g.labels, points });
  }
  return out;
}

function arith(op: BinaryOp, a: number, b: number): number {
  return op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : a / b;
}

function mapPoints(s: Series, f: (v: number) => number): Series {
  return { labels: s.labels, points: new Map([...s.points].map(([i, v]) => [i, f(v)])) };
}

/** Evaluates `q` at every step (nanosecond times, ascending). */
export async function evalMetric(
  q: MetricQuery,
  steps: readonly bigint[],
  source: SampleSource,
): Promise<MetricResult> {
  switch (q.kind) {
    case 'number':
      return { kind: 'scalar', value: q.value };
    case 'vector':
      return { kind: 'vector', series: [{ labels: {}, points: new Map(steps.map((_, i) => [i, q.value])) }] };
    case 'range':
      return { kind: 'vector', series: await evalRange(q, steps, source) };
    case 'aggregate': {
      const inner = await evalMetric(q.expr, steps, source);
      if (inner.kind === 'scalar') throw new LogQLError(`${q.op} needs a vector, not a scalar`, 0);
      return { kind: 'vector', series: aggregate(q.op, q.param, q.grouping, inner.series, steps.length) };
    }
    case 'binary': {
      const [l, r] = await Promise.all([evalMetric(q.left, steps, source), evalMetric(q.right, steps, source)]);
      if (l.kind === 'scalar' && r.kind === 'scalar') return { kind: 'scalar', value: arith(q.op, l.value, r.value) };
      if (l.kind === 'scalar' && r.kind === 'vector')
        return { kind: 'vector', series: r.series.map((s) => mapPoints(s, (v) => arith(q.op, l.value, v))) };
      if (l.kind === 'vector' && r.kind === 'scalar')
        return { kind: 'vector', series: l.series.map((s) => mapPoints(s, (v) => arith(q.op, v, r.value))) };
      if (l.kind !== 'vector' || r.kind !== 'vector') throw new Error('unreachable');
      // One-to-one matching on the whole label set, as PromQL and LogQL do without on()/ignoring().
      const right = new Map(r.series.map((s) => [labelsKey(s.labels), s]));
      const out: Series[] = [];
      for (const s of l.series) {
        const o = right.get(labelsKey(s.labels));
        if (!o) continue;
        const points = new Map<number, number>();
        for (const [i, v] of s.points) if (o.points.has(i)) points.set(i, arith(q.op, v, o.points.get(i)!));
        if (points.size) out.push({ labels: s.labels, points });
      }
      return { kind: 'vector', series: out };
    }
  }
}

/** The widest range any range function in `q` looks back: how far before the first step to read. */
export function maxRangeNs(q: MetricQuery): bigint {
  switch (q.kind) {
    case 'range':
      return q.rangeNs;
    case 'aggregate':
      return maxRangeNs(q.expr);
    case 'binary': {
      const a = maxRangeNs(q.left);
      const b = maxRangeNs(q.right);
      return a > b ? a : b;
    }
    default:
      return 0n;
  }
}
