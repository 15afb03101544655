// Database server log lines for a trace's database CLIENT spans (issue 21). Lines the database wrote
// for a statement that carried a sqlcommenter comment have the trace and span IDs already (ingest sets
// them) and are read like any other log of the trace. This file links, at query time, the lines of
// statements that carried no comment: by the session's application_name and the span's time window,
// and only when exactly one span of any trace could have issued the statement. Such a link is a guess
// and is marked `inferred`, never written back.
import { sql } from 'drizzle-orm';
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

/** Whether the database wrote a line linked to the span `alias` by trace context (its statement's comment). */
const hasLinkedLine = (alias: Alias, margin: string) => sql`EXISTS (
  SELECT 1 FROM logs x
  WHERE x.trace_id = ${sql.raw(alias)}.trace_id AND x.span_id = ${sql.raw(alias)}.span_id
    AND x.service_name = ${POSTGRES_LOG_SERVICE}
    AND x.time_ns >= ${sql.raw(alias)}.start_ns - ${margin}::bigint
    AND x.time_ns <= ${sql.raw(alias)}.start_ns + ${sql.raw(alias)}.duration_ns + ${margin}::bigint)`;

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
    return query(sql`
    WITH t AS (SELECT start_ns, end_ns FROM traces WHERE trace_id = ${traceId}::uuid),
    s AS (
      SELECT s.span_id, s.start_ns, s.start_ns + s.duration_ns AS end_ns, ${appName('s')} AS app,
        s.attributes->>'db.user' AS db_user
      FROM spans s, t
      WHERE s.trace_id = ${traceId}::uuid AND s.start_ns >= t.start_ns AND s.start_ns <= t.end_ns
        AND ${isDbClient('s')} AND s.duration_ns <= ${maxSpan}::bigint
        AND NOT ${hasLinkedLine('s', margin)}
    ),
    c AS (
      SELECT s.span_id AS claimed_by, s.end_ns AS claimed_end, s.app, s.db_user, l.*
      FROM s
      JOIN logs l ON l.service_name = ${pgService} AND l.trace_id IS NULL
        AND l.time_ns >= s.start_ns AND l.time_ns <= s.end_ns + ${slack}::bigint
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
      -- Every DB CLIENT span, of any trace, that the line fits and that has no line linked by trace
      -- context (its statement was commented, so the uncommented line is not its): those whose
      -- [start, end] holds the line, and those that reach it only with the slack. Two arms, so that
      -- each finds its spans by an index: by service name and start time, or by attribute.
      SELECT count(*) FILTER (WHERE o.start_ns + o.duration_ns >= c.time_ns) AS inside, count(*) AS near
      FROM (
        SELECT o.* FROM spans o
        WHERE o.service_name = c.app AND o.start_ns <= c.time_ns AND o.start_ns >= c.time_ns - ${maxSpan}::bigint
        UNION ALL
        SELECT o.* FROM spans o
        WHERE o.service_name <> c.app AND o.start_ns <= c.time_ns AND o.start_ns >= c.time_ns - ${maxSpan}::bigint
          AND (o.attributes @> jsonb_build_object('db.application_name', c.app)
               OR o.attributes @> jsonb_build_object('application_name', c.app))
      ) o
      WHERE o.start_ns + o.duration_ns + ${slack}::bigint >= c.time_ns
        AND ${appName('o')} = c.app AND ${isDbClient('o')}
        AND (o.attributes->>'db.user' IS NULL OR NOT (c.attributes ? 'pg.user') OR o.attributes->>'db.user' = c.attributes->>'pg.user')
        AND NOT ${hasLinkedLine('o', margin)}
    ) k
    -- Ours alone: the one span that holds the line, or, when none holds it, the one that reaches it
    -- with the slack (a statement's line is written as it ends, so the statement before it, ended a
    -- few ms earlier, always reaches the next one's line with the slack).
    WHERE (k.inside = 1 AND c.time_ns <= c.claimed_end) OR (k.inside = 0 AND k.near = 1)
    ORDER BY c.time_ns, c.fingerprint`);
  });
}
