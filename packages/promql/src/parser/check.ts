import type { Expr, ValueType } from './ast.ts';
import { documentedType, isComparisonOp, isSetOp } from './ast.ts';
import { FUNCTIONS } from './functions.ts';
import { matchValue } from '../matchers.ts';

export interface CheckError {
  from: number;
  to: number;
  message: string;
}

export function exprType(e: Expr): ValueType {
  switch (e.type) {
    case 'NumberLiteral':
      return 'scalar';
    case 'StringLiteral':
      return 'string';
    case 'VectorSelector':
    case 'AggregateExpr':
      return 'vector';
    case 'MatrixSelector':
    case 'SubqueryExpr':
      return 'matrix';
    case 'Call':
      return FUNCTIONS.get(e.func)?.returnType ?? 'vector';
    case 'BinaryExpr':
      return exprType(e.lhs) === 'scalar' && exprType(e.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'UnaryExpr':
    case 'ParenExpr':
      return exprType(e.expr);
  }
}

/** Semantic checks of prometheus/promql/parser/parse.go checkAST; also normalises vector matching. */
export function checkAST(root: Expr): CheckError[] {
  const errors: CheckError[] = [];
  const add = (e: { pos: { from: number; to: number } }, message: string): void => {
    errors.push({ from: e.pos.from, to: e.pos.to, message });
  };
  const expectType = (e: Expr, want: ValueType, context: string): void => {
    const t = exprType(e);
    if (t !== want) add(e, `expected type ${documentedType(want)} in ${context}, got ${documentedType(t)}`);
  };

  const check = (e: Expr): void => {
    switch (e.type) {
      case 'ParenExpr':
        check(e.expr);
        return;
      case 'AggregateExpr':
        check(e.expr);
        if (e.param) check(e.param);
        expectType(e.expr, 'vector', 'aggregation expression');
        if (e.param && (e.op === 'topk' || e.op === 'bottomk' || e.op === 'quantile'))
          expectType(e.param, 'scalar', 'aggregation parameter');
        if (e.param && e.op === 'count_values') expectType(e.param, 'string', 'aggregation parameter');
        return;
      case 'BinaryExpr': {
        check(e.lhs);
        check(e.rhs);
        const lt = exprType(e.lhs);
        const rt = exprType(e.rhs);
        if (e.returnBool && !isComparisonOp(e.op)) add(e, 'bool modifier can only be used on comparison operators');
        if (isComparisonOp(e.op) && !e.returnBool && lt === 'scalar' && rt === 'scalar')
          add(e, 'comparisons between scalars must use BOOL modifier');
        const m = e.matching;
        if (m && m.on) {
          for (const l of m.labels)
            if (m.include.includes(l)) add(e, `label "${l}" must not occur in ON and GROUP clause at once`);
        }
        if (lt !== 'scalar' && lt !== 'vector')
          add(e.lhs, 'binary expression must contain only scalar and instant vector types');
        if (rt !== 'scalar' && rt !== 'vector')
          add(e.rhs, 'binary expression must contain only scalar and instant vector types');
        if ((lt !== 'vector' || rt !== 'vector') && m) {
          if (m.labels.length > 0) add(e, 'vector matching only allowed between instant vectors');
          e.matching = null;
        } else if (m && isSetOp(e.op)) {
          if (m.card === 'one-to-many' || m.card === 'many-to-one')
            add(e, `no grouping allowed for "${e.op}" operation`);
        }
        if ((lt === 'scalar' || rt === 'scalar') && isSetOp(e.op))
          add(e, `set operator "${e.op}" not allowed in binary scalar expression`);
        return;
      }
      case 'Call': {
        for (const a of e.args) check(a);
        const fn = FUNCTIONS.get(e.func)!;
        const nargs = fn.argTypes.length;
        if (fn.variadic === 0) {
          if (nargs !== e.args.length)
            add(e, `expected ${nargs} argument(s) in call to "${fn.name}", got ${e.args.length}`);
        } else {
          const na = nargs - 1;
          if (na > e.args.length)
            add(e, `expected at least ${na} argument(s) in call to "${fn.name}", got ${e.args.length}`);
          else if (fn.variadic > 0 && na + fn.variadic < e.args.length)
            add(e, `expected at most ${na + fn.variadic} argument(s) in call to "${fn.name}", got ${e.args.length}`);
        }
        e.args.forEach((a, i) => {
          if (i >= nargs) {
            if (fn.variadic === 0) return;
            i = nargs - 1;
          }
          expectType(a, fn.argTypes[i]!, `call to function "${fn.name}"`);
        });
        return;
      }
      case 'UnaryExpr': {
        check(e.expr);
        const t = exprType(e.expr);
        if (t !== 'scalar' && t !== 'vector')
          add(
            e,
            `unary expression only allowed on expressions of type scalar or instant vector, got "${documentedType(t)}"`,
          );
        return;
      }
      case 'SubqueryExpr': {
        check(e.expr);
        const t = exprType(e.expr);
        if (t !== 'vector') add(e, `subquery is only allowed on instant vector, got ${documentedType(t)} instead`);
        return;
      }
      case 'MatrixSelector':
        check(e.selector);
        return;
      case 'VectorSelector': {
        if (e.name !== null) {
          for (const m of e.matchers.slice(0, -1))
            if (m.name === '__name__') add(e, `metric name must not be set twice: "${e.name}" or "${m.value}"`);
        }
        if (!e.matchers.some((m) => !matchValue(m, '')))
          add(e, 'vector selector must contain at least one non-empty matcher');
        return;
      }
      default:
        return;
    }
  };
  check(root);
  return errors;
}
