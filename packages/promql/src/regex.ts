// PromQL regexes are Go RE2 syntax, fully anchored. JavaScript's engine differs in a few spellings
// (inline flags, named groups, POSIX classes, lone braces, identity escapes under the `u` flag), so
// patterns are rewritten before compiling. Unicode mode keeps `.` matching whole code points like RE2.

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const JS_SYNTAX = new Set(['^', '$', '\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '/']);

export class RegexError extends Error {}

function escapeLiteral(ch: string, inClass: boolean): string {
  if (JS_SYNTAX.has(ch) || (inClass && ch === '-')) return '\\' + ch;
  return ch;
}

/** Rewrites an RE2 pattern into a JavaScript one plus flags. Throws RegexError for unsupported syntax. */
export function translateRE2(src: string): { source: string; flags: string } {
  let flags = 'u';
  let i = 0;
  // Leading inline flags apply to the whole pattern, which JavaScript can express as regex flags.
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1]!) {
      if (f === 'U') throw new RegexError('ungreedy flag (?U) is not supported');
      if (!flags.includes(f)) flags += f;
    }
    i = lead[0].length;
  }
  let out = '';
  let inClass = false;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\') {
      const e = src[i + 1];
      if (e === undefined) throw new RegexError('trailing backslash at end of expression');
      if (e === 'Q') {
        const end = src.indexOf('\\E', i + 2);
        const lit = end < 0 ? src.slice(i + 2) : src.slice(i + 2, end);
        for (const ch of lit) out += escapeLiteral(ch, inClass);
        i = end < 0 ? src.length : end + 2;
        continue;
      }
      if (/[a-zA-Z0-9]/.test(e)) {
        if (e === 'z' && !inClass) out += '$';
        else if (e === 'A' && !inClass) out += '^';
        else if (e === 'a') out += '\\x07';
        else if (e === 'x' && src[i + 2] === '{') {
          const close = src.indexOf('}', i + 3);
          if (close < 0) throw new RegexError('invalid escape sequence: \\x{');
          out += '\\u{' + src.slice(i + 3, close) + '}';
          i = close + 1;
          continue;
        } else if (e >= '0' && e <= '7') {
          const m = /^[0-7]{1,3}/.exec(src.slice(i + 1))!;
          if (m[0] === '0' || m[0].length > 1) {
            out += '\\u{' + parseInt(m[0], 8).toString(16) + '}';
            i += 1 + m[0].length;
            continue;
          }
          throw new RegexError(`invalid escape sequence: \\${e}`);
        } else if (e === 'p' || e === 'P') {
          const braced = /^\{\^?([A-Za-z_]+)\}/.exec(src.slice(i + 2));
          const name = braced ? braced[1]! : src[i + 2];
          if (!name || !/^[A-Za-z_]+$/.test(name)) throw new RegexError(`invalid character class range: \\${e}`);
          const negate = braced?.[0].startsWith('{^') ? (e === 'p' ? 'P' : 'p') : e;
          out += `\\${negate}{${/^[A-Z][a-z]?$/.test(name) ? name : 'Script=' + name}}`;
          i += 2 + (braced ? braced[0].length : 1);
          continue;
        } else if ('dDwWsSbBnrtfvx'.includes(e)) out += '\\' + e;
        else throw new RegexError(`invalid escape sequence: \\${e}`);
        i += 2;
        continue;
      }
      out += escapeLiteral(e, inClass);
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':') {
        const close = src.indexOf(':]', i + 2);
        if (close > 0) {
          let name = src.slice(i + 2, close);
          const negated = name.startsWith('^');
          if (negated) name = name.slice(1);
          const cls = POSIX_CLASSES[name];
          if (!cls) throw new RegexError(`invalid character class range: [:${name}:]`);
          if (negated) throw new RegexError('negated POSIX classes are not supported');
          out += cls;
          i = close + 2;
          continue;
        }
      }
      if (c === ']') {
        inClass = false;
        out += ']';
        i++;
        continue;
      }
      out += c === ']' || c === '[' ? '\\' + c : c;
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += '[';
      i++;
      if (src[i] === '^') {
        out += '^';
        i++;
      }
      // RE2 treats a `]` right after the opening bracket as a literal.
      if (src[i] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      const rest = src.slice(i);
      const named = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      if (named) {
        out += `(?<${named[1]}>`;
        i += named[0].length;
        continue;
      }
      if (rest.startsWith('(?:')) {
        out += '(?:';
        i += 3;
        continue;
      }
      throw new RegexError(`invalid or unsupported Perl syntax: \`${rest.slice(0, 3)}\``);
    }
    if (c === '{') {
      const rep = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
      if (rep && out.length > 0) {
        out += rep[0];
        i += rep[0].length;
        continue;
      }
      out += '\\{';
      i++;
      continue;
    }
    if (c === '}') {
      out += '\\}';
      i++;
      continue;
    }
    out += c;
    i++;
  }
  if (inClass) throw new RegexError('missing closing ]');
  return { source: out, flags };
}

const cache = new Map<string, RegExp>();

/** Compiles a PromQL regex anchored at both ends, the way label matchers and label_replace use it. */
export function compileAnchored(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re) return re;
  const { source, flags } = translateRE2(pattern);
  try {
    re = new RegExp(`^(?:${source})$`, flags);
  } catch (err) {
    throw new RegexError((err as Error).message);
  }
  if (cache.size > 1000) cache.clear();
  cache.set(pattern, re);
  return re;
}

/**
 * Go's regexp.Expand: `$1`, `${1}`, `$name`, `${name}`; `$$` is a dollar. A name is the longest run of
 * letters, digits and underscores, so `$1x` means the group named "1x" (empty), not group 1 then "x".
 */
export function expandTemplate(template: string, match: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length;) {
    const c = template[i]!;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = template[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    let name: string;
    let end: number;
    if (next === '{') {
      const close = template.indexOf('}', i + 2);
      const inner = close < 0 ? '' : template.slice(i + 2, close);
      if (close < 0 || !/^[A-Za-z0-9_]+$/.test(inner)) {
        out += '$';
        i++;
        continue;
      }
      name = inner;
      end = close + 1;
    } else {
      const m = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (!m) {
        out += '$';
        i++;
        continue;
      }
      name = m[0];
      end = i + 1 + name.length;
    }
    if (/^\d+$/.test(name)) {
      const idx = Number(name);
      if (idx < match.length) out += match[idx] ?? '';
    } else {
      out += match.groups?.[name] ?? '';
    }
    i = end;
  }
  return out;
}
