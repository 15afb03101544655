// The service-graph fold (issue 17): every run folds the spans that ENDED in [watermark, now − wait)
// into minute rollups (span metrics, client → server edges, propagation problems), in SQL, and writes
// the running totals as cumulative counter series through the metric tables, so that PromQL, alert
// rules and Grafana's service-graph tab read them unchanged. One transaction per window moves the
// watermark, the rollups and the series together: a crash folds the window again, never twice, and
// the row lock on the watermark keeps two processes from folding the same window even if the
// maintenance advisory lock were lost.
//
// Semantics follow Tempo's metrics-generator (grafana/tempo modules/generator/processor/servicegraphs/
// servicegraphs.go and .../spanmetrics/spanmetrics.go):
// - an edge is a CLIENT or PRODUCER span and its SERVER or CONSUMER child, keyed (client, server,
//   connection_type); PRODUCER/CONSUMER pairs are `messaging_system`;
// - a client span with db.system or db.name and no server child is a `database` edge whose server
//   latency is the client's (Tempo's upsertDatabaseRequest);
// - an unpaired client span with a peer attribute becomes a `virtual_node` edge (Tempo's onExpire,
//   server latency 0), and a root SERVER span an edge from the virtual client `user`;
// - histograms use Tempo's default buckets, 2 ms doubling to 16.384 s, and +Inf.
// Where Tempo pairs spans in memory until `wait` expires, we pair them in the database: the pair is
// folded in the window in which the later of its two spans ended, so it is counted exactly once.
import { sql, type SQL } from 'drizzle-orm';
import { SpanKind, StatusCode, type Labels } from '@pivot/model';
import type { Database, Row } from './database.ts';
import { encodeChunk } from './chunk-codec.ts';
import { toJsonText } from './encode.ts';
import { dayIndexOfMs, type PartitionManager, type PartitionNeeds } from './partitions.ts';
import { seriesId } from './series-id.ts';
import {
  METRIC_CHUNKS_TABLE,
  METRIC_EXEMPLARS_TABLE,
  PROPAGATION_PROBLEMS_TABLE,
  PROPAGATION_SPANS_TABLE,
  PROPAGATION_TRACES_TABLE,
  SERVICEGRAPH_EDGES_TABLE,
  SPAN_METRICS_TABLE,
} from './tables.ts';

/** Upper bounds of the latency buckets in ns (Tempo's default: 0.002 s doubling to 16.384 s); +Inf follows. */
export const LATENCY_BUCKETS_NS: readonly number[] = Array.from({ length: 14 }, (_, i) => 2_000_000 * 2 ** i);
/** The `le` label of each bucket, as Prometheus formats them. */
export const LATENCY_BUCKET_LE: readonly string[] = [...LATENCY_BUCKETS_NS.map((ns) => String(ns / 1e9)), '+Inf'];
const NB = LATENCY_BUCKET_LE.length;

/** What the propagation check flags; the API contract's PropagationProblem. */
export type PropagationProblem =
  'orphan' | 'client-without-server' | 'context-lost' | 'root-not-entry' | 'db-without-traceparent';

/**
 * SQL databases whose statements can carry a sqlcommenter comment (`/*traceparent='…'*\/`), which the
 * database's own log lines then carry too; a statement to one of them without it is a broken hop.
 */
export const SQLCOMMENTER_DB_SYSTEMS: readonly string[] = [
  'postgresql',
  'mysql',
  'mariadb',
  'mssql',
  'microsoft.sql_server',
  'oracle',
  'oracle.db',
  'sqlite',
  'cockroachdb',
  'other_sql',
];
/** Problems that leave the trace whole: its spans are all there, only a link out of it is missing. */
const TRACE_INTACT_PROBLEMS = sql.raw(`'db-without-traceparent'`);

/** Tempo's span_kind / status_code label values. */
export const SPAN_KIND_LABELS = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
] as const;
export const STATUS_CODE_LABELS = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'] as const;

export interface ServiceGraphFoldOptions {
  /** How long after a span ended it is folded: late spans of the same trace arrive within it. */
  waitMs: number;
  /** The most span time one transaction folds; a run catches up in several (default 60 s). */
  maxWindowMs?: number;
  /** Where the very first run starts, back from now − wait (default 10 min). */
  firstLookbackMs?: number;
  /** Most windows one run folds before it yields (default 30). */
  maxWindowsPerRun?: number;
  signal?: AbortSignal;
}

export interface ServiceGraphFoldResult {
  /** Windows folded by this run. */
  windows: number;
  /** Spans folded (ended in the windows). */
  spans: number;
  /** Edge requests (pairs and virtual edges) counted. */
  requests: number;
  /** Counter series written. */
  series: number;
  /** The watermark after the run, Unix ns. */
  foldedToNs: string;
}

const NS_PER_MS = 1_000_000n;
/** How far before its window a folded span may have started, and its parent or child too. */
const LOOKBACK_NS = 3_600_000_000_000n;

const p = (v: unknown) => sql.param(v);
/** `ARRAY[count(*) FILTER (WHERE b = 0), …]`: per-bucket counts of the bucket index expression `b`. */
const histogram = (b: SQL, weight: SQL = sql`1`): SQL =>
  sql`ARRAY[${sql.join(
    Array.from({ length: NB }, (_, i) => sql`coalesce(sum(${weight}) FILTER (WHERE ${b} = ${sql.raw(String(i))}), 0)`),
    sql`, `,
  )}]::bigint[]`;
