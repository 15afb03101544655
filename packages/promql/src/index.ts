export type {
  MatchType,
  LabelMatcher,
  StoredSeries,
  Querier,
  EngineOptions,
  QueryResult,
  SamplePair,
  InstantSample,
  RangeSeries,
} from './types.ts';
export type { ParseError, ParseResult } from './parser/parse.ts';
export type {
  Expr,
  ValueType,
  VectorSelector,
  MatrixSelector,
  SubqueryExpr,
  Call,
  AggregateExpr,
  BinaryExpr,
  UnaryExpr,
  ParenExpr,
  NumberLiteral,
  StringLiteral,
  VectorMatching,
  AtModifier,
  PosRange,
} from './parser/ast.ts';
export { exprType } from './parser/check.ts';
export { parse } from './parser/parse.ts';
export { instantQuery, rangeQuery } from './engine/engine.ts';
export { PromQLError, type PromQLErrorKind } from './errors.ts';
export { MemoryQuerier } from './memory.ts';
export { formatFloat } from './format.ts';
export { isStaleMarker, writeStaleMarker, STALE_NAN_BITS } from './stale.ts';
export { matchesAll } from './matchers.ts';

import type { Expr } from './parser/ast.ts';
import type { LabelMatcher } from './types.ts';
import { extractSelectors as extract } from './engine/plan.ts';

/** Matcher sets of every selector in the expression, deduplicated: for /api/v1/series-style pushdown and exemplars. */
export function extractSelectors(expr: Expr): LabelMatcher[][] {
  return extract(expr);
}
