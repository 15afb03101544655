// Database server log lines for a trace's database CLIENT spans (issue 21). Lines the database wrote
// for a statement that carried a sqlcommenter comment have the trace and span IDs already (ingest sets
// them) and are read like any other log of the trace. This file links, at query time, the lines of
// statements that carried no comment: by the session's application_name and the span's time window,
// and only when exactly one span of any trace could have issued the statement. Such a link is a guess
// and is marked `inferred`, never written back.
import { sql, type SQL } from 'drizzle-orm';
import { SpanKind, type TraceId } from '@pivot/model';
import type { Database, Row } from './database.ts';

/** The service name of the resource that database server log lines are ingested under. */
export const POSTGRES_LOG_SERVICE = 'postgresql';

export interface InferOptions {
  /** How long after a span ended its statement's line may still be written (the server logs last). */
  slackNs?: bigint;
  /** Spans longer than this are not linked: it bounds the search for other spans that could claim a line. */
  maxSpanNs?: bigint;
  /** How far outside the trace's window its linked lines are looked for. */
  marginNs?: bigint;
}

export const INFER_SLACK_NS = 50_000_000n;
const MAX_SPAN_NS = 60_000_000_000n;

/**
 * The application name a span's session is expected to show in the server's log: the span's
 * `db.application_name` or `application_name` attribute if set, else its service name (the name most
 * clients are configured with).
 */
/** The span aliases of the queries below: only these literals reach `sql.raw`. */
type Alias = 's' | 'o';
const appName = (alias: Alias) =>
  sql.raw(
    `coalesce(${alias}.attributes->>'db.application_name', ${alias}.attributes->>'application_name', ${alias}.service_name)`,
  );
const isDbClient = (alias: Alias) =>
  sql.raw(
    `${alias}.kind = ${SpanKind.CLIENT} AND (${alias}.attributes ? 'db.system' OR ${alias}.attributes ? 'db.system.name')`,
  );

/** A temporary table of this file: only these literals reach `sql.raw`. */
type Temp = 'dl_s' | 'dl_o' | 'dl_l';

/**
 * The time range of a temporary table's rows (spans: start to end; lines: their times), read before the
 * next step so that it bounds logs and spans by values, not by a subquery: a subquery's bound prunes no
 * day partition when the statement is planned and no columnar chunk group when it runs, so a cold day
 * was read whole even when the table was empty. Null when the table is empty: nothing further matches.
 */
async function rangeOf(
  query: <R extends Row = Row>(q: SQL) => Promise<R[]>,
  table: Temp,
): Promise<{ lo: string; hi: string } | null> {
  const [lo, hi] = table === 'dl_l' ? ['time_ns', 'time_ns'] : ['start_ns', 'end_ns'];
  const [r] = await query<{ lo: string | null; hi: string | null }>(
    sql`SELECT min(${sql.identifier(lo)})::text AS lo, max(${sql.identifier(hi)})::text AS hi FROM ${sql.identifier(table)}`,
  );
  return r?.lo == null || r.hi == null ? null : { lo: r.lo, hi: r.hi };
}

/**
 * Removes from the temporary table `spans` (trace_id, span_id, start_ns, end_ns), whose rows lie in
 * `range`, the spans the database wrote a line for that is linked by trace context (its statement's
 * comment): such a span's uncommented lines are not its. The linked lines of that range are read first
 * (`linked`), then matched there, on the coordinator: Citus refuses a correlated subquery from a
 * temporary table into logs.
 */
async function dropLinkedSpans(
  query: <R extends Row = Row>(q: SQL) => Promise<R[]>,
  spans: 'dl_s' | 'dl_o',
  linked: 'dl_sl' | 'dl_ol',
  range: { lo: string; hi: string },
  margin: string,
  traceId?: TraceId,
): Promise<void> {
  const t = sql.raw(spans);
  const l = sql.raw(linked);
  await query(sql`
    CREATE TEMP TABLE ${l} ON COMMIT DROP AS
    SELECT x.trace_id, x.span_id, x.time_ns FROM logs x
    WHERE x.service_name = ${POSTGRES_LOG_SERVICE} AND x.trace_id IS NOT NULL
      ${traceId ? sql`AND x.trace_id = ${traceId}::uuid` : sql``}
      AND x.time_ns >= ${range.lo}::bigint - ${margin}::bigint
      AND x.time_ns <= ${range.hi}::bigint + ${margin}::bigint`);
  await query(sql`
    DELETE FROM ${t} s WHERE EXISTS (SELECT 1 FROM ${l} x
      WHERE x.trace_id = s.trace_id AND x.span_id = s.span_id
        AND x.time_ns >= s.start_ns - ${margin}::bigint AND x.time_ns <= s.end_ns + ${margin}::bigint)`);
}

/**
 * Log rows (log-queries.ts reads them, with `claimed_by`: the span's ID) of server lines without a trace ID that one DB CLIENT span of `traceId` (one with no line linked by
 * trace context) claims: the line's `pg.application_name` is the span's application name, its time lies
 * in [start, end + slack], a `db.user` on the span agrees with the line's `pg.user`, and no other DB CLIENT
 * span of any trace without a linked line matches the line the same way: the one span whose [start, end]
 * holds the line, or, when no span holds it, the one that reaches it with the slack. Oldest first.
 */
