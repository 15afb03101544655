// Reads of the service-graph rollups (servicegraph.ts folds them): the graph of a time window, the
// slowest traces across one edge, and the propagation health ranking. Rates are per second over the
// time the data actually covers (from a node's first folded minute, to the watermark), so a service
// that started five minutes ago in a one-hour window shows its real rate.
import { sql } from 'drizzle-orm';
import { SpanKind, type TraceId, type UnixNano } from '@pivot/model';
import type { Database } from './database.ts';
import { POSTGRES_LOG_SERVICE } from './db-log-link.ts';
import { spanIdFromDb, traceIdFromDb } from './encode.ts';
import { LATENCY_BUCKETS_NS, type PropagationProblem } from './servicegraph.ts';
import type { TraceSummary } from './trace-queries.ts';

export interface GraphWindow {
  startNs: UnixNano;
  endNs: UnixNano;
}

export interface GraphNode {
  id: string;
  type: 'service' | 'database' | 'messaging' | 'external';
  requests: number;
  errors: number;
  requestRate: number;
  errorRate: number;
  p99Ms: number | null;
}

export interface GraphEdge {
  client: string;
  server: string;
  connectionType: string;
  requests: number;
  errors: number;
  requestRate: number;
  errorRate: number;
  p99Ms: number | null;
}

export interface PropagationRow {
  service: string;
  spans: number;
  orphans: number;
  brokenHops: number;
  nonEntryRoots: number;
  problems: {
    problem: PropagationProblem;
    count: number;
    why: string;
    examples: { traceId: TraceId; spanId: string }[];
  }[];
}

export interface PropagationReport {
  traces: { total: number; complete: number; completeShare: number };
  services: PropagationRow[];
  /**
   * Database server log lines in the window per session application_name: all of them, and those that
   * name no trace (their statement carried no traceparent comment), most unlinked first.
   */
  serverLogs: { application: string; lines: number; unlinked: number }[];
}

const nums = (v: unknown): number[] =>
  Array.isArray(v)
    ? v.map(Number)
    : (typeof v === 'string' ? v : '').replace(/[{}]/g, '').split(',').filter(Boolean).map(Number);
const strs = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : (typeof v === 'string' ? v : '').replace(/[{}]/g, '').split(',').filter(Boolean);

/**
 * The q-quantile of per-bucket counts over the fixed buckets, in ms, interpolated linearly inside the
 * bucket as Prometheus's histogram_quantile does; in the +Inf bucket, the highest finite bound.
 */
export function quantileFromBuckets(q: number, counts: readonly number[]): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (!total) return null;
  const rank = q * total;
  let cum = 0;
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i]!;
    if (cum + n >= rank && n > 0) {
      if (i >= LATENCY_BUCKETS_NS.length) return LATENCY_BUCKETS_NS[LATENCY_BUCKETS_NS.length - 1]! / 1e6;
      const lo = i === 0 ? 0 : LATENCY_BUCKETS_NS[i - 1]!;
      const hi = LATENCY_BUCKETS_NS[i]!;
      return (lo + ((hi - lo) * (rank - cum)) / n) / 1e6;
    }
    cum += n;
  }
  return LATENCY_BUCKETS_NS[LATENCY_BUCKETS_NS.length - 1]! / 1e6;
}

const addInto = (acc: number[], xs: number[]) => xs.forEach((x, i) => (acc[i] = (acc[i] ?? 0) + x));

export class ServiceGraphQueries {
  constructor(private readonly database: Database) {}

  private minutes(w: GraphWindow) {
    // A minute row holds the spans that ended in it: the window takes the minutes that start in it.
    return sql`minute_ms >= ${Number(w.startNs / 1_000_000n)}::bigint AND minute_ms < ${Number(w.endNs / 1_000_000n)}::bigint`;
  }

  /** Unix ms up to which spans are folded (0 before the first fold). */
  async foldedToMs(): Promise<number> {
    const [r] = await this.database.query(
      sql`SELECT folded_to_ns::text AS folded_to_ns FROM servicegraph_watermark WHERE id = 1`,
    );
    return r ? Number(BigInt(r.folded_to_ns as string) / 1_000_000n) : 0;
  }

