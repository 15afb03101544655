// Binary and unary operators. follows evaluator.VectorBinop / VectorAnd / VectorOr / VectorUnless /
// VectorscalarBinop / scalarBinop and resultMetric in prometheus/promql/engine.go (v2.42).
import type { Labels } from '@pivot/model';
import type { BinaryExpr, BinaryOp, UnaryExpr, VectorMatching } from '../parser/ast.ts';
import { isComparisonOp } from '../parser/ast.ts';
import { execError } from '../errors.ts';
import {
  METRIC_NAME,
  dropMetricName,
  keepLabels,
  keyWith,
  keyWithout,
  labelsString,
  withoutLabels,
} from '../labels.ts';
import type { Evaluator } from './eval.ts';
import type { Ctx, ScalarValue, Series, Value, VectorValue } from './values.ts';
import {
  OutputBuilder,
  Sweep,
  assertUniqueLabelsets,
  countPoints,
  keyOf,
  present,
  spanEnd,
  valueAt,
} from './values.ts';

/** Go's math.Pow special cases where JavaScript's ** disagrees. */
function goPow(x: number, y: number): number {
  if (y === 0) return 1;
  if (x === 1) return 1;
  if ((y === Infinity || y === -Infinity) && x === -1) return 1;
  return x ** y;
}

/** Arithmetic ops drop the metric name (shouldDropMetricName); atan2 and comparisons keep it. */
const dropsName = (op: BinaryOp): boolean =>
  op === '+' || op === '-' || op === '*' || op === '/' || op === '^' || op === '%';

/** Returns the value, or NaN with `keep` false for a comparison that filters the element out. */
let keep = true;
function elemOp(op: BinaryOp, l: number, r: number): number {
  keep = true;
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '%':
      return l % r;
    case '^':
      return goPow(l, r);
    case 'atan2':
      return Math.atan2(l, r);
    case '==':
      keep = l === r;
      return l;
    case '!=':
      keep = l !== r;
      return l;
    case '>':
      keep = l > r;
      return l;
    case '<':
      keep = l < r;
      return l;
    case '>=':
      keep = l >= r;
      return l;
    case '<=':
      keep = l <= r;
      return l;
    default:
      throw execError(`operator "${op}" not allowed for operations between vectors`);
  }
}

export function evalUnary(ev: Evaluator, e: UnaryExpr, ctx: Ctx): Value {
  const v = ev.eval(e.expr, ctx);
  if (e.op === '+') return v;
  if (v.kind === 'scalar') return { kind: 'scalar', v: v.v.map((x) => -x) };
  const vec = v as VectorValue;
  for (const s of vec.series) {
    s.labels = dropMetricName(s.labels);
    delete s.key;
    const x = s.v;
    for (let i = 0; i < x.length; i++) x[i] = -x[i]!;
  }
  assertUniqueLabelsets(vec.series);
  return vec;
}

export function evalBinary(ev: Evaluator, e: BinaryExpr, ctx: Ctx): Value {
  const lhs = ev.eval(e.lhs, ctx);
  const rhs = ev.eval(e.rhs, ctx);
  const { n } = ctx;
  let result: Value;
  if (lhs.kind === 'scalar' && rhs.kind === 'scalar') {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const x = elemOp(e.op, lhs.v[i]!, rhs.v[i]!);
      out[i] = isComparisonOp(e.op) ? (keep ? 1 : 0) : x;
    }
    return { kind: 'scalar', v: out };
  }
  if (lhs.kind === 'vector' && rhs.kind === 'vector') {
    const m = e.matching!;
    let series: Series[];
    if (e.op === 'and' || e.op === 'or' || e.op === 'unless') series = setOp(e.op, lhs.series, rhs.series, m, n);
    else series = vectorBinop(ev, e.op, lhs.series, rhs.series, m, e.returnBool, n);
    result = { kind: 'vector', series };
  } else if (lhs.kind === 'vector') {
    result = { kind: 'vector', series: vectorScalar(e.op, lhs, (rhs as ScalarValue).v, false, e.returnBool) };
  } else {
    result = {
      kind: 'vector',
      series: vectorScalar(e.op, rhs as VectorValue, (lhs as ScalarValue).v, true, e.returnBool),
    };
  }
  ev.release(lhs);
  ev.release(rhs);
  ev.track(countPoints(result.series));
  return result;
}

