// A recursive-descent parser for the LogQL subset in ast.ts. Errors carry the character offset where
// parsing stopped, and constructs LogQL has but pivot does not evaluate (line_format, unwrap, pattern,
// regexp, offset, …) are refused by name rather than misread: a query either means what Loki means or
// is a 400. Grammar followed: grafana/loki pkg/logql/syntax/expr.y and lex.go.
import type {
  AggregateOp,
  BinaryOp,
  CompareOp,
  LabelFilter,
  LabelFormat,
  LogQuery,
  Matcher,
  MetricQuery,
  Query,
  RangeFunction,
  Stage,
  TemplateArg,
  TemplatePart,
} from './ast.ts';
import { checkRegex } from './regex.ts';

export class LogQLError extends Error {
  constructor(
    message: string,
    /** Offset in the query text (UTF-16 code units) where the problem is. */
    readonly position: number,
    /** The LogQL construct pivot does not evaluate, when that is the problem. */
    readonly unsupported?: string,
  ) {
    super(message);
    this.name = 'LogQLError';
  }
}

export const MAX_QUERY_LENGTH = 65_536;
const MAX_DEPTH = 64;

type TokKind = 'ident' | 'string' | 'number' | 'duration' | 'op' | 'eof';
interface Token {
  kind: TokKind;
  text: string;
  /** Decoded value of a string literal. */
  value: string;
  pos: number;
  /** A string literal in backquotes (raw). */
  raw?: boolean;
}

const OPS = [
  '|=',
  '|~',
  '!=',
  '!~',
  '=~',
  '==',
  '>=',
  '<=',
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  ',',
  '=',
  '|',
  '>',
  '<',
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
];
const DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d|w|y))+/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w|y)/g;
const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  w: 604_800_000_000_000n,
  y: 31_536_000_000_000_000n,
};

/** Go's strconv.Unquote for a double-quoted literal body. */
function unquote(s: string, pos: number): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = s[++i];
    const hex = (len: number) => {
      const h = s.slice(i + 1, i + 1 + len);
      if (h.length !== len || !/^[0-9a-fA-F]+$/.test(h)) throw new LogQLError('invalid escape in string', pos + i);
      i += len;
      return parseInt(h, 16);
    };
    switch (n) {
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
      case '"':
      case "'":
        out += n;
        break;
      case 'x':
        out += String.fromCharCode(hex(2));
        break;
      case 'u':
        out += String.fromCodePoint(hex(4));
        break;
      case 'U':
        out += String.fromCodePoint(hex(8));
        break;
      default:
        if (n !== undefined && /[0-7]/.test(n) && /^[0-7]{3}$/.test(s.slice(i, i + 3))) {
          out += String.fromCharCode(parseInt(s.slice(i, i + 3), 8));
          i += 2;
        } else throw new LogQLError(`invalid escape \\${n ?? ''} in string`, pos + i);
    }
  }
  return out;
}

function lex(text: string): Token[] {
  const toks: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '#') {
      // A comment runs to the end of the line.
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    const pos = i;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) throw new LogQLError('unterminated string', pos);
      const body = text.slice(i + 1, j);
      toks.push({ kind: 'string', text: text.slice(i, j + 1), value: unquote(body, pos + 1), pos });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = text.indexOf('`', i + 1);
      if (j < 0) throw new LogQLError('unterminated raw string', pos);
      toks.push({ kind: 'string', text: text.slice(i, j + 1), value: text.slice(i + 1, j), pos, raw: true });
      i = j + 1;
      continue;
    }
    const rest = text.slice(i);
    const dur = DURATION.exec(rest);
    if (dur && !/[A-Za-z0-9_]/.test(rest[dur[0].length] ?? '')) {
      toks.push({ kind: 'duration', text: dur[0], value: dur[0], pos });
      i += dur[0].length;
      continue;
    }
    const num = /^(?:0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)/.exec(rest);
    if (num) {
      toks.push({ kind: 'number', text: num[0], value: num[0], pos });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (id) {
      toks.push({ kind: 'ident', text: id[0], value: id[0], pos });
      i += id[0].length;
      continue;
    }
    const op = OPS.find((o) => rest.startsWith(o));
    if (!op) throw new LogQLError(`unexpected character "${c}"`, pos);
    toks.push({ kind: 'op', text: op, value: op, pos });
    i += op.length;
  }
  toks.push({ kind: 'eof', text: '', value: '', pos: text.length });
  return toks;
}

