// Cohort comparison across signals: which span, resource and log values, and which operation's
// critical-path time, separate a cohort of traces (slow ones, say) from a baseline. Each side is a
// bounded, deterministic sample of traces (by hash of trace ID, so the answer is the same run to run);
// the counting runs in PostgreSQL as aggregates over that sample, the scoring in investigate.ts.
import { sql, type SQL } from 'drizzle-orm';
import type { UnixNano } from '@pivot/model';
import type { Database } from './database.ts';
import { traceSearchConditions } from './trace-queries.ts';
import {
  LOG_HEX_REGEX,
  LOG_ID_REGEX,
  LOG_NUMBER_REGEX,
  LOG_PATTERN_CHARS,
  MIN_SUPPORT_TRACES,
  criticalSelfTime,
  rankDimensions,
  type CountedDimension,
  type Dimension,
  type PathSpan,
} from './investigate.ts';

/** A set of traces: those where `service` (with `operation`, a span of that name) has a span. */
export interface CohortFilter {
  service: string;
  operation?: string | undefined;
  /** On the whole trace's duration, as the trace search applies them. */
  minDurationNs?: bigint | undefined;
  maxDurationNs?: bigint | undefined;
  /** `error`: traces with an error span; `ok`: traces without one. */
  status?: 'error' | 'ok' | undefined;
  /** The window the traces start in (inclusive). */
  startNs: UnixNano;
  endNs: UnixNano;
}

export interface InvestigateRequest {
  cohort: CohortFilter;
  /** Absent: the other traces of the cohort's service (and operation) in the same window. */
  baseline?: CohortFilter | undefined;
}

export interface InvestigateResult {
  dimensions: Dimension[];
  sample: { cohort: number; baseline: number };
  /** Traces that matched each side before sampling. */
  matched: { cohort: number; baseline: number };
}

/** Traces compared per side at most: the rest of a side is left out, by hash of trace ID. */
export const INVESTIGATE_SAMPLE = 2000;
/** Logs are looked for this long before and after their trace (a consumer may log after the trace's last span). */
const LOG_SLACK_NS = 60_000_000_000n;
/** Attribute values longer than this are compared on their start. */
const VALUE_CHARS = 200;

const COHORT = 0;
const BASELINE = 1;

const str = (v: bigint | number) => v.toString();

/** The trace search's conditions on `t` (traces) that scope a side: service, operation, window. */
const baseConditions = (f: CohortFilter): SQL[] =>
  traceSearchConditions({ service: f.service, operation: f.operation, startNs: f.startNs, endNs: f.endNs });

/** …and those that select the cohort within that scope: the whole trace's duration and status. */
const selectConditions = (f: CohortFilter): SQL[] =>
  traceSearchConditions({
    minDurationNs: f.minDurationNs,
    maxDurationNs: f.maxDurationNs,
    errorsOnly: f.status === 'error',
    okOnly: f.status === 'ok',
  });

const and = (conds: SQL[]) => (conds.length ? sql.join(conds, sql` AND `) : sql`true`);

interface SampledTrace {
  traceId: string;
  startNs: string;
  endNs: string;
  side: number;
}

const num = (v: unknown) => Number(v);

export class InvestigateQueries {
  constructor(
    private readonly database: Database,
    private readonly sampleSize = INVESTIGATE_SAMPLE,
  ) {}

  async compare(req: InvestigateRequest, opts: { limit?: number } = {}): Promise<InvestigateResult> {
    const { cohort } = req;
    const cohortWhere = and([...baseConditions(cohort), ...selectConditions(cohort)]);
    // The default baseline: the same service, operation and window, minus what selects the cohort.
    const baselineWhere = req.baseline
      ? and([...baseConditions(req.baseline), ...selectConditions(req.baseline)])
      : and([...baseConditions(cohort), sql`NOT (${and(selectConditions(cohort))})`]);
    const sample = await this.sample(cohortWhere, baselineWhere);
    const n = { cohort: 0, baseline: 0 };
    for (const t of sample.traces) n[t.side === COHORT ? 'cohort' : 'baseline']++;
    if (sample.traces.length === 0) return { dimensions: [], sample: n, matched: sample.matched };
    const anchor = { service: cohort.service, operation: cohort.operation };
    // Two statements, run side by side on a pool (PGlite takes them in turn).
    const [spans, logDims] = await Promise.all([
      this.spanDimensions(sample.traces, anchor),
      this.logDimensions(sample.traces),
    ]);
    const pathDims = pathDimensions(spans.pathSpans, sample.traces, n);
    return {
      dimensions: rankDimensions([...spans.counted, ...logDims, ...pathDims], n, opts.limit),
      sample: n,
      matched: sample.matched,
    };
  }

