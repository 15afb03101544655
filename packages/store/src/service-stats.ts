// RED metrics with zero configuration: request rate, error rate and latency percentiles per service
// and per operation, with sparklines, for the dashboard's Services pages. "Requests" are entry spans:
// SERVER and CONSUMER spans, and roots of other kinds (a batch job's root span is its request), so a
// client span is not counted twice.
//
// The figures come from the service-graph rollups (servicegraph.ts), not from a scan of the spans:
// - SERVER and CONSUMER spans from `span_metrics` (per minute, service, operation, kind and status,
//   with Tempo's latency buckets); percentiles are interpolated in those buckets as histogram_quantile
//   does (quantileFromBuckets), so they are estimates within a bucket;
// - roots of other kinds from `propagation_spans` (the fold flags every one as `root-not-entry`; they
//   are rare, so their spans are looked up one by one) - span_metrics' keys do not say "root";
// - the tail the fold has not reached yet (spans that ended after its watermark, the last
//   SERVICEGRAPH_WAIT) from the spans themselves, found by the BRIN index on the end time.
// All three are read in one statement, so one snapshot: a fold that commits meanwhile is seen whole or
// not at all, and nothing is counted twice (the tail's bound is the watermark of that same snapshot). A row's minute is the minute its span ENDED in, as in the
// rollups; a window takes the minutes that start in it.
import { sql, type SQL } from 'drizzle-orm';
import { SpanKind, StatusCode, type UnixNano } from '@pivot/model';
import type { Database } from './database.ts';
import { LATENCY_BUCKETS_NS } from './servicegraph.ts';
import { quantileFromBuckets } from './servicegraph-queries.ts';

/** Latency histogram resolution: 4 buckets per doubling, each ≈19% wider than the last. */
const HISTOGRAM_PER_DOUBLING = 4;

export interface StatsWindow {
  startNs: UnixNano;
  endNs: UnixNano;
  stepNs: bigint;
}

export interface StatsRow {
  name: string;
  requests: number;
  errors: number;
  /** Requests per second over the time the window's data covers (from its first request). */
  rate: number;
  /** errors / requests, 0…1. */
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** Requests per bucket. */
  sparkline: number[];
  /** Errors per bucket. */
  errorSparkline: number[];
  /** P99 per bucket in ms, null where the bucket had no request. */
  p99Sparkline: (number | null)[];
}

export interface StatsTable {
  startNs: UnixNano;
  endNs: UnixNano;
  stepNs: bigint;
  /** Bucket starts, Unix ms. */
  buckets: number[];
  rows: StatsRow[];
  /** The whole set (all services, or the one service), when asked for. */
  total: StatsRow | null;
}

export interface HistogramBucket {
  fromMs: number;
  toMs: number;
  count: number;
}

const num = (v: unknown): number => Number(v);
const MINUTE_NS = 60_000_000_000n;
/** As servicegraph.ts's LOOKBACK_NS: the fold ignores spans that started longer than this before their window. */
const LOOKBACK_NS = 3_600_000_000_000n;
const BOUNDS = sql.raw(`ARRAY[${LATENCY_BUCKETS_NS.join(',')}]::bigint[]`);
// Drivers differ: node-postgres returns float8[] parsed, PGlite too, but be lenient with "{1,2,3}".
const floatArray = (v: unknown): (number | null)[] =>
  Array.isArray(v)
    ? v.map((x) => (x == null ? null : Number(x)))
    : typeof v === 'string'
      ? v
          .replace(/[{}]/g, '')
          .split(',')
          .map((x) => (x === 'NULL' ? null : Number(x)))
      : [];

export class ServiceStatsQueries {
  constructor(private readonly database: Database) {}

  /** One row per service, and the total. */
  services(w: StatsWindow): Promise<StatsTable> {
    return this.table(w, 'service', null);
  }

  /** One row per operation of a service, and the service's total. */
  operations(service: string, w: StatsWindow): Promise<StatsTable> {
    return this.table(w, 'operation', service);
  }