  /** Seconds from the first folded minute (or the window start, if later) to the watermark (or the window end). */
  private covered(w: GraphWindow, firstMinuteMs: number, foldedToMs: number): number {
    const from = Math.max(Number(w.startNs / 1_000_000n), firstMinuteMs);
    const to = Math.min(Number(w.endNs / 1_000_000n), foldedToMs);
    return Math.max(to - from, 1000) / 1000;
  }

  async graph(w: GraphWindow): Promise<{ nodes: GraphNode[]; edges: GraphEdge[] }> {
    const foldedTo = await this.foldedToMs();
    const edgeRows = await this.database.query(sql`
      SELECT client, server, connection_type, sum(requests)::bigint AS requests, sum(failed)::bigint AS failed,
        ARRAY[${sql.raw(LATENCY_BUCKETS_NS.map((_, i) => `sum(server_buckets[${i + 1}])`).join(', '))}, sum(server_buckets[${sql.raw(String(LATENCY_BUCKETS_NS.length + 1))}])]::bigint[] AS server_buckets,
        ARRAY[${sql.raw(LATENCY_BUCKETS_NS.map((_, i) => `sum(client_buckets[${i + 1}])`).join(', '))}, sum(client_buckets[${sql.raw(String(LATENCY_BUCKETS_NS.length + 1))}])]::bigint[] AS client_buckets,
        min(minute_ms) AS first_ms
      FROM servicegraph_edges WHERE ${this.minutes(w)}
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`);
    // Every instrumented service with spans in the window is a node, edges or not.
    const serviceRows = await this.database.query(sql`
      SELECT service, min(minute_ms) AS first_ms FROM span_metrics WHERE ${this.minutes(w)} GROUP BY 1`);
    const services = new Map(serviceRows.map((r) => [String(r.service), Number(r.first_ms)]));
    const edges: GraphEdge[] = [];
    const nodes = new Map<string, GraphNode & { buckets: number[]; firstMs: number }>();
    const node = (id: string, type: GraphNode['type'], firstMs: number) => {
      let n = nodes.get(id);
      if (!n)
        nodes.set(
          id,
          (n = { id, type, requests: 0, errors: 0, requestRate: 0, errorRate: 0, p99Ms: null, buckets: [], firstMs }),
        );
      n.firstMs = Math.min(n.firstMs, firstMs);
      return n;
    };
    for (const [s, first] of services) node(s, 'service', first);
    for (const r of edgeRows) {
      const client = String(r.client);
      const server = String(r.server);
      const conn = String(r.connection_type);
      const requests = Number(r.requests);
      const errors = Number(r.failed);
      const first = Number(r.first_ms);
      const serverInstrumented = services.has(server);
      // Latency as the server saw it when it is instrumented, else as the client saw it.
      const buckets = nums(serverInstrumented ? r.server_buckets : r.client_buckets);
      const secs = this.covered(w, first, foldedTo);
      edges.push({
        client,
        server,
        connectionType: conn,
        requests,
        errors,
        requestRate: requests / secs,
        errorRate: requests ? errors / requests : 0,
        p99Ms: quantileFromBuckets(0.99, buckets),
      });
      node(client, services.has(client) ? 'service' : 'external', first);
      const type: GraphNode['type'] = serverInstrumented
        ? 'service'
        : conn === 'database'
          ? 'database'
          : conn === 'messaging_system'
            ? 'messaging'
            : 'external';
      const n = node(server, type, first);
      n.requests += requests;
      n.errors += errors;
      addInto(n.buckets, buckets);
    }
    // A queue consumed from (a virtual client of a CONSUMER) is a messaging node too.
    for (const e of edges)
      if (e.connectionType === 'messaging_system' && !services.has(e.client)) nodes.get(e.client)!.type = 'messaging';
    return {
      nodes: [...nodes.values()]
        .map(({ buckets, firstMs, ...n }) => ({
          ...n,
          requestRate: n.requests / this.covered(w, firstMs, foldedTo),
          errorRate: n.requests ? n.errors / n.requests : 0,
          p99Ms: quantileFromBuckets(0.99, buckets),
        }))
        .sort((a, b) => a.id.localeCompare(b.id)),
      edges,
    };
  }

