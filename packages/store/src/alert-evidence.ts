// Trace IDs an alert can carry when its series have no exemplars (recording rules, log counts, span
// metrics summed by service): the slowest matching traces from the spans of the alert's window, or the
// traces of a service's error logs in it. Which filter fits an alert is the rules package's choice
// (packages/rules/src/evidence.ts); this file only reads.
import { sql, type SQL } from 'drizzle-orm';
import { StatusCode, type TraceId } from '@pivot/model';
import type { Database } from './database.ts';
import { traceIdFromDb } from './encode.ts';

/** Spans to look at; every field given must match (service, span name, ERROR status). */
export interface SpanTraceFilter {
  service?: string;
  spanName?: string;
  errorsOnly?: boolean;
}

/** Log records to look at: at least this severity number (17 = ERROR), of this service when given. */
export interface LogTraceFilter {
  service?: string;
  minSeverity: number;
}

const NS_PER_MS = 1_000_000n;
const nsParam = (ms: number): SQL => sql`${(BigInt(Math.floor(ms)) * NS_PER_MS).toString()}::bigint`;

export class AlertEvidenceQueries {
  constructor(private readonly database: Database) {}

  /**
   * Traces with a matching span that started in [startMs, endMs), the slowest matching span first (ties
   * by trace ID, so the answer does not change from run to run).
   */
  async slowestTraces(f: SpanTraceFilter, startMs: number, endMs: number, limit = 5): Promise<TraceId[]> {
    const rows = await this.database.query(sql`
      SELECT s.trace_id, max(s.duration_ns) AS slowest
      FROM spans s
      WHERE s.start_ns >= ${nsParam(startMs)} AND s.start_ns < ${nsParam(endMs)}
        ${f.service !== undefined ? sql`AND s.service_name = ${f.service}` : sql``}
        ${f.spanName !== undefined ? sql`AND s.name = ${f.spanName}` : sql``}
        ${f.errorsOnly ? sql`AND s.status_code = ${StatusCode.ERROR}` : sql``}
      GROUP BY s.trace_id
      ORDER BY slowest DESC, s.trace_id
      LIMIT ${limit}`);
    return rows.map((r) => traceIdFromDb(r.trace_id));
  }

  /** Traces of matching log records in [startMs, endMs), the latest record first (ties by trace ID). */
  async logTraces(f: LogTraceFilter, startMs: number, endMs: number, limit = 5): Promise<TraceId[]> {
    const rows = await this.database.query(sql`
      SELECT l.trace_id, max(l.time_ns) AS latest
      FROM logs l
      WHERE l.time_ns >= ${nsParam(startMs)} AND l.time_ns < ${nsParam(endMs)}
        AND l.trace_id IS NOT NULL AND l.severity_number >= ${f.minSeverity}
        ${f.service !== undefined ? sql`AND l.service_name = ${f.service}` : sql``}
      GROUP BY l.trace_id
      ORDER BY latest DESC, l.trace_id
      LIMIT ${limit}`);
    return rows.map((r) => traceIdFromDb(r.trace_id));
  }
}