  /**
   * Latency distribution of a service's requests (optionally one operation), on a log scale. Still read
   * from the spans: one service's entry spans, through its index, at a finer resolution than the
   * rollups' doubling buckets.
   */
  async histogram(service: string, w: StatsWindow, operation?: string): Promise<HistogramBucket[]> {
    const rows = await this.database.query(sql`
      SELECT floor(ln(greatest(s.duration_ns, 1)::float8) / ln(2) * ${HISTOGRAM_PER_DOUBLING})::int AS b, count(*) AS n
      FROM spans s
      WHERE s.start_ns >= ${w.startNs.toString()}::bigint AND s.start_ns < ${w.endNs.toString()}::bigint
        AND (s.kind IN (${SpanKind.SERVER}, ${SpanKind.CONSUMER}) OR s.parent_span_id IS NULL)
        AND s.service_name = ${service} ${operation ? sql`AND s.name = ${operation}` : sql``}
      GROUP BY 1 ORDER BY 1`);
    return rows.map((r) => {
      const b = num(r.b);
      return {
        fromMs: 2 ** (b / HISTOGRAM_PER_DOUBLING) / 1e6,
        toMs: 2 ** ((b + 1) / HISTOGRAM_PER_DOUBLING) / 1e6,
        count: num(r.n),
      };
    });
  }

  /**
   * The entry requests of the window, per (key, minute): from the rollups, the flagged non-entry roots
   * and the unfolded tail (see the header). Columns: key, minute_ms, calls, errors, buckets (counts per
   * latency bucket, +Inf last).
   */
  private requests(w: StatsWindow, by: 'service' | 'operation', service: string | null, foldedNs: bigint): SQL {
    const S = SpanKind;
    const err = StatusCode.ERROR;
    // Minutes that start in the window, i.e. spans that ended in [ceil(start), ceil(end)) to the minute.
    const ceilMin = (ns: bigint) => ((ns + MINUTE_NS - 1n) / MINUTE_NS) * MINUTE_NS;
    const fromNs = ceilMin(w.startNs);
    const toNs = ceilMin(w.endNs);
    const fromMs = sql`${(fromNs / 1_000_000n).toString()}::bigint`;
    const toMs = sql`${(toNs / 1_000_000n).toString()}::bigint`;
    const to = sql`${toNs.toString()}::bigint`;
    // The fold skips spans that started more than this before they ended (its LOOKBACK); so do we.
    const lo = sql`${(fromNs - LOOKBACK_NS).toString()}::bigint`;
    // The tail: the watermark read just before, as a constant, so that the planner prunes partitions
    // and uses the BRIN index on the end time; and again inside the statement, so that a fold that
    // committed in between (and moved it) is not counted twice.
    const tailFromNs = foldedNs > fromNs ? foldedNs : fromNs;
    const tailFrom = sql`${tailFromNs.toString()}::bigint`;
    const tailLo = sql`${(tailFromNs - LOOKBACK_NS).toString()}::bigint`;
    // One span as a bucket array: 1 in the bucket of its duration (the fold's bucketOf), 0 elsewhere.
    const oneHot = (ns: SQL) => {
      return sql`ARRAY[${sql.join(
        Array.from(
          { length: LATENCY_BUCKETS_NS.length + 1 },
          (_, i) => sql`(width_bucket(${ns} - 1, ${BOUNDS}) = ${sql.raw(String(i))})::int`,
        ),
        sql`, `,
      )}]::bigint[]`;
    };
    const svc = (col: SQL) => (service === null ? sql`` : sql`AND ${col} = ${service}`);
    const key = (svcCol: SQL, nameCol: SQL) => (by === 'service' ? svcCol : nameCol);
    return sql`
      SELECT ${key(sql`m.service`, sql`m.span_name`)} AS key, m.minute_ms, m.calls,
        CASE WHEN m.status_code = ${err} THEN m.calls ELSE 0 END AS errors, m.buckets
      FROM span_metrics m
      WHERE m.minute_ms >= ${fromMs} AND m.minute_ms < ${toMs} AND m.span_kind IN (${S.SERVER}, ${S.CONSUMER})
        ${svc(sql`m.service`)}
      UNION ALL
      SELECT ${key(sql`s.service_name`, sql`s.name`)}, p.minute_ms, 1, (s.status_code = ${err})::int,
        ${oneHot(sql`s.duration_ns`)}
      FROM propagation_spans p
      JOIN spans s ON s.trace_id = p.trace_id AND s.span_id = p.span_id AND s.start_ns >= ${lo} AND s.start_ns < ${to}
      WHERE p.minute_ms >= ${fromMs} AND p.minute_ms < ${toMs} AND p.problem = 'root-not-entry' ${svc(sql`p.service`)}
      UNION ALL
      SELECT ${key(sql`s.service_name`, sql`s.name`)}, ((s.start_ns + s.duration_ns) / 60000000000) * 60000,
        1, (s.status_code = ${err})::int, ${oneHot(sql`s.duration_ns`)}
      FROM spans s
      WHERE s.start_ns >= ${tailLo} AND s.start_ns < ${to}
        AND s.start_ns + s.duration_ns >= ${tailFrom} AND s.start_ns + s.duration_ns < ${to}
        AND s.start_ns + s.duration_ns >= (SELECT coalesce(max(folded_to_ns), 0) FROM servicegraph_watermark)
        AND (s.kind IN (${S.SERVER}, ${S.CONSUMER}) OR (s.parent_span_id IS NULL AND s.kind IN (${S.UNSPECIFIED}, ${S.INTERNAL}, ${S.CLIENT})))
        ${svc(sql`s.service_name`)}`;
  }

