// A hand-written parser for the TraceQL subset in ast.ts. Errors are data with a character offset, and
// anything outside the subset is named ("pipeline `|`", "spanset operator `>>`", "scope `event.`")
// rather than reported as a generic syntax error, so a 400 says what to change.
// The subset is what Grafana's Tempo search builder writes: generateQueryFromFilters joins
// `${scope}.${tag}${operator}${value}` with ` && ` inside one `{}` (grafana/grafana
// public/app/plugins/datasource/tempo/SearchTraceQLEditor/utils.ts), several values of one filter
// become one `=~ "a|b"`, and intrinsics carry no scope.
import {
  KIND_CODES,
  STATUS_CODES,
  type AttributeScope,
  type Comparison,
  type Expr,
  type Field,
  type IntrinsicName,
  type KindName,
  type Literal,
  type Operator,
  type StatusName,
  type TraceQLQuery,
} from './ast.ts';
import { compileRegex, RegexError } from './regex.ts';

export type TraceQLErrorKind = 'syntax' | 'unsupported' | 'type';

/** A query refused: `pos` is the 0-based character offset of the offending token. */
export class TraceQLError extends Error {
  constructor(
    readonly kind: TraceQLErrorKind,
    readonly detail: string,
    readonly pos: number,
  ) {
    super(`${kind === 'unsupported' ? 'unsupported TraceQL' : 'TraceQL'} at position ${pos}: ${detail}`);
    this.name = 'TraceQLError';
  }
}

export type ParseResult = { ok: true; query: TraceQLQuery } | { ok: false; error: TraceQLError };

/** Queries longer than this are refused before lexing; Grafana's builder writes a few hundred characters. */
export const MAX_QUERY_LENGTH = 16_384;
/** Parenthesis nesting bound, so a hostile query cannot exhaust the stack. */
const MAX_DEPTH = 64;

type Tok =
  | { t: 'punct'; v: string; pos: number }
  | { t: 'string'; v: string; pos: number }
  | { t: 'number'; v: number; text: string; pos: number }
  | { t: 'duration'; v: bigint; pos: number }
  | { t: 'ident'; v: string; pos: number; quotedName?: string }
  | { t: 'eof'; pos: number };

const OPERATORS = new Set<string>(['=', '!=', '=~', '!~', '>', '>=', '<', '<=']);
// Longest first, so `>>` is not read as `>` `>`.
const PUNCTS = [
  '&&',
  '||',
  '!=',
  '=~',
  '!~',
  '>=',
  '<=',
  '>>',
  '<<',
  '!<<',
  '!>>',
  '~',
  '{',
  '}',
  '(',
  ')',
  '=',
  '>',
  '<',
  '!',
  '|',
  ',',
  '[',
  ']',
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '&',
].sort((a, b) => b.length - a.length);
const IDENT_END = new Set([...' \t\r\n{}()=!<>~&|",[]+*/%^`']);

const UNITS: [string, bigint][] = [
  ['ns', 1n],
  ['us', 1_000n],
  ['µs', 1_000n],
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
];

const INTRINSICS: Record<string, IntrinsicName> = {
  name: 'name',
  status: 'status',
  duration: 'duration',
  kind: 'kind',
  rootServiceName: 'rootServiceName',
  rootName: 'rootName',
  traceDuration: 'traceDuration',
  // Tempo 2.4+'s scoped spellings of the same intrinsics.
  'span:name': 'name',
  'span:status': 'status',
  'span:duration': 'duration',
  'span:kind': 'kind',
  'trace:rootService': 'rootServiceName',
  'trace:rootName': 'rootName',
  'trace:duration': 'traceDuration',
};

// Other TraceQL intrinsics and scopes, named in the error rather than parsed.
const OTHER_INTRINSICS = new Set([
  'statusMessage',
  'span:statusMessage',
  'span:id',
  'span:parentID',
  'trace:id',
  'event:name',
  'event:timeSinceStart',
  'link:traceID',
  'link:spanID',
  'instrumentation:name',
  'instrumentation:version',
  'parent',
  'childCount',
  'nestedSetLeft',
  'nestedSetRight',
  'nestedSetParent',
]);
const OTHER_SCOPES = ['event.', 'link.', 'instrumentation.', 'parent.', 'trace.'];
const FUNCTIONS = new Set([
  'count',
  'avg',
  'max',
  'min',
  'sum',
  'select',
  'by',
  'coalesce',
  'rate',
  'quantile_over_time',
]);