  /** Up to sampleSize traces per side, the same ones every time: the lowest md5 of the trace ID. */
  private async sample(
    cohortWhere: SQL,
    baselineWhere: SQL,
  ): Promise<{ traces: SampledTrace[]; matched: { cohort: number; baseline: number } }> {
    const rows = await this.database.query(sql`
      WITH c AS (SELECT t.trace_id, t.start_ns, t.end_ns, count(*) OVER () AS matched FROM traces t
          WHERE ${cohortWhere} ORDER BY md5(t.trace_id::text), t.trace_id LIMIT ${this.sampleSize}),
        b AS (SELECT t.trace_id, t.start_ns, t.end_ns, count(*) OVER () AS matched FROM traces t
          WHERE ${baselineWhere} ORDER BY md5(t.trace_id::text), t.trace_id LIMIT ${this.sampleSize})
      SELECT ${COHORT} AS side, trace_id::text AS trace_id, start_ns, end_ns, matched FROM c
      UNION ALL
      SELECT ${BASELINE}, trace_id::text, start_ns, end_ns, matched FROM b`);
    const matched = { cohort: 0, baseline: 0 };
    const traces = rows.map((r): SampledTrace => {
      const side = num(r.side);
      matched[side === COHORT ? 'cohort' : 'baseline'] = num(r.matched);
      return { traceId: r.trace_id as string, startNs: String(r.start_ns), endNs: String(r.end_ns), side };
    });
    return { traces, matched };
  }

  /** The sample as a relation `x(trace_id, start_ns, end_ns, side)`; a trace on both sides appears twice. */
  private sampleRelation(traces: SampledTrace[]): SQL {
    return sql`unnest(${sql.param(traces.map((t) => t.traceId))}::uuid[],
      ${sql.param(traces.map((t) => t.startNs))}::bigint[], ${sql.param(traces.map((t) => t.endNs))}::bigint[],
      ${sql.param(traces.map((t) => t.side))}::int[]) AS x(trace_id, start_ns, end_ns, side)`;
  }

  /**
   * The spans in scope (the anchor service's spans, of the operation if one is named, and all their
   * descendants), as `ss`: a recursive walk down parent links inside the sampled traces.
   */
  private scopedSpans(traces: SampledTrace[], anchor: { service: string; operation?: string | undefined }): SQL {
    return sql`x AS (SELECT * FROM ${this.sampleRelation(traces)}),
      s AS MATERIALIZED (SELECT * FROM inv_s),
      scope(trace_id, span_id) AS (
        SELECT trace_id, span_id FROM s
        WHERE service_name = ${anchor.service} ${anchor.operation ? sql`AND name = ${anchor.operation}` : sql``}
        UNION
        SELECT c.trace_id, c.span_id FROM s c JOIN scope p ON c.trace_id = p.trace_id AND c.parent_span_id = p.span_id),
      ss AS MATERIALIZED (SELECT s.* FROM s JOIN scope USING (trace_id, span_id))`;
  }

  /**
   * Per (source, key, value): the sampled traces with it on each side, and an order-free fingerprint
   * of which traces those are (sums of a hash of the trace ID), so that rows present in exactly the
   * same traces can be folded.
   */
  private counted(d: SQL): SQL {
    return sql`SELECT d.src, d.key, d.value, d.attr,
        count(*) FILTER (WHERE x.side = ${COHORT}) AS c, count(*) FILTER (WHERE x.side = ${BASELINE}) AS b,
        coalesce(sum(hashtext(d.trace_id::text)::bigint) FILTER (WHERE x.side = ${COHORT}), 0)::text || ':' ||
          coalesce(sum(hashtext(d.trace_id::text)::bigint) FILTER (WHERE x.side = ${BASELINE}), 0)::text AS fp
      FROM (SELECT DISTINCT trace_id, src, key, value, attr FROM (${d}) u) d
      JOIN x ON x.trace_id = d.trace_id
      GROUP BY d.src, d.key, d.value, d.attr
      HAVING count(*) >= ${MIN_SUPPORT_TRACES}`;
  }

