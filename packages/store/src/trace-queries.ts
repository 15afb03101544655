// Reads for the trace API. Search runs on the per-trace summary, so duration filters apply to the
// whole trace (not to any one span) and results are ordered deterministically.
import { sql, type SQL } from 'drizzle-orm';
import { unixNano, type Attributes, type AttrValue, type SpanId, type TraceId, type UnixNano } from '@pivot/model';
import type { Database } from './database.ts';
import { spanIdFromDb, traceIdFromDb } from './encode.ts';

export interface StoredSpan {
  traceId: TraceId;
  spanId: SpanId;
  parentSpanId: SpanId | null;
  name: string;
  service: string;
  kind: number;
  startTimeUnixNano: UnixNano;
  durationNano: bigint;
  status: { code: number; message: string };
  traceState: string;
  flags: number;
  attributes: Attributes;
  events: { timeUnixNano: string; name: string; attributes: Attributes; droppedAttributesCount: number }[];
  links: {
    traceId: TraceId;
    spanId: SpanId;
    traceState: string;
    attributes: Attributes;
    droppedAttributesCount: number;
    flags: number;
  }[];
  droppedAttributesCount: number;
  droppedEventsCount: number;
  droppedLinksCount: number;
  resource: { attributes: Attributes; droppedAttributesCount: number };
  scope: { name: string; version: string; attributes: Attributes };
}

export interface TraceSummary {
  traceId: TraceId;
  rootService: string | null;
  rootName: string | null;
  startTimeUnixNano: UnixNano;
  endTimeUnixNano: UnixNano;
  durationNano: bigint;
  spanCount: number;
  errorCount: number;
  services: string[];
}

export interface TraceSearch {
  service?: string | undefined;
  operation?: string | undefined;
  attributes?: [string, string][] | undefined;
  minDurationNs?: bigint | undefined;
  maxDurationNs?: bigint | undefined;
  errorsOnly?: boolean | undefined;
  /** Only traces without an error span (a facet's exclusion of errors). */
  okOnly?: boolean | undefined;
  /** Traces none of whose spans come from these services. */
  excludeServices?: string[] | undefined;
  /** Traces none of whose spans carry one of these key=value pairs. */
  excludeAttributes?: [string, string][] | undefined;
  startNs?: UnixNano | undefined;
  endNs?: UnixNano | undefined;
  limit: number;
}

// Drivers differ: node-postgres returns int8 as string and jsonb parsed; PGlite may return bigint.
const big = (v: unknown): bigint => BigInt(v as string);
const nano = (v: unknown): UnixNano => unixNano(big(v));
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

export function summaryFromRow(r: Record<string, unknown>): TraceSummary {
  const start = nano(r.start_ns);
  const end = nano(r.end_ns);
  return {
    traceId: traceIdFromDb(r.trace_id),
    rootService: (r.root_service as string | null) ?? null,
    rootName: (r.root_name as string | null) ?? null,
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    durationNano: end - start,
    spanCount: Number(r.span_count),
    errorCount: Number(r.error_count),
    services: json<string[]>(r.services),
  };
}

/** An attribute filter value typed as the user probably meant: `500` matches 500 and "500". */
function attrAlternatives(key: string, value: string): string {
  const alts: AttrValue[] = [value];
  if (value !== '' && Number.isFinite(Number(value))) alts.push(Number(value));
  if (value === 'true' || value === 'false') alts.push(value === 'true');
  return JSON.stringify(alts.map((v) => ({ [key]: v })));
}

/** The WHERE conditions of a trace search, on `traces t`: shared by search and facets. */
export function traceSearchConditions(q: Omit<TraceSearch, 'limit'>): SQL[] {
  const where: SQL[] = [];
  if (q.startNs !== undefined) where.push(sql`t.start_ns >= ${q.startNs.toString()}::bigint`);
  if (q.endNs !== undefined) where.push(sql`t.start_ns <= ${q.endNs.toString()}::bigint`);
  if (q.service) where.push(sql`t.services @> ARRAY[${q.service}]::text[]`);
  if (q.minDurationNs !== undefined) where.push(sql`(t.end_ns - t.start_ns) >= ${q.minDurationNs.toString()}::bigint`);
  if (q.maxDurationNs !== undefined) where.push(sql`(t.end_ns - t.start_ns) <= ${q.maxDurationNs.toString()}::bigint`);
  if (q.errorsOnly) where.push(sql`t.error_count > 0`);
  if (q.okOnly) where.push(sql`t.error_count = 0`);
  for (const svc of q.excludeServices ?? []) where.push(sql`NOT (t.services @> ARRAY[${svc}]::text[])`);
  // Operation and attribute filters need one span of the trace that has them all, as in Jaeger.
  const spanConds: SQL[] = [];
  if (q.operation) spanConds.push(sql`s.name = ${q.operation}`);
  if (q.operation && q.service) spanConds.push(sql`s.service_name = ${q.service}`);
  for (const [k, v] of q.attributes ?? [])
    spanConds.push(sql`s.attributes @> ANY (ARRAY(SELECT jsonb_array_elements(${attrAlternatives(k, v)}::jsonb)))`);
  if (spanConds.length)
    where.push(sql`EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = t.trace_id
      AND s.start_ns >= t.start_ns AND s.start_ns <= t.end_ns AND ${sql.join(spanConds, sql` AND `)})`);
  for (const [k, v] of q.excludeAttributes ?? [])
    where.push(sql`NOT EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = t.trace_id
      AND s.start_ns >= t.start_ns AND s.start_ns <= t.end_ns
      AND s.attributes @> ANY (ARRAY(SELECT jsonb_array_elements(${attrAlternatives(k, v)}::jsonb))))`);
  return where;
}

