// Functions over instant vectors and scalars (the rangeEval half of the Call case in
// prometheus/promql/engine.go), evaluated for all steps at once. Each follows the funcXxx of the same
// name in prometheus/promql/functions.go.
import type { Labels } from '@pivot/model';
import type { Call, Expr } from '../parser/ast.ts';
import { unwrapParens } from '../parser/ast.ts';
import { execError } from '../errors.ts';
import { METRIC_NAME, dropMetricName, isValidLabelName, keyWithout, labelsKey } from '../labels.ts';
import { RegexError, compileAnchored, expandTemplate, submatch } from '../regex.ts';
import type { Evaluator } from '../engine/eval.ts';
import type { Ctx, ScalarValue, Series, StringValue, Value, VectorValue } from '../engine/values.ts';
import { OutputBuilder, countPoints, newSeries, present, spanEnd, valueAt } from '../engine/values.ts';
import { bucketQuantile, parseGoFloat } from './histogram.ts';

const goSign = (v: number): number => (v < 0 ? -1 : v > 0 ? 1 : v);

const MATH: Record<string, (v: number) => number> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  sqrt: Math.sqrt,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  deg: (v) => (v * 180) / Math.PI,
  rad: (v) => (v * Math.PI) / 180,
  sgn: goSign,
};

// Go's time.Unix(int64(v), 0).UTC() broken down; JavaScript's Date covers ±100M days, enough for any real input.
function utc(sec: number): Date {
  return new Date(Math.trunc(sec) * 1000);
}
const DATE_FUNCS: Record<string, (d: Date) => number> = {
  day_of_month: (d) => d.getUTCDate(),
  day_of_week: (d) => d.getUTCDay(),
  day_of_year: (d) => Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86400000) + 1,
  days_in_month: (d) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate(),
  hour: (d) => d.getUTCHours(),
  minute: (d) => d.getUTCMinutes(),
  month: (d) => d.getUTCMonth() + 1,
  year: (d) => d.getUTCFullYear(),
};

/** follows createLabelsForAbsentFunction: labels pinned by equality matchers, except the metric name. */
export function absentLabels(arg: Expr): Labels {
  const e = unwrapParens(arg);
  const matchers = e.type === 'VectorSelector' ? e.matchers : e.type === 'MatrixSelector' ? e.selector.matchers : null;
  const out: Labels = {};
  if (!matchers) return out;
  const dropped = new Set<string>();
  for (const m of matchers) {
    if (m.name === METRIC_NAME) continue;
    if (m.type === '=' && !(m.name in out)) out[m.name] = m.value;
    else dropped.add(m.name);
  }
  for (const n of dropped) delete out[n];
  for (const n of Object.keys(out)) if (out[n] === '') delete out[n];
  return out;
}

/** Maps every series point-wise; equal output label sets at one step are an error, as in rangeEval. */
function mapVector(
  vec: VectorValue,
  labelsOf: (l: Labels) => Labels,
  f: (x: number, i: number) => number,
  stepOk?: (i: number) => boolean,
): Series[] {
  const b = new OutputBuilder();
  for (const s of vec.series) {
    const out = b.slot(labelsOf(s.labels), s.lo, spanEnd(s));
    const { v, has, lo } = s;
    for (let k = 0; k < has.length; k++) {
      const i = lo + k;
      if (!has[k] || (stepOk && !stepOk(i))) continue;
      OutputBuilder.put(out, i, f(v[k]!, i));
    }
  }
  return b.finish();
}

export function callInstantFunction(ev: Evaluator, e: Call, ctx: Ctx): Value {
  const args = e.args.map((a) => ev.eval(a, ctx));
  const result = instant(ev, e, ctx, args);
  for (const a of args) ev.release(a);
  if (result.kind === 'vector') ev.track(countPoints(result.series));
  return result;
}

