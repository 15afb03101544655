// PromQL's own uses of Go RE2 patterns beyond label matching (which @pivot/matchers owns): the parser's
// check of a matcher pattern on its own, and label_replace's submatches and template expansion.
import type { RE2JS } from 're2js';
import { compile, compileAnchored } from '@pivot/matchers';

export { RegexError, compileAnchored, matchesAnchored } from '@pivot/matchers';

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
