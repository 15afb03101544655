// TraceQL search on the span and trace tables. The query's filter becomes one SQL condition on a span
// row (s, its resource r, its trace t) that uses the existing indexes: containment on the attributes'
// GIN index, service_name/name btrees, traces by start time. What SQL cannot decide exactly (RE2
// regexes, string ordering) is relaxed to a superset, and @pivot/traceql's matchesSpan makes the final
// decision on those candidates, so SQL never decides a regex in PostgreSQL's dialect.
import { sql, type SQL } from 'drizzle-orm';
import type { Attributes, AttrValue, SpanId, TraceId, UnixNano } from '@pivot/model';
import {
  attributeValue,
  compileRegex,
  KIND_CODES,
  matchesSpan,
  STATUS_CODES,
  type AttributeScope,
  type Comparison,
  type Expr,
  type TraceQLQuery,
} from '@pivot/traceql';
import type { Database } from './database.ts';
import { spanIdFromDb, toJsonText, traceIdFromDb } from './encode.ts';
import { summaryFromRow, type TraceSummary } from './trace-queries.ts';

export interface TraceQLSearch {
  query: TraceQLQuery;
  /** Traces starting in [startNs, endNs] (the traces_start_idx range). */
  startNs?: UnixNano | undefined;
  endNs?: UnixNano | undefined;
  limit: number;
  /** Matched spans returned per trace (Tempo's spss); `matched` still counts them all. */
  spansPerSet: number;
}

export interface MatchedSpan {
  spanId: SpanId;
  name: string;
  service: string;
  kind: number;
  statusCode: number;
  startTimeUnixNano: UnixNano;
  durationNano: bigint;
  attributes: Attributes;
  resourceAttributes: Attributes;
}

export interface TraceQLMatch {
  summary: TraceSummary;
  /** The first `spansPerSet` matching spans by start time. */
  spans: MatchedSpan[];
  matched: number;
}

interface Condition {
  sql: SQL;
  /** False when `sql` is only a superset of the matching spans and matchesSpan must decide. */
  exact: boolean;
}

const TRUE: Condition = { sql: sql`TRUE`, exact: false };
const ORDER_OPS: Record<string, SQL> = {
  '=': sql`=`,
  '!=': sql`<>`,
  '>': sql`>`,
  '>=': sql`>=`,
  '<': sql`<`,
  '<=': sql`<=`,
};

/** The jsonb value an attribute field names, with the same precedence as attributeValue. */
function attributeSql(scope: AttributeScope, name: string): SQL {
  const span = sql`(s.attributes -> ${name}::text)`;
  const resource =
    name === 'service.name'
      ? sql`COALESCE(r.attributes -> 'service.name', to_jsonb(s.service_name))`
      : sql`(r.attributes -> ${name}::text)`;
  if (scope === 'span') return span;
  if (scope === 'resource') return resource;
  return sql`COALESCE(${span}, ${resource})`;
}

function jsonType(v: string | number | boolean): string {
  return typeof v === 'string' ? 'string' : typeof v === 'number' ? 'number' : 'boolean';
}

/**
 * Whether PostgreSQL's regex engine accepts exactly the strings RE2 does for this pattern, or more
 * (its `.` also matches a newline): literals, `.`, `*`, `+`, `?`, `|`, groups and simple classes. Such
 * a pattern can narrow candidates in SQL; matchesSpan still decides. Escapes, braces, anchors and
 * flags, where the dialects differ, are left to JavaScript alone.
 */