function vectorScalar(
  op: BinaryOp,
  vec: VectorValue,
  scalar: Float64Array,
  swap: boolean,
  returnBool: boolean,
): Series[] {
  const cmp = isComparisonOp(op);
  const drop = dropsName(op) || returnBool;
  const b = new OutputBuilder();
  for (const s of vec.series) {
    const out = b.slot(drop ? dropMetricName(s.labels) : s.labels, s.lo, spanEnd(s), drop ? undefined : keyOf(s));
    const { v, has, lo } = s;
    for (let k = 0; k < has.length; k++) {
      if (!has[k]) continue;
      const i = lo + k;
      const x = v[k]!;
      let value = swap ? elemOp(op, scalar[i]!, x) : elemOp(op, x, scalar[i]!);
      // A comparison keeps the vector's value even when the scalar is on the left.
      if (cmp && swap) value = x;
      if (returnBool) value = keep ? 1 : 0;
      else if (!keep) continue;
      OutputBuilder.put(out, i, value);
    }
  }
  return b.finish();
}

function signatureFn(m: VectorMatching): (l: Labels) => string {
  if (m.on) {
    const names = [...m.labels].sort();
    return (l) => keyWith(l, names);
  }
  const excluded = new Set([...m.labels, METRIC_NAME]);
  return (l) => keyWithout(l, excluded);
}

/** Signature index per series, numbering distinct signatures across both sides. */
function signatures(m: VectorMatching, lhs: Series[], rhs: Series[]): { l: Int32Array; r: Int32Array; count: number } {
  const sig = signatureFn(m);
  const ids = new Map<string, number>();
  const id = (s: Series): number => {
    const k = sig(s.labels);
    let x = ids.get(k);
    if (x === undefined) {
      x = ids.size;
      ids.set(k, x);
    }
    return x;
  };
  return { l: Int32Array.from(lhs, id), r: Int32Array.from(rhs, id), count: ids.size };
}

function setOp(op: 'and' | 'or' | 'unless', lhs: Series[], rhs: Series[], m: VectorMatching, n: number): Series[] {
  const sigs = signatures(m, lhs, rhs);
  // stamp[sig] === step + 1 marks a signature present on the other side at this step.
  const stamp = new Int32Array(sigs.count);
  const b = new OutputBuilder();
  const lOut = lhs.map((s) => b.slot(s.labels, s.lo, spanEnd(s), keyOf(s)));
  const rOut = op === 'or' ? rhs.map((s) => b.slot(s.labels, s.lo, spanEnd(s), keyOf(s))) : [];
  const lSweep = new Sweep(lhs);
  const rSweep = new Sweep(rhs);
  for (let i = 0; i < n; i++) {
    const mark = i + 1;
    const lActive = lSweep.at(i);
    const rActive = rSweep.at(i);
    if (op === 'or') {
      for (const j of lActive) {
        const s = lhs[j]!;
        if (!present(s, i)) continue;
        stamp[sigs.l[j]!] = mark;
        OutputBuilder.put(lOut[j]!, i, valueAt(s, i));
      }
      for (const j of rActive) {
        const s = rhs[j]!;
        if (!present(s, i) || stamp[sigs.r[j]!] === mark) continue;
        OutputBuilder.put(rOut[j]!, i, valueAt(s, i));
      }
      continue;
    }
    for (const j of rActive) if (present(rhs[j]!, i)) stamp[sigs.r[j]!] = mark;
    for (const j of lActive) {
      const s = lhs[j]!;
      if (!present(s, i)) continue;
      const matched = stamp[sigs.l[j]!] === mark;
      if (matched === (op === 'and')) OutputBuilder.put(lOut[j]!, i, valueAt(s, i));
    }
  }
  return b.finish();
}

