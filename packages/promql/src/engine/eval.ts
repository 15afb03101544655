import type { Labels } from '@pivot/model';
import type { AtModifier, Call, Expr, MatrixSelector, SubqueryExpr, VectorSelector } from '../parser/ast.ts';
import { unwrapParens } from '../parser/ast.ts';
import { PromQLError, execError, tooManySamples } from '../errors.ts';
import { dropMetricName } from '../labels.ts';
import type { Prepared } from './data.ts';
import { lowerBound, upperBound } from './data.ts';
import type { Ctx, MatrixValue, RawSeries, ScalarValue, Series, Value, VectorValue } from './values.ts';
import {
  SeriesSlab,
  assertUniqueLabelsets,
  countPoints,
  makeCtx,
  mergeStepwise,
  newSeries,
  present,
  valueAt,
} from './values.ts';
import { RANGE_FUNCTIONS, type RangeCall } from '../functions/range.ts';
import { absentLabels, callInstantFunction } from '../functions/instant.ts';
import { evalAggregate } from './aggregations.ts';
import { evalBinary, evalUnary } from './binops.ts';

export interface EvalEnv {
  lookbackMs: number;
  maxSamples: number;
  /** performance.now() value after which the query times out. */
  deadline: number;
  signal: AbortSignal | undefined;
  subqueryStepMs: number;
  queryStart: number;
  queryEnd: number;
  data: Map<VectorSelector, Prepared[]>;
  invariant: Set<Expr>;
}

/** A range-vector argument: stale-free samples and how each step's window is placed. */
interface RangeInput {
  series: { labels: Labels; t: Float64Array; v: Float64Array }[];
  rangeMs: number;
  /** Window end = step time − effOffsetMs. */
  effOffsetMs: number;
}

/**
 * Evaluates an expression for every step of a Ctx at once. Follows the structure of
 * prometheus/promql/engine.go's evaluator.eval; each case names the Go function it mirrors.
 */
export class Evaluator {
  /** Samples currently held by intermediate results (Prometheus' currentSamples). */
  samples = 0;

  constructor(readonly env: EvalEnv) {}

  checkDeadline(): void {
    if (this.env.signal?.aborted) throw new PromQLError('canceled', 'query was canceled in expression evaluation');
    if (performance.now() > this.env.deadline)
      throw new PromQLError('timeout', 'query timed out in expression evaluation');
  }

  track(n: number): void {
    this.samples += n;
    if (this.samples > this.env.maxSamples) throw tooManySamples();
  }

  release(v: Value): void {
    if (v.kind === 'vector') this.samples -= countPoints(v.series);
    else if (v.kind === 'matrix') for (const s of v.series) this.samples -= s.t.length;
  }

  atMs(at: AtModifier): number {
    return at.kind === 'time' ? at.ms : at.kind === 'start' ? this.env.queryStart : this.env.queryEnd;
  }

  /**
   * Offset as Prometheus applies it: @ is folded into the offset relative to the evaluator's first step
   * (setOffsetForAtModifier), so a selector evaluated once at ctx.start lands exactly on the @ time,
   * while a function that is not step-invariant over `x[r] @ t` (predict_linear, or one with a varying
   * scalar argument) sees its window slide with the steps — as it does in Prometheus.
   */
  effOffset(offsetMs: number, at: AtModifier | null, ctx: Ctx): number {
    return at ? offsetMs + (ctx.start - this.atMs(at)) : offsetMs;
  }

  eval(e: Expr, ctx: Ctx): Value {
    this.checkDeadline();
    if (ctx.n > 1 && this.env.invariant.has(e) && e.type !== 'NumberLiteral' && e.type !== 'StringLiteral') {
      // follows the StepInvariantExpr case: evaluate once at the first step, repeat for the others.
      const v = this.evalNode(e, makeCtx(ctx.start, ctx.start, ctx.interval));
      if (v.kind === 'scalar') return { kind: 'scalar', v: new Float64Array(ctx.n).fill(v.v[0]!) };
      if (v.kind !== 'vector') return v;
      this.release(v);
      const series = v.series
        .filter((s) => present(s, 0))
        .map((s) => {
          const o = newSeries(s.labels, 0, ctx.n, s.key);
          o.v.fill(valueAt(s, 0));
          o.has.fill(1);
          return o;
        });
      this.track(series.length * ctx.n);
      return { kind: 'vector', series };
    }
    return this.evalNode(e, ctx);
  }

  private evalNode(e: Expr, ctx: Ctx): Value {
    switch (e.type) {
      case 'NumberLiteral':
        return { kind: 'scalar', v: new Float64Array(ctx.n).fill(e.value) };
      case 'StringLiteral':
        return { kind: 'string', s: e.value };
      case 'ParenExpr':
        return this.eval(e.expr, ctx);
      case 'VectorSelector':
        return this.vectorSelector(e, ctx, false);
      case 'MatrixSelector':
        return this.matrixSelector(e, ctx);
      case 'SubqueryExpr': {
        const r = this.subquery(e, ctx);
        return { kind: 'matrix', series: r.series };
      }
      case 'Call':
        return this.call(e, ctx);
      case 'AggregateExpr':
        return evalAggregate(this, e, ctx);
      case 'BinaryExpr':
        return evalBinary(this, e, ctx);
      case 'UnaryExpr':
        return evalUnary(this, e, ctx);
    }
  }

