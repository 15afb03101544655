// What one server log entry means: the event (a statement's duration, a lock wait, a deadlock, an
// error, an auto_explain plan), the statement with its literals masked, the plan, the wait, and the
// trace link from a sqlcommenter comment. The raw statement is never kept: it may hold personal data.
// Message shapes follow postgres/src/backend/tcop/postgres.c (duration), storage/lmgr/proc.c (lock
// waits), storage/lmgr/deadlock.c and contrib/auto_explain/auto_explain.c.
import type { Attributes, SpanId, TraceId } from '@pivot/model';
import { maskSql } from './sql-text.ts';
import { sqlTraceLink, type SqlTraceLink } from './sqlcommenter.ts';
import { pgSeverity, type Severity } from './severity.ts';

/** One server log entry, from either format, with the fields this package reads. */
export interface PgLogEntry {
  timestamp: string;
  user?: string | undefined;
  dbname?: string | undefined;
  pid?: number | undefined;
  sessionId?: string | undefined;
  lineNum?: number | undefined;
  errorSeverity: string;
  stateCode?: string | undefined;
  message: string;
  detail?: string | undefined;
  hint?: string | undefined;
  /** The statement that caused the entry (jsonlog `statement`, csvlog `query`). */
  statement?: string | undefined;
  applicationName?: string | undefined;
}

export type PgEvent = 'duration' | 'lock_wait' | 'deadlock' | 'error' | 'plan' | 'other';

export interface InterpretedEntry {
  event: PgEvent;
  body: string;
  severity: Severity;
  attributes: Attributes;
  traceId: TraceId | null;
  spanId: SpanId | null;
  flags: number;
}

const DURATION = /^duration: (\d+(?:\.\d+)?) ms(?:\s+(statement|execute [^:]*|parse [^:]*|bind [^:]*): ([\s\S]*))?$/;
const PLAN = /^duration: (\d+(?:\.\d+)?) ms\s+plan:\n([\s\S]*)$/;
const STATEMENT = /^(statement|execute [^:]*|parse [^:]*|bind [^:]*): ([\s\S]*)$/;
const LOCK_WAIT =
  /^process \d+ (still waiting for|acquired|avoided deadlock for|detected deadlock while waiting for) (.+?) after (\d+(?:\.\d+)?) ms/;
const DEADLOCK_WAIT = /^Process \d+ waits for (.+?); blocked by process \d+\./;
/** auto_explain's text plan: conditions and filters carry the query's constants. */
const PLAN_CONDITION = /^(\s*(?:[A-Z][A-Za-z-]* )*(?:Cond|Filter)): (.*)$/gm;
/** A text plan's first node line: `Seq Scan on t  (cost=…` or `… (actual time=…`. */
const PLAN_NODE = /^.*\S {2}\((?:cost|actual)[= ]/m;

interface Plan {
  plan: string;
  format: 'text' | 'json';
  query: string | null;
}

/** Masks what a JSON plan's conditions and filters hold, recursively, dropping its Query Text. */
function maskJsonPlan(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(maskJsonPlan);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === 'Query Text') continue;
    out[k] = typeof x === 'string' && /(Cond|Filter)$/.test(k) ? maskSql(x) : maskJsonPlan(x);
  }
  return out;
}

function readPlan(text: string): Plan {
  if (text.trimStart().startsWith('{')) {
    try {
      const json = JSON.parse(text) as Record<string, unknown>;
      const query = typeof json['Query Text'] === 'string' ? json['Query Text'] : null;
      return { plan: JSON.stringify(maskJsonPlan(json), null, 2), format: 'json', query };
    } catch {
      // Not JSON after all (a truncated line): read it as text below.
    }
  }
  let query: string | null = null;
  let plan = text;
  if (text.startsWith('Query Text: ')) {
    // The query may span lines; the plan starts at the first node line (costs are on by default).
    const rest = text.slice('Query Text: '.length);
    const node = PLAN_NODE.exec(rest);
    const nl = rest.indexOf('\n');
    const end = node ? node.index - 1 : nl === -1 ? rest.length : nl;
    query = rest.slice(0, Math.max(end, 0));
    plan = rest.slice(end + 1);
  }
  return {
    plan: plan.replace(PLAN_CONDITION, (_, label: string, cond: string) => `${label}: ${maskSql(cond)}`),
    format: 'text',
    query,
  };
}

// Constraint violations quote the row's values: `Key (email)=(ann@example.com) already exists.`, `Key
// (a)=(1) conflicts with existing key (a)=(2).`, `Failing row contains (7, ann, null).` The values may
// hold parentheses and commas, so each list is cut at the text that follows it, not at a bracket.
const KEY_DETAIL =
  /^Key \(([^)]*)\)=\((.*)\) (already exists\.|is not present in table .*|is still referenced from table .*)$/s;
