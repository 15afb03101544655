// How much of a PromQL regex matcher PostgreSQL may decide. The final word is Go RE2's (re2js, in
// @pivot/matchers): PostgreSQL's regex dialect differs from Go's (scoped flags such as `(?i:…)`, `\d`
// inside classes, `{` as a literal, what `.` does with a newline), and its engine can refuse a pattern
// as "too complex". So only a portable subset is pushed down, where both engines agree or PostgreSQL's
// answer is a superset of Go's; every other pattern selects no series by itself and is decided in code.

/** What SQL can do for one regex matcher. */
export type Prefilter =
  /** The value is one of these literals: exact for `=~` and, negated, for `!~`. */
  | { kind: 'in'; values: string[] }
  /** PostgreSQL's `~` with this anchored pattern; `exact` when its answer is Go's for every value. */
  | { kind: 'regex'; pattern: string; exact: boolean }
  /** Nothing: the matcher is decided in code. */
  | { kind: 'none' };

/** Beyond this length a pattern is not sent to PostgreSQL, whose regex compiler can refuse large ones. */
const MAX_PUSHDOWN = 1024;

const LITERAL = /^[A-Za-z0-9_\-:/ ,=@#%&'"<>~;!]*$/;
// A pattern both engines read the same way: ASCII literals, `.`, `* + ?`, alternation, plain groups,
// escaped punctuation, and bracket classes of plain ASCII characters and ranges.
const ATOM = String.raw`[A-Za-z0-9_\-:/ ,=@#%&'"<>~;!]|\.|\\[.+*?()[\]{}|^$\\/-]|\[\^?[A-Za-z0-9_ .:/-]+\]`;
const PORTABLE = new RegExp(String.raw`^(?:${ATOM}|[*+?|()])*$`);

export function regexPrefilter(pattern: string, negated: boolean): Prefilter {
  if (pattern.length > MAX_PUSHDOWN) return { kind: 'none' };
  // Literal alternatives, as Grafana writes a multi-value variable: a|b|c.
  if (LITERAL.test(pattern.replaceAll('|', ''))) return { kind: 'in', values: [...new Set(pattern.split('|'))] };
  // `(?` would open a flag group or a named group, which the dialects spell differently.
  if (!PORTABLE.test(pattern) || pattern.includes('(?') || !balanced(pattern)) return { kind: 'none' };
  // Go's `.` never matches a newline, PostgreSQL's does: a superset, fine for `=~`, wrong for `!~`.
  const dotFree = !/(^|[^\\])\./.test(pattern.replace(/\[[^\]]*\]/g, ''));
  if (negated && !dotFree) return { kind: 'none' };
  return { kind: 'regex', pattern: `^(?:${pattern})$`, exact: dotFree };
}

/** Parentheses pair up and no quantifier follows nothing (`*a`, `(+)`, `a**`), which Go refuses. */
function balanced(p: string): boolean {
  let depth = 0;
  let prevAtom = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\') {
      i++;
      prevAtom = true;
    } else if (c === '[') {
      i = p.indexOf(']', i + 2);
      prevAtom = true;
    } else if (c === '(') {
      depth++;
      prevAtom = false;
    } else if (c === ')') {
      if (--depth < 0) return false;
      prevAtom = true;
    } else if (c === '|') prevAtom = false;
    else if (c === '*' || c === '+' || c === '?') {
      // Go takes `a*?` (lazy) and refuses `a**`; the lazy form means the same for a whole-string match.
      if (!prevAtom) return false;
      if (p[i + 1] === '?') i++;
      prevAtom = false;
    } else prevAtom = true;
  }
  return depth === 0;
}