export function parseDuration(text: string, pos: number): bigint {
  let ns = 0n;
  for (const m of text.matchAll(DURATION_PART)) {
    const [int, frac = ''] = m[1]!.split('.');
    const scale = 10n ** BigInt(frac.length);
    ns += ((BigInt(int!) * scale + BigInt(frac || '0')) * UNIT_NS[m[2]!]!) / scale;
  }
  if (ns <= 0n) throw new LogQLError(`duration ${text} must be positive`, pos);
  return ns;
}

const RANGE_FNS = new Set<string>(['count_over_time', 'rate', 'bytes_over_time', 'bytes_rate']);
const UNSUPPORTED_RANGE_FNS = new Set([
  'rate_counter',
  'avg_over_time',
  'sum_over_time',
  'min_over_time',
  'max_over_time',
  'stdvar_over_time',
  'stddev_over_time',
  'quantile_over_time',
  'first_over_time',
  'last_over_time',
  'absent_over_time',
]);
const AGG_OPS = new Set<string>(['sum', 'avg', 'max', 'min', 'count', 'topk', 'bottomk']);
const UNSUPPORTED_AGG = new Set(['stddev', 'stdvar', 'sort', 'sort_desc', 'approx_topk']);
const UNSUPPORTED_STAGES = new Set([
  'line_format',
  'unwrap',
  'pattern',
  'regexp',
  'unpack',
  'decolorize',
  'keep',
  'distinct',
]);
const UNSUPPORTED_FUNCS = new Set(['label_replace', 'absent', 'ceil', 'floor', 'round', 'abs', 'sqrt', 'exp', 'ln']);

class Parser {
  private i = 0;
  private depth = 0;
  constructor(
    private readonly toks: Token[],
    private readonly text: string,
  ) {}

  private peek(o = 0): Token {
    return this.toks[Math.min(this.i + o, this.toks.length - 1)]!;
  }
  private next(): Token {
    const t = this.peek();
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }
  private is(text: string, o = 0): boolean {
    const t = this.peek(o);
    return (t.kind === 'op' || t.kind === 'ident') && t.text === text;
  }
  private fail(message: string, t = this.peek(), unsupported?: string): never {
    throw new LogQLError(message, t.pos, unsupported);
  }
  private unsupported(construct: string, t = this.peek()): never {
    this.fail(`unsupported LogQL: ${construct} is not implemented by pivot`, t, construct);
  }
  private describe(t: Token): string {
    return t.kind === 'eof' ? 'end of query' : `"${t.text}"`;
  }
  private expect(text: string): Token {
    if (!this.is(text)) this.fail(`expected "${text}", found ${this.describe(this.peek())}`);
    return this.next();
  }
  private string(what: string): string {
    const t = this.peek();
    if (t.kind !== 'string') this.fail(`expected a quoted ${what}, found ${this.describe(t)}`);
    this.next();
    return t.value;
  }
  private labelName(): string {
    const t = this.peek();
    if (t.kind !== 'ident' || t.text.includes('.')) this.fail(`expected a label name, found ${this.describe(t)}`);
    this.next();
    return t.text;
  }

  parseQuery(): Query {
    const q = this.expr(0);
    const t = this.peek();
    if (t.kind !== 'eof') this.fail(`unexpected ${this.describe(t)}`);
    return q;
  }

