// PostgreSQL statement text, read once token by token: literals (strings, numbers, dollar-quoted
// bodies) become `?`, comments are taken out (and returned, for sqlcommenter), quoted identifiers and
// $n parameters stay, whitespace runs become one space. Follows the lexer's rules in
// postgres/src/backend/parser/scan.l: nested /* */ comments, '' inside strings, E'' with backslash
// escapes, B''/X''/N'' prefixes, $tag$…$tag$ bodies.

export interface SqlText {
  /** The statement with literals masked and comments removed. */
  masked: string;
  /** The text inside each /* … *\/ comment, outermost only, in order. */
  comments: string[];
}

const isIdentStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128;
const isIdentChar = (c: number): boolean => isIdentStart(c) || (c >= 48 && c <= 57) || c === 36;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13 || c === 12;
const DOLLAR_TAG = /^\$([A-Za-z_\u0080-\uffff][A-Za-z_0-9\u0080-\uffff]*)?\$/;

/** Index just past the string literal whose opening quote is at `i`. */
function skipString(s: string, i: number, backslashEscapes: boolean): number {
  let j = i + 1;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (backslashEscapes && c === 92) j += 2;
    else if (c === 39) {
      if (s.charCodeAt(j + 1) === 39) j += 2;
      else return j + 1;
    } else j++;
  }
  return s.length;
}

export function readSqlText(s: string): SqlText {
  let out = '';
  const comments: string[] = [];
  // A space is written only before the next token, so that none trails and none doubles.
  let space = false;
  const emit = (t: string): void => {
    if (space && out !== '') out += ' ';
    space = false;
    out += t;
  };
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (isSpace(c)) {
      space = true;
      i++;
    } else if (c === 45 && s.charCodeAt(i + 1) === 45) {
      const nl = s.indexOf('\n', i);
      i = nl === -1 ? s.length : nl + 1;
      space = true;
    } else if (c === 47 && s.charCodeAt(i + 1) === 42) {
      let depth = 1;
      let j = i + 2;
      while (j < s.length && depth > 0) {
        if (s.charCodeAt(j) === 47 && s.charCodeAt(j + 1) === 42) {
          depth++;
          j += 2;
        } else if (s.charCodeAt(j) === 42 && s.charCodeAt(j + 1) === 47) {
          depth--;
          j += 2;
        } else j++;
      }
      comments.push(s.slice(i + 2, depth === 0 ? j - 2 : j));
      i = j;
      space = true;
    } else if (c === 39) {
      i = skipString(s, i, false);
      emit('?');
    } else if (c === 34) {
      let j = i + 1;
      while (j < s.length) {
        if (s.charCodeAt(j) === 34) {
          if (s.charCodeAt(j + 1) === 34) j += 2;
          else break;
        } else j++;
      }
      emit(s.slice(i, j + 1));
      i = j + 1;
    } else if (c === 36) {
      if (isDigit(s.charCodeAt(i + 1))) {
        let j = i + 1;
        while (isDigit(s.charCodeAt(j))) j++;
        emit(s.slice(i, j));
        i = j;
        continue;
      }
      const tag = DOLLAR_TAG.exec(s.slice(i, i + 64));
      if (tag) {
        const end = s.indexOf(tag[0], i + tag[0].length);
        i = end === -1 ? s.length : end + tag[0].length;
        emit('?');
      } else {
        emit('$');
        i++;
      }
    } else if (isDigit(c) || (c === 46 && isDigit(s.charCodeAt(i + 1)))) {
      let j = i;
      if (c === 48 && /[xXoObB]/.test(s[i + 1] ?? '')) j += 2;
      while (j < s.length && (isIdentChar(s.charCodeAt(j)) || s.charCodeAt(j) === 46)) {
        // An exponent's sign belongs to the number: 1e-5.
        if ((s[j] === 'e' || s[j] === 'E') && (s[j + 1] === '-' || s[j + 1] === '+')) j += 2;
        // `1..5` does not occur in SQL, but `1.` before `.field` does not either: stop at a second dot.
        else j++;
      }
      emit('?');
      i = j;
    } else if (isIdentStart(c)) {
      let j = i + 1;
      while (j < s.length && isIdentChar(s.charCodeAt(j))) j++;
      const word = s.slice(i, j);
      // E'…', B'…', X'…', N'…': a prefixed string literal.
      if (s.charCodeAt(j) === 39 && /^[eEbBxXnN]$/.test(word)) {
        i = skipString(s, j, word === 'e' || word === 'E');
        emit('?');
      } else {
        emit(word);
        i = j;
      }
    } else {
      emit(s[i]!);
      i++;
    }
  }
  return { masked: out, comments };
}

/** The statement with its literals masked (`?`) and comments removed. */
export const maskSql = (s: string): string => readSqlText(s).masked;
