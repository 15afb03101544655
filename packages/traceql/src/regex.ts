// TraceQL regexes are Go RE2 (Tempo compiles them with Go's regexp), so they are compiled with re2js, a
// port of it: the same syntax is accepted and matching is linear in the input. Tempo anchors them
// (`=~ "GET"` does not match "GET /x"), as Prometheus does its label matchers.
import { RE2JS, RE2JSException } from 're2js';

export class RegexError extends Error {}

const cache = new Map<string, RE2JS>();
const CACHE_SIZE = 1000;

/** The pattern compiled as `^(?:pattern)$`; throws RegexError with Go's wording on bad syntax. */
export function compileRegex(pattern: string): RE2JS {
  let re = cache.get(pattern);
  if (re) return re;
  try {
    re = RE2JS.compile(`^(?:${pattern})$`);
  } catch (err) {
    if (err instanceof RE2JSException) throw new RegexError(err.message);
    throw err;
  }
  if (cache.size >= CACHE_SIZE) cache.clear();
  cache.set(pattern, re);
  return re;
}