/** The bucket of a duration in ns: the first bound ≥ it (Prometheus buckets are upper-inclusive). */
const bucketOf = (ns: SQL): SQL =>
  sql`width_bucket(${ns} - 1, ARRAY[${sql.raw(LATENCY_BUCKETS_NS.join(','))}]::bigint[])`;
/** Adds two bucket arrays element by element (for ON CONFLICT DO UPDATE). */
const addArrays = (a: SQL, b: SQL): SQL =>
  sql`ARRAY(SELECT x + y FROM unnest(${a}, ${b}) WITH ORDINALITY AS u(x, y, i) ORDER BY i)`;

const nums = (v: unknown): number[] =>
  Array.isArray(v) ? v.map(Number) : String(v).replace(/[{}]/g, '').split(',').filter(Boolean).map(Number);

/** A counter series touched by a window: its labels, the increase, and an exemplar to attach. */
interface SeriesDelta {
  labels: Labels;
  delta: number;
  /** Written values are the total divided by this (sums are kept in ns and exposed in seconds). */
  scale: number;
  exemplar?: { traceId: string; spanId: string | null; value: number };
}

/** Folds what is due; loops over windows of at most maxWindowMs until caught up. */
export async function foldServiceGraph(
  database: Database,
  partitions: PartitionManager,
  nowMs: number,
  opts: ServiceGraphFoldOptions,
): Promise<ServiceGraphFoldResult> {
  const result: ServiceGraphFoldResult = { windows: 0, spans: 0, requests: 0, series: 0, foldedToNs: '0' };
  const dueNs = BigInt(Math.floor(nowMs - opts.waitMs)) * NS_PER_MS;
  const maxWindowNs = BigInt(opts.maxWindowMs ?? 60_000) * NS_PER_MS;
  const firstNs = dueNs - BigInt(opts.firstLookbackMs ?? 600_000) * NS_PER_MS;
  await database.query(sql`
    INSERT INTO servicegraph_watermark (id, folded_to_ns) VALUES (1, ${firstNs.toString()}::bigint)
    ON CONFLICT (id) DO NOTHING`);
  for (let i = 0; i < (opts.maxWindowsPerRun ?? 30) && !opts.signal?.aborted; i++) {
    const [wm] = await database.query<{ ns: string }>(
      sql`SELECT folded_to_ns::text AS ns FROM servicegraph_watermark WHERE id = 1`,
    );
    const seenNs = BigInt(wm!.ns);
    result.foldedToNs = seenNs.toString();
    // Less than a second due: wait for more (a window also needs distinct ms for its 0 and first sample).
    if (dueNs - seenNs < 1_000_000_000n) break;
    const toGuess = seenNs + maxWindowNs < dueNs ? seenNs + maxWindowNs : dueNs;
    // The days the window's rollups and samples land in; the watermark only moves forward, so these
    // cover whatever window the transaction finds.
    const minuteDays = new Set([dayIndexOfMs(Number(seenNs / NS_PER_MS)), dayIndexOfMs(Number(toGuess / NS_PER_MS))]);
    const needs: PartitionNeeds = [
      [SPAN_METRICS_TABLE, minuteDays],
      [SERVICEGRAPH_EDGES_TABLE, minuteDays],
      [PROPAGATION_PROBLEMS_TABLE, minuteDays],
      [PROPAGATION_SPANS_TABLE, minuteDays],
      [PROPAGATION_TRACES_TABLE, minuteDays],
      [METRIC_CHUNKS_TABLE, minuteDays],
      [METRIC_EXEMPLARS_TABLE, minuteDays],
    ];
    const w = await partitions.write(needs, () =>
      database.transaction((query) => foldWindow(query, dueNs, maxWindowNs, opts.waitMs)),
    );
    if (!w) break;
    result.windows++;
    result.spans += w.spans;
    result.requests += w.requests;
    result.series += w.series;
    result.foldedToNs = w.toNs.toString();
  }
  return result;
}

type Query = <R extends Row = Row>(q: SQL) => Promise<R[]>;