function instant(ev: Evaluator, e: Call, ctx: Ctx, args: Value[]): Value {
  const { n } = ctx;
  const vec = (i: number): VectorValue => args[i] as VectorValue;
  const sc = (i: number): Float64Array => (args[i] as ScalarValue).v;
  const str = (i: number): string => (args[i] as StringValue).s;
  const vector = (series: Series[]): VectorValue => ({ kind: 'vector', series });
  const stepSeconds = (i: number): number => (ctx.start + i * ctx.interval) / 1000;

  const math = MATH[e.func];
  if (math) return vector(mapVector(vec(0), dropMetricName, math));

  const date = DATE_FUNCS[e.func];
  if (date) {
    if (args.length === 0) {
      const s = newSeries({}, 0, n);
      for (let i = 0; i < n; i++) {
        s.has[i] = 1;
        s.v[i] = date(utc(stepSeconds(i)));
      }
      return vector([s]);
    }
    return vector(mapVector(vec(0), dropMetricName, (x) => (Number.isFinite(x) ? date(utc(x)) : NaN)));
  }

  switch (e.func) {
    case 'time':
    case 'pi': {
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) v[i] = e.func === 'pi' ? Math.PI : stepSeconds(i);
      return { kind: 'scalar', v };
    }
    case 'vector': {
      const s = newSeries({}, 0, n);
      s.v.set(sc(0));
      s.has.fill(1);
      return vector([s]);
    }
    case 'scalar': {
      // follows funcScalar: NaN unless exactly one element.
      const out = new Float64Array(n);
      const count = new Uint32Array(n);
      for (const s of vec(0).series) {
        for (let k = 0; k < s.has.length; k++) {
          if (!s.has[k]) continue;
          count[s.lo + k]!++;
          out[s.lo + k] = s.v[k]!;
        }
      }
      for (let i = 0; i < n; i++) if (count[i] !== 1) out[i] = NaN;
      return { kind: 'scalar', v: out };
    }
    case 'timestamp':
      // Not a plain selector: evaluated points carry the step time.
      return vector(mapVector(vec(0), dropMetricName, (_x, i) => stepSeconds(i)));
    case 'sort':
    case 'sort_desc': {
      const series = vec(0).series.slice();
      // Order only exists within one step; for range queries results get sorted by labels anyway.
      if (n === 1) {
        const desc = e.func === 'sort_desc';
        series.sort((a, b) => {
          const x = valueAt(a, 0);
          const y = valueAt(b, 0);
          if (x !== x) return y !== y ? 0 : 1;
          if (y !== y) return -1;
          return desc ? y - x : x - y;
        });
      }
      return vector(series);
    }
    case 'absent': {
      const covered = new Uint8Array(n);
      for (const x of vec(0).series) for (let k = 0; k < x.has.length; k++) if (x.has[k]) covered[x.lo + k] = 1;
      const s = newSeries(absentLabels(e.args[0]!), 0, n);
      for (let i = 0; i < n; i++) {
        if (covered[i]) continue;
        s.has[i] = 1;
        s.v[i] = 1;
      }
      return vector(s.has.includes(1) ? [s] : []);
    }
    case 'clamp': {
      const lo = sc(1);
      const hi = sc(2);
      return vector(
        mapVector(
          vec(0),
          dropMetricName,
          (x, i) => Math.max(lo[i]!, Math.min(hi[i]!, x)),
          (i) => !(hi[i]! < lo[i]!),
        ),
      );
    }
    case 'clamp_max': {
      const hi = sc(1);
      return vector(mapVector(vec(0), dropMetricName, (x, i) => Math.min(hi[i]!, x)));
    }
    case 'clamp_min': {
      const lo = sc(1);
      return vector(mapVector(vec(0), dropMetricName, (x, i) => Math.max(lo[i]!, x)));
    }
    case 'round': {
      const to = args.length > 1 ? sc(1) : null;
      return vector(
        mapVector(vec(0), dropMetricName, (x, i) => {
          // Multiplying by the inverse causes fewer float artefacts than dividing (funcRound).
          const inv = 1 / (to ? to[i]! : 1);
          return Math.floor(x * inv + 0.5) / inv;
        }),
      );
    }
    case 'histogram_count':
    case 'histogram_sum':
    case 'histogram_fraction':
      // Native histograms only; float samples are ignored.
      return vector([]);
    case 'histogram_quantile':
      return vector(histogramQuantile(ev, sc(0), vec(1)));
    case 'label_replace':
      return vector(labelReplace(vec(0), str(1), str(2), str(3), str(4)));
    case 'label_join':
      return vector(
        labelJoin(
          vec(0),
          str(1),
          str(2),
          args.slice(3).map((a) => (a as StringValue).s),
        ),
      );
  }
  throw execError(`function "${e.func}" is not supported`);
}

