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