const KEY_CONFLICT_DETAIL = /^Key \(([^)]*)\)=\((.*)\) conflicts with existing key \(([^)]*)\)=\((.*)\)\.$/s;
const FAILING_ROW_DETAIL = /^Failing row contains \((.*)\)\.$/s;

/**
 * The values in a detail are data: a bind's `parameters: $1 = '…'` keep only their names, a key or a
 * failing row its column names, a deadlock's quoted statements are masked as statements.
 */
function maskDetail(detail: string): string {
  if (detail.startsWith('parameters: ')) return detail.replace(/(\$\d+) = (?:'(?:[^']|'')*'|NULL)/g, '$1 = ?');
  const conflict = KEY_CONFLICT_DETAIL.exec(detail);
  if (conflict) return `Key (${conflict[1]})=(?) conflicts with existing key (${conflict[3]})=(?).`;
  const key = KEY_DETAIL.exec(detail);
  if (key) return `Key (${key[1]})=(?) ${key[3]}`;
  if (FAILING_ROW_DETAIL.test(detail)) return 'Failing row contains (?).';
  // A deadlock's detail names each process's statement.
  return detail.replace(/^(Process \d+: )(.*)$/gm, (_, head: string, stmt: string) => head + maskSql(stmt));
}

const ms = (s: string): number => Number(s);

export function interpretEntry(e: PgLogEntry): InterpretedEntry {
  const attributes: Attributes = {};
  const severity = pgSeverity(e.errorSeverity);
  let event: PgEvent = 'other';
  let body = e.message;
  // The statements that may carry the sqlcommenter comment, in order of preference.
  const sources: string[] = [];
  let statement: string | null = null;

  const plan = PLAN.exec(e.message);
  const duration = plan ? null : DURATION.exec(e.message);
  if (plan) {
    event = 'plan';
    const p = readPlan(plan[2]!);
    attributes['pg.duration_ms'] = ms(plan[1]!);
    attributes['pg.plan'] = p.plan;
    attributes['pg.plan_format'] = p.format;
    statement = p.query;
    body = `duration: ${plan[1]} ms  plan`;
  } else if (duration) {
    event = 'duration';
    attributes['pg.duration_ms'] = ms(duration[1]!);
    if (duration[2] !== undefined) {
      statement = duration[3]!;
      body = `duration: ${duration[1]} ms  ${duration[2]}: ${maskSql(statement)}`;
    }
  } else {
    const stmt = STATEMENT.exec(e.message);
    if (stmt) {
      statement = stmt[2]!;
      body = `${stmt[1]}: ${maskSql(statement)}`;
    }
    const wait = LOCK_WAIT.exec(e.message);
    if (wait) {
      event = wait[1]!.startsWith('detected deadlock') ? 'deadlock' : 'lock_wait';
      attributes['pg.wait_event'] = wait[2]!;
      attributes['pg.wait_ms'] = ms(wait[3]!);
    } else if (e.stateCode === '40P01') {
      event = 'deadlock';
      const first = e.detail ? DEADLOCK_WAIT.exec(e.detail) : null;
      if (first) attributes['pg.wait_event'] = first[1]!;
    } else if (severity.number >= 17) event = 'error';
  }
  if (statement !== null) sources.push(statement);
  if (e.statement) sources.push(e.statement);
  statement ??= e.statement ?? null;
  if (statement !== null) attributes['db.statement'] = maskSql(statement);

  if (e.stateCode && e.stateCode !== '00000') attributes['pg.sql_state'] = e.stateCode;
  if (e.detail) attributes['pg.detail'] = maskDetail(e.detail);
  if (e.hint) attributes['pg.hint'] = e.hint;
  if (e.applicationName) attributes['pg.application_name'] = e.applicationName;
  if (e.user) attributes['pg.user'] = e.user;
  if (e.dbname) attributes['pg.database'] = e.dbname;
  if (e.pid !== undefined) attributes['pg.pid'] = e.pid;
  if (e.sessionId) attributes['pg.session_id'] = e.sessionId;
  // With the session, it tells apart two entries otherwise equal in the same millisecond.
  if (e.lineNum !== undefined) attributes['pg.session_line_num'] = e.lineNum;

  let link: SqlTraceLink | null = null;
  for (const s of sources) if ((link = sqlTraceLink(s))) break;
  if (link) attributes['pg.link'] = 'sqlcommenter';
  attributes['pg.event'] = event;
  return {
    event,
    body,
    severity,
    attributes,
    traceId: link?.traceId ?? null,
    spanId: link?.spanId ?? null,
    flags: link?.flags ?? 0,
  };
}
