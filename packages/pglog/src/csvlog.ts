// PostgreSQL's csvlog (log_destination = csvlog): one CSV record per entry, multi-line when a message,
// detail or statement holds newlines. Columns (PG 13–17): postgres/src/backend/utils/error/csvlog.c and
// "Using CSV-Format Log Output" in the manual; PG 13 has 24 of them, PG 14+ 26.
import type { PgLogEntry } from './interpret.ts';
import { nextCsvRecord, splitCsvFields } from './csv-records.ts';
import { DEFAULT_MAX_LINE_BYTES, RecordCollector, type PgLogOptions, type PgLogResult } from './records.ts';

const utf8 = new TextDecoder();
const MIN_COLUMNS = 23;

const C = {
  logTime: 0,
  user: 1,
  database: 2,
  pid: 3,
  sessionId: 5,
  lineNum: 6,
  severity: 11,
  state: 12,
  message: 13,
  detail: 14,
  hint: 15,
  query: 19,
  application: 22,
} as const;

const int = (v: string | null | undefined): number | undefined =>
  v != null && /^\d+$/.test(v) ? Number(v) : undefined;
const opt = (v: string | null | undefined): string | undefined => v ?? undefined;

export function csvlogEntry(f: (string | null)[]): PgLogEntry | string {
  if (f.length < MIN_COLUMNS) return `expected at least ${MIN_COLUMNS} columns, got ${f.length}`;
  const timestamp = f[C.logTime];
  const errorSeverity = f[C.severity];
  if (!timestamp || !errorSeverity) return 'not a PostgreSQL csvlog entry (no log_time or error_severity)';
  return {
    timestamp,
    user: opt(f[C.user]),
    dbname: opt(f[C.database]),
    pid: int(f[C.pid]),
    sessionId: opt(f[C.sessionId]),
    lineNum: int(f[C.lineNum]),
    errorSeverity,
    stateCode: opt(f[C.state]),
    message: f[C.message] ?? '',
    detail: opt(f[C.detail]),
    hint: opt(f[C.hint]),
    statement: opt(f[C.query]),
    applicationName: opt(f[C.application]),
  };
}

export function decodeCsvlog(bytes: Uint8Array, opts: PgLogOptions = {}): PgLogResult {
  const maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const final = opts.final ?? true;
  const out = new RecordCollector(opts);
  const errors: PgLogResult['errors'] = [];
  let start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let line = 1;
  for (;;) {
    const rec = nextCsvRecord(bytes, start, final);
    if (!rec) break;
    const at = { line, offset: rec.start };
    for (let i = rec.start; i < rec.next; i++) if (bytes[i] === 0x0a) line++;
    start = rec.next;
    if (rec.end - rec.start > maxLineBytes) {
      errors.push({ ...at, message: `entry is ${rec.end - rec.start} bytes, over the limit of ${maxLineBytes}` });
      continue;
    }
    const text = utf8.decode(bytes.subarray(rec.start, rec.end));
    if (text.trim() === '') continue;
    const fields = splitCsvFields(text);
    const entry = typeof fields === 'string' ? `invalid CSV: ${fields}` : csvlogEntry(fields);
    if (typeof entry === 'string') errors.push({ ...at, message: entry });
    else out.add(entry);
  }
  return { resourceLogs: out.toResourceLogs(), accepted: out.count, errors, consumedBytes: start };
}
