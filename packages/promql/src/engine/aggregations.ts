// follows evaluator.aggregation in prometheus/promql/engine.go (v2.42), column-wise: a series' group
// never changes across steps, so grouping keys are computed once per series and the per-step work is
// plain arithmetic over typed arrays.
import type { Labels } from '@pivot/model';
import type { AggregateExpr } from '../parser/ast.ts';
import { unwrapParens } from '../parser/ast.ts';
import { execError } from '../errors.ts';
import { METRIC_NAME, isValidLabelName, keepLabels, keyWith, keyWithout, withoutLabels } from '../labels.ts';
import { formatFloat, formatGoG } from '../format.ts';
import { quantile } from '../functions/quantile.ts';
import type { Evaluator } from './eval.ts';
import type { Ctx, ScalarValue, Series, StringValue, VectorValue } from './values.ts';
import { OutputBuilder, Sweep, countPoints, newSeries, present, spanEnd, valueAt } from './values.ts';

interface Grouping {
  /** Group index of each input series. */
  of: Int32Array;
  labels: Labels[];
}

function groupSeries(series: readonly Series[], grouping: readonly string[], without: boolean): Grouping {
  const sorted = [...grouping].sort();
  const excluded = new Set([...grouping, METRIC_NAME]);
  const index = new Map<string, number>();
  const of = new Int32Array(series.length);
  const labels: Labels[] = [];
  series.forEach((s, si) => {
    const k = without ? keyWithout(s.labels, excluded) : keyWith(s.labels, sorted);
    let g = index.get(k);
    if (g === undefined) {
      g = labels.length;
      index.set(k, g);
      labels.push(without ? withoutLabels(s.labels, excluded) : keepLabels(s.labels, sorted));
    }
    of[si] = g;
  });
  return { of, labels };
}

export function evalAggregate(ev: Evaluator, e: AggregateExpr, ctx: Ctx): VectorValue {
  const input = ev.eval(e.expr, ctx) as VectorValue;
  let param: ScalarValue | StringValue | null = null;
  if (e.param) {
    const p = unwrapParens(e.param);
    // count_values takes its label name straight from the literal, like Prometheus.
    param = p.type === 'StringLiteral' ? { kind: 'string', s: p.value } : (ev.eval(e.param, ctx) as ScalarValue);
  }
  let series: Series[];
  switch (e.op) {
    case 'topk':
    case 'bottomk':
      series = topk(ev, e.op === 'topk', input.series, (param as ScalarValue).v, e.grouping, e.without, ctx.n);
      break;
    case 'quantile':
      series = quantileAgg(input.series, (param as ScalarValue).v, e.grouping, e.without);
      break;
    case 'count_values':
      series = countValues(input.series, (param as StringValue).s, e.grouping, e.without, ctx.n);
      break;
    default:
      series = simple(ev, e.op, input.series, e.grouping, e.without);
  }
  ev.release(input);
  ev.track(countPoints(series));
  return { kind: 'vector', series };
}