/**
 * The spans of the trace summary `t` in a LATERAL subquery, fenced by OFFSET 0 so that the planner cannot
 * pull it up into a plain join. Pulled up, the trace ID compared with a constant is all the spans scan
 * gets, the summary's time bounds stay a join filter above the Append, and every day partition is read:
 * on a cold (columnar) day that is each stripe's chunk metadata and one decompressed chunk group, paid
 * for every day kept. Fenced, the bounds are parameters of the scan, and run-time pruning skips the days
 * outside them (EXPLAIN: "never executed"). The trace ID stays a constant inside too, which is what lets
 * Citus route the statement to one shard.
 */
function spansOfSummary(traceId: TraceId): SQL {
  return sql`LATERAL (SELECT * FROM spans s WHERE s.trace_id = ${traceId}::uuid AND s.trace_id = t.trace_id
      AND s.start_ns >= t.start_ns AND s.start_ns <= t.end_ns OFFSET 0)`;
}

/**
 * One trace with its summary, resources and scopes: the statement of TraceQueries.getTrace. On Citus
 * (spans and traces co-located by trace ID) it is a single-shard router query (citus.test.ts checks
 * its EXPLAIN: one task).
 */
export function traceLookupSql(traceId: TraceId): SQL {
  return sql`
    SELECT t.trace_id AS t_trace_id, t.start_ns AS t_start_ns, t.end_ns AS t_end_ns, t.root_service, t.root_name,
      t.span_count, t.error_count, t.services,
      s.trace_id, s.span_id, s.parent_span_id, s.name, s.service_name, s.kind, s.start_ns, s.duration_ns,
      s.status_code, s.status_message, s.trace_state, s.flags, s.attributes, s.events, s.links,
      s.dropped_attributes_count, s.dropped_events_count, s.dropped_links_count,
      r.attributes AS resource_attributes, r.dropped_attributes_count AS resource_dropped,
      sc.name AS scope_name, sc.version AS scope_version, sc.attributes AS scope_attributes
    FROM traces t
    CROSS JOIN ${spansOfSummary(traceId)} s
    LEFT JOIN resources r ON r.id = s.resource_id
    LEFT JOIN scopes sc ON sc.id = s.scope_id
    WHERE t.trace_id = ${traceId}::uuid
    ORDER BY s.start_ns, s.span_id`;
}

export class TraceQueries {
  constructor(private readonly database: Database) {}

  async summary(traceId: TraceId): Promise<TraceSummary | null> {
    const rows = await this.database.query(sql`
      SELECT trace_id, start_ns, end_ns, root_service, root_name, span_count, error_count, services
      FROM traces WHERE trace_id = ${traceId}::uuid`);
    return rows[0] ? summaryFromRow(rows[0]) : null;
  }

  /** All spans of a trace, by start time; null when the trace is unknown. */
  async getTrace(traceId: TraceId): Promise<{ summary: TraceSummary; spans: StoredSpan[] } | null> {
    // One round trip: the summary row bounds start_ns, which lets PostgreSQL prune to the partitions
    // the trace lives in (run-time pruning, spansOfSummary).
    const rows = await this.database.query(traceLookupSql(traceId));
    if (rows.length === 0) return null;
    const first = rows[0]!;
    const summary = summaryFromRow({
      ...first,
      trace_id: first.t_trace_id,
      start_ns: first.t_start_ns,
      end_ns: first.t_end_ns,
    });
    const spans = rows.map((r): StoredSpan => ({
      traceId: traceIdFromDb(r.trace_id),
      spanId: spanIdFromDb(r.span_id),
      parentSpanId: r.parent_span_id == null ? null : spanIdFromDb(r.parent_span_id),
      name: r.name as string,
      service: r.service_name as string,
      kind: Number(r.kind),
      startTimeUnixNano: nano(r.start_ns),
      durationNano: big(r.duration_ns),
      status: { code: Number(r.status_code), message: r.status_message as string },
      traceState: r.trace_state as string,
      flags: Number(r.flags) >>> 0,
      attributes: json<Attributes>(r.attributes),
      events: r.events == null ? [] : json(r.events),
      links: r.links == null ? [] : json(r.links),
      droppedAttributesCount: Number(r.dropped_attributes_count),
      droppedEventsCount: Number(r.dropped_events_count),
      droppedLinksCount: Number(r.dropped_links_count),
      resource: {
        attributes: r.resource_attributes == null ? {} : json<Attributes>(r.resource_attributes),
        droppedAttributesCount: Number(r.resource_dropped ?? 0),
      },
      scope: {
        name: (r.scope_name as string | null) ?? '',
        version: (r.scope_version as string | null) ?? '',
        attributes: r.scope_attributes == null ? {} : json<Attributes>(r.scope_attributes),
      },
    }));
    return { summary, spans };
  }

