// PromQL regexes are Go RE2 syntax and semantics. They are compiled with re2js, a port of Go's regexp
// package, so every spelling Go accepts is accepted here (inline and scoped flags, named groups, POSIX
// classes, \Q…\E, Unicode classes) and matching takes time linear in the input: a pattern such as
// `(a+)+` cannot stall the event loop the way a backtracking engine (JavaScript's RegExp) does.
import { RE2JS, RE2JSException } from 're2js';

export class RegexError extends Error {}

const cache = new Map<string, RE2JS>();
const CACHE_SIZE = 1000;

function compile(source: string): RE2JS {
  try {
    return RE2JS.compile(source);
  } catch (err) {
    // re2js words its syntax errors exactly as Go does ("error parsing regexp: missing closing ): `…`").
    if (err instanceof RE2JSException) throw new RegexError(err.message);
    throw err;
  }
}

/**
 * A PromQL regex anchored at both ends, as Prometheus compiles it: `^(?:pattern)$` (NewFastRegexMatcher in
 * model/labels/regexp.go, funcLabelReplace in promql/functions.go).
 * https://github.com/prometheus/prometheus/blob/v2.42.0/model/labels/regexp.go#L30
 */
export function compileAnchored(pattern: string): RE2JS {
  let re = cache.get(pattern);
  if (re) return re;
  re = compile(`^(?:${pattern})$`);
  if (cache.size >= CACHE_SIZE) cache.clear();
  cache.set(pattern, re);
  return re;
}

/**
 * Label matchers also parse the pattern on its own (syntax.Parse(v, syntax.Perl) in NewFastRegexMatcher),
 * so `a)(b`, which is only well-formed inside the anchoring wrapper, is refused there but not by label_replace.
 */
export function checkMatcherRegex(pattern: string): void {
  compileAnchored(pattern);
  // Only a `)` closing a group the pattern never opened can make the two differ; compiling a long
  // pattern twice for nothing would double the cost of every large alternation.
  if (mayCloseUnopened(pattern)) compile(pattern);
}

/** Whether a `)` may close more groups than were opened; escapes, \Q…\E and classes are skipped. */
function mayCloseUnopened(p: string): boolean {
  let depth = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      if (p[i + 1] === 'Q') {
        const end = p.indexOf('\\E', i + 2);
        if (end < 0) return false;
        i = end + 1;
      } else i++;
    } else if (c === '[') {
      // A class: `]` right after `[` or `[^` is literal; `[:name:]` inside may hold no `]`.
      let j = i + 1;
      if (p[j] === '^') j++;
      if (p[j] === ']') j++;
      while (j < p.length && p[j] !== ']') {
        if (p[j] === '\\') j += 2;
        else if (p.startsWith('[:', j)) {
          const end = p.indexOf(':]', j + 2);
          j = end < 0 ? j + 2 : end + 2;
        } else j++;
      }
      i = j;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return true;
  }
  return false;
}

type Test = (value: string) => boolean;
const testers = new Map<string, Test>();
const MEMO_SIZE = 4096;

/**
 * Label matchers test one pattern against the label values of every series a selector reaches, where
 * values repeat a lot (job, instance) and re2js takes microseconds a call: the common shapes get a direct
 * test with RE2's meaning, and other results are remembered per value.
 */
function tester(pattern: string): Test {
  let t = testers.get(pattern);
  if (t) return t;
  const re = compileAnchored(pattern);
  // `.` does not match a newline unless (?s) is given.
  if (pattern === '.*') t = (v) => !v.includes('\n');
  else if (pattern === '.+') t = (v) => v !== '' && !v.includes('\n');
  else if (!/[\\.+*?()[\]{}^$]/.test(pattern)) {
    // Literal alternatives, as dashboards write multi-value variables: a|b|c.
    const set = new Set(pattern.split('|'));
    t = (v) => set.has(v);
  } else {
    const memo = new Map<string, boolean>();
    t = (v) => {
      let r = memo.get(v);
      if (r === undefined) {
        r = re.matches(v);
        if (memo.size >= MEMO_SIZE) memo.clear();
        memo.set(v, r);
      }
      return r;
    };
  }
  if (testers.size >= CACHE_SIZE) testers.clear();
  testers.set(pattern, t);
  return t;
}

/** Whether the whole of `value` matches the anchored pattern. */
export function matchesAnchored(pattern: string, value: string): boolean {
  return tester(pattern)(value);
}

/** Submatches of an anchored match: [whole, group 1, …], undefined for groups that did not take part. */
export interface Submatch {
  groups: readonly (string | undefined)[];
  names: Readonly<Record<string, number>>;
}

export function submatch(re: RE2JS, value: string): Submatch | null {
  const m = re.exec(value) as (string | undefined)[] | null;
  if (!m) return null;
  return { groups: m, names: re.namedGroups() };
}

const isNameRune = (ch: string): boolean => ch === '_' || /[\p{L}\p{Nd}]/u.test(ch);

/**
 * Go's regexp.Expand: `$1`, `${1}`, `$name`, `${name}`; `$$` is a dollar; a malformed reference is kept
 * as text. A name is the longest run of letters, digits and underscores, so `$1x` means the group named
 * "1x" (empty), not group 1 then "x"; a number with a leading zero is a name too.
 * https://github.com/golang/go/blob/go1.19/src/regexp/regexp.go#L918
 */
export function expandTemplate(template: string, match: Submatch): string {
  let out = '';
  for (let i = 0; i < template.length;) {
    const c = template[i]!;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    if (template[i + 1] === '$') {
      out += '$';
      i += 2;
      continue;
    }
    // extract()
    let j = i + 1;
    const brace = template[j] === '{';
    if (brace) j++;
    const nameStart = j;
    while (j < template.length) {
      const cp = template.codePointAt(j)!;
      const ch = String.fromCodePoint(cp);
      if (!isNameRune(ch)) break;
      j += ch.length;
    }
    const name = template.slice(nameStart, j);
    if (name === '' || (brace && template[j] !== '}')) {
      out += '$';
      i++;
      continue;
    }
    if (brace) j++;
    i = j;
    let num = 0;
    for (let k = 0; k < name.length; k++) {
      const d = name.charCodeAt(k) - 48;
      if (d < 0 || d > 9 || num >= 1e8) {
        num = -1;
        break;
      }
      num = num * 10 + d;
    }
    if (name[0] === '0' && name.length > 1) num = -1;
    const idx = num >= 0 ? num : (match.names[name] ?? -1);
    if (idx >= 0 && idx < match.groups.length) out += match.groups[idx] ?? '';
  }
  return out;
}