// follows funcHistogramQuantile: buckets grouped by all labels but `le` (the metric name included, so two
// histograms that differ only in name are not merged); the output drops `le` and the name.
function histogramQuantile(ev: Evaluator, q: Float64Array, vec: VectorValue): Series[] {
  interface Group {
    labels: Labels;
    members: Series[];
    bounds: number[];
  }
  const groups = new Map<string, Group>();
  const excludeLe = new Set(['le']);
  for (const s of vec.series) {
    const le = parseGoFloat(s.labels['le'] ?? '');
    if (le === null) continue;
    const k = keyWithout(s.labels, excludeLe);
    let g = groups.get(k);
    if (!g) {
      const labels: Labels = {};
      for (const name in s.labels) if (name !== 'le' && name !== METRIC_NAME) labels[name] = s.labels[name]!;
      g = { labels, members: [], bounds: [] };
      groups.set(k, g);
    }
    g.members.push(s);
    g.bounds.push(le);
  }
  const b = new OutputBuilder();
  let maxMembers = 0;
  for (const g of groups.values()) maxMembers = Math.max(maxMembers, g.members.length);
  const bounds = new Float64Array(maxMembers);
  const counts = new Float64Array(maxMembers);
  for (const g of groups.values()) {
    ev.checkDeadline();
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of g.members) {
      lo = Math.min(lo, s.lo);
      hi = Math.max(hi, spanEnd(s));
    }
    const out = b.slot(g.labels, lo, hi);
    const m = g.members.length;
    for (let i = lo; i < hi; i++) {
      let k = 0;
      for (let j = 0; j < m; j++) {
        const s = g.members[j]!;
        if (!present(s, i)) continue;
        bounds[k] = g.bounds[j]!;
        counts[k] = s.v[i - s.lo]!;
        k++;
      }
      if (k === 0) continue;
      OutputBuilder.put(out, i, bucketQuantile(q[i]!, bounds, counts, k));
    }
  }
  return b.finish();
}

// follows funcLabelReplace
function labelReplace(vec: VectorValue, dst: string, repl: string, src: string, regex: string): Series[] {
  let re: ReturnType<typeof compileAnchored>;
  try {
    re = compileAnchored(regex);
  } catch (err) {
    if (err instanceof RegexError) throw execError(`invalid regular expression in label_replace(): ${regex}`);
    throw err;
  }
  if (!isValidLabelName(dst)) throw execError(`invalid destination label name in label_replace(): ${dst}`);
  const b = new OutputBuilder();
  for (const s of vec.series) {
    const m = submatch(re, s.labels[src] ?? '');
    let labels = s.labels;
    if (m) {
      const res = expandTemplate(repl, m);
      labels = { ...s.labels };
      delete labels[dst];
      if (res !== '') labels[dst] = res;
    }
    const out = b.slot(
      labels,
      s.lo,
      spanEnd(s),
      labels === s.labels ? (s.key ??= labelsKey(labels)) : labelsKey(labels),
    );
    copyPoints(s, out);
  }
  return b.finish();
}

// follows funcLabelJoin
function labelJoin(vec: VectorValue, dst: string, sep: string, srcs: string[]): Series[] {
  for (const src of srcs)
    if (!isValidLabelName(src)) throw execError(`invalid source label name in label_join(): ${src}`);
  if (!isValidLabelName(dst)) throw execError(`invalid destination label name in label_join(): ${dst}`);
  const b = new OutputBuilder();
  for (const s of vec.series) {
    const joined = srcs.map((x) => s.labels[x] ?? '').join(sep);
    const labels = { ...s.labels };
    if (joined === '') delete labels[dst];
    else labels[dst] = joined;
    copyPoints(s, b.slot(labels, s.lo, spanEnd(s)));
  }
  return b.finish();
}

function copyPoints(from: Series, to: Series): void {
  for (let k = 0; k < from.has.length; k++) if (from.has[k]) OutputBuilder.put(to, from.lo + k, from.v[k]!);
}
