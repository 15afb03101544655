import type { Expr, SubqueryExpr, VectorSelector } from '../parser/ast.ts';
import { children } from '../parser/ast.ts';
import type { LabelMatcher } from '../types.ts';
import { matchersKey } from '../matchers.ts';
import { PromQLError, tooManySamples } from '../errors.ts';
import { formatDuration } from '../parser/literals.ts';

export interface SelectorFetch {
  matchers: LabelMatcher[];
  minMs: number;
  maxMs: number;
  /** Each node with the only part of the fetched data it may see. */
  nodes: { node: VectorSelector; minMs: number; maxMs: number }[];
}

interface PlanEnv {
  start: number;
  end: number;
  lookbackMs: number;
}

/**
 * Each selector's time range, exactly as getTimeRangesForSelector in prometheus/promql/engine.go computes
 * it (the TSDB trims every Select to it, so no node may see samples beyond it), merged per distinct
 * matcher set so that each is fetched from storage once.
 */
export function planFetches(root: Expr, env: PlanEnv): SelectorFetch[] {
  const byKey = new Map<string, SelectorFetch>();
  const atOf = (at: VectorSelector['at']): number | null =>
    at === null ? null : at.kind === 'time' ? at.ms : at.kind === 'start' ? env.start : env.end;

  const selector = (vs: VectorSelector, subqueries: readonly SubqueryExpr[], evalRange: number): void => {
    // subqueryTimes: offsets and ranges of enclosing subqueries add up; an @ on one resets the sum.
    let subqOffset = 0;
    let subqRange = 0;
    let subqTs: number | null = null;
    for (const sq of subqueries) {
      subqOffset += sq.offsetMs;
      subqRange += sq.rangeMs;
      const ts = atOf(sq.at);
      if (ts !== null) {
        subqOffset = sq.offsetMs;
        subqRange = sq.rangeMs;
        subqTs = ts;
      }
    }
    let start = subqTs ?? env.start;
    let end = subqTs ?? env.end;
    const ts = atOf(vs.at);
    if (ts !== null) {
      start = ts;
      end = ts;
    } else {
      start -= subqOffset + subqRange;
      end -= subqOffset;
    }
    start -= evalRange === 0 ? env.lookbackMs : evalRange;
    start -= vs.offsetMs;
    end -= vs.offsetMs;
    const k = matchersKey(vs.matchers);
    const f = byKey.get(k);
    const node = { node: vs, minMs: start, maxMs: end };
    if (!f) byKey.set(k, { matchers: vs.matchers, minMs: start, maxMs: end, nodes: [node] });
    else {
      f.minMs = Math.min(f.minMs, start);
      f.maxMs = Math.max(f.maxMs, end);
      f.nodes.push(node);
    }
  };

  const visit = (e: Expr, subqueries: readonly SubqueryExpr[]): void => {
    switch (e.type) {
      case 'VectorSelector':
        selector(e, subqueries, 0);
        return;
      case 'MatrixSelector':
        selector(e.selector, subqueries, e.rangeMs);
        return;
      case 'SubqueryExpr':
        visit(e.expr, [...subqueries, e]);
        return;
      default:
        for (const c of children(e)) visit(c, subqueries);
    }
  };
  visit(root, []);
  return [...byKey.values()];
}

/** The matcher sets of all selectors in an expression, deduplicated (for series/exemplar pushdown). */
export function extractSelectors(root: Expr): LabelMatcher[][] {
  const seen = new Map<string, LabelMatcher[]>();
  const visit = (e: Expr): void => {
    switch (e.type) {
      case 'VectorSelector':
        seen.set(
          matchersKey(e.matchers),
          e.matchers.map((m) => ({ ...m })),
        );
        return;
      case 'MatrixSelector':
        visit(e.selector);
        return;
      case 'SubqueryExpr':
      case 'ParenExpr':
      case 'UnaryExpr':
        visit(e.expr);
        return;
      case 'Call':
        e.args.forEach(visit);
        return;
      case 'AggregateExpr':
        if (e.param) visit(e.param);
        visit(e.expr);
        return;
      case 'BinaryExpr':
        visit(e.lhs);
        visit(e.rhs);
        return;
      default:
        return;
    }
  };
  visit(root);
  return [...seen.values()];
}

export interface SubqueryLimits {
  start: number;
  end: number;
  defaultStepMs: number;
  maxSamples: number;
  maxPointsPerSeries: number;
}

/** Steps on a subquery's inner grid: the grid spans the window plus every enclosing step span. */
const subqueryGridSteps = (spanMs: number, stepMs: number): number => Math.floor(spanMs / stepMs) + 1;

/**
 * Refuses subqueries whose inner step grid cannot be held, before anything is fetched or allocated: every
 * node on that grid holds a value per step (a scalar alone is 8 bytes a step), so `vector(1)[1d:1ms]`
 * would need 86.4M steps. A grid with more steps than the sample limit fails as Prometheus eventually
 * would, with "too many samples"; a window with more steps than a range query may return per series
 * (the HTTP API's 11,000) is refused as a resolution error. The grid's span is bounded from above (an @
 * only narrows it), so the check never lets through a grid larger than evaluation builds.
 */
export function checkSubqueries(root: Expr, lim: SubqueryLimits): void {
  const visit = (e: Expr, spanMs: number): void => {
    if (e.type === 'SubqueryExpr') {
      const step = e.stepMs > 0 ? e.stepMs : lim.defaultStepMs;
      const grid = spanMs + e.rangeMs;
      if (subqueryGridSteps(grid, step) > lim.maxSamples) throw tooManySamples();
      const perWindow = Math.floor(e.rangeMs / step);
      if (perWindow > lim.maxPointsPerSeries)
        throw new PromQLError(
          'bad_data',
          `subquery [${formatDuration(e.rangeMs)}:${formatDuration(step)}] would evaluate ${perWindow.toLocaleString('en-US')} points per series at each step, more than the maximum of ${lim.maxPointsPerSeries.toLocaleString('en-US')}: use a larger subquery step`,
        );
      visit(e.expr, grid);
      return;
    }
    for (const c of children(e)) visit(c, spanMs);
  };
  visit(root, Math.max(0, lim.end - lim.start));
}