function lex(src: string): Tok[] | TraceQLError {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (c === '"' || c === '`') {
      const s = readString(src, i);
      if (s instanceof TraceQLError) return s;
      toks.push({ t: 'string', v: s.value, pos: start });
      i = s.end;
      continue;
    }
    if (c >= '0' && c <= '9') {
      const m = /^(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(ns|us|µs|ms|s|m|h)?/.exec(src.slice(i));
      const text = m![1]!;
      const unit = m![2];
      i += m![0].length;
      if (i < src.length && /[A-Za-z_.]/.test(src[i]!))
        return new TraceQLError('syntax', `malformed number or duration "${src.slice(start, i + 1)}"`, start);
      if (unit) {
        const ns = durationNanos(text, unit);
        if (ns === null) return new TraceQLError('syntax', `duration "${text}${unit}" is out of range`, start);
        toks.push({ t: 'duration', v: ns, pos: start });
      } else toks.push({ t: 'number', v: Number(text), text, pos: start });
      continue;
    }
    if (c === '.' || /[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < src.length && !IDENT_END.has(src[j]!)) j++;
      const v = src.slice(i, j);
      // `span."name with spaces"`: Tempo quotes attribute names that hold delimiters.
      if ((v === '.' || v === 'span.' || v === 'resource.') && src[j] === '"') {
        const s = readString(src, j);
        if (s instanceof TraceQLError) return s;
        toks.push({ t: 'ident', v, pos: start, quotedName: s.value });
        i = s.end;
        continue;
      }
      toks.push({ t: 'ident', v, pos: start });
      i = j;
      continue;
    }
    const p = PUNCTS.find((x) => src.startsWith(x, i));
    if (!p) return new TraceQLError('syntax', `unexpected character "${c}"`, start);
    toks.push({ t: 'punct', v: p, pos: start });
    i += p.length;
  }
  toks.push({ t: 'eof', pos: src.length });
  return toks;
}

function readString(src: string, i: number): { value: string; end: number } | TraceQLError {
  const quote = src[i]!;
  let out = '';
  let j = i + 1;
  while (j < src.length) {
    const c = src[j]!;
    if (c === quote) return { value: out, end: j + 1 };
    // Backtick strings are raw, as in Go; double-quoted ones take Go's common escapes.
    if (c === '\\' && quote === '"') {
      const n = src[j + 1];
      const esc: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r', "'": "'" };
      if (n === undefined || !(n in esc))
        return new TraceQLError('syntax', `unknown escape "\\${n ?? ''}" in string`, j);
      out += esc[n];
      j += 2;
      continue;
    }
    out += c;
    j++;
  }
  return new TraceQLError('syntax', 'unterminated string', i);
}

