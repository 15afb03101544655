// Parses the label string of a Loki protobuf stream, `{app="api", env="prod"}`. Values are Go-quoted
// strings (double quotes with Go escapes, single quotes, or backticks for raw strings) as Loki's own
// parser accepts; names follow the Prometheus rule.

export class LabelStringError extends Error {
  override readonly name = 'LabelStringError';
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
  }
}

const NAME_START = /[a-zA-Z_]/;
const NAME_CHAR = /[a-zA-Z0-9_]/;
const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
  "'": "'",
};

class Cursor {
  pos = 0;
  constructor(readonly s: string) {}
  peek(): string {
    return this.s[this.pos] ?? '';
  }
  skipSpace(): void {
    while (/\s/.test(this.peek())) this.pos++;
  }
  expect(c: string): void {
    if (this.peek() !== c)
      throw new LabelStringError(
        `expected '${c}'${this.peek() ? ` but found '${this.peek()}'` : ' but the string ended'}`,
        this.pos,
      );
    this.pos++;
  }
}

function parseName(c: Cursor): string {
  const start = c.pos;
  if (!NAME_START.test(c.peek())) throw new LabelStringError('expected a label name', c.pos);
  while (NAME_CHAR.test(c.peek())) c.pos++;
  return c.s.slice(start, c.pos);
}

function hexDigits(c: Cursor, n: number): number {
  const digits = c.s.slice(c.pos, c.pos + n);
  if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits)) throw new LabelStringError(`expected ${n} hex digits`, c.pos);
  c.pos += n;
  return parseInt(digits, 16);
}

function parseEscape(c: Cursor, quote: string): string {
  const at = c.pos;
  const e = c.peek();
  c.pos++;
  if (Object.hasOwn(SIMPLE_ESCAPES, e) && (e !== "'" || quote === "'") && (e !== '"' || quote === '"'))
    return SIMPLE_ESCAPES[e]!;
  if (e === 'x') return String.fromCharCode(hexDigits(c, 2));
  if (e === 'u' || e === 'U') {
    const cp = hexDigits(c, e === 'u' ? 4 : 8);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new LabelStringError('invalid code point in escape', at);
    return String.fromCodePoint(cp);
  }
  if (/[0-7]/.test(e)) {
    const digits = c.s.slice(at, at + 3);
    if (!/^[0-7]{3}$/.test(digits) || parseInt(digits, 8) > 255) throw new LabelStringError('invalid octal escape', at);
    c.pos = at + 3;
    return String.fromCharCode(parseInt(digits, 8));
  }
  throw new LabelStringError(`unknown escape '\\${e}'`, at - 1);
}

function parseValue(c: Cursor): string {
  const quote = c.peek();
  if (quote !== '"' && quote !== "'" && quote !== '`')
    throw new LabelStringError('expected a quoted label value', c.pos);
  const start = c.pos;
  c.pos++;
  let out = '';
  for (;;) {
    const ch = c.peek();
    if (ch === '') throw new LabelStringError('unterminated label value', start);
    c.pos++;
    if (ch === quote) return out;
    if (ch === '\\' && quote !== '`') out += parseEscape(c, quote);
    else if (ch === '\n' && quote !== '`') throw new LabelStringError('newline in label value', c.pos - 1);
    else out += ch;
  }
}

/** Label name → value, in the order written. Empty values are dropped, as Loki treats them as absent. */
export function parseLabelString(s: string): Map<string, string> {
  const c = new Cursor(s);
  const labels = new Map<string, string>();
  const seen = new Set<string>();
  c.skipSpace();
  c.expect('{');
  c.skipSpace();
  while (c.peek() !== '}') {
    const at = c.pos;
    const name = parseName(c);
    c.skipSpace();
    c.expect('=');
    c.skipSpace();
    const value = parseValue(c);
    if (seen.has(name)) throw new LabelStringError(`duplicate label name "${name}"`, at);
    seen.add(name);
    if (value !== '') labels.set(name, value);
    c.skipSpace();
    if (c.peek() === ',') {
      c.pos++;
      c.skipSpace();
    } else if (c.peek() !== '}') c.expect('}');
  }
  c.pos++;
  c.skipSpace();
  if (c.pos < s.length) throw new LabelStringError('unexpected text after the closing brace', c.pos);
  return labels;
}