  // Binary operators: + - (precedence 1) below * / (precedence 2), left-associative.
  private expr(minPrec: number): Query {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'ident' && ['and', 'or', 'unless'].includes(t.text))
        this.unsupported(`the set operator "${t.text}"`);
      if (t.kind !== 'op') break;
      if (['%', '^'].includes(t.text) || ['==', '!=', '>', '<', '>=', '<='].includes(t.text)) {
        if (left.kind === 'log') break;
        this.unsupported(`the binary operator "${t.text}"`);
      }
      const prec = t.text === '+' || t.text === '-' ? 1 : t.text === '*' || t.text === '/' ? 2 : 0;
      if (!prec || prec < minPrec) break;
      this.next();
      if (this.is('bool') || this.is('on') || this.is('ignoring'))
        this.unsupported(`"${this.peek().text}" in a binary operation`);
      const right = this.expr(prec + 1);
      left = { kind: 'binary', op: t.text as BinaryOp, left: this.metric(left, t), right: this.metric(right, t) };
    }
    return left;
  }

  private metric(q: Query, at: Token): MetricQuery {
    if (q.kind === 'log') this.fail('a log query cannot be an operand of a binary operation', at);
    return q;
  }

  private unary(): Query {
    if (++this.depth > MAX_DEPTH) this.fail(`query nested deeper than ${MAX_DEPTH} levels`);
    try {
      return this.primary();
    } finally {
      this.depth--;
    }
  }

  private primary(): Query {
    const t = this.peek();
    if (t.kind === 'op' && t.text === '{') return this.logQuery();
    if (t.kind === 'op' && t.text === '(') {
      this.next();
      const q = this.expr(0);
      this.expect(')');
      return q;
    }
    if (t.kind === 'op' && t.text === '-' && this.peek(1).kind === 'number') {
      this.next();
      return { kind: 'number', value: -this.number() };
    }
    if (t.kind === 'number') return { kind: 'number', value: this.number() };
    if (t.kind === 'ident') {
      if (t.text === 'vector') {
        this.next();
        this.expect('(');
        const neg = this.is('-') ? (this.next(), -1) : 1;
        const v = neg * this.number();
        this.expect(')');
        return { kind: 'vector', value: v };
      }
      if (RANGE_FNS.has(t.text)) return this.rangeAggregation();
      if (AGG_OPS.has(t.text)) return this.aggregation();
      if (UNSUPPORTED_RANGE_FNS.has(t.text)) this.unsupported(`the range function ${t.text}`);
      if (UNSUPPORTED_AGG.has(t.text)) this.unsupported(`the aggregation ${t.text}`);
      if (UNSUPPORTED_FUNCS.has(t.text)) this.unsupported(`the function ${t.text}`);
    }
    this.fail(`expected a stream selector "{…}" or a metric query, found ${this.describe(t)}`);
  }

  private number(): number {
    const t = this.peek();
    if (t.kind !== 'number') this.fail(`expected a number, found ${this.describe(t)}`);
    this.next();
    return Number(t.text);
  }

  private rangeAggregation(): MetricQuery {
    const fn = this.next().text as RangeFunction;
    this.expect('(');
    const open = this.is('(');
    if (open) this.next();
    const query = this.logQuery();
    if (open) this.expect(')');
    this.expect('[');
    const d = this.peek();
    if (d.kind !== 'duration') this.fail(`expected a range duration such as 5m, found ${this.describe(d)}`);
    this.next();
    const rangeNs = parseDuration(d.text, d.pos);
    this.expect(']');
    if (this.is('offset')) this.unsupported('offset');
    this.expect(')');
    if (this.is('by') || this.is('without')) this.unsupported(`"${this.peek().text}" on a range function`);
    return { kind: 'range', fn, query, rangeNs };
  }

  private grouping(): { without: boolean; labels: string[] } {
    const without = this.next().text === 'without';
    this.expect('(');
    const labels: string[] = [];
    while (!this.is(')')) {
      labels.push(this.labelName());
      if (!this.is(',')) break;
      this.next();
    }
    this.expect(')');
    return { without, labels };
  }

  private aggregation(): MetricQuery {
    const op = this.next().text as AggregateOp;
    let grouping = this.is('by') || this.is('without') ? this.grouping() : undefined;
    this.expect('(');
    let param: number | undefined;
    if (op === 'topk' || op === 'bottomk') {
      const at = this.peek();
      param = this.number();
      if (!Number.isInteger(param) || param < 1) this.fail(`${op}: k must be a positive integer`, at);
      this.expect(',');
    }
    const inner = this.expr(0);
    this.expect(')');
    if (this.is('by') || this.is('without')) {
      if (grouping) this.fail('a grouping is given twice');
      grouping = this.grouping();
    }
    if (inner.kind === 'log') this.fail(`${op} needs a metric query such as count_over_time({…}[5m]), not a log query`);
    if (inner.kind === 'number') this.fail(`${op} needs a metric query, not a number`);
    return {
      kind: 'aggregate',
      op,
      ...(param !== undefined ? { param } : {}),
      ...(grouping ? { grouping } : {}),
      expr: inner,
    };
  }

  private logQuery(): LogQuery {
    this.expect('{');
    const matchers: Matcher[] = [];
    while (!this.is('}')) {
      const name = this.labelName();
      const opTok = this.peek();
      if (opTok.kind !== 'op' || !['=', '!=', '=~', '!~'].includes(opTok.text))
        this.fail(`expected =, !=, =~ or !~ after "${name}", found ${this.describe(opTok)}`);
      this.next();
      const vt = this.peek();
      const value = this.string('label value');
      const op = opTok.text as Matcher['op'];
      if (op === '=~' || op === '!~') this.regex(value, vt);
      matchers.push({ name, op, value });
      if (!this.is(',')) break;
      this.next();
    }
    this.expect('}');
    if (!matchers.some((m) => !matchesEmpty(m)))
      this.fail(
        'queries require at least one matcher that does not match the empty string, e.g. {service_name="x"}',
        this.toks[0],
      );
    return { kind: 'log', matchers, pipeline: this.pipeline() };
  }

  private regex(pattern: string, at: Token): void {
    const err = checkRegex(pattern);
    if (err) this.fail(`invalid regex: ${err}`, at);
  }

  private pipeline(): Stage[] {
    const stages: Stage[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op') break;
      if (t.text === '|=' || t.text === '|~' || t.text === '!=' || t.text === '!~') {
        this.next();
        if (this.is('ip')) this.unsupported('the ip() line filter');
        const vt = this.peek();
        const value = this.string('line filter');
        if (t.text === '|~' || t.text === '!~') this.regex(value, vt);
        if (this.is('or')) this.unsupported('"or" between line filters');
        stages.push({ kind: 'line', op: t.text, value });
        continue;
      }
      if (t.text !== '|') break;
      this.next();
      stages.push(this.stage());
    }
    return stages;
  }

  private stage(): Stage {
    const t = this.peek();
    if (t.kind === 'ident') {
      if (t.text === 'json' || t.text === 'logfmt') {
        this.next();
        const p = this.peek();
        // `| json a="b.c"` and `| logfmt --strict` select or change what is extracted.
        if (p.kind === 'ident' && !this.isStageEnd(1)) this.unsupported(`parameters of | ${t.text}`);
        if (p.kind === 'op' && p.text === '-') this.unsupported(`flags of | ${t.text}`);
        return { kind: t.text };
      }
      if (t.text === 'drop') {
        this.next();
        const names: string[] = [];
        for (;;) {
          names.push(this.labelName());
          if (this.peek().kind === 'op' && ['=', '!=', '=~', '!~'].includes(this.peek().text))
            this.unsupported('a drop with a value condition');
          if (!this.is(',')) break;
          this.next();
        }
        return { kind: 'drop', names };
      }
      if (t.text === 'label_format') {
        this.next();
        return { kind: 'labelFormat', formats: this.labelFormats() };
      }
      if (UNSUPPORTED_STAGES.has(t.text)) this.unsupported(`the "${t.text}" stage`);
      return { kind: 'labelFilter', filter: this.labelFilterOr() };
    }
    if (t.kind === 'op' && t.text === '(') return { kind: 'labelFilter', filter: this.labelFilterOr() };
    this.fail(`expected a parser, label filter or label_format after "|", found ${this.describe(t)}`);
  }

  /** Whether the token `o` ahead ends a stage: `|`, a line filter, `)` or the end. */
  private isStageEnd(o: number): boolean {
    const t = this.peek(o);
    return t.kind === 'eof' || (t.kind === 'op' && ['|', '|=', '|~', '!=', '!~', ')'].includes(t.text));
  }

  private labelFormats(): LabelFormat[] {
    const out: LabelFormat[] = [];
    for (;;) {
      const name = this.labelName();
      this.expect('=');
      const v = this.peek();
      if (v.kind === 'ident') {
        out.push({ name, kind: 'rename', source: this.labelName() });
      } else {
        const template = this.string('template');
        out.push({ name, kind: 'template', parts: parseTemplate(template, v.pos + 1) });
      }
      if (!this.is(',')) break;
      this.next();
    }
    return out;
  }

  // Label filters: `a="x" or b>1 and c!="y"`; `and` (or `,` or nothing) binds tighter than `or`.
  private labelFilterOr(): LabelFilter {
    let left = this.labelFilterAnd();
    while (this.is('or')) {
      this.next();
      left = { kind: 'or', left, right: this.labelFilterAnd() };
    }
    return left;
  }

  private labelFilterAnd(): LabelFilter {
    let left = this.labelFilterAtom();
    for (;;) {
      if (this.is('and') || this.is(',')) {
        this.next();
      } else if (!(this.peek().kind === 'ident' && !this.is('or')) && !this.is('(')) break;
      left = { kind: 'and', left, right: this.labelFilterAtom() };
    }
    return left;
  }

  private labelFilterAtom(): LabelFilter {
    if (++this.depth > MAX_DEPTH) this.fail(`label filter nested deeper than ${MAX_DEPTH} levels`);
    try {
      if (this.is('(')) {
        this.next();
        const f = this.labelFilterOr();
        this.expect(')');
        return f;
      }
      const name = this.labelName();
      const opTok = this.peek();
      if (opTok.kind !== 'op' || !['=', '==', '!=', '=~', '!~', '>', '>=', '<', '<='].includes(opTok.text))
        this.fail(`expected a comparison after "${name}", found ${this.describe(opTok)}`);
      this.next();
      const op = opTok.text as CompareOp;
      const v = this.peek();
      if (v.kind === 'string') {
        this.next();
        if (op === '=~' || op === '!~') this.regex(v.value, v);
        else if (op !== '=' && op !== '!=' && op !== '==')
          this.fail(`"${op}" compares numbers; "${v.text}" is a string`, v);
        return { kind: 'compare', name, op: op === '==' ? '=' : op, value: v.value, numeric: false };
      }
      if (v.kind === 'duration') this.unsupported('duration label filters', v);
      if (v.kind === 'number' || (v.kind === 'op' && v.text === '-')) {
        if (op === '=~' || op === '!~') this.fail(`"${op}" needs a quoted regex`, v);
        const neg = v.kind === 'op' ? (this.next(), '-') : '';
        const n = this.peek();
        if (n.kind !== 'number') this.fail(`expected a number, found ${this.describe(n)}`);
        this.next();
        if (this.peek().kind === 'ident' && /^[KMGTPE]i?B$|^[kKMGTPE]?B$/i.test(this.peek().text))
          this.unsupported('bytes label filters');
        return { kind: 'compare', name, op: op === '=' ? '==' : op, value: neg + n.text, numeric: true };
      }
      if (v.kind === 'ident' && /^ip$/.test(v.text)) this.unsupported('ip() label filters', v);
      this.fail(`expected a quoted string or a number after "${name} ${op}", found ${this.describe(v)}`, v);
    } finally {
      this.depth--;
    }
  }
}

