import type { Expr } from '../parser/ast.ts';
import { AT_MODIFIER_UNSAFE } from '../parser/functions.ts';

/**
 * The nodes Prometheus wraps in StepInvariantExpr: evaluated once at the first step and repeated.
 * follows PreprocessExpr / preprocessExprHelper in prometheus/promql/engine.go, including its choices
 * (an aggregation's parameter does not count, @-unsafe functions never qualify).
 */
export function stepInvariantNodes(root: Expr): Set<Expr> {
  const wrapped = new Set<Expr>();
  const helper = (e: Expr): boolean => {
    switch (e.type) {
      case 'VectorSelector':
        return e.at !== null;
      case 'AggregateExpr':
        return helper(e.expr);
      case 'BinaryExpr': {
        const l = helper(e.lhs);
        const r = helper(e.rhs);
        if (l && r) return true;
        if (l) wrapped.add(e.lhs);
        if (r) wrapped.add(e.rhs);
        return false;
      }
      case 'Call': {
        let invariant = !AT_MODIFIER_UNSAFE.has(e.func);
        const each = e.args.map(helper);
        for (const x of each) invariant &&= x;
        if (invariant) return true;
        each.forEach((x, i) => {
          if (x) wrapped.add(e.args[i]!);
        });
        return false;
      }
      case 'MatrixSelector':
        return helper(e.selector);
      case 'SubqueryExpr': {
        if (helper(e.expr)) wrapped.add(e.expr);
        return e.at !== null;
      }
      case 'ParenExpr':
      case 'UnaryExpr':
        return helper(e.expr);
      case 'StringLiteral':
      case 'NumberLiteral':
        return true;
    }
  };
  if (helper(root)) wrapped.add(root);
  return wrapped;
}