function simple(ev: Evaluator, op: string, input: Series[], grouping: string[], without: boolean): Series[] {
  const { of, labels } = groupSeries(input, grouping, without);
  const G = labels.length;
  // Each group's arrays cover the union of its members' spans.
  const glo = new Float64Array(G).fill(Infinity);
  const ghi = new Float64Array(G).fill(-Infinity);
  input.forEach((s, si) => {
    const g = of[si]!;
    glo[g] = Math.min(glo[g]!, s.lo);
    ghi[g] = Math.max(ghi[g]!, spanEnd(s));
  });
  const len = (g: number): number => Math.max(0, ghi[g]! - glo[g]!);
  const val = labels.map((_, g) => new Float64Array(len(g)));
  const cnt = labels.map((_, g) => new Float64Array(len(g)));
  const mean =
    op === 'avg' || op === 'stddev' || op === 'stdvar' ? labels.map((_, g) => new Float64Array(len(g))) : null;
  for (let si = 0; si < input.length; si++) {
    if ((si & 255) === 0) ev.checkDeadline();
    const s = input[si]!;
    const g = of[si]!;
    const value = val[g]!;
    const count = cnt[g]!;
    const mn = mean ? mean[g]! : value;
    const { v, has } = s;
    const d = s.lo - glo[g]!;
    const m = has.length;
    switch (op) {
      case 'sum':
        for (let k = 0; k < m; k++) {
          if (!has[k]) continue;
          const i = k + d;
          if (count[i] === 0) value[i] = v[k]!;
          else value[i] = value[i]! + v[k]!;
          count[i] = count[i]! + 1;
        }
        break;
      case 'avg':
        for (let k = 0; k < m; k++) {
          if (!has[k]) continue;
          const i = k + d;
          const x = v[k]!;
          if (count[i] === 0) {
            mn[i] = x;
            count[i] = 1;
            continue;
          }
          const c = (count[i] = count[i]! + 1);
          const cur = mn[i]!;
          if (cur === Infinity || cur === -Infinity) {
            // An infinite mean stays correct unless an opposite infinity or NaN arrives.
            if ((x === Infinity || x === -Infinity) && cur > 0 === x > 0) continue;
            if (Number.isFinite(x)) continue;
          }
          // Dividing each term first avoids overflowing float64.
          mn[i] = cur + (x / c - cur / c);
        }
        break;
      case 'max':
      case 'min': {
        const isMax = op === 'max';
        for (let k = 0; k < m; k++) {
          if (!has[k]) continue;
          const i = k + d;
          const x = v[k]!;
          if (count[i] === 0) value[i] = x;
          else {
            const cur = value[i]!;
            if ((isMax ? cur < x : cur > x) || cur !== cur) value[i] = x;
          }
          count[i] = count[i]! + 1;
        }
        break;
      }
      case 'count':
      case 'group':
        for (let k = 0; k < m; k++) if (has[k]) count[k + d] = count[k + d]! + 1;
        break;
      case 'stddev':
      case 'stdvar':
        for (let k = 0; k < m; k++) {
          if (!has[k]) continue;
          const i = k + d;
          const x = v[k]!;
          if (count[i] === 0) {
            count[i] = 1;
            mn[i] = x;
            value[i] = 0;
            continue;
          }
          const c = (count[i] = count[i]! + 1);
          const delta = x - mn[i]!;
          mn[i] = mn[i]! + delta / c;
          value[i] = value[i]! + delta * (x - mn[i]);
        }
        break;
      default:
        throw execError(`unsupported aggregation "${op}"`);
    }
  }
  const out: Series[] = [];
  for (let g = 0; g < G; g++) {
    const count = cnt[g]!;
    const s = newSeries(labels[g]!, glo[g]!, ghi[g]!);
    let any = false;
    for (let i = 0; i < count.length; i++) {
      const c = count[i]!;
      if (c === 0) continue;
      any = true;
      s.has[i] = 1;
      switch (op) {
        case 'avg':
          s.v[i] = mean![g]![i]!;
          break;
        case 'count':
          s.v[i] = c;
          break;
        case 'group':
          s.v[i] = 1;
          break;
        case 'stdvar':
          s.v[i] = val[g]![i]! / c;
          break;
        case 'stddev':
          s.v[i] = Math.sqrt(val[g]![i]! / c);
          break;
        default:
          s.v[i] = val[g]![i]!;
      }
    }
    if (any) out.push(s);
  }
  return out;
}

const MAX_INT64 = 9223372036854774784;
const MIN_INT64 = -9223372036854775808;

