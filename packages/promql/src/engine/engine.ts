import type { Querier, QueryResult, EngineOptions, InstantSample, RangeSeries, SamplePair } from '../types.ts';
import type { Expr, VectorSelector } from '../parser/ast.ts';
import { PromQLError } from '../errors.ts';
import { parse, formatParseError } from '../parser/parse.ts';
import { exprType } from '../parser/check.ts';
import { documentedType } from '../parser/ast.ts';
import { labelsSortKey, sortLabels } from '../labels.ts';
import { formatFloat, pair } from '../format.ts';
import { clip, normalizeFetched, prepare, type Prepared } from './data.ts';
import { checkSubqueries, planFetches } from './plan.ts';
import { matchesAll } from '../matchers.ts';
import { stepInvariantNodes } from './preprocess.ts';
import { Evaluator } from './eval.ts';
import { makeCtx, present, valueAt, type Ctx, type Value } from './values.ts';

const DEFAULTS = {
  lookbackDeltaMs: 5 * 60 * 1000,
  maxSamples: 50_000_000,
  timeoutMs: 2 * 60 * 1000,
  maxPointsPerSeries: 11_000,
  defaultSubqueryStepMs: 60 * 1000,
};

function parseOrThrow(query: string): Expr {
  const r = parse(query);
  // Like Prometheus, report the first error.
  if (!r.ok) throw new PromQLError('bad_data', formatParseError(query, r.errors[0]!));
  return r.expr;
}

/** Evaluates `query` at one instant, like GET /api/v1/query. */
export async function instantQuery(
  querier: Querier,
  query: string,
  timeMs: number,
  opts: EngineOptions = {},
): Promise<QueryResult> {
  if (!Number.isFinite(timeMs)) throw new PromQLError('bad_data', 'invalid parameter "time": not a finite timestamp');
  const expr = parseOrThrow(query);
  return run(querier, expr, timeMs, timeMs, 0, opts);
}

/** Evaluates `query` at every step from start to end inclusive, like GET /api/v1/query_range. */
export async function rangeQuery(
  querier: Querier,
  query: string,
  startMs: number,
  endMs: number,
  stepMs: number,
  opts: EngineOptions = {},
): Promise<QueryResult> {
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs))
    throw new PromQLError('bad_data', 'invalid parameter "start" or "end": not a finite timestamp');
  // The same checks, in the same order and words, as Prometheus' queryRange handler.
  if (endMs < startMs) throw new PromQLError('bad_data', 'end timestamp must not be before start time');
  if (!(stepMs > 0))
    throw new PromQLError(
      'bad_data',
      'zero or negative query resolution step widths are not accepted. Try a positive integer',
    );
  const maxPoints = opts.maxPointsPerSeries ?? DEFAULTS.maxPointsPerSeries;
  // Integer division, as with Go durations.
  if (Math.floor((endMs - startMs) / stepMs) > maxPoints)
    throw new PromQLError(
      'bad_data',
      `exceeded maximum resolution of ${maxPoints.toLocaleString('en-US')} points per timeseries. Try decreasing the query resolution (?step=XX)`,
    );
  const expr = parseOrThrow(query);
  const t = exprType(expr);
  if (t !== 'vector' && t !== 'scalar')
    throw new PromQLError(
      'bad_data',
      `invalid expression type "${documentedType(t)}" for range query, must be Scalar or instant Vector`,
    );
  return run(querier, expr, startMs, endMs, stepMs, opts);
}

