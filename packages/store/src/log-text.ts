// The full-text part of a log search, `q`: words and "quoted phrases" that must all occur in the body,
// and -word / -"phrase" that must not. Every term is a case-insensitive substring (an order ID matches
// inside a longer token), which the body's trigram index serves. Errors are data, not exceptions.

export type LogText = { ok: true; include: string[]; exclude: string[] } | { ok: false; message: string };

export const MAX_TERMS = 16;
export const MAX_TERM_LENGTH = 256;

export function parseLogText(q: string): LogText {
  const include: string[] = [];
  const exclude: string[] = [];
  let i = 0;
  while (i < q.length) {
    while (i < q.length && /\s/.test(q[i]!)) i++;
    if (i >= q.length) break;
    let negated = false;
    if (q[i] === '-' && i + 1 < q.length && !/\s/.test(q[i + 1]!)) {
      negated = true;
      i++;
    }
    let term: string;
    if (q[i] === '"') {
      const close = q.indexOf('"', i + 1);
      // An unclosed quote runs to the end, as search boxes usually read it.
      const end = close === -1 ? q.length : close;
      term = q.slice(i + 1, end);
      i = end + 1;
    } else {
      const start = i;
      while (i < q.length && !/\s/.test(q[i]!)) i++;
      term = q.slice(start, i);
    }
    if (term === '' || (!negated && term === '-')) continue;
    if (term.length > MAX_TERM_LENGTH)
      return { ok: false, message: `a search term is longer than ${MAX_TERM_LENGTH} characters` };
    (negated ? exclude : include).push(term);
    if (include.length + exclude.length > MAX_TERMS)
      return { ok: false, message: `more than ${MAX_TERMS} search terms` };
  }
  return { ok: true, include, exclude };
}

/** A LIKE pattern matching `term` anywhere: %, _ and the escape character itself are escaped. */
export function containsPattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
}