export function narrowsInPostgres(pattern: string): boolean {
  return (
    pattern.length <= 1000 &&
    /^[\w .*+?|()/:,;=@#%&'"<>!~-]*$|^[\w .*+?|()[\]/:,;=@#%&'"<>!~-]*$/.test(pattern) &&
    !/\[[:^]|\(\?/.test(pattern)
  );
}

const regexSql = (text: SQL, c: Comparison, values: string[]): SQL =>
  c.op === '=~'
    ? sql`${text} = ANY(${sql.param(values)}::text[])`
    : sql`NOT (${text} = ANY(${sql.param(values)}::text[]))`;

function comparisonSql(c: Comparison, sets: RegexSets): Condition {
  const { field, op, value } = c;
  const regex = op === '=~' || op === '!~';
  // A regex over a small vocabulary (span names, services, resource attributes) was decided in
  // JavaScript against every value that exists; what is left is an exact set-membership test.
  const set = sets.get(c);
  if (set) {
    if (field.type === 'intrinsic' && field.name === 'name') return { sql: regexSql(sql`s.name`, c, set), exact: true };
    if (field.type === 'intrinsic' && field.name === 'rootServiceName')
      return { sql: sql`(t.root_service IS NOT NULL AND ${regexSql(sql`t.root_service`, c, set)})`, exact: true };
    if (field.type === 'attribute') {
      const v = attributeSql(field.scope, field.name);
      return { sql: sql`(jsonb_typeof(${v}) = 'string' AND ${regexSql(sql`(${v} #>> '{}')`, c, set)})`, exact: true };
    }
  }
  if (field.type === 'intrinsic') {
    const text = (col: SQL): Condition =>
      !regex && (op === '=' || op === '!=') && value.type === 'string'
        ? { sql: sql`${col} ${ORDER_OPS[op]!} ${value.value}`, exact: true }
        : { sql: sql`${col} IS NOT NULL`, exact: false };
    switch (field.name) {
      case 'name':
        return text(sql`s.name`);
      case 'rootServiceName':
        return text(sql`t.root_service`);
      case 'rootName':
        return text(sql`t.root_name`);
      case 'status':
        if (value.type !== 'status') break;
        return { sql: sql`s.status_code ${ORDER_OPS[op]!} ${STATUS_CODES[value.value]}`, exact: true };
      case 'kind':
        if (value.type !== 'kind') break;
        return { sql: sql`s.kind ${ORDER_OPS[op]!} ${KIND_CODES[value.value]}`, exact: true };
      case 'duration':
        if (value.type !== 'duration') break;
        return { sql: sql`s.duration_ns ${ORDER_OPS[op]!} ${value.value.toString()}::bigint`, exact: true };
      case 'traceDuration':
        if (value.type !== 'duration') break;
        return { sql: sql`(t.end_ns - t.start_ns) ${ORDER_OPS[op]!} ${value.value.toString()}::bigint`, exact: true };
    }
    return TRUE; // the parser's type check makes this unreachable
  }
  const v = attributeSql(field.scope, field.name);
  if (value.type !== 'string' && value.type !== 'number' && value.type !== 'bool') return TRUE;
  const lit = value.value;
  const typed = sql`jsonb_typeof(${v}) = ${jsonType(lit)}`;
  if (regex) {
    const pattern = lit as string;
    // `=~` only: a superset for a match is a superset, for a non-match it would be a subset.
    if (op === '=~' && narrowsInPostgres(pattern))
      return { sql: sql`(${typed} AND (${v} #>> '{}') ~ ${`^(?:${pattern})$`})`, exact: false };
    return { sql: typed, exact: false };
  }
  if (op === '=') {
    const eq = sql`${v} = ${toJsonText(lit)}::jsonb`;
    // Containment lets the planner use the GIN index on span attributes (jsonb_path_ops).
    if (field.scope === 'span')
      return { sql: sql`(s.attributes @> ${toJsonText({ [field.name]: lit })}::jsonb AND ${eq})`, exact: true };
    // The span's service_name column is its resource's service.name (both cleaned alike when written),
    // so the btree alone decides; the COALESCE beside it would only make the planner think the
    // condition rare and read every span of the service in a hash semi-join.
    if (field.scope === 'resource' && field.name === 'service.name' && typeof lit === 'string')
      return { sql: sql`s.service_name = ${lit}`, exact: true };
    return { sql: eq, exact: true };
  }
  if (op === '!=') return { sql: sql`(${typed} AND ${v} <> ${toJsonText(lit)}::jsonb)`, exact: true };
  if (typeof lit === 'number')
    // CASE, not AND: the cast must not run on a string value, and AND does not fix evaluation order.
    return {
      sql: sql`(CASE WHEN ${typed} THEN (${v})::numeric ${ORDER_OPS[op]!} ${String(lit)}::numeric END)`,
      exact: true,
    };
  // String ordering: PostgreSQL collations and JavaScript's code-unit order differ, so matchesSpan decides.
  return { sql: typed, exact: false };
}

function exprSql(e: Expr, sets: RegexSets): Condition {
  if (e.type === 'compare') return comparisonSql(e, sets);
  const l = exprSql(e.left, sets);
  const r = exprSql(e.right, sets);
  return {
    sql: sql`(${l.sql} ${e.type === 'and' ? sql`AND` : sql`OR`} ${r.sql})`,
    exact: l.exact && r.exact,
  };
}

/** For a regex comparison, the existing values it matches (see TraceQLQueries.regexSets). */
export type RegexSets = Map<Comparison, string[]>;

/** The query's span condition; `{}` is exact TRUE. */
export function traceqlCondition(q: TraceQLQuery, sets: RegexSets = new Map()): Condition {
  return q.filter === null ? { sql: sql`TRUE`, exact: true } : exprSql(q.filter, sets);
}

function comparisons(e: Expr | null, out: Comparison[] = []): Comparison[] {
  if (e === null) return out;
  if (e.type === 'compare') out.push(e);
  else {
    comparisons(e.left, out);
    comparisons(e.right, out);
  }
  return out;
}

/**
 * Conditions on the trace summary that every match implies, from the filter's top-level `&&`s: the
 * service (on traces' GIN index over services) and trace-level intrinsics. They let PostgreSQL skip
 * traces before probing their spans; the span condition still decides.
 */
function traceConditions(e: Expr | null, sets: RegexSets, out: SQL[] = []): SQL[] {
  if (e === null) return out;
  if (e.type !== 'compare') {
    // Only what every match implies: both sides of an &&, nothing under an ||.
    if (e.type === 'and') {
      traceConditions(e.left, sets, out);
      traceConditions(e.right, sets, out);
    }
    return out;
  }
  const { field, op, value } = e;
  if (field.type === 'attribute' && field.scope === 'resource' && field.name === 'service.name') {
    if (op === '=' && value.type === 'string') out.push(sql`t.services @> ARRAY[${value.value}]::text[]`);
    const set = sets.get(e);
    if (op === '=~' && set) out.push(sql`t.services && ${sql.param(set)}::text[]`);
  } else if (
    field.type === 'intrinsic' &&
    (field.name === 'traceDuration' || field.name === 'rootServiceName' || field.name === 'rootName')
  ) {
    const c = comparisonSql(e, sets);
    if (c.exact) out.push(c.sql);
  }
  return out;
}

/**
 * Whether the trace conditions alone decide the filter: an && of trace-level intrinsics and at most
 * one `resource.service.name = "x"`, which traces.services (every span's service) already answers.
 * Then no span is probed to choose traces; the commonest Grafana search reads the summaries only.
 */
function decidedByTrace(e: Expr | null, services = { n: 0 }): boolean {
  if (e === null) return true;
  if (e.type !== 'compare')
    return e.type === 'and' && decidedByTrace(e.left, services) && decidedByTrace(e.right, services);
  const f = e.field;
  if (f.type === 'intrinsic')
    return f.name === 'traceDuration' || ((f.name === 'rootServiceName' || f.name === 'rootName') && e.op === '=');
  return (
    f.scope === 'resource' &&
    f.name === 'service.name' &&
    e.op === '=' &&
    e.value.type === 'string' &&
    ++services.n === 1
  );
}

/** Vocabularies larger than this stay in the paged JavaScript path. */
const MAX_REGEX_VOCABULARY = 20_000;

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
const uuidArray = (ids: TraceId[]) => `{${ids.join(',')}}`;

/** Spans read for tag values: a sample, newest first, so autocomplete stays fast on a big store. */
const TAG_VALUE_SPAN_SAMPLE = 5_000;
const TAG_NAME_SPAN_SAMPLE = 10_000;
const MAX_TAGS = 1_000;

export const INTRINSIC_TAGS = ['duration', 'kind', 'name', 'rootName', 'rootServiceName', 'status', 'traceDuration'];

export class TraceQLQueries {
  constructor(private readonly database: Database) {}

  /**
   * Traces with at least one span matching the filter, newest first (start time, then trace ID, so
   * results are the same from run to run). Exact conditions run in SQL with the limit pushed down;
   * otherwise candidates are read page by page and matchesSpan decides until `limit` traces match.
   */
  async search(q: TraceQLSearch): Promise<TraceQLMatch[]> {
    const sets = await this.regexSets(q.query);
    const cond = traceqlCondition(q.query, sets);
    const traceLevel = traceConditions(q.query.filter, sets);
    const out: TraceQLMatch[] = [];
    // Inexact: start at the limit (SQL may have narrowed well) and read larger pages while too few match.
    let pageSize = q.limit;
    let after: { start: string; id: string } | null = null;
    for (;;) {
      const where: SQL[] = [];
      if (q.startNs !== undefined) where.push(sql`t.start_ns >= ${q.startNs.toString()}::bigint`);
      if (q.endNs !== undefined) where.push(sql`t.start_ns <= ${q.endNs.toString()}::bigint`);
      if (after) where.push(sql`(t.start_ns, t.trace_id) < (${after.start}::bigint, ${after.id}::uuid)`);
      where.push(...traceLevel);
      if (!(cond.exact && decidedByTrace(q.query.filter)))
        where.push(sql`EXISTS (SELECT 1 FROM spans s LEFT JOIN resources r ON r.id = s.resource_id
          WHERE s.trace_id = t.trace_id AND s.start_ns >= t.start_ns AND s.start_ns <= t.end_ns AND ${cond.sql})`);
      const traces = await this.database.query(sql`
        SELECT t.trace_id, t.start_ns, t.end_ns, t.root_service, t.root_name, t.span_count, t.error_count, t.services
        FROM traces t
        ${where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``}
        ORDER BY t.start_ns DESC, t.trace_id DESC
        LIMIT ${pageSize}`);
      if (traces.length === 0) break;
      const summaries = traces.map(summaryFromRow);
      const spans = await this.matchingSpans(summaries, q, cond);
      for (const s of summaries) {
        const m = spans.get(s.traceId);
        if (m && m.matched > 0) out.push({ summary: s, ...m });
        if (out.length >= q.limit) return out;
      }
      if (traces.length < pageSize) break;
      const last = traces[traces.length - 1]!;
      after = { start: String(last.start_ns), id: String(last.trace_id) };
      pageSize = Math.min(pageSize * 4, 2000);
    }
    return out;
  }

  /**
   * Regexes on fields whose every value is listed in a small table (span names in span_operations,
   * services and resource attributes in resources) are decided here, in RE2, on that vocabulary. A
   * vocabulary that is a superset of the stored values is enough: a value nobody has matches no row.
   */
  async regexSets(query: TraceQLQuery): Promise<RegexSets> {
    const out: RegexSets = new Map();
    for (const c of comparisons(query.filter)) {
      if ((c.op !== '=~' && c.op !== '!~') || c.value.type !== 'string') continue;
      const f = c.field;
      let vocab: SQL | null = null;
      if (f.type === 'intrinsic' && f.name === 'name') vocab = sql`SELECT DISTINCT name AS v FROM span_operations`;
      else if (f.type === 'intrinsic' && f.name === 'rootServiceName')
        vocab = sql`SELECT DISTINCT service_name AS v FROM resources`;
      else if (f.type === 'attribute' && f.scope === 'resource')
        vocab = sql`SELECT DISTINCT r.attributes ->> ${f.name}::text AS v FROM resources r
          WHERE jsonb_typeof(r.attributes -> ${f.name}::text) = 'string'
          ${f.name === 'service.name' ? sql`UNION SELECT service_name FROM resources` : sql``}`;
      if (!vocab) continue;
      const rows = await this.database.query<{ v: string }>(sql`${vocab} LIMIT ${MAX_REGEX_VOCABULARY + 1}`);
      if (rows.length > MAX_REGEX_VOCABULARY) continue;
      const re = compileRegex(c.value.value);
      out.set(
        c,
        rows.map((r) => r.v).filter((v) => re.matches(v)),
      );
    }
    return out;
  }

  private async matchingSpans(
    summaries: TraceSummary[],
    q: TraceQLSearch,
    cond: Condition,
  ): Promise<Map<TraceId, { spans: MatchedSpan[]; matched: number }>> {
    const ids = uuidArray(summaries.map((s) => s.traceId));
    // Exact: SQL counts the matches and returns only the first spss of each trace. Otherwise every
    // candidate comes back for matchesSpan.
    const rows = await this.database.query(sql`
      SELECT * FROM (
        SELECT s.trace_id, s.span_id, s.name, s.service_name, s.kind, s.status_code, s.start_ns, s.duration_ns,
          s.attributes, r.attributes AS resource_attributes,
          t.root_service, t.root_name, t.end_ns - t.start_ns AS trace_duration_ns,
          row_number() OVER (PARTITION BY s.trace_id ORDER BY s.start_ns, s.span_id) AS rn,
          count(*) OVER (PARTITION BY s.trace_id) AS matched
        FROM traces t
        JOIN spans s ON s.trace_id = t.trace_id AND s.start_ns >= t.start_ns AND s.start_ns <= t.end_ns
        LEFT JOIN resources r ON r.id = s.resource_id
        WHERE t.trace_id = ANY(${ids}::uuid[]) AND ${cond.sql}) x
      ${cond.exact ? sql`WHERE rn <= ${q.spansPerSet}` : sql``}
      ORDER BY trace_id, rn`);
    const out = new Map<TraceId, { spans: MatchedSpan[]; matched: number }>();
    for (const r of rows) {
      const traceId = traceIdFromDb(r.trace_id);
      let entry = out.get(traceId);
      if (!entry) out.set(traceId, (entry = { spans: [], matched: cond.exact ? Number(r.matched) : 0 }));
      const span: MatchedSpan = {
        spanId: spanIdFromDb(r.span_id),
        name: r.name as string,
        service: r.service_name as string,
        kind: Number(r.kind),
        statusCode: Number(r.status_code),
        startTimeUnixNano: BigInt(r.start_ns as string) as UnixNano,
        durationNano: BigInt(r.duration_ns as string),
        attributes: json<Attributes>(r.attributes),
        resourceAttributes: r.resource_attributes == null ? {} : json<Attributes>(r.resource_attributes),
      };
      if (!cond.exact) {
        const ok = matchesSpan(q.query, {
          ...span,
          serviceName: span.service,
          rootServiceName: (r.root_service as string | null) ?? null,
          rootName: (r.root_name as string | null) ?? null,
          traceDurationNano: BigInt(r.trace_duration_ns as string),
        });
        if (!ok) continue;
        entry.matched++;
        if (entry.spans.length >= q.spansPerSet) continue;
      }
      entry.spans.push(span);
    }
    return out;
  }

  /** Attribute names by scope: resources' from the resources table, spans' from a sample of recent spans. */
  async tagNames(range: { startNs?: UnixNano; endNs?: UnixNano }): Promise<{ span: string[]; resource: string[] }> {
    const resource = await this.database.query<{ k: string }>(sql`
      SELECT DISTINCT k FROM resources r, jsonb_object_keys(r.attributes) k ORDER BY k LIMIT ${MAX_TAGS}`);
    const span = await this.database.query<{ k: string }>(sql`
      SELECT DISTINCT k FROM (
        SELECT s.attributes FROM spans s WHERE ${rangeSql(range)} ORDER BY s.start_ns DESC LIMIT ${TAG_NAME_SPAN_SAMPLE}
      ) s, jsonb_object_keys(s.attributes) k ORDER BY k LIMIT ${MAX_TAGS}`);
    return { span: span.map((r) => r.k), resource: resource.map((r) => r.k) };
  }

  /**
   * Distinct values of one attribute, or of the intrinsics that have a vocabulary, optionally among
   * spans matching `filter` (Grafana sends the query built so far, to narrow the next drop-down).
   */
  async tagValues(
    scope: AttributeScope,
    name: string,
    filter: TraceQLQuery | null,
    range: { startNs?: UnixNano; endNs?: UnixNano },
  ): Promise<AttrValue[]> {
    const noFilter = filter === null || filter.filter === null;
    if (noFilter && scope === 'resource') {
      const rows = await this.database.query(
        name === 'service.name'
          ? sql`SELECT DISTINCT to_jsonb(service_name)::text AS v FROM resources ORDER BY v LIMIT ${MAX_TAGS}`
          : sql`SELECT DISTINCT (r.attributes -> ${name}::text)::text AS v FROM resources r
              WHERE r.attributes -> ${name}::text IS NOT NULL ORDER BY v LIMIT ${MAX_TAGS}`,
      );
      // As text: a driver hands a jsonb string back already parsed, indistinguishable from JSON text.
      return rows.map((r) => JSON.parse(r.v as string) as AttrValue);
    }
    const query = filter ?? { filter: null };
    const cond = traceqlCondition(query, await this.regexSets(query));
    const rows = await this.database.query(sql`
      SELECT s.name, s.service_name, s.kind, s.status_code, s.duration_ns, s.attributes,
        r.attributes AS resource_attributes, t.root_service, t.root_name, t.end_ns - t.start_ns AS trace_duration_ns
      FROM spans s
      JOIN traces t ON t.trace_id = s.trace_id
      LEFT JOIN resources r ON r.id = s.resource_id
      WHERE ${rangeSql(range)} AND ${cond.sql}
      ORDER BY s.start_ns DESC
      LIMIT ${TAG_VALUE_SPAN_SAMPLE}`);
    const seen = new Map<string, AttrValue>();
    for (const r of rows) {
      const view = {
        name: r.name as string,
        serviceName: r.service_name as string,
        kind: Number(r.kind),
        statusCode: Number(r.status_code),
        durationNano: BigInt(r.duration_ns as string),
        attributes: json<Attributes>(r.attributes),
        resourceAttributes: r.resource_attributes == null ? {} : json<Attributes>(r.resource_attributes),
        rootServiceName: (r.root_service as string | null) ?? null,
        rootName: (r.root_name as string | null) ?? null,
        traceDurationNano: BigInt(r.trace_duration_ns as string),
      };
      if (!cond.exact && !matchesSpan(query, view)) continue;
      const v = attributeValue(scope, name, view);
      if (v === undefined || v === null || typeof v === 'object') continue;
      seen.set(`${typeof v}:${String(v)}`, v);
      if (seen.size >= MAX_TAGS) break;
    }
    return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  }

  /** Distinct span names, or root service / root span names of traces, for the intrinsics' drop-downs. */
  async intrinsicValues(
    name: 'name' | 'rootServiceName' | 'rootName',
    range: { startNs?: UnixNano; endNs?: UnixNano },
  ): Promise<string[]> {
    const rows =
      name === 'name'
        ? await this.database.query<{ v: string }>(
            sql`SELECT DISTINCT name AS v FROM span_operations ORDER BY v LIMIT ${MAX_TAGS}`,
          )
        : await this.database.query<{ v: string }>(sql`
            SELECT DISTINCT ${name === 'rootName' ? sql`root_name` : sql`root_service`} AS v FROM traces t
            WHERE ${rangeSql(range, sql`t`)} AND ${name === 'rootName' ? sql`root_name` : sql`root_service`} IS NOT NULL
            ORDER BY v LIMIT ${MAX_TAGS}`);
    return rows.map((r) => r.v);
  }
}

function rangeSql(range: { startNs?: UnixNano; endNs?: UnixNano }, alias: SQL = sql`s`): SQL {
  const parts: SQL[] = [sql`TRUE`];
  if (range.startNs !== undefined) parts.push(sql`${alias}.start_ns >= ${range.startNs.toString()}::bigint`);
  if (range.endNs !== undefined) parts.push(sql`${alias}.start_ns <= ${range.endNs.toString()}::bigint`);
  return sql.join(parts, sql` AND `);
}