  /**
   * The span and resource dimensions, and in the same statement (the scoped spans are walked once)
   * the scoped spans' times as one JSON text for the critical-path walk: per span [trace, span,
   * parent, service, name, start and end as ns from the trace's first scoped span, is an anchor].
   */
  private async spanDimensions(
    traces: SampledTrace[],
    anchor: { service: string; operation?: string | undefined },
  ): Promise<{ counted: CountedDimension[]; pathSpans: PathRow[] }> {
    // The sampled traces' spans are read into a temporary table first and walked there: Citus plans a
    // recursive CTE over a distributed table only when it filters on one shard's key, and these traces
    // lie on every shard. On one PostgreSQL it is the same read, materialized either way.
    const rows = await this.database.transaction(async (query) => {
      await query(sql`
      CREATE TEMP TABLE inv_s ON COMMIT DROP AS
        SELECT s.trace_id, s.span_id, s.parent_span_id, s.start_ns, s.duration_ns, s.service_name, s.name,
          s.status_code, s.attributes, s.events, s.resource_id
        FROM (SELECT DISTINCT trace_id, start_ns, end_ns FROM ${this.sampleRelation(traces)}) t
        JOIN spans s ON s.trace_id = t.trace_id AND s.start_ns >= t.start_ns AND s.start_ns <= t.end_ns`);
      return query(sql`
      WITH RECURSIVE ${this.scopedSpans(traces, anchor)},
      res AS (SELECT DISTINCT trace_id, resource_id FROM ss),
      path AS (
        SELECT json_agg(json_build_array(trace_id::text, span_id::text, parent_span_id::text, service_name, name,
          off, off + duration_ns,
          service_name = ${anchor.service} ${anchor.operation ? sql`AND name = ${anchor.operation}` : sql``}))::text AS j
        FROM (SELECT ss.*, ss.start_ns - min(ss.start_ns) OVER (PARTITION BY ss.trace_id) AS off FROM ss) o),
      dims AS (${this.counted(sql`
        SELECT trace_id, 'span' AS src, 'name' AS key, name AS value, false AS attr FROM ss
        UNION ALL SELECT trace_id, 'span', 'status', (ARRAY['UNSET','OK','ERROR'])[status_code + 1], false FROM ss
        UNION ALL SELECT ss.trace_id, 'span', 'event', e->>'name', false
          FROM ss, jsonb_array_elements(ss.events) e WHERE ss.events IS NOT NULL
        UNION ALL SELECT ss.trace_id, 'span', a.key, left(a.value, ${VALUE_CHARS}), true
          FROM ss, jsonb_each_text(ss.attributes) a
        UNION ALL SELECT res.trace_id, 'resource', a.key, left(a.value, ${VALUE_CHARS}), true
          FROM res JOIN resources r ON r.id = res.resource_id, jsonb_each_text(r.attributes) a`)})
      SELECT src, key, value, attr, c, b, fp, NULL::text AS path FROM dims
      UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, j FROM path`);
    });
    const pathRow = rows.find((r) => r.src == null);
    return {
      counted: rows.filter((r) => r.src != null).map(countedFromRow),
      pathSpans: pathRow?.path ? (JSON.parse(pathRow.path as string) as PathRow[]) : [],
    };
  }

