import type { LabelMatcher } from '../types.ts';

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

/** Character offsets into the query text, `to` exclusive. */
export interface PosRange {
  from: number;
  to: number;
}

/** `@ <time>` is resolved to milliseconds at parse time; start()/end() only when the query runs. */
export type AtModifier = { kind: 'time'; ms: number } | { kind: 'start' } | { kind: 'end' };

export interface NumberLiteral {
  type: 'NumberLiteral';
  value: number;
  pos: PosRange;
}

export interface StringLiteral {
  type: 'StringLiteral';
  value: string;
  pos: PosRange;
}

export interface VectorSelector {
  type: 'VectorSelector';
  /** The metric name written outside the braces, if any (it is also present as the last matcher). */
  name: string | null;
  matchers: LabelMatcher[];
  offsetMs: number;
  at: AtModifier | null;
  pos: PosRange;
}

export interface MatrixSelector {
  type: 'MatrixSelector';
  selector: VectorSelector;
  rangeMs: number;
  pos: PosRange;
}

export interface SubqueryExpr {
  type: 'SubqueryExpr';
  expr: Expr;
  rangeMs: number;
  /** 0 when omitted (`[1h:]`): the engine's default subquery step applies. */
  stepMs: number;
  offsetMs: number;
  at: AtModifier | null;
  pos: PosRange;
}

export interface Call {
  type: 'Call';
  func: string;
  args: Expr[];
  pos: PosRange;
}

export type AggregateOp =
  | 'sum'
  | 'avg'
  | 'min'
  | 'max'
  | 'count'
  | 'group'
  | 'stddev'
  | 'stdvar'
  | 'topk'
  | 'bottomk'
  | 'quantile'
  | 'count_values';

export interface AggregateExpr {
  type: 'AggregateExpr';
  op: AggregateOp;
  expr: Expr;
  param: Expr | null;
  grouping: string[];
  without: boolean;
  pos: PosRange;
}

export type ArithmeticOp = '+' | '-' | '*' | '/' | '%' | '^' | 'atan2';
export type ComparisonOp = '==' | '!=' | '>' | '<' | '>=' | '<=';
export type SetOp = 'and' | 'or' | 'unless';
export type BinaryOp = ArithmeticOp | ComparisonOp | SetOp;

export type Cardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

export interface VectorMatching {
  card: Cardinality;
  /** true for on(...), false for ignoring(...) or no clause. */
  on: boolean;
  labels: string[];
  /** Extra labels copied from the "one" side by group_left/group_right. */
  include: string[];
}

export interface BinaryExpr {
  type: 'BinaryExpr';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  returnBool: boolean;
  /** null unless both sides are instant vectors. */
  matching: VectorMatching | null;
  pos: PosRange;
}

export interface UnaryExpr {
  type: 'UnaryExpr';
  op: '+' | '-';
  expr: Expr;
  pos: PosRange;
}

export interface ParenExpr {
  type: 'ParenExpr';
  expr: Expr;
  pos: PosRange;
}

export type Expr =
  | NumberLiteral
  | StringLiteral
  | VectorSelector
  | MatrixSelector
  | SubqueryExpr
  | Call
  | AggregateExpr
  | BinaryExpr
  | UnaryExpr
  | ParenExpr;

export const isComparisonOp = (op: BinaryOp): op is ComparisonOp =>
  op === '==' || op === '!=' || op === '>' || op === '<' || op === '>=' || op === '<=';
export const isSetOp = (op: BinaryOp): op is SetOp => op === 'and' || op === 'or' || op === 'unless';

/** Strips any number of parentheses, as Prometheus' unwrapParenExpr does. */
export function unwrapParens(e: Expr): Expr {
  while (e.type === 'ParenExpr') e = e.expr;
  return e;
}

/** Prometheus' parser.DocumentedType, used verbatim in its error messages. */
export function documentedType(t: ValueType): string {
  switch (t) {
    case 'vector':
      return 'instant vector';
    case 'matrix':
      return 'range vector';
    default:
      return t;
  }
}

export function children(e: Expr): Expr[] {
  switch (e.type) {
    case 'MatrixSelector':
      return [e.selector];
    case 'SubqueryExpr':
    case 'UnaryExpr':
    case 'ParenExpr':
      return [e.expr];
    case 'Call':
      return e.args;
    case 'AggregateExpr':
      return e.param ? [e.param, e.expr] : [e.expr];
    case 'BinaryExpr':
      return [e.lhs, e.rhs];
    default:
      return [];
  }
}
