// Writes an AST back as a query, for the test harness's @-modifier variants (atModifierTestCases in
// promql/test.go rewrites the tree and prints it with String()). Operands of operators are always
// parenthesised, so the printed query parses back to the same tree whatever the precedence rules.
import type { AtModifier, Expr, VectorSelector } from '../../src/index.ts';
import { parse } from '../../src/index.ts';
import { AT_MODIFIER_UNSAFE } from '../../src/parser/functions.ts';
import { formatDuration } from '../../src/parser/literals.ts';

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Inf';
  if (v === -Infinity) return '(-Inf)';
  if (v < 0 || Object.is(v, -0)) return `(-${String(-v)})`;
  return String(v);
}

const str = (s: string): string => JSON.stringify(s);

function modifiers(offsetMs: number, at: AtModifier | null): string {
  let out = '';
  if (offsetMs !== 0) out += ` offset ${formatDuration(offsetMs)}`;
  if (at) out += at.kind === 'time' ? ` @ ${at.ms / 1000}` : at.kind === 'start' ? ' @ start()' : ' @ end()';
  return out;
}

const selector = (e: VectorSelector): string =>
  '{' + e.matchers.map((m) => `${m.name}${m.type}${str(m.value)}`).join(', ') + '}';

export function printExpr(e: Expr): string {
  switch (e.type) {
    case 'NumberLiteral':
      return num(e.value);
    case 'StringLiteral':
      return str(e.value);
    case 'VectorSelector':
      return selector(e) + modifiers(e.offsetMs, e.at);
    case 'MatrixSelector':
      return `${selector(e.selector)}[${formatDuration(e.rangeMs)}]${modifiers(e.selector.offsetMs, e.selector.at)}`;
    case 'SubqueryExpr':
      return `(${printExpr(e.expr)})[${formatDuration(e.rangeMs)}:${e.stepMs ? formatDuration(e.stepMs) : ''}]${modifiers(e.offsetMs, e.at)}`;
    case 'Call':
      return `${e.func}(${e.args.map(printExpr).join(', ')})`;
    case 'AggregateExpr': {
      const g = e.grouping.join(', ');
      const mod = e.without ? ` without (${g}) ` : e.grouping.length ? ` by (${g}) ` : '';
      return `${e.op}${mod}(${e.param ? printExpr(e.param) + ', ' : ''}${printExpr(e.expr)})`;
    }
    case 'BinaryExpr': {
      let mod = e.returnBool ? ' bool' : '';
      const m = e.matching;
      if (m) {
        const grouped = m.card === 'many-to-one' || m.card === 'one-to-many';
        if (m.on) mod += ` on(${m.labels.join(', ')})`;
        else if (m.labels.length || grouped) mod += ` ignoring(${m.labels.join(', ')})`;
        if (m.card === 'many-to-one') mod += ` group_left(${m.include.join(', ')})`;
        if (m.card === 'one-to-many') mod += ` group_right(${m.include.join(', ')})`;
      }
      return `(${printExpr(e.lhs)}) ${e.op}${mod} (${printExpr(e.rhs)})`;
    }
    case 'UnaryExpr':
      return `${e.op}(${printExpr(e.expr)})`;
    case 'ParenExpr':
      return `(${printExpr(e.expr)})`;
  }
}

/**
 * atModifierTestCases: every selector and subquery outside subqueries gets `@ <eval time>` unless it has
 * a fixed @ already (start() and end() are replaced, as String() prints Timestamp first). Returns null
 * when the expression calls a function whose value depends on the evaluation time itself.
 */
export function withAtModifiers(query: string, timeMs: number): string | null {
  const r = parse(query);
  if (!r.ok) throw new Error(`${query}: ${r.errors[0]!.message}`);
  let unsafe = false;
  const at: AtModifier = { kind: 'time', ms: timeMs };
  const visit = (e: Expr, inSubquery: boolean): void => {
    switch (e.type) {
      case 'VectorSelector':
        if (!inSubquery && e.at?.kind !== 'time') e.at = at;
        return;
      case 'MatrixSelector':
        visit(e.selector, inSubquery);
        return;
      case 'SubqueryExpr':
        if (!inSubquery && e.at?.kind !== 'time') e.at = at;
        visit(e.expr, true);
        return;
      case 'Call':
        // Go's inspector returns before looking at nodes inside a subquery, calls included.
        if (!inSubquery && AT_MODIFIER_UNSAFE.has(e.func)) unsafe = true;
        e.args.forEach((a) => visit(a, inSubquery));
        return;
      case 'AggregateExpr':
        if (e.param) visit(e.param, inSubquery);
        visit(e.expr, inSubquery);
        return;
      case 'BinaryExpr':
        visit(e.lhs, inSubquery);
        visit(e.rhs, inSubquery);
        return;
      case 'UnaryExpr':
      case 'ParenExpr':
        visit(e.expr, inSubquery);
        return;
      default:
        return;
    }
  };
  visit(r.expr, false);
  return unsafe ? null : printExpr(r.expr);
}