  private async logDimensions(traces: SampledTrace[]): Promise<CountedDimension[]> {
    const rows = await this.database.query(sql`
      WITH x AS (SELECT * FROM ${this.sampleRelation(traces)}),
      l AS MATERIALIZED (
        SELECT l.trace_id, l.severity_number, l.severity_text, l.service_name, l.body, l.attributes
        FROM (SELECT DISTINCT trace_id, start_ns, end_ns FROM x) t
        -- IS NOT NULL lets the planner use the partial index on trace_id (logs_trace_idx) for the join.
        JOIN logs l ON l.trace_id = t.trace_id AND l.trace_id IS NOT NULL
          AND l.time_ns >= t.start_ns - ${str(LOG_SLACK_NS)}::bigint AND l.time_ns <= t.end_ns + ${str(LOG_SLACK_NS)}::bigint)
      ${this.counted(sql`
        SELECT trace_id, 'log' AS src, 'severity' AS key,
          (ARRAY['TRACE','DEBUG','INFO','WARN','ERROR','FATAL'])[(severity_number - 1) / 4 + 1] AS value, false AS attr
          FROM l WHERE severity_number BETWEEN 1 AND 24
        UNION ALL SELECT trace_id, 'log', 'service', service_name, false FROM l
        UNION ALL SELECT trace_id, 'log', 'pattern', ${logPatternSql(sql`body`)}, false FROM l
        UNION ALL SELECT l.trace_id, 'log', a.key, left(a.value, ${VALUE_CHARS}), true
          FROM l, jsonb_each_text(l.attributes) a`)}`);
    return rows.map(countedFromRow);
  }
}

/** A scoped span as spanDimensions reads it: [trace, span, parent, service, name, start, end, anchor]. */
type PathRow = [string, string, string | null, string, string, number, number, boolean];

/**
 * Critical-path self time per operation under each trace's anchor (its longest span of the anchor
 * service and operation), as a share of the anchor's duration, averaged over each side's sample.
 * The walk is sequential (critical-path.ts's algorithm), so it runs here on the scoped spans' times.
 */
function pathDimensions(
  rows: readonly PathRow[],
  traces: readonly SampledTrace[],
  n: { cohort: number; baseline: number },
): CountedDimension[] {
  const byTrace = new Map<string, { spans: PathSpan[]; anchor: PathSpan | undefined }>();
  for (const [traceId, spanId, parentSpanId, service, name, start, end, isAnchor] of rows) {
    let t = byTrace.get(traceId);
    if (!t) byTrace.set(traceId, (t = { spans: [], anchor: undefined }));
    const span: PathSpan = { spanId, parentSpanId, service, name, start: num(start), end: num(end) };
    t.spans.push(span);
    if (isAnchor && (!t.anchor || span.end - span.start > t.anchor.end - t.anchor.start)) t.anchor = span;
  }
  const sideOf = new Map<string, number[]>();
  for (const t of traces) sideOf.set(t.traceId, [...(sideOf.get(t.traceId) ?? []), t.side]);
  const totals = new Map<string, [number, number]>();
  for (const [id, t] of byTrace) {
    if (!t.anchor) continue;
    const duration = t.anchor.end - t.anchor.start;
    if (!(duration > 0)) continue;
    for (const [op, ns] of criticalSelfTime(t.spans, t.anchor.spanId)) {
      const sum = totals.get(op) ?? [0, 0];
      for (const side of sideOf.get(id) ?? []) sum[side === COHORT ? 0 : 1] += ns / duration;
      totals.set(op, sum);
    }
  }
  return [...totals].map(([op, [c, b]]) => {
    const [service, name] = op.split('\u0000') as [string, string];
    return {
      source: 'path',
      key: service,
      value: name,
      attribute: false,
      cohortTraces: 0,
      baselineTraces: 0,
      fingerprint: '',
      cohortShare: n.cohort ? c / n.cohort : 0,
      baselineShare: n.baseline ? b / n.baseline : 0,
    };
  });
}

/** logPattern (investigate.ts) in SQL: the same three rewrites, in the same order. */
export function logPatternSql(text: SQL): SQL {
  return sql`regexp_replace(regexp_replace(regexp_replace(left(${text}, ${LOG_PATTERN_CHARS}),
    ${LOG_NUMBER_REGEX}, '<n>', 'g'), ${LOG_ID_REGEX}, '<id>', 'g'), ${LOG_HEX_REGEX}, '<id>', 'g')`;
}

function countedFromRow(r: Record<string, unknown>): CountedDimension {
  return {
    source: r.src as CountedDimension['source'],
    key: r.key as string,
    value: r.value as string,
    attribute: r.attr === true || r.attr === 't',
    cohortTraces: num(r.c),
    baselineTraces: num(r.b),
    fingerprint: r.fp as string,
  };
}
