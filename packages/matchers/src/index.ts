// Prometheus label matchers, with Go RE2 regexes: one definition for the PromQL engine, which decides
// every match, and for the store, which prefilters series in SQL and must then decide the same way.
// Patterns are compiled with re2js, a port of Go's regexp package, so every spelling Go accepts is accepted here (inline and scoped flags, named groups, POSIX
// classes, \Q…\E, Unicode classes) and matching takes time linear in the input: a pattern such as
// `(a+)+` cannot stall the event loop the way a backtracking engine (JavaScript's RegExp) does.
import { RE2JS, RE2JSException } from 're2js';
import type { Labels } from '@pivot/model';

export type MatchType = '=' | '!=' | '=~' | '!~';

/** A Prometheus label matcher: `name="v"`, `name!="v"`, `name=~"re"`, `name!~"re"`. */
export interface LabelMatcher {
  name: string;
  type: MatchType;
  value: string;
}

/** A pattern Go's regexp/syntax refuses; the message is Go's own. */
export class RegexError extends Error {}

const cache = new Map<string, RE2JS>();
const CACHE_SIZE = 1000;

/** Compiles a pattern as it is, without anchoring. */
export function compile(source: string): RE2JS {
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

/** Whether one matcher accepts a label value; an absent label has the value "". */
export function matchValue(m: LabelMatcher, value: string): boolean {
  switch (m.type) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return matchesAnchored(m.value, value);
    case '!~':
      return !matchesAnchored(m.value, value);
  }
}

/** Whether a series' labels satisfy every matcher of a selector. */
export function matchesAll(matchers: readonly LabelMatcher[], labels: Labels): boolean {
  for (const m of matchers) if (!matchValue(m, labels[m.name] ?? '')) return false;
  return true;
}