function durationNanos(text: string, unit: string): bigint | null {
  const mult = UNITS.find(([u]) => u === unit)![1];
  const [whole, frac = ''] = text.split('.');
  if (/[eE]/.test(text)) {
    const v = Number(text) * Number(mult);
    return Number.isSafeInteger(Math.round(v)) ? BigInt(Math.round(v)) : null;
  }
  // Exact decimal arithmetic: 1.5s is 1,500,000,000 ns with no float rounding.
  const scale = 10n ** BigInt(frac.length);
  const ns = (BigInt(whole!) * scale + BigInt(frac || '0')) * mult;
  return ns / scale <= 2n ** 63n - 1n ? ns / scale : null;
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok {
    return this.toks[this.i]!;
  }
  private next(): Tok {
    return this.toks[this.i++]!;
  }
  private isPunct(v: string): boolean {
    const t = this.peek();
    return t.t === 'punct' && t.v === v;
  }

  query(): TraceQLQuery {
    const first = this.peek();
    if (!(first.t === 'punct' && first.v === '{')) {
      if (first.t === 'eof') throw new TraceQLError('syntax', 'empty query: expected a spanset filter "{ … }"', 0);
      if (first.t === 'punct' && first.v === '(')
        throw new TraceQLError('unsupported', 'parenthesised spanset expressions (only one "{ … }" filter)', first.pos);
      if (first.t === 'ident' && FUNCTIONS.has(first.v))
        throw new TraceQLError('unsupported', `aggregate or pipeline function "${first.v}"`, first.pos);
      throw new TraceQLError('syntax', `expected "{" to start a spanset filter, got ${describe(first)}`, first.pos);
    }
    this.next();
    const filter = this.isPunct('}') ? null : this.or();
    const close = this.next();
    if (!(close.t === 'punct' && close.v === '}'))
      throw new TraceQLError('syntax', `expected "&&", "||" or "}", got ${describe(close)}`, close.pos);
    const after = this.next();
    if (after.t !== 'eof') {
      if (after.t === 'punct' && after.v === '|')
        throw new TraceQLError('unsupported', 'pipeline "|" (select, count, avg, by, … after the filter)', after.pos);
      if (after.t === 'punct' && ['&&', '||', '>', '>>', '<', '<<', '~', '!>>', '!<<', '!~', '!'].includes(after.v))
        throw new TraceQLError('unsupported', `spanset operator "${after.v}" (only one "{ … }" filter)`, after.pos);
      throw new TraceQLError('syntax', `unexpected ${describe(after)} after the spanset filter`, after.pos);
    }
    return { filter };
  }

  private or(): Expr {
    let left = this.and();
    while (this.isPunct('||')) {
      this.next();
      left = { type: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): Expr {
    let left = this.primary();
    while (this.isPunct('&&')) {
      this.next();
      left = { type: 'and', left, right: this.primary() };
    }
    return left;
  }

  private primary(): Expr {
    const t = this.peek();
    if (t.t === 'punct' && t.v === '(') {
      if (++this.depth > MAX_DEPTH)
        throw new TraceQLError('syntax', `parentheses nested deeper than ${MAX_DEPTH}`, t.pos);
      this.next();
      const e = this.or();
      const close = this.next();
      if (!(close.t === 'punct' && close.v === ')'))
        throw new TraceQLError('syntax', `expected ")", got ${describe(close)}`, close.pos);
      this.depth--;
      return e;
    }
    if (t.t === 'punct' && t.v === '!')
      throw new TraceQLError('unsupported', 'negation "!" (use != or !~ on the condition)', t.pos);
    return this.comparison();
  }

  private comparison(): Comparison {
    const ft = this.next();
    const field = this.field(ft);
    const opTok = this.next();
    if (opTok.t === 'punct' && ['+', '-', '*', '/', '%', '^'].includes(opTok.v))
      throw new TraceQLError('unsupported', `arithmetic "${opTok.v}"`, opTok.pos);
    if (!(opTok.t === 'punct' && OPERATORS.has(opTok.v))) {
      if (opTok.t === 'punct' && (opTok.v === '&&' || opTok.v === '||' || opTok.v === '}' || opTok.v === ')'))
        throw new TraceQLError(
          'unsupported',
          'a bare field as a condition (compare it: = != =~ !~ > >= < <=)',
          opTok.pos,
        );
      throw new TraceQLError('syntax', `expected a comparison operator, got ${describe(opTok)}`, opTok.pos);
    }
    const op = opTok.v as Operator;
    const value = this.literal(field);
    const cmp: Comparison = { type: 'compare', field, op, value, pos: ft.pos };
    checkTypes(cmp, opTok.pos);
    return cmp;
  }

  private field(t: Tok): Field {
    if (t.t !== 'ident') {
      if (t.t === 'string' || t.t === 'number' || t.t === 'duration')
        throw new TraceQLError('unsupported', 'a literal on the left of a condition (write the field first)', t.pos);
      throw new TraceQLError(
        'syntax',
        `expected a field (name, status, span.x, resource.x, .x), got ${describe(t)}`,
        t.pos,
      );
    }
    const v = t.v;
    const intrinsic = INTRINSICS[v];
    if (intrinsic) return { type: 'intrinsic', name: intrinsic };
    const scoped = (scope: AttributeScope, prefix: string): Field => {
      const name = t.quotedName ?? v.slice(prefix.length);
      if (!name) throw new TraceQLError('syntax', `attribute name missing after "${prefix}"`, t.pos);
      return { type: 'attribute', scope, name };
    };
    if (v.startsWith('.')) return scoped('unscoped', '.');
    if (v.startsWith('span.')) return scoped('span', 'span.');
    if (v.startsWith('resource.')) return scoped('resource', 'resource.');
    const other = OTHER_SCOPES.find((s) => v.startsWith(s));
    if (other) throw new TraceQLError('unsupported', `attribute scope "${other}" (span., resource. or .)`, t.pos);
    if (OTHER_INTRINSICS.has(v)) throw new TraceQLError('unsupported', `intrinsic "${v}"`, t.pos);
    if (FUNCTIONS.has(v)) throw new TraceQLError('unsupported', `function "${v}" inside a filter`, t.pos);
    throw new TraceQLError(
      'syntax',
      `unknown field "${v}" (intrinsics: name, status, duration, kind, rootServiceName, rootName, traceDuration; attributes: span.x, resource.x, .x)`,
      t.pos,
    );
  }

  private literal(field: Field): Literal {
    const t = this.next();
    switch (t.t) {
      case 'string':
        return { type: 'string', value: t.v };
      case 'number':
        return { type: 'number', value: t.v };
      case 'duration':
        return { type: 'duration', value: t.v };
      case 'punct':
        if (t.v === '-') {
          const n = this.next();
          if (n.t === 'number') return { type: 'number', value: -n.v };
          if (n.t === 'duration') return { type: 'duration', value: -n.v };
          throw new TraceQLError('syntax', `expected a number after "-", got ${describe(n)}`, n.pos);
        }
        throw new TraceQLError('syntax', `expected a value, got ${describe(t)}`, t.pos);
      case 'ident': {
        if (t.v === 'true' || t.v === 'false') return { type: 'bool', value: t.v === 'true' };
        if (t.v === 'nil') throw new TraceQLError('unsupported', 'nil (attribute existence)', t.pos);
        const isStatusField = field.type === 'intrinsic' && field.name === 'status';
        const isKindField = field.type === 'intrinsic' && field.name === 'kind';
        if (t.v in STATUS_CODES && !isKindField) return { type: 'status', value: t.v as StatusName };
        if (t.v in KIND_CODES && !isStatusField) return { type: 'kind', value: t.v as KindName };
        if (INTRINSICS[t.v] || /^(span|resource)?\./.test(t.v))
          throw new TraceQLError('unsupported', 'comparing two fields (the right side must be a value)', t.pos);
        throw new TraceQLError(
          'syntax',
          `expected a value (a "string", number, duration, true/false, status or kind), got "${t.v}"`,
          t.pos,
        );
      }
      case 'eof':
        throw new TraceQLError('syntax', 'expected a value, got the end of the query', t.pos);
    }
  }
}

const ORDERING = new Set<Operator>(['>', '>=', '<', '<=']);
const REGEX = new Set<Operator>(['=~', '!~']);

function fieldText(f: Field): string {
  if (f.type === 'intrinsic') return f.name;
  return f.scope === 'unscoped' ? `.${f.name}` : `${f.scope}.${f.name}`;
}

/** Refuses comparisons Tempo would reject or that could never be true, naming the field and operator. */
function checkTypes(c: Comparison, opPos: number): void {
  const { field, op, value } = c;
  const bad = (want: string) =>
    new TraceQLError('type', `${fieldText(field)} ${op} needs ${want}, got a ${value.type}`, c.pos);
  if (REGEX.has(op)) {
    if (value.type !== 'string') throw bad('a "regex" string');
    try {
      compileRegex(value.value);
    } catch (err) {
      if (err instanceof RegexError) throw new TraceQLError('syntax', `bad regex: ${err.message}`, opPos + op.length);
      throw err;
    }
  }
  if (field.type === 'intrinsic') {
    switch (field.name) {
      case 'name':
      case 'rootServiceName':
      case 'rootName':
        if (value.type !== 'string') throw bad('a "string"');
        return;
      case 'status':
      case 'kind':
        if (value.type !== field.name)
          throw bad(`a ${field.name} (${Object.keys(field.name === 'status' ? STATUS_CODES : KIND_CODES).join(', ')})`);
        if (op !== '=' && op !== '!=') throw new TraceQLError('type', `${field.name} takes only = and !=`, opPos);
        return;
      case 'duration':
      case 'traceDuration':
        if (value.type !== 'duration') throw bad('a duration such as 100ms or 1.5s');
        return;
    }
  }
  if (value.type === 'status' || value.type === 'kind' || value.type === 'duration')
    throw new TraceQLError('unsupported', `comparing attribute ${fieldText(field)} with a ${value.type}`, c.pos);
  if (value.type === 'bool' && ORDERING.has(op))
    throw new TraceQLError('type', `true/false takes only = and !=`, opPos);
}

function describe(t: Tok): string {
  switch (t.t) {
    case 'eof':
      return 'the end of the query';
    case 'string':
      return `string "${t.v}"`;
    case 'number':
      return `number ${t.text}`;
    case 'duration':
      return 'a duration';
    default:
      return `"${t.v}"`;
  }
}

/** Parses a TraceQL query of the supported subset; errors are returned, never thrown. */
export function parse(text: string): ParseResult {
  if (text.length > MAX_QUERY_LENGTH)
    return {
      ok: false,
      error: new TraceQLError('syntax', `query is ${text.length} characters, more than ${MAX_QUERY_LENGTH}`, 0),
    };
  const toks = lex(text);
  if (toks instanceof TraceQLError) return { ok: false, error: toks };
  try {
    return { ok: true, query: new Parser(toks).query() };
  } catch (err) {
    if (err instanceof TraceQLError) return { ok: false, error: err };
    throw err;
  }
}