  /**
   * One trace in columns, as JSON text built by the database in one statement: per span field one
   * array (spans by start time; start as an offset from the trace start, in ns), resources and scopes
   * once each, referenced by index. It never becomes one JS object per span on the server, which is
   * where the row-by-row read of a 10,000-span trace spends its time (on PGlite most of all).
   * Null when the trace or its spans are unknown.
   */
  async getTraceColumns(
    traceId: TraceId,
  ): Promise<{ summary: TraceSummary; spans: string; resources: string; scopes: string } | null> {
    const rows = await this.database.query(sql`
      WITH t AS (SELECT * FROM traces WHERE trace_id = ${traceId}::uuid),
      s AS MATERIALIZED (
        SELECT s.*, s.start_ns - t.start_ns AS offset_ns,
          dense_rank() OVER (ORDER BY s.resource_id) - 1 AS resource_idx,
          dense_rank() OVER (ORDER BY s.scope_id) - 1 AS scope_idx
        FROM t CROSS JOIN ${spansOfSummary(traceId)} s
        ORDER BY s.start_ns, s.span_id)
      SELECT t.trace_id, t.start_ns, t.end_ns, t.root_service, t.root_name, t.span_count, t.error_count, t.services,
        (SELECT count(*) FROM s) AS n,
        (SELECT json_build_object(
          'spanId', json_agg(lpad(to_hex(span_id), 16, '0')),
          'parentSpanId', json_agg(lpad(to_hex(parent_span_id), 16, '0')),
          'name', json_agg(name),
          'service', json_agg(service_name),
          'kind', json_agg((ARRAY['UNSPECIFIED','INTERNAL','SERVER','CLIENT','PRODUCER','CONSUMER'])[kind + 1]),
          'startOffsetNano', json_agg(offset_ns),
          'durationNano', json_agg(duration_ns),
          'statusCode', json_agg((ARRAY['UNSET','OK','ERROR'])[status_code + 1]),
          'statusMessage', json_agg(status_message),
          'traceState', json_agg(trace_state),
          'flags', json_agg(flags::bigint & 4294967295),
          'attributes', json_agg(attributes),
          'events', json_agg(events),
          'links', json_agg(links),
          'droppedAttributesCount', json_agg(dropped_attributes_count),
          'droppedEventsCount', json_agg(dropped_events_count),
          'droppedLinksCount', json_agg(dropped_links_count),
          'resource', json_agg(resource_idx),
          'scope', json_agg(scope_idx))::text FROM s) AS spans,
        (SELECT json_agg(json_build_object('attributes', r.attributes, 'droppedAttributesCount', r.dropped_attributes_count)
           ORDER BY r.id)::text
         FROM resources r WHERE r.id IN (SELECT resource_id FROM s)) AS resources,
        (SELECT json_agg(json_build_object('name', sc.name, 'version', sc.version, 'attributes', sc.attributes)
           ORDER BY sc.id)::text
         FROM scopes sc WHERE sc.id IN (SELECT scope_id FROM s)) AS scopes
      FROM t`);
    const r = rows[0];
    if (!r || !(Number(r.n) > 0)) return null;
    return {
      summary: summaryFromRow(r),
      spans: r.spans as string,
      resources: (r.resources as string | null) ?? '[]',
      scopes: (r.scopes as string | null) ?? '[]',
    };
  }

  async search(q: TraceSearch): Promise<TraceSummary[]> {
    const where = traceSearchConditions(q);
    const rows = await this.database.query(sql`
      SELECT t.trace_id, t.start_ns, t.end_ns, t.root_service, t.root_name, t.span_count, t.error_count, t.services
      FROM traces t
      ${where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``}
      ORDER BY t.start_ns DESC, t.trace_id DESC
      LIMIT ${q.limit}`);
    return rows.map(summaryFromRow);
  }

  async services(): Promise<string[]> {
    const rows = await this.database.query<{ service_name: string }>(
      sql`SELECT DISTINCT service_name FROM span_operations ORDER BY service_name`,
    );
    return rows.map((r) => r.service_name);
  }

  async operations(service: string): Promise<{ name: string; kind: number }[]> {
    const rows = await this.database.query(
      sql`SELECT name, kind FROM span_operations WHERE service_name = ${service} ORDER BY name, kind`,
    );
    return rows.map((r) => ({ name: r.name as string, kind: Number(r.kind) }));
  }
}