export async function inferServerLogRows(
  database: Database,
  traceId: TraceId,
  opts: InferOptions = {},
): Promise<Row[]> {
  const slack = (opts.slackNs ?? INFER_SLACK_NS).toString();
  const maxSpan = (opts.maxSpanNs ?? MAX_SPAN_NS).toString();
  const margin = (opts.marginNs ?? 300_000_000_000n).toString();
  const pgService = POSTGRES_LOG_SERVICE;
  // In a transaction only to turn JIT off for it: PostgreSQL's estimate for the per-line subqueries is
  // high enough to compile them, ~0.5 s spent for a query that then runs in ~20 ms (measured at 200,000
  // spans). PGlite has no JIT; the setting is accepted and does nothing.
  return database.transaction(async (query) => {
    await query(sql`SET LOCAL jit = off`);
    // Read in steps into temporary tables, each a statement Citus can plan (a router query on the
    // trace, or a scan of logs or spans bounded by what the previous step found), then joined on the
    // coordinator; on one PostgreSQL the same rows, read the same way.
    // 1. The trace's DB CLIENT spans that have no line linked by trace context.
    await query(sql`
    CREATE TEMP TABLE dl_s ON COMMIT DROP AS
    SELECT s.trace_id, s.span_id, s.start_ns, s.start_ns + s.duration_ns AS end_ns, ${appName('s')} AS app,
      s.attributes->>'db.user' AS db_user
    FROM spans s, (SELECT start_ns, end_ns FROM traces WHERE trace_id = ${traceId}::uuid) t
    WHERE s.trace_id = ${traceId}::uuid AND s.start_ns >= t.start_ns AND s.start_ns <= t.end_ns
      AND ${isDbClient('s')} AND s.duration_ns <= ${maxSpan}::bigint`);
    // A trace without such spans (most traces, and any whose spans never arrived) ends here.
    const traced = await rangeOf(query, 'dl_s');
    if (!traced) return [];
    await dropLinkedSpans(query, 'dl_s', 'dl_sl', traced, margin, traceId);
    const unlinked = await rangeOf(query, 'dl_s');
    if (!unlinked) return [];
    // 2. The server lines without trace context those spans could have written.
    await query(sql`
    CREATE TEMP TABLE dl_l ON COMMIT DROP AS
    SELECT l.* FROM logs l
    WHERE l.service_name = ${pgService} AND l.trace_id IS NULL
      AND l.time_ns >= ${unlinked.lo}::bigint AND l.time_ns <= ${unlinked.hi}::bigint + ${slack}::bigint
      AND l.attributes->>'pg.application_name' IN (SELECT app FROM dl_s)`);
    const lines = await rangeOf(query, 'dl_l');
    if (!lines) return [];
    // 3. Every DB CLIENT span, of any trace, that could claim one of those lines, without a linked line.
    await query(sql`
    CREATE TEMP TABLE dl_o ON COMMIT DROP AS
    SELECT o.trace_id, o.span_id, o.start_ns, o.start_ns + o.duration_ns AS end_ns, ${appName('o')} AS app,
      o.attributes->>'db.user' AS db_user
    FROM spans o
    WHERE o.start_ns >= ${lines.lo}::bigint - ${maxSpan}::bigint AND o.start_ns <= ${lines.hi}::bigint
      AND ${isDbClient('o')} AND ${appName('o')} IN (SELECT app FROM dl_s)`);
    const others = await rangeOf(query, 'dl_o');
    if (others) await dropLinkedSpans(query, 'dl_o', 'dl_ol', others, margin);
    return query(sql`
    WITH c AS (
      SELECT s.span_id AS claimed_by, s.end_ns AS claimed_end, s.app, s.db_user, l.*
      FROM dl_s s
      JOIN dl_l l ON l.time_ns >= s.start_ns AND l.time_ns <= s.end_ns + ${slack}::bigint
        AND l.attributes->>'pg.application_name' = s.app
        AND (s.db_user IS NULL OR NOT (l.attributes ? 'pg.user') OR l.attributes->>'pg.user' = s.db_user)
    )
    SELECT c.time_ns, c.fingerprint, c.observed_ns, c.trace_id, c.span_id, c.trace_flags, c.severity_number,
      c.severity_text, c.service_name, c.body, c.body_is_json, c.attributes, c.event_name, c.dropped_attributes_count,
      r.attributes AS resource_attributes, r.dropped_attributes_count AS resource_dropped,
      sc.name AS scope_name, sc.version AS scope_version, sc.attributes AS scope_attributes, c.claimed_by
    FROM c
    LEFT JOIN resources r ON r.id = c.resource_id
    LEFT JOIN scopes sc ON sc.id = c.scope_id
    CROSS JOIN LATERAL (
      -- Every candidate span the line fits: those whose [start, end] holds the line, and those that
      -- reach it only with the slack.
      SELECT count(*) FILTER (WHERE o.end_ns >= c.time_ns) AS inside, count(*) AS near
      FROM dl_o o
      WHERE o.app = c.app AND o.start_ns <= c.time_ns AND o.start_ns >= c.time_ns - ${maxSpan}::bigint
        AND o.end_ns + ${slack}::bigint >= c.time_ns
        AND (o.db_user IS NULL OR NOT (c.attributes ? 'pg.user') OR o.db_user = c.attributes->>'pg.user')
    ) k
    -- Ours alone: the one span that holds the line, or, when none holds it, the one that reaches it
    -- with the slack (a statement's line is written as it ends, so the statement before it, ended a
    -- few ms earlier, always reaches the next one's line with the slack).
    WHERE (k.inside = 1 AND c.time_ns <= c.claimed_end) OR (k.inside = 0 AND k.near = 1)
    ORDER BY c.time_ns, c.fingerprint`);
  });
}