  /**
   * Per key, the start of its first entry span in the window: one short walk of the service's (and
   * operation's) start-time index each, from the window's start, for keys that started inside it.
   */
  private async firstRequests(
    w: StatsWindow,
    by: 'service' | 'operation',
    service: string | null,
    keys: string[],
  ): Promise<Map<string, number>> {
    if (!keys.length) return new Map();
    const S = SpanKind;
    const fromNs = ((w.startNs + MINUTE_NS - 1n) / MINUTE_NS) * MINUTE_NS;
    // One statement per key rather than a correlated subquery over unnest(keys): each is the same index
    // walk on one PostgreSQL, and on Citus a plain ORDER BY … LIMIT 1 that every shard answers and the
    // coordinator merges, where a correlated subquery with a LIMIT into a distributed table is refused.
    const firsts = await Promise.all(
      keys.map(async (key) => {
        const match =
          by === 'service' ? sql`s.service_name = ${key}` : sql`s.service_name = ${service ?? ''} AND s.name = ${key}`;
        const [r] = await this.database.query(sql`
          SELECT s.start_ns::text AS first_ns FROM spans s
          WHERE ${match} AND s.start_ns >= ${(fromNs - LOOKBACK_NS).toString()}::bigint AND s.start_ns < ${w.endNs.toString()}::bigint
            AND s.start_ns + s.duration_ns >= ${fromNs.toString()}::bigint
            AND (s.kind IN (${S.SERVER}, ${S.CONSUMER}) OR (s.parent_span_id IS NULL AND s.kind IN (${S.UNSPECIFIED}, ${S.INTERNAL}, ${S.CLIENT})))
          ORDER BY s.start_ns LIMIT 1`);
        return [key, r?.first_ns] as const;
      }),
    );
    return new Map(firsts.filter(([, ns]) => ns != null).map(([key, ns]) => [key, Number(ns)]));
  }