async function foldWindow(
  query: Query,
  dueNs: bigint,
  maxWindowNs: bigint,
  waitMs: number,
): Promise<{ spans: number; requests: number; series: number; toNs: bigint } | null> {
  // The row lock: a second process (or a lost advisory lock) waits here, then sees the moved watermark.
  const [wm] = await query<{ ns: string }>(
    sql`SELECT folded_to_ns::text AS ns FROM servicegraph_watermark WHERE id = 1 FOR UPDATE`,
  );
  const fromNs = BigInt(wm!.ns);
  if (dueNs - fromNs < 1_000_000_000n) return null;
  const toNs = fromNs + maxWindowNs < dueNs ? fromNs + maxWindowNs : dueNs;
  const from = sql`${fromNs.toString()}::bigint`;
  const to = sql`${toNs.toString()}::bigint`;
  const lo = sql`${(fromNs - LOOKBACK_NS).toString()}::bigint`;
  const waitS = Math.round(waitMs / 1000);

  // The window's spans, each with its parent (if it arrived) and whether a SERVER/CONSUMER child did.
  // Bounds on start_ns prune the day partitions; the BRIN index on the end time finds the window.
  await query(sql`
    CREATE TEMP TABLE sg_w ON COMMIT DROP AS
    SELECT DISTINCT ON (s.trace_id, s.span_id, s.start_ns) s.trace_id, s.span_id, s.parent_span_id, s.service_name AS service, s.name, s.kind, s.status_code,
      s.start_ns, s.duration_ns, s.start_ns + s.duration_ns AS end_ns,
      ((s.start_ns + s.duration_ns) / 60000000000) * 60000 AS minute_ms,
      s.attributes->>'peer.service' AS peer_service,
      s.attributes->>'server.address' AS server_address,
      coalesce(s.attributes->>'db.system', s.attributes->>'db.system.name') AS db_system,
      coalesce(s.attributes->>'db.namespace', s.attributes->>'db.name') AS db_namespace,
      coalesce(s.attributes->>'db.query.text', s.attributes->>'db.statement') AS db_statement,
      s.attributes->>'messaging.system' AS messaging_system,
      coalesce(s.attributes->>'messaging.destination.name', s.attributes->>'messaging.destination') AS destination,
      coalesce(jsonb_array_length(s.links), 0) AS links,
      par.kind AS p_kind, par.service_name AS p_service, par.duration_ns AS p_dur,
      par.start_ns + par.duration_ns AS p_end, par.status_code AS p_status,
      (s.kind IN (${SpanKind.CLIENT}, ${SpanKind.PRODUCER}) AND EXISTS (
        SELECT 1 FROM spans c WHERE c.trace_id = s.trace_id AND c.parent_span_id = s.span_id
          AND c.kind IN (${SpanKind.SERVER}, ${SpanKind.CONSUMER}) AND c.start_ns >= ${lo})) AS has_server_child
    FROM spans s
    LEFT JOIN spans par ON par.trace_id = s.trace_id AND par.span_id = s.parent_span_id AND par.start_ns >= ${lo}
    WHERE s.start_ns >= ${lo} AND s.start_ns < ${to}
      AND s.start_ns + s.duration_ns >= ${from} AND s.start_ns + s.duration_ns < ${to}
    -- One row per span even if its parent was stored twice (under two start times). A join and DISTINCT ON
    -- led by the trace ID rather than a LATERAL … LIMIT 1: on Citus (spans distributed by trace ID) this
    -- pushes down whole to every shard, where a lateral subquery with a LIMIT cannot be planned.
    ORDER BY s.trace_id, s.span_id, s.start_ns, par.start_ns`);
  // Not analyzed otherwise: the planner would guess its size.
  await query(sql`ANALYZE sg_w`);

  const S = SpanKind;
  const err = StatusCode.ERROR;
  // Names of peers that sent no spans of their own (Tempo's peer attributes; see the header).
  const dbNode = sql`coalesce(w.peer_service, w.db_system || coalesce('/' || w.db_namespace, ''), w.db_namespace)`;
  const queueNode = sql`w.messaging_system || coalesce('/' || w.destination, '')`;
  const edgeRows = await query(sql`
    WITH e AS (
      -- A server span whose client parent ended no later: the pair completes now.
      SELECT w.minute_ms, w.p_service AS client, w.service AS server,
        CASE WHEN w.kind = ${S.CONSUMER} OR w.p_kind = ${S.PRODUCER} THEN 'messaging_system' ELSE '' END AS conn,
        (w.status_code = ${err} OR w.p_status = ${err}) AS failed, w.p_dur AS client_ns, w.duration_ns AS server_ns,
        w.trace_id, w.parent_span_id AS span_id
      FROM sg_w w
      WHERE w.kind IN (${S.SERVER}, ${S.CONSUMER}) AND w.p_kind IN (${S.CLIENT}, ${S.PRODUCER}) AND w.p_end <= w.end_ns
      UNION ALL
      -- A client span whose server child ended strictly earlier.
      SELECT w.minute_ms, w.service, c.service_name,
        CASE WHEN w.kind = ${S.PRODUCER} OR c.kind = ${S.CONSUMER} THEN 'messaging_system' ELSE '' END,
        (w.status_code = ${err} OR c.status_code = ${err}), w.duration_ns, c.duration_ns, w.trace_id, w.span_id
      FROM sg_w w
      JOIN spans c ON c.trace_id = w.trace_id AND c.parent_span_id = w.span_id AND c.start_ns >= ${lo}
        AND c.kind IN (${S.SERVER}, ${S.CONSUMER}) AND c.start_ns + c.duration_ns < w.end_ns
      WHERE w.kind IN (${S.CLIENT}, ${S.PRODUCER})
      UNION ALL
      -- A client span with no server child: a database, a queue or another uninstrumented peer.
      SELECT w.minute_ms, w.service, v.server, v.conn, w.status_code = ${err}, w.duration_ns,
        CASE WHEN v.conn = 'database' THEN w.duration_ns ELSE 0 END, w.trace_id, w.span_id
      FROM sg_w w
      CROSS JOIN LATERAL (SELECT
        CASE WHEN w.db_system IS NOT NULL OR w.db_namespace IS NOT NULL THEN ${dbNode}
             WHEN w.kind = ${S.PRODUCER} AND w.messaging_system IS NOT NULL THEN coalesce(w.peer_service, ${queueNode})
             ELSE coalesce(w.peer_service, w.server_address) END AS server,
        CASE WHEN w.db_system IS NOT NULL OR w.db_namespace IS NOT NULL THEN 'database'
             WHEN w.kind = ${S.PRODUCER} AND w.messaging_system IS NOT NULL THEN 'messaging_system'
             ELSE 'virtual_node' END AS conn) v
      WHERE w.kind IN (${S.CLIENT}, ${S.PRODUCER}) AND NOT w.has_server_child AND v.server IS NOT NULL
      UNION ALL
      -- A root server span: called by a user (Tempo's virtual client), or consumed from a named queue.
      SELECT w.minute_ms,
        CASE WHEN w.kind = ${S.CONSUMER} AND w.messaging_system IS NOT NULL THEN ${queueNode} ELSE 'user' END,
        w.service,
        CASE WHEN w.kind = ${S.CONSUMER} AND w.messaging_system IS NOT NULL THEN 'messaging_system' ELSE 'virtual_node' END,
        w.status_code = ${err}, 0, w.duration_ns, w.trace_id, w.span_id
      FROM sg_w w
      WHERE w.kind IN (${S.SERVER}, ${S.CONSUMER}) AND w.parent_span_id IS NULL
    ), d AS (
      SELECT minute_ms, client, server, conn, count(*) AS requests, count(*) FILTER (WHERE failed) AS failed,
        ${histogram(bucketOf(sql`server_ns`))} AS server_buckets, sum(server_ns)::bigint AS server_sum_ns,
        ${histogram(bucketOf(sql`client_ns`))} AS client_buckets, sum(client_ns)::bigint AS client_sum_ns,
        (array_agg(trace_id ORDER BY greatest(server_ns, client_ns) DESC, span_id))[1] AS ex_trace,
        (array_agg(span_id ORDER BY greatest(server_ns, client_ns) DESC, span_id))[1] AS ex_span,
        max(greatest(server_ns, client_ns)) AS ex_ns
      FROM e GROUP BY 1, 2, 3, 4
    ), u AS (
      INSERT INTO servicegraph_edges AS t (minute_ms, client, server, connection_type, requests, failed, server_buckets,
        server_sum_ns, client_buckets, client_sum_ns, exemplar_trace_id, exemplar_span_id, exemplar_ns)
      SELECT * FROM d
      ON CONFLICT (minute_ms, client, server, connection_type) DO UPDATE SET
        requests = t.requests + excluded.requests, failed = t.failed + excluded.failed,
        server_buckets = ${addArrays(sql`t.server_buckets`, sql`excluded.server_buckets`)},
        server_sum_ns = t.server_sum_ns + excluded.server_sum_ns,
        client_buckets = ${addArrays(sql`t.client_buckets`, sql`excluded.client_buckets`)},
        client_sum_ns = t.client_sum_ns + excluded.client_sum_ns,
        (exemplar_trace_id, exemplar_span_id, exemplar_ns) = (
          SELECT CASE WHEN excluded.exemplar_ns > t.exemplar_ns THEN excluded.exemplar_trace_id ELSE t.exemplar_trace_id END,
                 CASE WHEN excluded.exemplar_ns > t.exemplar_ns THEN excluded.exemplar_span_id ELSE t.exemplar_span_id END,
                 greatest(t.exemplar_ns, excluded.exemplar_ns))
    )
    SELECT client, server, conn, sum(requests)::bigint AS requests, sum(failed)::bigint AS failed,
      ${sumArrays('server_buckets')} AS server_buckets, sum(server_sum_ns)::bigint AS server_sum_ns,
      ${sumArrays('client_buckets')} AS client_buckets, sum(client_sum_ns)::bigint AS client_sum_ns,
      (array_agg(ex_trace::text ORDER BY ex_ns DESC))[1] AS ex_trace, (array_agg(ex_span::text ORDER BY ex_ns DESC))[1] AS ex_span,
      max(ex_ns) AS ex_ns
    FROM d GROUP BY 1, 2, 3`);

  const spanRows = await query(sql`
    WITH d AS (
      SELECT w.minute_ms, w.service, w.name, w.kind, w.status_code, count(*) AS calls,
        ${histogram(bucketOf(sql`w.duration_ns`))} AS buckets, sum(w.duration_ns)::bigint AS sum_ns,
        (array_agg(w.trace_id ORDER BY w.duration_ns DESC, w.span_id))[1] AS ex_trace,
        (array_agg(w.span_id ORDER BY w.duration_ns DESC, w.span_id))[1] AS ex_span,
        max(w.duration_ns) AS ex_ns
      FROM sg_w w GROUP BY 1, 2, 3, 4, 5
    ), u AS (
      INSERT INTO span_metrics AS t (minute_ms, service, span_name, span_kind, status_code, calls, buckets, sum_ns,
        exemplar_trace_id, exemplar_span_id, exemplar_ns)
      SELECT * FROM d
      ON CONFLICT (minute_ms, service, span_name, span_kind, status_code) DO UPDATE SET
        calls = t.calls + excluded.calls, buckets = ${addArrays(sql`t.buckets`, sql`excluded.buckets`)},
        sum_ns = t.sum_ns + excluded.sum_ns,
        (exemplar_trace_id, exemplar_span_id, exemplar_ns) = (
          SELECT CASE WHEN excluded.exemplar_ns > t.exemplar_ns THEN excluded.exemplar_trace_id ELSE t.exemplar_trace_id END,
                 CASE WHEN excluded.exemplar_ns > t.exemplar_ns THEN excluded.exemplar_span_id ELSE t.exemplar_span_id END,
                 greatest(t.exemplar_ns, excluded.exemplar_ns))
    )
    SELECT service, name, kind, status_code, sum(calls)::bigint AS calls, ${sumArrays('buckets')} AS buckets,
      sum(sum_ns)::bigint AS sum_ns,
      (array_agg(ex_trace::text ORDER BY ex_ns DESC))[1] AS ex_trace, (array_agg(ex_span::text ORDER BY ex_ns DESC))[1] AS ex_span,
      max(ex_ns) AS ex_ns
    FROM d GROUP BY 1, 2, 3, 4`);

  // Propagation health. "Instrumented" = a service that sent spans (span_operations holds every one).
  // A client span of this window that names an instrumented service as its peer but has no server
  // child dropped the trace context; the root server span of that service that started while it was
  // open is the call it made, arriving in a trace of its own. Looked up from the client side (few
  // spans, the service/start index) rather than from every root server span.
  // The root server spans those calls may have started, read first into a table of their own: a lateral
  // subquery from the window (a temporary table) into spans is refused by Citus, and this bounded read
  // (the services and time span of the candidate calls) is the same rows on one PostgreSQL.
  await query(sql`
    CREATE TEMP TABLE sg_roots ON COMMIT DROP AS
    SELECT s.trace_id, s.span_id, s.start_ns, s.duration_ns, s.service_name FROM spans s
    WHERE s.parent_span_id IS NULL AND s.kind = ${S.SERVER} AND s.links IS NULL
      AND s.start_ns >= ${lo} AND s.start_ns < ${to}
      AND s.service_name IN (SELECT coalesce(w.peer_service, w.server_address) FROM sg_w w
        WHERE w.kind IN (${S.CLIENT}, ${S.PRODUCER}) AND NOT w.has_server_child)`);
  await query(sql`
    CREATE TEMP TABLE sg_cws ON COMMIT DROP AS
    SELECT w.minute_ms, w.trace_id, w.span_id, w.service, w.name, coalesce(w.peer_service, w.server_address) AS target,
      s.trace_id AS s_trace, s.span_id AS s_span, s.start_ns + s.duration_ns AS s_end
    FROM sg_w w
    LEFT JOIN LATERAL (
      SELECT s.trace_id, s.span_id, s.start_ns, s.duration_ns FROM sg_roots s
      WHERE s.service_name = coalesce(w.peer_service, w.server_address)
        AND s.start_ns >= w.start_ns AND s.start_ns <= w.end_ns AND s.trace_id <> w.trace_id
      ORDER BY s.start_ns LIMIT 1
    ) s ON TRUE
    WHERE w.kind IN (${S.CLIENT}, ${S.PRODUCER}) AND NOT w.has_server_child
      AND coalesce(w.peer_service, w.server_address) <> w.service
      AND coalesce(w.peer_service, w.server_address) IN (SELECT service_name FROM span_operations)`);
  const kindName = sql`(ARRAY['UNSPECIFIED','INTERNAL','SERVER','CLIENT','PRODUCER','CONSUMER'])[w.kind + 1]`;
  const probRows = await query(sql`
    WITH f0 AS (
      SELECT w.minute_ms, w.trace_id, w.span_id, w.service, 'orphan' AS problem,
        'its parent span never arrived within the ' || ${String(waitS)} || ' s wait' AS why
      FROM sg_w w WHERE w.parent_span_id IS NOT NULL AND w.p_kind IS NULL
      UNION ALL
      SELECT w.minute_ms, w.trace_id, w.span_id, w.service, 'root-not-entry',
        'the trace starts at a ' || ${kindName} || ' span (' || w.name || '), not at an entry point: the caller''s context was not extracted'
      FROM sg_w w WHERE w.parent_span_id IS NULL AND w.kind IN (${S.UNSPECIFIED}, ${S.INTERNAL}, ${S.CLIENT})
      UNION ALL
      SELECT c.minute_ms, c.trace_id, c.span_id, c.service, 'client-without-server',
        'calls ' || c.target || ', which is instrumented, but no ' || c.target
          || ' server span is its child: the request left without its trace context (traceparent)'
      FROM sg_cws c
      UNION ALL
      SELECT c.minute_ms, c.s_trace, c.s_span, c.target, 'context-lost',
        'called by ' || c.service || ' (' || c.name || '), but a new trace began here: the trace context was lost on the way'
      FROM sg_cws c WHERE c.s_span IS NOT NULL
      UNION ALL
      SELECT w.minute_ms, w.trace_id, w.span_id, w.service, 'context-lost',
        CASE WHEN w.kind = ${S.SERVER} THEN 'a new trace began here, linked to the caller''s: the trace context arrived only as a link'
             ELSE 'consumed from ' || ${queueNode} || ' without trace context: the producer''s traceparent was not carried in the message' END
      FROM sg_w w
      WHERE w.parent_span_id IS NULL
        AND ((w.kind = ${S.SERVER} AND w.links > 0) OR (w.kind = ${S.CONSUMER} AND w.messaging_system IS NOT NULL AND w.links = 0))
      UNION ALL
      SELECT w.minute_ms, w.trace_id, w.span_id, w.service, 'db-without-traceparent',
        'its statement to ' || w.db_system || coalesce('/' || w.db_namespace, '')
          || ' carries no traceparent comment (sqlcommenter): the database''s own log lines for it name no trace'
      FROM sg_w w
      WHERE w.kind = ${S.CLIENT} AND w.db_system IN (${sql.join(
        SQLCOMMENTER_DB_SYSTEMS.map((d) => sql`${d}`),
        sql`, `,
      )})
        AND w.db_statement IS NOT NULL AND strpos(w.db_statement, 'traceparent=') = 0
    ), f AS (
      INSERT INTO propagation_spans (minute_ms, trace_id, span_id, service, problem, why)
      SELECT minute_ms, trace_id, span_id, service, problem, why FROM f0
      ON CONFLICT DO NOTHING
      RETURNING minute_ms, trace_id, span_id, service, problem, why
    ), d AS (
      SELECT minute_ms, service, problem, count(*) AS n, (array_agg(why ORDER BY trace_id, span_id))[1] AS why,
        (array_agg(trace_id ORDER BY trace_id, span_id))[1:5] AS tids, (array_agg(span_id ORDER BY trace_id, span_id))[1:5] AS sids
      FROM f GROUP BY 1, 2, 3
    ), u AS (
      INSERT INTO propagation_problems AS t (minute_ms, service, problem, count, why, example_trace_ids, example_span_ids)
      SELECT * FROM d
      ON CONFLICT (minute_ms, service, problem) DO UPDATE SET count = t.count + excluded.count,
        example_trace_ids = (t.example_trace_ids || excluded.example_trace_ids)[1:5],
        example_span_ids = (t.example_span_ids || excluded.example_span_ids)[1:5]
    )
    SELECT service, problem, sum(n)::bigint AS n FROM d GROUP BY 1, 2`);

  // Complete traces, counted when their root span is folded (children end first, so their flags are
  // in by then); a trace with orphans and no root in the window counts as one incomplete trace. A root
  // flagged context-lost after it was folded (its caller ended in a later window) and counted complete
  // then is moved to the broken ones now.
  // The breaking findings of the traces concerned, read first into a table of their own: Citus refuses a
  // correlated subquery from a temporary table into propagation_spans (distributed by trace ID); the
  // rows are the same on one PostgreSQL.
  await query(sql`
    CREATE TEMP TABLE sg_ps ON COMMIT DROP AS
    SELECT ps.trace_id, ps.span_id, ps.problem FROM propagation_spans ps
    WHERE ps.problem NOT IN (${TRACE_INTACT_PROBLEMS})
      AND ps.trace_id IN (SELECT w.trace_id FROM sg_w w UNION SELECT c.s_trace FROM sg_cws c WHERE c.s_trace IS NOT NULL)`);
  const [traceRow] = await query(sql`
    WITH late AS (
      SELECT (c.s_end / 60000000000) * 60000 AS minute_ms, count(*) AS n FROM sg_cws c
      WHERE c.s_span IS NOT NULL AND c.s_end < ${from}
        AND NOT EXISTS (SELECT 1 FROM sg_ps ps WHERE ps.trace_id = c.s_trace
                          AND NOT (ps.span_id = c.s_span AND ps.problem = 'context-lost'))
      GROUP BY 1
    ), fix AS (
      UPDATE propagation_traces t SET complete = t.complete - late.n FROM late WHERE t.minute_ms = late.minute_ms
      RETURNING late.n
    ), r AS (
      SELECT w.minute_ms, w.trace_id,
        NOT EXISTS (SELECT 1 FROM sg_ps ps WHERE ps.trace_id = w.trace_id) AS complete
      FROM sg_w w WHERE w.parent_span_id IS NULL
      UNION ALL
      SELECT min(w.minute_ms), w.trace_id, FALSE FROM sg_w w
      WHERE w.parent_span_id IS NOT NULL AND w.p_kind IS NULL
        AND NOT EXISTS (SELECT 1 FROM sg_w x WHERE x.trace_id = w.trace_id AND x.parent_span_id IS NULL)
      GROUP BY w.trace_id
    ), d AS (
      SELECT minute_ms, count(*) AS traces, count(*) FILTER (WHERE complete) AS complete FROM r GROUP BY 1
    ), u AS (
      INSERT INTO propagation_traces AS t (minute_ms, traces, complete) SELECT * FROM d
      ON CONFLICT (minute_ms) DO UPDATE SET traces = t.traces + excluded.traces, complete = t.complete + excluded.complete
    )
    SELECT coalesce(sum(traces), 0)::bigint AS traces, coalesce(sum(traces - complete), 0)::bigint AS broken,
      (SELECT coalesce(sum(n), 0) FROM fix)::bigint AS late, (SELECT count(*) FROM sg_w) AS spans FROM d`);

  // The counter series: the window's increase per series, added to the running totals.
  const deltas: SeriesDelta[] = [];
  // An empty label value is no label in Prometheus (Tempo's connection_type="" is stored without it),
  // so that `connection_type=""` matches these series as it matches Tempo's.
  const add = (labels: Labels, delta: number, scale = 1, exemplar?: SeriesDelta['exemplar']) =>
    deltas.push({
      labels: Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== '')),
      delta,
      scale,
      ...(exemplar ? { exemplar } : {}),
    });
  const histogramSeries = (
    name: string,
    base: Labels,
    buckets: number[],
    sumNs: number,
    exemplar: SeriesDelta['exemplar'] | undefined,
  ) => {
    let cum = 0;
    const exBucket = exemplar ? bucketIndex(exemplar.value * 1e9) : -1;
    buckets.forEach((n, i) => {
      cum += n;
      add(
        { __name__: `${name}_bucket`, ...base, le: LATENCY_BUCKET_LE[i]! },
        cum,
        1,
        i === exBucket ? exemplar : undefined,
      );
    });
    add({ __name__: `${name}_sum`, ...base }, sumNs, 1e9);
    add({ __name__: `${name}_count`, ...base }, cum);
  };
  let requests = 0;
  for (const r of edgeRows) {
    const base = { client: String(r.client), server: String(r.server), connection_type: String(r.conn) };
    const ex = r.ex_trace
      ? {
          traceId: r.ex_trace as string,
          spanId: (r.ex_span as string | null) ?? null,
          value: Number(r.ex_ns) / 1e9,
        }
      : undefined;
    requests += Number(r.requests);
    add({ __name__: 'traces_service_graph_request_total', ...base }, Number(r.requests), 1, ex);
    add({ __name__: 'traces_service_graph_request_failed_total', ...base }, Number(r.failed));
    histogramSeries(
      'traces_service_graph_request_server_seconds',
      base,
      nums(r.server_buckets),
      Number(r.server_sum_ns),
      ex,
    );
    histogramSeries(
      'traces_service_graph_request_client_seconds',
      base,
      nums(r.client_buckets),
      Number(r.client_sum_ns),
      ex,
    );
  }
  for (const r of spanRows) {
    const base = {
      service: String(r.service),
      span_name: String(r.name),
      span_kind: SPAN_KIND_LABELS[Number(r.kind)] ?? 'SPAN_KIND_UNSPECIFIED',
      status_code: STATUS_CODE_LABELS[Number(r.status_code)] ?? 'STATUS_CODE_UNSET',
    };
    const ex = { traceId: String(r.ex_trace), spanId: String(r.ex_span), value: Number(r.ex_ns) / 1e9 };
    add({ __name__: 'traces_spanmetrics_calls_total', ...base }, Number(r.calls), 1, ex);
    histogramSeries('traces_spanmetrics_latency', base, nums(r.buckets), Number(r.sum_ns), ex);
  }
  for (const r of probRows)
    add(
      { __name__: 'pivot_propagation_problem_spans_total', service: String(r.service), problem: String(r.problem) },
      Number(r.n),
    );
  // Log records per service and severity band, by their own time in the window: riding this fold
  // gives them the same watermark, transaction and counter writes, so an error-log burst is plain
  // PromQL. A record whose time is older than the watermark when it arrives (later than the wait) is
  // not counted: the price of one monotonic window shared with the spans.
  const logRows = await query(sql`
    SELECT service_name AS service,
      CASE WHEN severity_number BETWEEN 1 AND 24
        THEN (ARRAY['trace','debug','info','warn','error','fatal'])[(severity_number - 1) / 4 + 1]
        ELSE 'unspecified' END AS severity,
      count(*)::bigint AS n
    FROM logs WHERE time_ns >= ${from} AND time_ns < ${to}
    GROUP BY 1, 2`);
  for (const r of logRows)
    add({ __name__: 'pivot_log_records_total', service: String(r.service), severity: String(r.severity) }, Number(r.n));
  // Broken, not complete, traces are counted: a late context-lost flag adds to it, and counters only go up.
  const traces = Number(traceRow?.traces ?? 0);
  const brokenTraces = Number(traceRow?.broken ?? 0) + Number(traceRow?.late ?? 0);
  if (traces) add({ __name__: 'pivot_propagation_traces_total' }, traces);
  if (traces || brokenTraces) add({ __name__: 'pivot_propagation_broken_traces_total' }, brokenTraces);
  await writeCounters(query, deltas, Number(fromNs / NS_PER_MS), Number(toNs / NS_PER_MS));
  await query(sql`UPDATE servicegraph_watermark SET folded_to_ns = ${to} WHERE id = 1`);
  return { spans: Number(traceRow?.spans ?? 0), requests, series: deltas.length, toNs };
}

