// LogQL regexes are Go RE2, compiled with re2js (a port of Go's regexp): the same syntax Loki accepts,
// matched in linear time. Label matchers and label filters are anchored at both ends, as Loki anchors
// them (labels.NewMatcher); line filters `|~` match anywhere in the line (regexp.MatchString).
import { RE2JS, RE2JSException } from 're2js';

const cache = new Map<string, RE2JS>();
const CACHE_SIZE = 1000;

function compile(source: string): RE2JS {
  let re = cache.get(source);
  if (re) return re;
  re = RE2JS.compile(source);
  if (cache.size >= CACHE_SIZE) cache.clear();
  cache.set(source, re);
  return re;
}

/** The RE2 syntax error in `pattern`, or null when it compiles. */
export function checkRegex(pattern: string): string | null {
  try {
    compile(pattern);
    compile(`^(?:${pattern})$`);
    return null;
  } catch (err) {
    if (err instanceof RE2JSException) return err.message;
    throw err;
  }
}

/** Whether the whole of `value` matches: label matchers and label filters. */
export function matchesWhole(pattern: string, value: string): boolean {
  return compile(`^(?:${pattern})$`).matches(value);
}

/** Whether `pattern` matches somewhere in `line`: the `|~` and `!~` line filters. */
export function matchesWithin(pattern: string, line: string): boolean {
  return compile(pattern).test(line);
}