/** Whether a matcher matches a missing label: Loki refuses selectors made only of those. */
function matchesEmpty(m: Matcher): boolean {
  switch (m.op) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    default: {
      // A cheap, conservative check: patterns that obviously accept "".
      const empties = new Set(['', '.*', '.*?', '(.*)', '^.*$']);
      return m.op === '=~' ? empties.has(m.value) : !empties.has(m.value) && m.value !== '.+';
    }
  }
}

/**
 * The part of Go's text/template that label_format uses in Grafana's queries: literal text, `{{ .name }}`,
 * `{{ __line__ }}` and `{{ contains "s" __line__ }}`. Other actions and functions are refused by name.
 */
function parseTemplate(tpl: string, pos: number): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let i = 0;
  while (i < tpl.length) {
    const open = tpl.indexOf('{{', i);
    if (open < 0) {
      parts.push({ kind: 'text', text: tpl.slice(i) });
      break;
    }
    if (open > i) parts.push({ kind: 'text', text: tpl.slice(i, open) });
    const close = tpl.indexOf('}}', open + 2);
    if (close < 0) throw new LogQLError('label_format: unclosed "{{" in template', pos + open);
    let action = tpl.slice(open + 2, close);
    action = action.replace(/^-\s/, '').replace(/\s-$/, '').trim();
    const at = pos + open;
    const words = templateWords(action, at);
    const arg = (w: string): TemplateArg => {
      if (w.startsWith('"') || w.startsWith('`'))
        return { kind: 'string', value: w.startsWith('"') ? unquote(w.slice(1, -1), at) : w.slice(1, -1) };
      if (w === '__line__') return { kind: 'line' };
      if (/^\.[A-Za-z_][A-Za-z0-9_]*$/.test(w)) return { kind: 'label', name: w.slice(1) };
      throw new LogQLError(
        `unsupported LogQL: the template argument ${w} is not implemented by pivot`,
        at,
        `template argument ${w}`,
      );
    };
    if (words.length === 1) {
      const a = arg(words[0]!);
      parts.push(a.kind === 'string' ? { kind: 'text', text: a.value } : a);
    } else if (words[0] === 'contains' && words.length === 3) {
      parts.push({ kind: 'contains', needle: arg(words[1]!), haystack: arg(words[2]!) });
    } else {
      const fn = words[0] ?? '';
      throw new LogQLError(
        `unsupported LogQL: the template function ${fn} is not implemented by pivot`,
        at,
        `template function ${fn}`,
      );
    }
    i = close + 2;
  }
  return parts;
}

