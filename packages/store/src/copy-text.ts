// COPY's text format, built from the writers' column arrays: the ingest path (span-writer.ts,
// log-writer.ts) streams it with COPY FROM STDIN, and the benchmarks' raw COPY ceiling sends the same.

/** A column of COPY values. */
export type CopyColumn = readonly (string | number | boolean | null | undefined)[];

const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One value: `\N` for NULL; backslash, tab, newline and return escaped (most values have none). */
export function copyValue(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v !== 'string') return String(v);
  return SPECIAL.test(v) ? v.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : v;
}

/**
 * Rows [from, to) of the columns (all of one length), one line each, in column order. `plain[j]` says
 * column j holds only values that never need escaping (numbers, decimal or hex strings, null), which
 * skips the check for them.
 */
export function copyRows(
  columns: readonly CopyColumn[],
  from = 0,
  to = columns[0]?.length ?? 0,
  plain: readonly boolean[] = [],
): string {
  let out = '';
  const last = columns.length - 1;
  for (let i = from; i < to; i++) {
    for (let j = 0; j <= last; j++) {
      const v = columns[j]![i];
      out += (plain[j] ? (v === null || v === undefined ? '\\N' : v) : copyValue(v)) + (j === last ? '\n' : '\t');
    }
  }
  return out;
}

/**
 * COPY text written straight into bytes. The span writer's hot path: concatenating a batch's rows into
 * one string left a rope of two pieces per value for the collector, which COPY then had to flatten and
 * encode to UTF-8 again. Here ASCII is written byte by byte while escaping (one pass), and only a value
 * with non-ASCII characters goes through Buffer's UTF-8 encoder.
 */
const LONG = 24;

export class CopyBuffer {
  private buf: Buffer;
  private pos = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** A value from input: NULL as `\N`, backslash, tab, newline and return escaped; then the separator. */
  text(s: string | null, last = false): void {
    if (s === null) return this.nul(last);
    const n = s.length;
    // Worst case: three UTF-8 bytes per UTF-16 unit (an escaped ASCII character takes two), plus the separator.
    this.ensure(3 * n + 1);
    const b = this.buf;
    let p = this.pos;
    // Long values (attributes JSON) mostly have nothing to escape: one native scan and one native encode.
    if (n > LONG && !SPECIAL.test(s)) {
      p += b.write(s, p);
      b[p++] = last ? 10 : 9;
      this.pos = p;
      return;
    }
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        const rest = s.slice(i);
        p += b.write(SPECIAL.test(rest) ? rest.replace(SPECIAL_ALL, (x) => ESCAPES[x]!) : rest, p, 'utf8');
        break;
      }
      if (c === 92 || c === 9 || c === 10 || c === 13) {
        b[p++] = 92;
        b[p++] = c === 92 ? 92 : c === 9 ? 116 : c === 10 ? 110 : 114;
      } else b[p++] = c;
    }
    b[p++] = last ? 10 : 9;
    this.pos = p;
  }

  /** A value the writer rendered itself (digits, a sign): ASCII with nothing to escape; then the separator. */
  plain(v: string | number | null, last = false): void {
    if (v === null) return this.nul(last);
    if (typeof v === 'number' && v >= 0 && v < 10 && (v | 0) === v) {
      this.ensure(2);
      this.buf[this.pos++] = 48 + v;
      this.buf[this.pos++] = last ? 10 : 9;
      return;
    }
    const s = typeof v === 'string' ? v : String(v);
    const n = s.length;
    this.ensure(n + 1);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    b[p++] = last ? 10 : 9;
    this.pos = p;
  }

  nul(last = false): void {
    this.ensure(3);
    const b = this.buf;
    b[this.pos++] = 92;
    b[this.pos++] = 78;
    b[this.pos++] = last ? 10 : 9;
  }

  /** The bytes written so far (a view: valid until the next write). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