// topk/bottomk keep a bounded heap per group with exactly container/heap's sift order and the
// NaN-always-smallest comparison of vectorByValueHeap, so ties and NaNs resolve as in Prometheus.
function topk(
  ev: Evaluator,
  isTop: boolean,
  input: Series[],
  kv: Float64Array,
  grouping: string[],
  without: boolean,
  n: number,
): Series[] {
  const { of, labels } = groupSeries(input, grouping, without);
  const heaps: number[][] = labels.map(() => []);
  const used: number[] = [];
  const outBySeries = new Map<number, Series>();
  const order: Series[] = [];
  const less = (a: number, b: number): boolean => {
    const xa = valueAt(input[a]!, cur);
    if (xa !== xa) return true;
    return isTop ? xa < valueAt(input[b]!, cur) : xa > valueAt(input[b]!, cur);
  };
  let cur = 0;
  const up = (h: number[], j: number): void => {
    for (;;) {
      const i = Math.trunc((j - 1) / 2);
      if (i === j || !less(h[j]!, h[i]!)) break;
      [h[i], h[j]] = [h[j]!, h[i]!];
      j = i;
    }
  };
  const down = (h: number[], i0: number, len: number): void => {
    let i = i0;
    for (;;) {
      const j1 = 2 * i + 1;
      if (j1 >= len) break;
      let j = j1;
      const j2 = j1 + 1;
      if (j2 < len && less(h[j2]!, h[j1]!)) j = j2;
      if (!less(h[j]!, h[i]!)) break;
      [h[i], h[j]] = [h[j]!, h[i]!];
      i = j;
    }
  };
  const sweep = new Sweep(input);
  for (let i = 0; i < n; i++) {
    if ((i & 63) === 0) ev.checkDeadline();
    cur = i;
    const f = kv[i]!;
    if (!(f <= MAX_INT64 && f >= MIN_INT64)) throw execError(`Scalar value ${formatGoG(f)} overflows int64`);
    const k = Math.trunc(f);
    if (k < 1) continue;
    used.length = 0;
    for (const si of sweep.at(i)) {
      const s = input[si]!;
      if (!present(s, i)) continue;
      const g = of[si]!;
      const h = heaps[g]!;
      if (h.length === 0) {
        used.push(g);
        h.push(si);
        continue;
      }
      const top = valueAt(input[h[0]!]!, i);
      const x = valueAt(s, i);
      if (h.length < k || (isTop ? top < x : top > x) || top !== top) {
        if (h.length === k) {
          if (k === 1) {
            h[0] = si;
            continue;
          }
          // heap.Pop
          const last = h.length - 1;
          [h[0], h[last]] = [h[last]!, h[0]!];
          down(h, 0, last);
          h.pop();
        }
        h.push(si);
        up(h, h.length - 1);
      }
    }
    for (const g of used) {
      const h = heaps[g]!;
      // sort.Sort(sort.Reverse(heap)): best first.
      h.sort((a, b) => (less(b, a) ? -1 : less(a, b) ? 1 : 0));
      for (const si of h) {
        const src = input[si]!;
        let o = outBySeries.get(si);
        if (!o) {
          o = newSeries(src.labels, src.lo, spanEnd(src), src.key);
          outBySeries.set(si, o);
          order.push(o);
        }
        o.has[i - o.lo] = 1;
        o.v[i - o.lo] = valueAt(src, i);
      }
      h.length = 0;
    }
  }
  return order;
}

function quantileAgg(input: Series[], q: Float64Array, grouping: string[], without: boolean): Series[] {
  const { of, labels } = groupSeries(input, grouping, without);
  const members: number[][] = labels.map(() => []);
  input.forEach((_s, si) => members[of[si]!]!.push(si));
  const out: Series[] = [];
  const buf: number[] = [];
  labels.forEach((l, g) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const si of members[g]!) {
      lo = Math.min(lo, input[si]!.lo);
      hi = Math.max(hi, spanEnd(input[si]!));
    }
    const s = newSeries(l, lo, hi);
    const group = members[g]!.map((si) => input[si]!);
    const sweep = new Sweep(group);
    let any = false;
    for (let i = lo; i < hi; i++) {
      buf.length = 0;
      for (const j of sweep.at(i)) if (present(group[j]!, i)) buf.push(valueAt(group[j]!, i));
      if (buf.length === 0) continue;
      s.has[i - lo] = 1;
      s.v[i - lo] = quantile(q[i]!, buf);
      any = true;
    }
    if (any) out.push(s);
  });
  return out;
}

function countValues(input: Series[], valueLabel: string, grouping: string[], without: boolean, n: number): Series[] {
  if (!isValidLabelName(valueLabel)) throw execError(`invalid label name "${valueLabel}"`);
  const byNames = without ? grouping : [...grouping, valueLabel].sort();
  const excluded = new Set([...grouping, METRIC_NAME]);
  const b = new OutputBuilder();
  const counts = new Map<string, { labels: Labels; count: number }>();
  const sweep = new Sweep(input);
  for (let i = 0; i < n; i++) {
    counts.clear();
    for (const si of sweep.at(i)) {
      const s = input[si]!;
      if (!present(s, i)) continue;
      const metric: Labels = { ...s.labels, [valueLabel]: formatFloat(valueAt(s, i)) };
      const k = without ? keyWithout(metric, excluded) : keyWith(metric, byNames);
      const c = counts.get(k);
      if (c) c.count++;
      else counts.set(k, { labels: without ? withoutLabels(metric, excluded) : keepLabels(metric, byNames), count: 1 });
    }
    // Value-derived series come and go per step; a full-width span avoids regrowing them.
    for (const c of counts.values()) OutputBuilder.put(b.slot(c.labels, 0, n), i, c.count);
  }
  return b.finish();
}