function templateWords(action: string, at: number): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < action.length) {
    if (/\s/.test(action[i]!)) {
      i++;
      continue;
    }
    const q = action[i];
    if (q === '"' || q === '`') {
      let j = i + 1;
      while (j < action.length && action[j] !== q) j += q === '"' && action[j] === '\\' ? 2 : 1;
      if (j >= action.length) throw new LogQLError('label_format: unterminated string in template', at);
      words.push(action.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    if ('|()'.includes(q!))
      throw new LogQLError(`unsupported LogQL: template "${q}" is not implemented by pivot`, at, `template "${q}"`);
    let j = i;
    while (j < action.length && !/\s/.test(action[j]!)) j++;
    words.push(action.slice(i, j));
    i = j;
  }
  if (!words.length) throw new LogQLError('label_format: empty template action', at);
  return words;
}

/** Parses a LogQL query; throws LogQLError with the offset of the problem. */
export function parse(text: string): Query {
  if (text.length > MAX_QUERY_LENGTH) throw new LogQLError(`query longer than ${MAX_QUERY_LENGTH} characters`, 0);
  if (text.trim() === '') throw new LogQLError('empty query', 0);
  return new Parser(lex(text), text).parseQuery();
}

/** Whether a query answers with streams (a log query) or samples (a metric query). */
export const isLogQuery = (q: Query): q is LogQuery => q.kind === 'log';
