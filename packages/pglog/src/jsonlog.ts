// PostgreSQL's jsonlog (log_destination = jsonlog, PG 15+): one JSON object per line, newlines inside
// values escaped. Lines are found in the bytes, so that a tailer can resume at an exact byte offset.
// Field names: postgres/src/backend/utils/error/jsonlog.c.
import type { PgLogEntry } from './interpret.ts';
import { DEFAULT_MAX_LINE_BYTES, RecordCollector, type PgLogOptions, type PgLogResult } from './records.ts';

const utf8 = new TextDecoder();
const MAX_MESSAGE = 200;
const shorten = (s: string): string => (s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}…` : s);

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);

/** The entry of one parsed line, or why it is not one. */
export function jsonlogEntry(v: unknown): PgLogEntry | string {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'expected a JSON object';
  const o = v as Record<string, unknown>;
  const timestamp = str(o.timestamp);
  const message = str(o.message);
  const errorSeverity = str(o.error_severity);
  if (timestamp === undefined || message === undefined || errorSeverity === undefined)
    return 'not a PostgreSQL jsonlog entry (needs timestamp, error_severity and message)';
  return {
    timestamp,
    user: str(o.user),
    dbname: str(o.dbname),
    pid: int(o.pid),
    sessionId: str(o.session_id),
    lineNum: int(o.line_num),
    errorSeverity,
    stateCode: str(o.state_code),
    message,
    detail: str(o.detail),
    hint: str(o.hint),
    statement: str(o.statement),
    applicationName: str(o.application_name),
  };
}

export function decodeJsonlog(bytes: Uint8Array, opts: PgLogOptions = {}): PgLogResult {
  const maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const final = opts.final ?? true;
  const out = new RecordCollector(opts);
  const errors: PgLogResult['errors'] = [];
  let start = 0;
  let line = 0;
  // A UTF-8 byte-order mark is not part of the first line.
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  while (start < bytes.length) {
    let nl = bytes.indexOf(0x0a, start);
    if (nl === -1) {
      if (!final) break;
      nl = bytes.length;
    }
    line++;
    const end = nl > start && bytes[nl - 1] === 0x0d ? nl - 1 : nl;
    const at = start;
    start = nl + 1;
    if (end - at > maxLineBytes) {
      errors.push({ line, offset: at, message: `line is ${end - at} bytes, over the limit of ${maxLineBytes}` });
      continue;
    }
    const text = utf8.decode(bytes.subarray(at, end));
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      errors.push({ line, offset: at, message: shorten(`invalid JSON: ${(err as Error).message}`) });
      continue;
    }
    const entry = jsonlogEntry(value);
    if (typeof entry === 'string') errors.push({ line, offset: at, message: entry });
    else out.add(entry);
  }
  return {
    resourceLogs: out.toResourceLogs(),
    accepted: out.count,
    errors,
    consumedBytes: Math.min(start, bytes.length),
  };
}