  private async table(
    w0: StatsWindow,
    by: 'service' | 'operation',
    service: string | null,
    nowNs = Date.now() * 1e6,
  ): Promise<StatsTable> {
    // The rollups are per minute: a finer step would leave empty buckets between the minutes.
    const stepNs = w0.stepNs < MINUTE_NS ? MINUTE_NS : w0.stepNs;
    const w = { ...w0, stepNs };
    const nBuckets = Number((w.endNs - w.startNs + w.stepNs - 1n) / w.stepNs);
    const startMs = Number(w.startNs / 1_000_000n);
    const stepMs = Number(w.stepNs) / 1e6;
    const NB = LATENCY_BUCKETS_NS.length + 1;
    const [wm] = await this.database.query(
      sql`SELECT coalesce(max(folded_to_ns), 0)::text AS ns FROM servicegraph_watermark`,
    );
    const foldedNs = BigInt((wm?.ns as string | undefined) ?? '0');
    const sums = sql.raw(Array.from({ length: NB }, (_, i) => `sum(buckets[${i + 1}])`).join(', '));
    // Four groupings of the same rows: per key, per key and bucket (sparklines), and the same for the total.
    const rows = await this.database.query(sql`
      SELECT key, bucket, GROUPING(key) AS g_key, GROUPING(bucket) AS g_bucket,
        sum(calls)::bigint AS requests, sum(errors)::bigint AS errors, min(minute_ms) AS first_ms,
        ARRAY[${sums}]::bigint[] AS buckets
      FROM (
        SELECT r.*, (r.minute_ms * 1000000 - ${w.startNs.toString()}::bigint) / ${w.stepNs.toString()}::bigint AS bucket
        FROM (${this.requests(w, by, service, foldedNs)}) r
      ) e
      GROUP BY GROUPING SETS ((key), (key, bucket), (), (bucket))`);
    // The rate is over the time the data covers: from the first request in the window (a service that
    // started five minutes ago in a one-hour window shows its real rate), to the window's end or now,
    // and at least the asked step, so that one request at the very end is not a burst.
    const endNs = Math.min(Number(w.endNs), nowNs);
    const coveredSeconds = (firstNs: number) =>
      Math.max(endNs - Math.max(Number(w.startNs), firstNs), Number(w0.stepNs)) / 1e9;
    const firstMinute = new Map<string | null, number>();
    const rowsByKey = new Map<string | null, StatsRow>();
    const rowFor = (k: string | null): StatsRow => {
      let r = rowsByKey.get(k);
      if (!r) {
        r = {
          name: k ?? '',
          requests: 0,
          errors: 0,
          rate: 0,
          errorRate: 0,
          p50Ms: null,
          p95Ms: null,
          p99Ms: null,
          sparkline: new Array<number>(nBuckets).fill(0),
          errorSparkline: new Array<number>(nBuckets).fill(0),
          p99Sparkline: new Array<number | null>(nBuckets).fill(null),
        };
        rowsByKey.set(k, r);
      }
      return r;
    };
    // The empty total: the store's "nothing in the window" (an unknown service) still has a total row.
    rowFor(null);
    for (const r of rows) {
      const k = num(r.g_key) ? null : (r.key as string);
      const buckets = floatArray(r.buckets).map((x) => x ?? 0);
      if (num(r.g_bucket)) {
        if (r.requests == null) continue; // the () grouping set over no rows
        const row = rowFor(k);
        row.requests = num(r.requests);
        row.errors = num(r.errors);
        firstMinute.set(k, num(r.first_ms));
        row.errorRate = row.requests ? row.errors / row.requests : 0;
        row.p50Ms = quantileFromBuckets(0.5, buckets);
        row.p95Ms = quantileFromBuckets(0.95, buckets);
        row.p99Ms = quantileFromBuckets(0.99, buckets);
      } else {
        const b = num(r.bucket);
        if (b < 0 || b >= nBuckets) continue;
        const row = rowFor(k);
        row.sparkline[b] = num(r.requests);
        row.errorSparkline[b] = num(r.errors);
        row.p99Sparkline[b] = quantileFromBuckets(0.99, buckets);
      }
    }
    // The rollups know the first request's minute only: where that minute is not the window's first
    // (the key started inside the window), its spans give the exact time.
    const windowMinuteMs = Number((w.startNs + MINUTE_NS - 1n) / MINUTE_NS) * 60_000;
    const late = [...firstMinute].filter(([k, m]) => k !== null && m > windowMinuteMs).map(([k]) => k!);
    const exact = await this.firstRequests(w, by, service, late);
    for (const [k, row] of rowsByKey) {
      const m = firstMinute.get(k);
      if (m === undefined) continue;
      // The total starts with its earliest key.
      const firstNs =
        k === null
          ? Math.min(...[...firstMinute].filter(([x]) => x !== null).map(([x, mm]) => exact.get(x!) ?? mm * 1e6))
          : (exact.get(k) ?? m * 1e6);
      row.rate = row.requests / coveredSeconds(firstNs);
    }
    const total = rowsByKey.get(null) ?? null;
    rowsByKey.delete(null);
    return {
      ...w,
      buckets: Array.from({ length: nBuckets }, (_, i) => startMs + i * stepMs),
      rows: [...rowsByKey.values()].sort((a, b) => b.requests - a.requests || a.name.localeCompare(b.name)),
      total,
    };
  }
}
