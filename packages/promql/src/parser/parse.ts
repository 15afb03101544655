import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode, Tree } from '@lezer/common';
import type { LabelMatcher, MatchType } from '../types.ts';
import type {
  AggregateOp,
  AtModifier,
  BinaryOp,
  Cardinality,
  Expr,
  PosRange,
  VectorMatching,
  VectorSelector,
} from './ast.ts';
import { isSetOp } from './ast.ts';
import { FUNCTIONS } from './functions.ts';
import { LiteralError, isDurationText, parseDuration, parseNumber, unquote } from './literals.ts';
import { RegexError, checkMatcherRegex } from '../regex.ts';
import { checkAST } from './check.ts';
import { formatFloat } from '../format.ts';

export interface ParseError {
  from: number;
  to: number;
  message: string;
}

export type ParseResult = { ok: true; expr: Expr } | { ok: false; errors: ParseError[] };

/**
 * Longest query accepted, in UTF-16 code units. Parsing is linear, but compiling a regex matcher of this
 * size (a 64 KiB alternation) already takes ~1 s of re2js.
 */
export const MAX_QUERY_LENGTH = 65_536;
/** Longest query for which every syntax error is reported; beyond it only the first. */
const MAX_RECOVERED_LENGTH = 4096;
const strictParser = parser.configure({ strict: true });
/** Deepest nesting accepted (operators, parentheses, calls, subqueries), as counted by nestingDepth. */
export const MAX_NESTING_DEPTH = 256;

