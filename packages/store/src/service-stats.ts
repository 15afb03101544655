// RED metrics from span data with zero configuration: request rate, error rate and latency
// percentiles per service and per operation, with sparklines and a latency histogram, for the
// dashboard's Services pages. "Requests" are entry spans: SERVER and CONSUMER spans, and roots
// (a batch job's root span is its request), so a client span is not counted twice.
import { sql, type SQL } from 'drizzle-orm';
import { SpanKind, StatusCode, type UnixNano } from '@pivot/model';
import type { Database } from './database.ts';

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
const msOrNull = (v: unknown): number | null => (v == null ? null : Number(v) / 1e6);
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
    return this.table(w, sql`s.service_name`, sql`TRUE`);
  }

  /** One row per operation of a service, and the service's total. */
  operations(service: string, w: StatsWindow): Promise<StatsTable> {
    return this.table(w, sql`s.name`, sql`s.service_name = ${service}`);
  }

  /** Latency distribution of a service's requests (optionally one operation), on a log scale. */
  async histogram(service: string, w: StatsWindow, operation?: string): Promise<HistogramBucket[]> {
    const rows = await this.database.query(sql`
      SELECT floor(ln(greatest(s.duration_ns, 1)::float8) / ln(2) * ${HISTOGRAM_PER_DOUBLING})::int AS b, count(*) AS n
      FROM spans s
      WHERE ${this.where(w)} AND s.service_name = ${service} ${operation ? sql`AND s.name = ${operation}` : sql``}
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

  private where(w: StatsWindow): SQL {
    // Bounds on start_ns first, so PostgreSQL prunes to the day partitions of the window.
    return sql`s.start_ns >= ${w.startNs.toString()}::bigint AND s.start_ns < ${w.endNs.toString()}::bigint
      AND (s.kind IN (${SpanKind.SERVER}, ${SpanKind.CONSUMER}) OR s.parent_span_id IS NULL)`;
  }

  private async table(w: StatsWindow, key: SQL, filter: SQL, nowNs = Date.now() * 1e6): Promise<StatsTable> {
    const nBuckets = Number((w.endNs - w.startNs + w.stepNs - 1n) / w.stepNs);
    // One scan, four groupings: per key, per key and bucket (sparklines), and the same for the total.
    const rows = await this.database.query(sql`
      SELECT key, bucket, GROUPING(key) AS g_key, GROUPING(bucket) AS g_bucket,
        count(*) AS requests,
        count(*) FILTER (WHERE status_code = ${StatusCode.ERROR}) AS errors, min(start_ns) AS first_ns,
        percentile_cont(ARRAY[0.5, 0.95, 0.99]::float8[]) WITHIN GROUP (ORDER BY duration_ns::float8) AS p
      FROM (
        SELECT ${key} AS key, (s.start_ns - ${w.startNs.toString()}::bigint) / ${w.stepNs.toString()}::bigint AS bucket, s.start_ns, s.duration_ns, s.status_code
        FROM spans s
        WHERE ${this.where(w)} AND ${filter}
      ) e
      GROUP BY GROUPING SETS ((key), (key, bucket), (), (bucket))`);
    // The rate is over the time the data covers: from the first request in the window (a service that
    // started five minutes ago in a one-hour window shows its real rate), to the window's end or now,
    // and at least one bucket, so that one request at the very end is not a burst.
    const endNs = Math.min(Number(w.endNs), nowNs);
    const coveredSeconds = (firstNs: unknown) =>
      Math.max(endNs - Math.max(Number(w.startNs), Number(firstNs)), Number(w.stepNs)) / 1e9;
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
    for (const r of rows) {
      const k = num(r.g_key) ? null : (r.key as string);
      const row = rowFor(k);
      const p = floatArray(r.p);
      if (num(r.g_bucket)) {
        row.requests = num(r.requests);
        row.errors = num(r.errors);
        row.rate = row.requests / coveredSeconds(r.first_ns);
        row.errorRate = row.requests ? row.errors / row.requests : 0;
        [row.p50Ms, row.p95Ms, row.p99Ms] = [msOrNull(p[0]), msOrNull(p[1]), msOrNull(p[2])];
      } else {
        const b = num(r.bucket);
        if (b < 0 || b >= nBuckets) continue;
        row.sparkline[b] = num(r.requests);
        row.errorSparkline[b] = num(r.errors);
        row.p99Sparkline[b] = msOrNull(p[2]);
      }
    }
    const total = rowsByKey.get(null) ?? null;
    rowsByKey.delete(null);
    const startMs = Number(w.startNs / 1_000_000n);
    const stepMs = Number(w.stepNs) / 1e6;
    return {
      ...w,
      buckets: Array.from({ length: nBuckets }, (_, i) => startMs + i * stepMs),
      rows: [...rowsByKey.values()].sort((a, b) => b.requests - a.requests || a.name.localeCompare(b.name)),
      total,
    };
  }
}