  /**
   * The slowest calls across one edge in the window, with their traces: client spans of `client` whose
   * server child is a span of `server`; for a virtual server, the client spans that named it; for the
   * virtual client `user`, the root server spans of `server`.
   */
  async edgeTraces(
    client: string,
    server: string,
    w: GraphWindow,
    limit: number,
  ): Promise<(TraceSummary & { clientSpanId: string; edgeDurationNs: bigint })[]> {
    const start = sql`${w.startNs.toString()}::bigint`;
    const end = sql`${w.endNs.toString()}::bigint`;
    const S = SpanKind;
    const virtualName = sql`coalesce(c.attributes->>'peer.service',
      CASE WHEN c.attributes ? 'db.system' OR c.attributes ? 'db.name' OR c.attributes ? 'db.namespace'
        THEN coalesce(c.attributes->>'db.system', '') || coalesce('/' || coalesce(c.attributes->>'db.namespace', c.attributes->>'db.name'), '') END,
      CASE WHEN c.kind = ${S.PRODUCER} AND c.attributes ? 'messaging.system'
        THEN (c.attributes->>'messaging.system') || coalesce('/' || coalesce(c.attributes->>'messaging.destination.name', c.attributes->>'messaging.destination'), '') END,
      c.attributes->>'server.address')`;
    const calls =
      client === 'user'
        ? sql`SELECT c.trace_id, c.span_id, c.duration_ns FROM spans c
            WHERE c.service_name = ${server} AND c.start_ns >= ${start} AND c.start_ns < ${end}
              AND c.parent_span_id IS NULL AND c.kind IN (${S.SERVER}, ${S.CONSUMER})`
        : sql`SELECT c.trace_id, c.span_id, c.duration_ns FROM spans c
            WHERE c.service_name = ${client} AND c.start_ns >= ${start} AND c.start_ns < ${end}
              AND c.kind IN (${S.CLIENT}, ${S.PRODUCER})
              AND (EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = c.trace_id AND s.parent_span_id = c.span_id
                             AND s.service_name = ${server} AND s.kind IN (${S.SERVER}, ${S.CONSUMER}))
                   OR ${virtualName} = ${server})`;
    const rows = await this.database.query(sql`
      WITH e AS (${calls} ORDER BY c.duration_ns DESC LIMIT 1000),
      best AS (SELECT DISTINCT ON (trace_id) trace_id, span_id, duration_ns FROM e ORDER BY trace_id, duration_ns DESC)
      SELECT t.trace_id, t.root_service, t.root_name, t.span_count, t.error_count, t.services,
        b.span_id::text AS span_id, b.duration_ns::text AS duration_ns, t.start_ns::text AS start_ns, t.end_ns::text AS end_ns
      FROM best b JOIN traces t ON t.trace_id = b.trace_id
      ORDER BY b.duration_ns DESC, t.trace_id LIMIT ${limit}`);
    return rows.map((r) => {
      const startNs = BigInt(r.start_ns as string) as UnixNano;
      const endNs = BigInt(r.end_ns as string) as UnixNano;
      return {
        traceId: traceIdFromDb(r.trace_id),
        rootService: (r.root_service as string | null) ?? null,
        rootName: (r.root_name as string | null) ?? null,
        startTimeUnixNano: startNs,
        endTimeUnixNano: endNs,
        durationNano: endNs - startNs,
        spanCount: Number(r.span_count),
        errorCount: Number(r.error_count),
        services: typeof r.services === 'string' ? strs(r.services) : (r.services as string[]),
        clientSpanId: spanIdFromDb(r.span_id),
        edgeDurationNs: BigInt(r.duration_ns as string),
      };
    });
  }

