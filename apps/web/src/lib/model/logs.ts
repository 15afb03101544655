// Log records for display: OpenTelemetry severity ranges, body text, grouping by span.
import type { LogRecord } from '@pivot/api-types';

export const SEVERITIES = ['FATAL', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE', 'UNSPECIFIED'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The OpenTelemetry severity range (1–4 TRACE … 21–24 FATAL); the text when the number is 0. */
export function severityOf(log: Pick<LogRecord, 'severityNumber' | 'severityText'>): Severity {
  const n = log.severityNumber;
  if (n >= 21) return 'FATAL';
  if (n >= 17) return 'ERROR';
  if (n >= 13) return 'WARN';
  if (n >= 9) return 'INFO';
  if (n >= 5) return 'DEBUG';
  if (n >= 1) return 'TRACE';
  const t = (log.severityText ?? '').toUpperCase();
  if (t.startsWith('FATAL') || t === 'CRITICAL' || t === 'PANIC') return 'FATAL';
  if (t.startsWith('ERR')) return 'ERROR';
  if (t.startsWith('WARN')) return 'WARN';
  if (t.startsWith('INFO') || t === 'NOTICE') return 'INFO';
  if (t.startsWith('DEBUG')) return 'DEBUG';
  if (t.startsWith('TRACE')) return 'TRACE';
  return 'UNSPECIFIED';
}

/** The lowest severity number of a level, for the API's severity filter. */
export const SEVERITY_MIN_NUMBER: Record<Severity, number> = {
  TRACE: 1,
  DEBUG: 5,
  INFO: 9,
  WARN: 13,
  ERROR: 17,
  FATAL: 21,
  UNSPECIFIED: 0,
};

export function bodyText(body: LogRecord['body']): string {
  if (typeof body === 'string') return body;
  if (body === null || body === undefined) return '';
  return JSON.stringify(body);
}

/** Logs of each span (by span ID), in the order given (the API gives time order). */
export function logsBySpan(logs: readonly LogRecord[]): Map<string, LogRecord[]> {
  const by = new Map<string, LogRecord[]>();
  for (const l of logs) {
    if (!l.spanId) continue;
    const list = by.get(l.spanId);
    if (list) list.push(l);
    else by.set(l.spanId, [l]);
  }
  return by;
}

/** A stable key for a log row (keyed each blocks, de-duplication across pages and live tail). */
export function logKey(l: LogRecord): string {
  return `${l.timeUnixNano}:${l.spanId ?? ''}:${l.service}:${bodyText(l.body).slice(0, 64)}`;
}

/**
 * Merges records into a newest-first list without duplicates, keeping the whole list in time order:
 * a tail batch may hold records older than ones already shown (another service's batch committed
 * later), and those go where their time puts them, not on top.
 */
export function mergeNewestFirst(
  existing: readonly LogRecord[],
  incoming: readonly LogRecord[],
  max = 5000,
): LogRecord[] {
  const seen = new Set(existing.map(logKey));
  const fresh = incoming.filter((l) => !seen.has(logKey(l)));
  if (fresh.length === 0) return existing.slice(0, max);
  // Stable: records of the same time keep the order they came in.
  return [...fresh, ...existing].sort((a, b) => compareNs(b.timeUnixNano, a.timeUnixNano)).slice(0, max);
}

/** Compares decimal nanosecond strings without BigInt allocation. */
export function compareNs(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** Merges records into an oldest-first list (the logs of one trace) without duplicates. */
export function mergeOldestFirst(
  existing: readonly LogRecord[],
  incoming: readonly LogRecord[],
  max = 5000,
): LogRecord[] {
  const seen = new Set(existing.map(logKey));
  const fresh = incoming.filter((l) => !seen.has(logKey(l)));
  if (fresh.length === 0) return [...existing];
  return [...existing, ...fresh].sort((a, b) => compareNs(a.timeUnixNano, b.timeUnixNano)).slice(-max);
}

export interface LogFilter {
  service?: string | undefined;
  /** A name (warn) or an OpenTelemetry severity number; a minimum, as the API reads it. */
  severity?: string | undefined;
  /** Words and "phrases" that must occur in the body, -word and -"phrase" that must not. */
  q?: string | undefined;
  /** Facet filters as the API names them: level, not.level, not.service, attr.<key>, not.attr.<key>. */
  filters?: Record<string, string[]> | undefined;
}

/** An attribute value as a facet writes it: strings as they are, numbers and booleans as JSON. */
const attrText = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;

function facetFiltersMatch(l: LogRecord, filters: Record<string, string[]>): boolean {
  for (const [param, values] of Object.entries(filters)) {
    if (!values.length) continue;
    const exclude = param.startsWith('not.');
    const base = exclude ? param.slice(4) : param;
    let actual: string | undefined;
    if (base === 'level') actual = severityOf(l);
    else if (base === 'service') actual = l.service;
    else if (base.startsWith('attr.')) actual = attrText(l.attributes?.[base.slice(5)]);
    else continue;
    const hit = (v: string) => (base === 'level' ? v.toUpperCase() : v) === actual;
    // Included levels are alternatives; included attribute values must all hold (as in the API).
    if (exclude ? values.some(hit) : base === 'level' ? !values.some(hit) : !values.every(hit)) return false;
  }
  return true;
}

/** Terms of a text search, as the logs API reads them: case-insensitive substrings. */
export function searchTerms(q: string): { text: string; negated: boolean }[] {
  const out: { text: string; negated: boolean }[] = [];
  for (const m of q.matchAll(/(-?)(?:"([^"]*)"|(\S+))/g)) {
    const text = (m[2] ?? m[3] ?? '').toLowerCase();
    if (text) out.push({ text, negated: m[1] === '-' });
  }
  return out;
}

/** The logs API's filters applied in the browser, to a list it already has (the logs of one trace). */
export function logMatches(l: LogRecord, f: LogFilter): boolean {
  if (f.service && l.service !== f.service) return false;
  if (f.severity) {
    const named = (SEVERITY_MIN_NUMBER as Record<string, number | undefined>)[f.severity.toUpperCase()];
    const min = named ?? Number(f.severity);
    const n = l.severityNumber || SEVERITY_MIN_NUMBER[severityOf(l)];
    if (Number.isFinite(min) && n < min) return false;
  }
  if (f.q) {
    const body = bodyText(l.body).toLowerCase();
    for (const t of searchTerms(f.q)) if (body.includes(t.text) === t.negated) return false;
  }
  return !f.filters || facetFiltersMatch(l, f.filters);
}