  // follows the VectorSelector case and vectorSelectorSingle: the latest sample at or before the step
  // (after offset), no older than the lookback delta, and not a stale marker.
  vectorSelector(e: VectorSelector, ctx: Ctx, timestamps: boolean): VectorValue {
    const data = this.env.data.get(e) ?? [];
    const { n, start, interval } = ctx;
    const lookback = this.env.lookbackMs;
    // timestamp(x @ t) re-derives the offset per step from the @ time alone (rangeEval in the
    // "timestamp" special case), so the written offset is not applied there.
    const fixedRef = timestamps && e.at ? this.atMs(e.at) : null;
    const off = this.effOffset(e.offsetMs, e.at, ctx);
    const out: Series[] = [];
    const slab = new SeriesSlab(n);
    let points = 0;
    for (const p of data) {
      this.checkDeadline();
      const { t, v, stale } = p;
      const len = t.length;
      if (len === 0) continue;
      // Only steps whose lookback window can reach a sample: [first sample, last sample + lookback].
      let from = 0;
      let to = n - 1;
      if (fixedRef === null) {
        from = Math.max(0, Math.ceil((t[0]! + off - start) / interval));
        to = Math.min(n - 1, Math.floor((t[len - 1]! + lookback + off - start) / interval));
      }
      let s: Series | null = null;
      let j = upperBound(t, fixedRef ?? start + from * interval - off) - 1;
      for (let i = from; i <= to; i++) {
        const ref = fixedRef ?? start + i * interval - off;
        while (j + 1 < len && t[j + 1]! <= ref) j++;
        if (j < 0) continue;
        const ts = t[j]!;
        if (ts < ref - lookback) continue;
        if (stale !== null && stale[j]) continue;
        s ??= slab.series(p.labels, i, to + 1, p.key);
        const k = i - s.lo;
        s.has[k] = 1;
        s.v[k] = timestamps ? ts / 1000 : v[j]!;
        points++;
      }
      if (s) out.push(s);
      if (this.samples + points > this.env.maxSamples) throw tooManySamples();
    }
    this.track(points);
    return { kind: 'vector', series: out };
  }

  // follows matrixSelector / matrixIterSlice: samples in [maxt − range, maxt], stale markers skipped.
  matrixSelector(e: MatrixSelector, ctx: Ctx): MatrixValue {
    const input = this.rangeInputOfSelector(e, ctx);
    const maxt = ctx.start - input.effOffsetMs;
    const mint = maxt - input.rangeMs;
    const out: RawSeries[] = [];
    let points = 0;
    for (const s of input.series) {
      const lo = lowerBound(s.t, mint);
      const hi = upperBound(s.t, maxt, lo);
      if (hi <= lo) continue;
      out.push({ labels: s.labels, t: s.t.slice(lo, hi), v: s.v.slice(lo, hi) });
      points += hi - lo;
    }
    this.track(points);
    return { kind: 'matrix', series: out };
  }

  private rangeInputOfSelector(e: MatrixSelector, ctx: Ctx): RangeInput {
    const sel = e.selector;
    const data = this.env.data.get(sel) ?? [];
    return {
      series: data.map((p) => ({ labels: p.labels, t: p.rangeT, v: p.rangeV })),
      rangeMs: e.rangeMs,
      effOffsetMs: this.effOffset(sel.offsetMs, sel.at, ctx),
    };
  }

  // follows the SubqueryExpr case: the inner expression runs on its own step grid, aligned to absolute
  // multiples of the step, covering every window the outer steps will look at.
  subquery(e: SubqueryExpr, ctx: Ctx): RangeInput & { series: RawSeries[] } {
    const effOffsetMs = this.effOffset(e.offsetMs, e.at, ctx);
    const step = e.stepMs > 0 ? e.stepMs : this.env.subqueryStepMs;
    const end = ctx.end - effOffsetMs;
    const first = ctx.start - effOffsetMs - e.rangeMs;
    const start = Math.ceil(first / step) * step;
    const inner = makeCtx(start, end, step);
    // checkSubqueries bounds every grid before evaluation starts; this guards the allocation itself.
    if (inner.n > this.env.maxSamples) throw tooManySamples();
    const series: RawSeries[] = [];
    if (inner.n > 0) {
      const v = this.eval(e.expr, inner) as VectorValue;
      for (const s of v.series) {
        let c = 0;
        for (let k = 0; k < s.has.length; k++) c += s.has[k]!;
        const t = new Float64Array(c);
        const vals = new Float64Array(c);
        let o = 0;
        for (let k = 0; k < s.has.length; k++) {
          if (!s.has[k]) continue;
          t[o] = start + (s.lo + k) * step;
          vals[o] = s.v[k]!;
          o++;
        }
        series.push({ labels: s.labels, t, v: vals });
      }
    }
    return { series, rangeMs: e.rangeMs, effOffsetMs };
  }

