// The database server's own log lines for one DB CLIENT span (issue 21), as the trace view shows them:
// the duration the server measured, lock waits, errors and auto_explain plans. The lines come with the
// trace's logs (GET /api/traces/{id}/logs), linked by the statement's sqlcommenter comment or inferred.
import type { AttrValue, LogRecord } from '@pivot/api-types';
import { formatDuration } from './format.ts';
import { bodyText } from './logs.ts';

/** The service name database server lines are ingested under. */
export const DB_SERVER_SERVICE = 'postgresql';

export interface DbPlan {
  format: 'text' | 'json';
  /** As logged for `text`; indented for `json` (as logged when it does not parse). */
  text: string;
}

export interface DbLockWait {
  waitEvent: string;
  waitMs: number | null;
}

export interface DbServerView {
  /** The lines, oldest first. */
  lines: LogRecord[];
  /** The statement's duration as the server measured it (the longest `duration` line), in ms. */
  durationMs: number | null;
  lockWaits: DbLockWait[];
  /** Lines of `pg.event` error or deadlock: the body, and the SQLSTATE when given. */
  errors: { message: string; sqlState: string | null; deadlock: boolean }[];
  plans: DbPlan[];
  /** How the lines were tied to the span: by the statement's traceparent comment, or inferred. */
  link: 'sqlcommenter' | 'inferred' | 'trace';
}

const num = (v: AttrValue | undefined): number | null =>
  typeof v === 'number' && Number.isFinite(v)
    ? v
    : typeof v === 'string' && v !== '' && Number.isFinite(Number(v))
      ? Number(v)
      : null;
const str = (v: AttrValue | undefined): string | null => (typeof v === 'string' ? v : null);

/** Whether a record is a line of the database server's own log, not the application's. */
export function isDbServerLine(l: LogRecord): boolean {
  return l.service === DB_SERVER_SERVICE || l.link !== undefined || typeof l.attributes['pg.event'] === 'string';
}

/**
 * Whether a record of a trace's logs carries the trace ID itself: all but the server lines linked by
 * inference, which the trace's Logs tab and log search leave to their span's Database block.
 */
export function carriesTraceId(l: LogRecord): boolean {
  return l.link !== 'inferred';
}

/** `json` plans are indented; a plan that is not valid JSON is shown as it was logged. */
export function prettyPlan(plan: string, format: string | null): DbPlan {
  if (format !== 'json') return { format: 'text', text: plan };
  try {
    return { format: 'json', text: JSON.stringify(JSON.parse(plan), null, 2) };
  } catch {
    return { format: 'json', text: plan };
  }
}

/** What the server said about one span's statements; null when it said nothing. */
export function dbServerView(logs: readonly LogRecord[]): DbServerView | null {
  const lines = logs.filter(isDbServerLine);
  if (!lines.length) return null;
  const view: DbServerView = {
    lines,
    durationMs: null,
    lockWaits: [],
    errors: [],
    plans: [],
    link: lines.every((l) => l.link === 'inferred')
      ? 'inferred'
      : lines.some((l) => l.link === 'sqlcommenter')
        ? 'sqlcommenter'
        : 'trace',
  };
  for (const l of lines) {
    const a = l.attributes;
    const event = str(a['pg.event']);
    const ms = num(a['pg.duration_ms']);
    if (ms !== null && (view.durationMs === null || ms > view.durationMs)) view.durationMs = ms;
    if (event === 'lock_wait')
      view.lockWaits.push({ waitEvent: str(a['pg.wait_event']) ?? bodyText(l.body), waitMs: num(a['pg.wait_ms']) });
    if (event === 'error' || event === 'deadlock')
      view.errors.push({ message: bodyText(l.body), sqlState: str(a['pg.sql_state']), deadlock: event === 'deadlock' });
    const plan = str(a['pg.plan']);
    if (plan !== null) view.plans.push(prettyPlan(plan, str(a['pg.plan_format'])));
  }
  return view;
}

/** The waterfall row's marker: "db 912ms · lock wait", "db 3.20ms", "db error". */
export function dbMarker(v: DbServerView): string {
  const parts = [v.durationMs !== null ? `db ${formatDuration(v.durationMs * 1e6)}` : 'db'];
  if (v.lockWaits.length) parts.push('lock wait');
  if (v.errors.length) parts.push(v.errors.some((e) => e.deadlock) ? 'deadlock' : 'error');
  return parts.join(' · ');
}

/** Per span ID, what the server said, for the spans it said something about. */
export function dbServerBySpan(bySpan: ReadonlyMap<string, readonly LogRecord[]>): Map<string, DbServerView> {
  const out = new Map<string, DbServerView>();
  for (const [spanId, logs] of bySpan) {
    const v = dbServerView(logs);
    if (v) out.set(spanId, v);
  }
  return out;
}