  /** Per service, the spans the propagation check flagged in the window, most broken first. */
  async propagation(w: GraphWindow): Promise<PropagationReport> {
    const [t] = await this.database.query(sql`
      SELECT coalesce(sum(traces), 0)::bigint AS traces, coalesce(sum(complete), 0)::bigint AS complete
      FROM propagation_traces WHERE ${this.minutes(w)}`);
    const spanRows = await this.database.query(sql`
      SELECT service, sum(calls)::bigint AS n FROM span_metrics WHERE ${this.minutes(w)} GROUP BY 1`);
    const probRows = await this.database.query(sql`
      SELECT service, problem, sum(count)::bigint AS n, (array_agg(why ORDER BY minute_ms DESC))[1] AS why,
        (array_agg(ex::text ORDER BY minute_ms DESC))[1:5] AS tids, (array_agg(sx::text ORDER BY minute_ms DESC))[1:5] AS sids
      FROM propagation_problems, LATERAL unnest(example_trace_ids, example_span_ids) AS u(ex, sx)
      WHERE ${this.minutes(w)}
      GROUP BY 1, 2`);
    // The counts come from the rows themselves: unnest above repeats a row per example.
    const countRows = await this.database.query(sql`
      SELECT service, problem, sum(count)::bigint AS n FROM propagation_problems WHERE ${this.minutes(w)} GROUP BY 1, 2`);
    const counts = new Map(countRows.map((r) => [`${String(r.service)}\0${String(r.problem)}`, Number(r.n)]));
    const rows = new Map<string, PropagationRow>();
    const row = (service: string) => {
      let r = rows.get(service);
      if (!r) rows.set(service, (r = { service, spans: 0, orphans: 0, brokenHops: 0, nonEntryRoots: 0, problems: [] }));
      return r;
    };
    for (const r of spanRows) row(String(r.service)).spans = Number(r.n);
    for (const r of probRows) {
      const service = String(r.service);
      const problem = String(r.problem) as PropagationProblem;
      const count = counts.get(`${service}\0${problem}`) ?? 0;
      const tids = strs(r.tids);
      const sids = strs(r.sids);
      const x = row(service);
      x.problems.push({
        problem,
        count,
        why: String(r.why),
        examples: tids.map((tid, i) => ({ traceId: traceIdFromDb(tid), spanId: spanIdFromDb(sids[i]) })),
      });
      if (problem === 'orphan') x.orphans += count;
      else if (problem === 'root-not-entry') x.nonEntryRoots += count;
      else x.brokenHops += count;
    }
    // Read from the logs themselves (the service's time index): a window's server lines, not a rollup.
    const logRows = await this.database.query(sql`
      SELECT coalesce(attributes->>'pg.application_name', '') AS app, count(*)::bigint AS n,
        count(*) FILTER (WHERE trace_id IS NULL)::bigint AS unlinked
      FROM logs
      WHERE service_name = ${POSTGRES_LOG_SERVICE} AND time_ns >= ${w.startNs.toString()}::bigint
        AND time_ns < ${w.endNs.toString()}::bigint
      GROUP BY 1`);
    const serverLogs = logRows
      .map((r) => ({ application: String(r.app), lines: Number(r.n), unlinked: Number(r.unlinked) }))
      .sort((a, b) => b.unlinked - a.unlinked || a.application.localeCompare(b.application));
    const broken = (r: PropagationRow) => r.orphans + r.brokenHops + r.nonEntryRoots;
    for (const r of rows.values()) r.problems.sort((a, b) => b.count - a.count || a.problem.localeCompare(b.problem));
    const total = Number(t?.traces ?? 0);
    const complete = Number(t?.complete ?? 0);
    return {
      traces: { total, complete, completeShare: total ? complete / total : 1 },
      services: [...rows.values()]
        .filter((r) => broken(r) > 0 || r.spans > 0)
        .sort((a, b) => broken(b) - broken(a) || a.service.localeCompare(b.service)),
      serverLogs,
    };
  }

  /** The spans of one trace the propagation check flagged. */
  async traceFlags(traceId: TraceId): Promise<{ spanId: string; problem: PropagationProblem; why: string }[]> {
    const rows = await this.database.query(sql`
      SELECT DISTINCT span_id::text AS span_id, problem, why FROM propagation_spans WHERE trace_id = ${traceId}::uuid ORDER BY 1, 2`);
    return rows.map((r) => ({
      spanId: spanIdFromDb(r.span_id),
      problem: r.problem as PropagationProblem,
      why: String(r.why),
    }));
  }
}