  private call(e: Call, ctx: Ctx): Value {
    if (e.func === 'timestamp') {
      // Evaluated vectors carry the step time, so timestamp() of a plain selector reads the samples'
      // own timestamps instead (the "timestamp" special case of the Call branch).
      const arg = unwrapParens(e.args[0]!);
      if (arg.type === 'VectorSelector') {
        const v = this.vectorSelector(arg, ctx, true);
        for (const s of v.series) {
          s.labels = dropMetricName(s.labels);
          delete s.key;
        }
        return { kind: 'vector', series: mergeStepwise(v.series) };
      }
    }
    let matrixArg = -1;
    for (let i = 0; i < e.args.length; i++) {
      const a = unwrapParens(e.args[i]!);
      if (a.type === 'MatrixSelector' || a.type === 'SubqueryExpr') {
        matrixArg = i;
        break;
      }
    }
    if (matrixArg < 0) return callInstantFunction(this, e, ctx);
    return this.rangeCall(e, ctx, matrixArg);
  }

  // follows the matrix-argument half of the Call case: one series at a time, sliding the window across
  // the steps with two cursors instead of re-reading it.
  private rangeCall(e: Call, ctx: Ctx, matrixArg: number): Value {
    const fn = RANGE_FUNCTIONS[e.func];
    if (!fn) throw execError(`function "${e.func}" is not supported over range vectors`);
    const params: ScalarValue[] = [];
    for (let i = 0; i < e.args.length; i++) {
      if (i === matrixArg) continue;
      params.push(this.eval(e.args[i]!, ctx) as ScalarValue);
    }
    const argNode = unwrapParens(e.args[matrixArg]!) as MatrixSelector | SubqueryExpr;
    let input: RangeInput;
    let subqueryPoints = 0;
    if (argNode.type === 'MatrixSelector') input = this.rangeInputOfSelector(argNode, ctx);
    else {
      input = this.subquery(argNode, ctx);
      for (const s of input.series) subqueryPoints += s.t.length;
    }
    const { n, start, interval } = ctx;
    const keepName = e.func === 'last_over_time';
    const { rangeMs, effOffsetMs } = input;
    const c: RangeCall = {
      t: new Float64Array(0),
      v: new Float64Array(0),
      lo: 0,
      hi: 0,
      rangeStart: 0,
      rangeEnd: 0,
      rangeMs,
      ts: 0,
      params: params.map(() => 0),
    };
    const out: Series[] = [];
    const slab = new SeriesSlab(n);
    const covered = e.func === 'absent_over_time' ? new Uint8Array(n) : null;
    const max = this.env.maxSamples;
    let points = 0;
    try {
      for (const s of input.series) {
        this.checkDeadline();
        const { t, v } = s;
        const len = t.length;
        if (len === 0) continue;
        c.t = t;
        c.v = v;
        // Only steps whose window can overlap the samples.
        const from = Math.max(0, Math.ceil((t[0]! + effOffsetMs - start) / interval));
        const to = Math.min(n - 1, Math.floor((t[len - 1]! + rangeMs + effOffsetMs - start) / interval));
        let we = start + from * interval - effOffsetMs;
        let hi = upperBound(t, we);
        let lo = lowerBound(t, we - rangeMs, 0, hi);
        let res: Series | null = null;
        for (let i = from; i <= to; i++) {
          const ts = start + i * interval;
          we = ts - effOffsetMs;
          const ws = we - rangeMs;
          while (hi < len && t[hi]! <= we) hi++;
          while (lo < hi && t[lo]! < ws) lo++;
          if (hi === lo) continue;
          if (this.samples + points + (hi - lo) > max) throw tooManySamples();
          c.lo = lo;
          c.hi = hi;
          c.rangeStart = ws;
          c.rangeEnd = we;
          c.ts = ts;
          for (let p = 0; p < params.length; p++) c.params[p] = params[p]!.v[i]!;
          const r = fn(c);
          if (r === null) continue;
          if (covered) covered[i] = 1;
          res ??= slab.series(keepName ? s.labels : dropMetricName(s.labels), i, to + 1);
          res.has[i - res.lo] = 1;
          res.v[i - res.lo] = r;
          points++;
        }
        if (res) out.push(res);
      }
    } catch (err) {
      if (err instanceof RangeError && /smoothing|trend/.test(err.message)) throw execError(err.message);
      throw err;
    }
    // The subquery's own result is only held while this function runs over it.
    this.samples -= subqueryPoints;
    if (covered) {
      // follows the absent_over_time post-processing: 1 at every step no input series covered.
      const labels = absentLabels(argNode);
      const s = newSeries(labels, 0, n);
      let any = false;
      for (let i = 0; i < n; i++) {
        if (covered[i]) continue;
        s.has[i] = 1;
        s.v[i] = 1;
        any = true;
      }
      const series = any ? [s] : [];
      this.track(countPoints(series));
      return { kind: 'vector', series };
    }
    assertUniqueLabelsets(out);
    this.track(points);
    return { kind: 'vector', series: out };
  }
}
