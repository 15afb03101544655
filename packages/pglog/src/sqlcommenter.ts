// sqlcommenter (google.github.io/sqlcommenter/spec): a comment of key='value' pairs, keys and values
// URL-encoded, a ' inside a value escaped as \'. OpenTelemetry's pg and mysql instrumentations write
// `/*traceparent='00-<trace>-<span>-<flags>'*/` this way, at the end of the statement; any comment of
// the statement is read, as other clients put it first.
import { parseSpanId, parseTraceId, type SpanId, type TraceId } from '@pivot/model';
import { readSqlText } from './sql-text.ts';

export interface SqlTraceLink {
  traceId: TraceId;
  spanId: SpanId;
  /** W3C trace flags (bit 0: sampled). */
  flags: number;
}

const PAIR = /\s*([^=,\s]+)\s*=\s*'((?:[^'\\]|\\.)*)'\s*(?:,|$)/y;
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

const decode = (s: string): string | null => {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
};

/** The key/value pairs of one comment's text; null when it is not a sqlcommenter comment. */
export function parseSqlCommenterPairs(comment: string): Map<string, string> | null {
  const pairs = new Map<string, string>();
  const text = comment.trim();
  PAIR.lastIndex = 0;
  while (PAIR.lastIndex < text.length) {
    const m = PAIR.exec(text);
    if (!m) return null;
    const key = decode(m[1]!);
    const value = decode(m[2]!.replace(/\\'/g, "'"));
    if (key === null || value === null) return null;
    pairs.set(key, value);
  }
  return pairs.size ? pairs : null;
}

/** The trace link of the first comment of `statement` carrying a valid traceparent; null if none does. */
export function sqlTraceLink(statement: string): SqlTraceLink | null {
  if (!statement.includes('/*')) return null;
  for (const comment of readSqlText(statement).comments) {
    const tp = parseSqlCommenterPairs(comment)?.get('traceparent');
    const m = tp ? TRACEPARENT.exec(tp.trim().toLowerCase()) : null;
    // Version ff is forbidden by the W3C spec; all-zero IDs are invalid.
    if (!m || m[1] === 'ff') continue;
    const traceId = parseTraceId(m[2]!);
    const spanId = parseSpanId(m[3]!);
    if (traceId && spanId) return { traceId, spanId, flags: parseInt(m[4]!, 16) };
  }
  return null;
}