/** Parses with the grammar the Prometheus UI uses, then applies the checks of Prometheus' own parser. */
export function parse(query: string): ParseResult {
  if (query.length > MAX_QUERY_LENGTH)
    return {
      ok: false,
      errors: [
        {
          from: 0,
          to: 0,
          message: `query is ${query.length.toLocaleString('en-US')} characters long, more than the maximum of ${MAX_QUERY_LENGTH.toLocaleString('en-US')}`,
        },
      ],
    };
  if (query.replace(/#[^\n]*/g, '').trim() === '')
    return { ok: false, errors: [{ from: 0, to: query.length, message: 'no expression found in input' }] };
  // Conversion, checks and evaluation recurse once per level of the tree, and the grammar's parser gives
  // up with misleading errors past ~550 levels: refuse deep queries before parsing.
  const tooDeep = nestingDepth(query, MAX_NESTING_DEPTH);
  if (tooDeep >= 0)
    return {
      ok: false,
      errors: [
        {
          from: tooDeep,
          to: tooDeep + 1,
          message: `expression nests deeper than ${MAX_NESTING_DEPTH} levels of operators, parentheses or calls`,
        },
      ],
    };
  const { text, renamed } = aliasRemovedFunctions(query);
  const masked = maskGoNumbers(text);
  let tree: Tree;
  try {
    tree = strictParser.parse(masked);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    // Error recovery costs ~30 µs a character on malformed input (seconds for a long query), so the
    // recovering parse that finds every error runs only on editor-sized queries.
    if (query.length > MAX_RECOVERED_LENGTH) {
      const at = Math.min(Number(/\d+$/.exec(err.message)?.[0] ?? 0), query.length);
      return { ok: false, errors: [unclosed(query, describeSyntaxError(query, at, at))] };
    }
    tree = parser.parse(masked);
  }
  const syntax: ParseError[] = [];
  tree.iterate({
    enter(n) {
      if (n.type.isError) syntax.push(describeSyntaxError(query, n.from, n.to));
    },
  });
  if (syntax.length) return { ok: false, errors: dedupe(syntax.map((e) => unclosed(query, e))) };
  let expr: Expr;
  try {
    const top = tree.topNode.firstChild;
    if (!top) return { ok: false, errors: [{ from: 0, to: query.length, message: 'no expression found in input' }] };
    expr = new Converter(query, renamed).expr(top);
  } catch (err) {
    if (err instanceof ConvertError) return { ok: false, errors: [err.error] };
    throw err;
  }
  const semantic = checkAST(expr);
  if (semantic.length) return { ok: false, errors: semantic };
  return { ok: true, expr };
}

/**
 * holt_winters (Prometheus 2.x; renamed double_exponential_smoothing in 3.0) is missing from the grammar.
 * It is swapped for a same-length function name the grammar knows, so positions stay valid, and the
 * converter restores it by position. Strings and comments are left alone.
 */
function aliasRemovedFunctions(query: string): { text: string; renamed: Map<number, string> } {
  const renamed = new Map<number, string>();
  if (!query.includes('holt_winters')) return { text: query, renamed };
  let text = '';
  const re = /"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?|`[^`]*`?|#[^\n]*|[A-Za-z_:][A-Za-z0-9_:]*|[^]/g;
  for (const m of query.matchAll(re)) {
    const tok = m[0];
    if (tok === 'holt_winters' && /^\s*\(/.test(query.slice(m.index + tok.length))) {
      renamed.set(m.index, tok);
      text += 'day_of_month';
    } else text += tok;
  }
  return { text, renamed };
}

const GRAMMAR_NUMBER = /^(?:(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?|0x[0-9a-fA-F]+)$/;
const isAlnum = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/**
 * Prometheus' lexer takes number tokens the grammar's tokenizer splits or refuses: `1.`, `1.e3`, `0X1F`
 * (scanNumber in promql/parser/lex.go). Each such token is masked with a same-length run of digits the
 * grammar reads as one number; positions stay valid and the converter parses the original text.
 * https://github.com/prometheus/prometheus/blob/v2.42.0/promql/parser/lex.go#L748
 */
function maskGoNumbers(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    let j = i + 1;
    if (c === '"' || c === "'") {
      while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      j++;
    } else if (c === '`') {
      const end = text.indexOf('`', j);
      j = end < 0 ? text.length : end + 1;
    } else if (c === '#') {
      const end = text.indexOf('\n', j);
      j = end < 0 ? text.length : end;
    } else if (/[A-Za-z_:]/.test(c)) {
      while (j < text.length && /[A-Za-z0-9_:]/.test(text[j]!)) j++;
    } else if (isDigit(c) || (c === '.' && isDigit(text[i + 1]))) {
      j = i;
      let hex = false;
      if (text[j] === '0') {
        j++;
        if (text[j] === 'x' || text[j] === 'X') {
          j++;
          hex = true;
        }
      }
      const digit = hex ? (ch: string | undefined) => ch !== undefined && /[0-9a-fA-F]/.test(ch) : isDigit;
      while (digit(text[j])) j++;
      if (text[j] === '.') {
        j++;
        while (digit(text[j])) j++;
      }
      if (text[j] === 'e' || text[j] === 'E') {
        j++;
        if (text[j] === '+' || text[j] === '-') j++;
        while (isDigit(text[j])) j++;
      }
      if (isAlnum(text[j])) {
        // A duration (5m) or a malformed token: the grammar's own reading stands.
        while (isAlnum(text[j])) j++;
      } else {
        const token = text.slice(i, j);
        out += GRAMMAR_NUMBER.test(token) ? token : '1'.repeat(token.length);
        i = j;
        continue;
      }
    }
    j = Math.min(j, text.length);
    out += text.slice(i, j);
    i = j;
  }
  return out;
}

const BINARY_KEYWORDS = new Set(['and', 'or', 'unless', 'atan2']);

/**
 * An upper bound of the expression tree's depth, from tokens alone and without recursion: every bracket
 * opens a level, and every operator adds one within its level (a chain `a + b + c` nests as deep as it
 * has operators). Returns the position where the bound first exceeds `max`, or -1.
 */
function nestingDepth(text: string, max: number): number {
  const saved: number[] = [];
  let base = 0;
  let depth = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    let j = i + 1;
    if (c === '"' || c === "'") {
      while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      j++;
    } else if (c === '`') {
      const end = text.indexOf('`', j);
      j = end < 0 ? text.length : end + 1;
    } else if (c === '#') {
      const end = text.indexOf('\n', j);
      j = end < 0 ? text.length : end;
    } else if (/[A-Za-z_:]/.test(c)) {
      while (j < text.length && /[A-Za-z0-9_:]/.test(text[j]!)) j++;
      if (BINARY_KEYWORDS.has(text.slice(i, j).toLowerCase())) depth++;
    } else if (isDigit(c) || (c === '.' && isDigit(text[i + 1]))) {
      // Digits, letters and a signed exponent, so that the sign of 1e-3 is not taken for an operator.
      while (j < text.length && (isAlnum(text[j]) || text[j] === '.')) {
        if ((text[j] === 'e' || text[j] === 'E') && (text[j + 1] === '+' || text[j + 1] === '-')) j++;
        j++;
      }
    } else if (c === '(' || c === '[' || c === '{') {
      saved.push(depth, base);
      depth++;
      base = depth;
    } else if (c === ')' || c === ']' || c === '}') {
      base = saved.pop() ?? 0;
      depth = saved.pop() ?? 0;
    } else if (c === ',') {
      depth = base;
    } else if ('+-*/%^=!<>'.includes(c)) {
      // Two-character operators (==, !=, <=, >=, =~, !~) count once.
      if ('=~'.includes(text[j] ?? '')) j++;
      depth++;
    }
    if (depth > max) return i;
    i = Math.min(j, text.length);
  }
  return -1;
}

/** At the end of the input, name the bracket left open, as Prometheus' lexer does. */
function unclosed(query: string, e: ParseError): ParseError {
  if (e.message !== 'unexpected end of input') return e;
  const stack: string[] = [];
  const re = /"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?|`[^`]*`?|#[^\n]*|[()[\]{}]/g;
  for (const m of query.matchAll(re)) {
    const t = m[0];
    if (t === '(' || t === '[' || t === '{') stack.push(t);
    else if (t === ')' || t === ']' || t === '}') stack.pop();
  }
  const open = stack[stack.length - 1];
  if (open === '(') return { ...e, message: 'unclosed left parenthesis' };
  if (open === '[') return { ...e, message: 'unclosed left bracket' };
  if (open === '{') return { ...e, message: 'unexpected end of input inside braces' };
  return e;
}

function dedupe(errors: ParseError[]): ParseError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.from}:${e.to}:${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function describeSyntaxError(src: string, from: number, to: number): ParseError {
  let text = src.slice(from, to).trim();
  if (text === '') {
    const rest = src.slice(to).trimStart();
    if (rest === '') return { from, to, message: 'unexpected end of input' };
    text = /^([A-Za-z_:][\w:]*|\d[\w.]*|"[^"]*"?|'[^']*'?|\S)/.exec(rest)![0];
    const at = src.indexOf(text, to);
    from = at;
    to = at + text.length;
  }
  let what: string;
  if (/^[A-Za-z_:]/.test(text)) what = `identifier "${text}"`;
  else if (/^[0-9.]/.test(text)) what = `number "${text}"`;
  else if (/^["'`]/.test(text)) what = `string ${text}`;
  else what = `character "${text.length > 20 ? text.slice(0, 20) + '…' : text}"`;
  return { from, to, message: `unexpected ${what}` };
}

class ConvertError extends Error {
  constructor(readonly error: ParseError) {
    super(error.message);
  }
}

const fail = (pos: PosRange, message: string): never => {
  throw new ConvertError({ from: pos.from, to: pos.to, message });
};

const BINARY_OPS: Record<string, BinaryOp> = {
  Pow: '^',
  Mul: '*',
  Div: '/',
  Mod: '%',
  Atan2: 'atan2',
  Add: '+',
  Sub: '-',
  Eql: '==',
  Neq: '!=',
  Gtr: '>',
  Lss: '<',
  Gte: '>=',
  Lte: '<=',
  And: 'and',
  Or: 'or',
  Unless: 'unless',
};

const MATCH_OPS: Record<string, MatchType> = { EqlSingle: '=', Neq: '!=', EqlRegex: '=~', NeqRegex: '!~' };

const AGGREGATE_OPS = new Set<AggregateOp>([
  'sum',
  'avg',
  'min',
  'max',
  'count',
  'group',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'quantile',
  'count_values',
]);
const PARAM_AGGREGATES = new Set<AggregateOp>(['topk', 'bottomk', 'quantile', 'count_values']);

const kids = (n: SyntaxNode): SyntaxNode[] => {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
};
const isExpr = (n: SyntaxNode): boolean => n.type.is('Expr');
const posOf = (n: SyntaxNode): PosRange => ({ from: n.from, to: n.to });

class Converter {
  constructor(
    private readonly src: string,
    private readonly renamed: ReadonlyMap<number, string> = new Map(),
  ) {}

  private text(n: SyntaxNode): string {
    return this.src.slice(n.from, n.to);
  }

  private exprKids(n: SyntaxNode): SyntaxNode[] {
    return kids(n).filter(isExpr);
  }

  private string(n: SyntaxNode): string {
    try {
      return unquote(this.text(n));
    } catch (err) {
      if (err instanceof LiteralError) fail(posOf(n), err.message);
      throw err;
    }
  }

  private number(n: SyntaxNode): number {
    // A sign may be separated from the digits by whitespace or comments.
    const t = this.text(n).replace(/^([+-])(\s|#[^\n]*\n)*/, '$1');
    try {
      return parseNumber(t);
    } catch (err) {
      if (err instanceof LiteralError) fail(posOf(n), err.message);
      throw err;
    }
  }

  expr(n: SyntaxNode): Expr {
    const pos = posOf(n);
    switch (n.name) {
      case 'ParenExpr':
        return { type: 'ParenExpr', expr: this.expr(this.exprKids(n)[0]!), pos };
      case 'NumberDurationLiteral':
        return { type: 'NumberLiteral', value: this.number(n), pos };
      case 'StringLiteral':
        return { type: 'StringLiteral', value: this.string(n), pos };
      case 'VectorSelector':
        return this.vectorSelector(n);
      case 'MatrixSelector':
        return this.matrixSelector(n);
      case 'SubqueryExpr':
        return this.subquery(n);
      case 'OffsetExpr':
        return this.offset(n);
      case 'StepInvariantExpr':
        return this.at(n);
      case 'FunctionCall':
        return this.call(n);
      case 'AggregateExpr':
        return this.aggregate(n);
      case 'BinaryExpr':
        return this.binary(n);
      case 'UnaryExpr': {
        const op = this.text(n.getChild('UnaryOp')!) as '+' | '-';
        const inner = this.expr(this.exprKids(n)[0]!);
        // Prometheus folds a sign into a number literal rather than keeping a unary node.
        if (inner.type === 'NumberLiteral')
          return { type: 'NumberLiteral', value: op === '-' ? -inner.value : inner.value, pos };
        return { type: 'UnaryExpr', op, expr: inner, pos };
      }
      case 'AnchoredExpr':
      case 'SmoothedExpr':
        return fail(pos, `the "${n.name === 'AnchoredExpr' ? 'anchored' : 'smoothed'}" modifier is not supported`);
      default:
        return fail(pos, `unexpected ${n.name}`);
    }
  }

  private vectorSelector(n: SyntaxNode): VectorSelector {
    const pos = posOf(n);
    const matchers: LabelMatcher[] = [];
    let name: string | null = null;
    const ident = n.getChild('Identifier');
    if (ident) name = this.text(ident);
    const lm = n.getChild('LabelMatchers');
    if (lm) {
      for (const c of kids(lm)) {
        if (c.name === 'UnquotedLabelMatcher' || c.name === 'QuotedLabelMatcher') {
          const nameNode = c.firstChild!;
          const labelName =
            nameNode.name === 'QuotedLabelName' ? this.string(nameNode.firstChild!) : this.text(nameNode);
          const opNode = c.getChild('MatchOp')!.firstChild!;
          const type = MATCH_OPS[opNode.name]!;
          const value = this.string(c.getChild('StringLiteral')!);
          if (type === '=~' || type === '!~') {
            try {
              checkMatcherRegex(value);
            } catch (err) {
              if (err instanceof RegexError) fail(posOf(c), err.message);
              throw err;
            }
          }
          matchers.push({ name: labelName, type, value });
        } else if (c.name === 'QuotedLabelName') {
          // `{"metric.name"}`: a quoted metric name inside the braces.
          matchers.push({ name: '__name__', type: '=', value: this.string(c.firstChild!) });
        }
      }
    }
    if (name !== null) matchers.push({ name: '__name__', type: '=', value: name });
    return { type: 'VectorSelector', name, matchers, offsetMs: 0, at: null, pos };
  }

  private duration(n: SyntaxNode): number {
    const pos = posOf(n);
    switch (n.name) {
      case 'NumberDurationLiteralInDurationContext': {
        const t = this.text(n);
        try {
          if (isDurationText(t)) return parseDuration(t);
          const v = parseNumber(t);
          if (!Number.isFinite(v)) fail(pos, `invalid duration: ${t}`);
          return Math.round(v * 1000);
        } catch (err) {
          if (err instanceof LiteralError) fail(pos, err.message);
          throw err;
        }
        return 0;
      }
      case 'DurationExpr':
      case 'OffsetDurationExpr': {
        const cs = kids(n);
        if (cs.length === 1) return this.duration(cs[0]!);
        const first = cs[0]!;
        if (first.name === 'UnaryOp') {
          const v = this.duration(cs[1]!);
          return this.text(first) === '-' ? -v : v;
        }
        if (first.name === '(') return this.duration(cs[1]!);
        if (first.name === 'DurationStep' || first.name === 'DurationRange')
          return fail(pos, `${this.text(first)}() is not supported in durations`);
        if (first.name === 'DurationMinOf' || first.name === 'DurationMaxOf') {
          const args = cs.filter((c) => c.name === 'DurationExpr').map((c) => this.duration(c));
          return first.name === 'DurationMinOf' ? Math.min(args[0]!, args[1]!) : Math.max(args[0]!, args[1]!);
        }
        const a = this.duration(cs[0]!);
        const b = this.duration(cs[2]!);
        switch (cs[1]!.name) {
          case 'Add':
            return a + b;
          case 'Sub':
            return a - b;
          case 'Mul':
            return (a * b) / 1000;
          case 'Div':
            if (b === 0) fail(pos, 'division by zero in duration expression');
            return Math.trunc((a / b) * 1000);
          case 'Mod':
            return a % b;
          case 'Pow':
            return Math.pow(a / 1000, b / 1000) * 1000;
        }
        return fail(pos, 'unsupported duration expression');
      }
      default:
        return fail(pos, 'invalid duration');
    }
  }

  private positiveDuration(n: SyntaxNode): number {
    const ms = this.duration(n);
    if (ms <= 0) fail(posOf(n), 'duration must be greater than 0');
    return ms;
  }

  /**
   * Postfix modifiers ([range], [range:step], offset, @) bind tighter than any operator in PromQL, but the
   * grammar attaches them to the whole preceding expression; push them down to the rightmost operand.
   */
  private postfix(n: SyntaxNode, apply: (inner: Expr, pos: PosRange) => Expr): Expr {
    const inner = this.expr(this.exprKids(n)[0]!);
    const push = (e: Expr): Expr => {
      if (e.type === 'BinaryExpr') {
        e.rhs = push(e.rhs);
        e.pos = { from: e.pos.from, to: n.to };
        return e;
      }
      if (e.type === 'UnaryExpr') {
        e.expr = push(e.expr);
        e.pos = { from: e.pos.from, to: n.to };
        return e;
      }
      return apply(e, { from: e.pos.from, to: n.to });
    };
    return push(inner);
  }

  private matrixSelector(n: SyntaxNode): Expr {
    const rangeMs = this.positiveDuration(n.getChild('DurationExpr')!);
    return this.postfix(n, (inner, pos) => {
      if (inner.type !== 'VectorSelector') return fail(pos, 'ranges only allowed for vector selectors');
      if (inner.offsetMs !== 0) fail(pos, 'no offset modifiers allowed before range');
      if (inner.at) fail(pos, 'no @ modifiers allowed before range');
      return { type: 'MatrixSelector', selector: inner, rangeMs, pos };
    });
  }

  private subquery(n: SyntaxNode): Expr {
    const durs = n.getChildren('DurationExpr');
    const rangeMs = this.positiveDuration(durs[0]!);
    const stepMs = durs[1] ? this.positiveDuration(durs[1]) : 0;
    return this.postfix(n, (inner, pos) => ({
      type: 'SubqueryExpr',
      expr: inner,
      rangeMs,
      stepMs,
      offsetMs: 0,
      at: null,
      pos,
    }));
  }

  // follows addOffset in prometheus/promql/parser/parse.go
  private offset(n: SyntaxNode): Expr {
    const durNode = n.getChild('OffsetDurationExpr')!;
    const ms = this.duration(durNode);
    if (ms === 0) fail(posOf(durNode), 'duration must be greater than 0');
    return this.postfix(n, (inner, pos) => {
      let target: { offsetMs: number };
      if (inner.type === 'VectorSelector' || inner.type === 'SubqueryExpr') target = inner;
      else if (inner.type === 'MatrixSelector') target = inner.selector;
      else
        return fail(
          pos,
          'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery',
        );
      if (target.offsetMs !== 0) fail(pos, 'offset may not be set multiple times');
      target.offsetMs = ms;
      inner.pos = pos;
      return inner;
    });
  }

  // follows setTimestamp / setAtModifierPreprocessor in prometheus/promql/parser/parse.go
  private at(n: SyntaxNode): Expr {
    let at: AtModifier;
    const pre = n.getChild('AtModifierPreprocessors');
    if (pre) {
      at = { kind: pre.firstChild!.name === 'AtStart' ? 'start' : 'end' };
    } else {
      const numNode = n.getChild('NumberDurationLiteral')!;
      const ts = this.number(numNode);
      if (!Number.isFinite(ts) || ts >= 9223372036854775807 || ts <= -9223372036854775808)
        fail(
          posOf(n),
          `timestamp out of bounds for @ modifier: ${Number.isFinite(ts) ? ts.toFixed(6) : formatFloat(ts)}`,
        );
      at = { kind: 'time', ms: roundHalfAway(ts * 1000) };
    }
    return this.postfix(n, (inner, pos) => {
      let target: { at: AtModifier | null };
      if (inner.type === 'VectorSelector' || inner.type === 'SubqueryExpr') target = inner;
      else if (inner.type === 'MatrixSelector') target = inner.selector;
      else
        return fail(
          pos,
          '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery',
        );
      if (target.at) fail(pos, '@ <timestamp> may not be set multiple times');
      target.at = at;
      inner.pos = pos;
      return inner;
    });
  }

  private call(n: SyntaxNode): Expr {
    const pos = posOf(n);
    const ident = n.getChild('FunctionIdentifier')!;
    const name = this.renamed.get(ident.from) ?? this.text(ident);
    if (!FUNCTIONS.has(name)) fail(posOf(ident), `unknown function with name "${name}"`);
    const args = this.exprKids(n.getChild('FunctionCallBody')!).map((a) => this.expr(a));
    return { type: 'Call', func: name, args, pos };
  }

  private grouping(n: SyntaxNode): string[] {
    return kids(n)
      .filter((c) => c.name === 'LabelName' || c.name === 'QuotedLabelName')
      .map((c) => (c.name === 'QuotedLabelName' ? this.string(c.firstChild!) : this.text(c)));
  }

  // follows newAggregateExpr in prometheus/promql/parser/parse.go
  private aggregate(n: SyntaxNode): Expr {
    const pos = posOf(n);
    const opText = this.text(n.getChild('AggregateOp')!).toLowerCase() as AggregateOp;
    if (!AGGREGATE_OPS.has(opText)) fail(pos, `aggregation operator "${opText}" is not supported`);
    const mod = n.getChild('AggregateModifier');
    let grouping: string[] = [];
    let without = false;
    if (mod) {
      without = mod.firstChild!.name === 'Without';
      grouping = this.grouping(mod.getChild('GroupingLabels')!);
    }
    const args = this.exprKids(n.getChild('FunctionCallBody')!).map((a) => this.expr(a));
    if (args.length === 0) fail(pos, 'no arguments for aggregate expression provided');
    const want = PARAM_AGGREGATES.has(opText) ? 2 : 1;
    if (args.length !== want)
      fail(pos, `wrong number of arguments for aggregate expression provided, expected ${want}, got ${args.length}`);
    const param = want === 2 ? args[0]! : null;
    const expr = args[want - 1]!;
    return { type: 'AggregateExpr', op: opText, expr, param, grouping, without, pos };
  }

  private binary(n: SyntaxNode): Expr {
    const pos = posOf(n);
    const cs = kids(n);
    const exprs = cs.filter(isExpr);
    const opNode = cs.find((c) => c.name in BINARY_OPS || c.name === 'TrimUpper' || c.name === 'TrimLower')!;
    if (opNode.name === 'TrimUpper' || opNode.name === 'TrimLower')
      return fail(posOf(opNode), `operator "${this.text(opNode)}" is not supported`);
    const op = BINARY_OPS[opNode.name]!;
    if (n.getChild('FillModifier')) fail(pos, 'fill modifiers are not supported');
    const lhsNode = exprs[0]!;
    let lhs = this.expr(lhsNode);
    const rhs = this.expr(exprs[1]!);
    const returnBool = n.getChild('BoolModifier') !== null;
    let card: Cardinality = 'one-to-one';
    let on = false;
    let labels: string[] = [];
    let include: string[] = [];
    const mm = n.getChild('MatchingModifierClause');
    if (mm) {
      const parts = kids(mm);
      on = parts[0]!.name === 'On';
      const groups = parts.filter((c) => c.name === 'GroupingLabels');
      labels = this.grouping(groups[0]!);
      if (parts.some((c) => c.name === 'GroupLeft')) card = 'many-to-one';
      if (parts.some((c) => c.name === 'GroupRight')) card = 'one-to-many';
      if (groups[1]) include = this.grouping(groups[1]);
    }
    if (isSetOp(op) && card === 'one-to-one') card = 'many-to-many';
    const matching: VectorMatching = { card, on, labels, include };
    // The grammar lexes `-1 ^ 2` as (-1) ^ 2, but in PromQL unary minus binds looser than ^: -(1 ^ 2).
    if (op === '^' && lhs.type === 'NumberLiteral' && /^[+-]/.test(this.text(lhsNode))) {
      const sign = this.text(lhsNode)[0] as '+' | '-';
      const abs: Expr = { type: 'NumberLiteral', value: Math.abs(lhs.value), pos: lhs.pos };
      const inner: Expr = { type: 'BinaryExpr', op, lhs: abs, rhs, returnBool, matching, pos };
      return { type: 'UnaryExpr', op: sign, expr: inner, pos };
    }
    return { type: 'BinaryExpr', op, lhs, rhs, returnBool, matching, pos };
  }
}

function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** Line/column prefix in the style of Prometheus' parse errors ("1:5: parse error: …"). */
export function formatParseError(query: string, e: ParseError): string {
  const before = query.slice(0, e.from);
  const line = before.split('\n').length;
  const col = e.from - before.lastIndexOf('\n');
  return `${line}:${col}: parse error: ${e.message}`;
}