const sumArrays = (col: string): SQL =>
  sql.raw(`ARRAY[${Array.from({ length: NB }, (_, i) => `sum(${col}[${i + 1}])`).join(', ')}]::bigint[]`);

/** The bucket a duration in ns falls in, as bucketOf computes it in SQL. */
export function bucketIndex(ns: number): number {
  const i = LATENCY_BUCKETS_NS.findIndex((b) => ns <= b);
  return i < 0 ? NB - 1 : i;
}

const METADATA: readonly [string, string, string][] = [
  ['traces_service_graph_request_total', 'counter', 'Requests between two nodes of the service graph.'],
  ['traces_service_graph_request_failed_total', 'counter', 'Failed requests between two nodes.'],
  ['traces_service_graph_request_server_seconds', 'histogram', 'Request latency as the server saw it.'],
  ['traces_service_graph_request_client_seconds', 'histogram', 'Request latency as the client saw it.'],
  ['traces_spanmetrics_calls_total', 'counter', 'Spans per service, name, kind and status.'],
  ['traces_spanmetrics_latency', 'histogram', 'Span duration per service, name, kind and status.'],
  ['pivot_propagation_problem_spans_total', 'counter', 'Spans the propagation check flagged, per service and problem.'],
  ['pivot_propagation_traces_total', 'counter', 'Traces whose root span was folded.'],
  ['pivot_propagation_broken_traces_total', 'counter', 'Traces with a span the propagation check flagged.'],
  ['pivot_log_records_total', 'counter', 'Log records per service and severity band (by record time).'],
];