async function run(
  querier: Querier,
  expr: Expr,
  start: number,
  end: number,
  step: number,
  opts: EngineOptions,
): Promise<QueryResult> {
  const lookbackMs = opts.lookbackDeltaMs ?? DEFAULTS.lookbackDeltaMs;
  const timeoutMs = opts.timeoutMs ?? DEFAULTS.timeoutMs;
  const subqueryStepMs = opts.defaultSubqueryStepMs ?? DEFAULTS.defaultSubqueryStepMs;
  const deadline = performance.now() + timeoutMs;
  const userSignal = opts.signal;
  if (userSignal?.aborted) throw new PromQLError('canceled', 'query was canceled in query execution');
  const maxSamples = opts.maxSamples ?? DEFAULTS.maxSamples;
  checkSubqueries(expr, {
    start,
    end,
    defaultStepMs: subqueryStepMs,
    maxSamples,
    maxPointsPerSeries: opts.maxPointsPerSeries ?? DEFAULTS.maxPointsPerSeries,
  });

  // One controller aborts the storage reads on timeout or on the caller's cancellation.
  const ac = new AbortController();
  let timedOut = false;
  // setTimeout fires at once for delays beyond 2^31 − 1 ms, so such budgets mean "no timer".
  const timer =
    timeoutMs <= 0x7fffffff
      ? setTimeout(() => {
          timedOut = true;
          ac.abort(new PromQLError('timeout', 'query timed out in query execution'));
        }, timeoutMs)
      : undefined;
  const onAbort = (): void => ac.abort(new PromQLError('canceled', 'query was canceled in query execution'));
  userSignal?.addEventListener('abort', onAbort, { once: true });
  try {
    const fetches = planFetches(expr, { start, end, lookbackMs });
    const data = new Map<VectorSelector, Prepared[]>();
    const aborted = new Promise<never>((_, reject) => {
      ac.signal.addEventListener('abort', () => reject(ac.signal.reason), { once: true });
    });
    aborted.catch(() => {});
    await Promise.race([
      Promise.all(
        fetches.map(async (f) => {
          // Storage may prefilter coarsely (a PostgreSQL regex dialect differs from Go's); the matchers are
          // decided here, with RE2 semantics, whatever the storage did.
          const stored = (await querier.select(f.matchers, f.minMs, f.maxMs, ac.signal)).filter((s) =>
            matchesAll(f.matchers, s.labels),
          );
          const prepared = normalizeFetched(stored).map(({ s, key }) => prepare(s, key));
          for (const n of f.nodes)
            data.set(
              n.node,
              prepared.map((p) => clip(p, n.minMs, n.maxMs)),
            );
        }),
      ),
      aborted,
    ]);
    if (ac.signal.aborted) throw ac.signal.reason;

    const ev = new Evaluator({
      lookbackMs,
      maxSamples,
      deadline,
      signal: userSignal,
      subqueryStepMs,
      queryStart: start,
      queryEnd: end,
      data,
      invariant: stepInvariantNodes(expr),
    });
    const ctx: Ctx = step === 0 ? makeCtx(start, start, 1) : makeCtx(start, end, step);
    const value = ev.eval(expr, ctx);
    return step === 0 ? instantResult(value, start) : rangeResult(value, ctx);
  } catch (err) {
    if (err instanceof PromQLError) throw err;
    if (timedOut) throw new PromQLError('timeout', 'query timed out in query execution');
    if (userSignal?.aborted) throw new PromQLError('canceled', 'query was canceled in query execution');
    throw err;
  } finally {
    clearTimeout(timer);
    userSignal?.removeEventListener('abort', onAbort);
    // Stops any storage reads still running after a failure elsewhere.
    if (!ac.signal.aborted) ac.abort(new PromQLError('canceled', 'query finished'));
  }
}

function instantResult(v: Value, t: number): QueryResult {
  switch (v.kind) {
    case 'scalar':
      return { resultType: 'scalar', result: pair(t, v.v[0]!) };
    case 'string':
      return { resultType: 'string', result: [t / 1000, v.s] };
    case 'vector':
      return {
        resultType: 'vector',
        result: v.series
          .filter((s) => present(s, 0))
          .map((s): InstantSample => ({ metric: sortLabels(s.labels), value: pair(t, valueAt(s, 0)) })),
      };
    case 'matrix':
      return {
        resultType: 'matrix',
        result: v.series.map((s): RangeSeries => {
          const values: SamplePair[] = new Array(s.t.length);
          for (let i = 0; i < s.t.length; i++) values[i] = [s.t[i]! / 1000, formatFloat(s.v[i]!)];
          return { metric: sortLabels(s.labels), values };
        }),
      };
  }
}

function rangeResult(v: Value, ctx: Ctx): QueryResult {
  const out: RangeSeries[] = [];
  if (v.kind === 'scalar') {
    const values: SamplePair[] = [];
    for (let i = 0; i < ctx.n; i++) values.push(pair(ctx.start + i * ctx.interval, v.v[i]!));
    out.push({ metric: {}, values });
  } else if (v.kind === 'vector') {
    for (const s of v.series) {
      const values: SamplePair[] = [];
      for (let k = 0; k < s.has.length; k++)
        if (s.has[k]) values.push(pair(ctx.start + (s.lo + k) * ctx.interval, s.v[k]!));
      if (values.length) out.push({ metric: sortLabels(s.labels), values });
    }
    // Prometheus sorts range results by label set (sort.Sort(mat) in execEvalStmt).
    const keys = new Map(out.map((s) => [s, labelsSortKey(s.metric)]));
    out.sort((a, b) => {
      const x = keys.get(a)!;
      const y = keys.get(b)!;
      return x < y ? -1 : x > y ? 1 : 0;
    });
  }
  return { resultType: 'matrix', result: out };
}
