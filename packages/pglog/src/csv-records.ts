// A small CSV reader for csvlog (RFC 4180 as PostgreSQL writes it: fields quoted when needed, "" for a
// quote, newlines inside quoted fields). It works on bytes and reports where each record ends, which a
// tailer resuming at a byte offset needs and the npm CSV parsers (streams of strings) do not give.

export interface CsvRecord {
  /** Byte offsets of the record in the input: [start, end) without its newline. */
  start: number;
  end: number;
  /** Offset just past the record's newline. */
  next: number;
}

/**
 * The next record starting at `start`. With `final` false, null when its newline (outside quotes) has
 * not arrived yet; with `final` true the input's end closes it.
 */
export function nextCsvRecord(bytes: Uint8Array, start: number, final: boolean): CsvRecord | null {
  let quoted = false;
  for (let i = start; i < bytes.length; i++) {
    const b = bytes[i];
    // UTF-8 continuation bytes are never 0x22 or 0x0a, so scanning bytes is safe.
    if (b === 0x22) quoted = !quoted;
    else if (b === 0x0a && !quoted) {
      const end = i > start && bytes[i - 1] === 0x0d ? i - 1 : i;
      return { start, end, next: i + 1 };
    }
  }
  return final && start < bytes.length ? { start, end: bytes.length, next: bytes.length } : null;
}

/** The fields of one record's text; an unquoted empty field is null, a quoted one "". */
export function splitCsvFields(s: string): (string | null)[] | string {
  const fields: (string | null)[] = [];
  let i = 0;
  for (;;) {
    if (s[i] === '"') {
      let v = '';
      let j = i + 1;
      for (;;) {
        const q = s.indexOf('"', j);
        if (q === -1) return `unterminated quoted field ${fields.length + 1}`;
        v += s.slice(j, q);
        if (s[q + 1] === '"') {
          v += '"';
          j = q + 2;
        } else {
          j = q + 1;
          break;
        }
      }
      fields.push(v);
      if (j === s.length) return fields;
      if (s[j] !== ',') return `unexpected character after quoted field ${fields.length}`;
      i = j + 1;
    } else {
      const c = s.indexOf(',', i);
      const raw = c === -1 ? s.slice(i) : s.slice(i, c);
      if (raw.includes('"')) return `stray quote in field ${fields.length + 1}`;
      fields.push(raw === '' ? null : raw);
      if (c === -1) return fields;
      i = c + 1;
    }
  }
}