/**
 * Adds each delta to its running total and writes the new totals as samples at the window's end; a
 * series seen for the first time also gets a 0 at the window's start, so rate() sees its first increase.
 */
async function writeCounters(query: Query, deltas: SeriesDelta[], fromMs: number, toMs: number): Promise<void> {
  if (!deltas.length) return;
  const byId = new Map<string, SeriesDelta & { id: string }>();
  for (const d of deltas) {
    const id = seriesId(d.labels);
    const prev = byId.get(id);
    if (prev) prev.delta += d.delta;
    else byId.set(id, { ...d, id });
  }
  const list = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  const totals = await query<{ id: string; value: number; inserted: boolean }>(sql`
    INSERT INTO servicegraph_counters AS t (series_id, value)
    SELECT * FROM unnest(${p(list.map((s) => s.id))}::bigint[], ${p(list.map((s) => s.delta))}::float8[])
    ON CONFLICT (series_id) DO UPDATE SET value = t.value + excluded.value
    RETURNING series_id::text AS id, value, (xmax = 0) AS inserted`);
  const fresh: (SeriesDelta & { id: string })[] = [];
  const ch = {
    series: [] as string[],
    start: [] as number[],
    end: [] as number[],
    n: [] as number[],
    data: [] as Uint8Array[],
  };
  const ex = { series: [] as string[], value: [] as number[], trace: [] as string[], span: [] as (string | null)[] };
  for (const t of totals) {
    const s = byId.get(t.id)!;
    const value = Number(t.value) / s.scale;
    const inserted = t.inserted === true || String(t.inserted) === 'true';
    if (inserted) fresh.push(s);
    const ts = inserted ? [fromMs, toMs] : [toMs];
    const vs = inserted ? [0, value] : [value];
    ch.series.push(s.id);
    ch.start.push(ts[0]!);
    ch.end.push(toMs);
    ch.n.push(ts.length);
    ch.data.push(encodeChunk(ts, vs));
    if (s.exemplar) {
      ex.series.push(s.id);
      ex.value.push(s.exemplar.value);
      ex.trace.push(s.exemplar.traceId);
      ex.span.push(s.exemplar.spanId);
    }
  }
  if (fresh.length)
    await query(sql`
      INSERT INTO metric_series (id, metric_name, labels)
      SELECT * FROM unnest(${p(fresh.map((s) => s.id))}::bigint[], ${p(fresh.map((s) => s.labels.__name__!))}::text[],
                           ${p(fresh.map((s) => toJsonText(s.labels)))}::jsonb[])
      ON CONFLICT (id) DO NOTHING`);
  await query(sql`
    INSERT INTO metric_chunks (series_id, start_ms, end_ms, samples, data)
    SELECT * FROM unnest(${p(ch.series)}::bigint[], ${p(ch.start)}::bigint[], ${p(ch.end)}::bigint[], ${p(ch.n)}::int[], ${p(ch.data)}::bytea[])`);
  if (ex.series.length)
    await query(sql`
      INSERT INTO metric_exemplars (series_id, ts_ms, value, trace_id, span_id, labels)
      SELECT s, ${toMs}::bigint, v, t, sp, jsonb_build_object('trace_id', replace(t::text, '-', ''))
      FROM unnest(${p(ex.series)}::bigint[], ${p(ex.value)}::float8[], ${p(ex.trace)}::uuid[], ${p(ex.span)}::bigint[]) AS u(s, v, t, sp)
      ON CONFLICT DO NOTHING`);
  if (fresh.length)
    await query(sql`
      INSERT INTO metric_metadata (metric_family_name, type, help, unit)
      SELECT n, ty, h, '' FROM unnest(${p(METADATA.map((m) => m[0]))}::text[], ${p(METADATA.map((m) => m[1]))}::text[],
                                     ${p(METADATA.map((m) => m[2]))}::text[]) AS u(n, ty, h)
      ON CONFLICT (metric_family_name) DO NOTHING`);
}