// follows VectorBinop: the "one" side is indexed by signature; one-to-many swaps sides first.
function vectorBinop(
  ev: Evaluator,
  op: BinaryOp,
  lhsIn: Series[],
  rhsIn: Series[],
  m: VectorMatching,
  returnBool: boolean,
  n: number,
): Series[] {
  const swapped = m.card === 'one-to-many';
  const lhs = swapped ? rhsIn : lhsIn;
  const rhs = swapped ? lhsIn : rhsIn;
  const sigs = signatures(m, lhs, rhs);
  const rStamp = new Int32Array(sigs.count);
  const rFirst = new Int32Array(sigs.count);
  const ignored = new Set([...m.labels, METRIC_NAME]);
  const sigStamp = new Int32Array(sigs.count);
  const b = new OutputBuilder();
  // Output series per (lhs, rhs) pair, built on first match.
  const pairOut = new Map<number, Series>();
  const lastSig = new Map<Series, number>();
  const oneSide = swapped ? 'left' : 'right';
  const lSweep = new Sweep(lhs);
  const rSweep = new Sweep(rhs);
  for (let i = 0; i < n; i++) {
    if ((i & 63) === 0) ev.checkDeadline();
    const mark = i + 1;
    const lActive = lSweep.at(i);
    const rActive = rSweep.at(i);
    // Like VectorBinop, a step with an empty side matches nothing and so cannot be ambiguous.
    if (!lActive.some((j) => present(lhs[j]!, i)) || !rActive.some((j) => present(rhs[j]!, i))) continue;
    // Index this step's "one" side by signature; two live series with one signature are ambiguous.
    for (const j of rActive) {
      if (!present(rhs[j]!, i)) continue;
      const sig = sigs.r[j]!;
      if (rStamp[sig] === mark) {
        const a = rhs[j]!.labels;
        const matchLabels = m.on ? keepLabels(a, m.labels) : withoutLabels(a, ignored);
        throw execError(
          `found duplicate series for the match group ${labelsString(matchLabels)} on the ${oneSide} hand-side of the operation: [${labelsString(a)}, ${labelsString(rhs[rFirst[sig]!]!.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`,
        );
      }
      rStamp[sig] = mark;
      rFirst[sig] = j;
    }
    for (const li of lActive) {
      const ls = lhs[li]!;
      if (!present(ls, i)) continue;
      const sig = sigs.l[li]!;
      if (rStamp[sig] !== mark) continue;
      const rj = rFirst[sig]!;
      const rs = rhs[rj]!;
      const l = valueAt(ls, i);
      const r = valueAt(rs, i);
      let value = swapped ? elemOp(op, r, l) : elemOp(op, l, r);
      if (returnBool) value = keep ? 1 : 0;
      else if (!keep) continue;
      const pairKey = li * rhs.length + rj;
      let out = pairOut.get(pairKey);
      if (!out) {
        let metric = resultMetric(ls.labels, rs.labels, op, m);
        if (returnBool) metric = dropMetricName(metric);
        out = b.slot(metric, Math.max(ls.lo, rs.lo), Math.min(spanEnd(ls), spanEnd(rs)));
        pairOut.set(pairKey, out);
      }
      if (m.card === 'one-to-one') {
        if (sigStamp[sig] === mark)
          throw execError(
            'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)',
          );
        sigStamp[sig] = mark;
      } else if (present(out, i) && lastSig.get(out) === sig) {
        // Same output labels from the same match group: the group_x labels do not tell the "many" apart.
        throw execError('multiple matches for labels: grouping labels must ensure unique matches');
      }
      lastSig.set(out, sig);
      OutputBuilder.put(out, i, value);
    }
  }
  return b.finish();
}

// follows resultMetric
function resultMetric(lhs: Labels, rhs: Labels, op: BinaryOp, m: VectorMatching): Labels {
  let out: Labels = { ...lhs };
  if (dropsName(op)) delete out[METRIC_NAME];
  if (m.card === 'one-to-one') {
    if (m.on) out = keepLabels(out, m.labels);
    else for (const l of m.labels) delete out[l];
  }
  for (const l of m.include) {
    const v = rhs[l];
    if (v !== undefined && v !== '') out[l] = v;
    else delete out[l];
  }
  return out;
}
