// "Compare with a typical trace": the median-duration trace among those with the same root service and
// root operation that started in a window around a given trace. The median is taken over the trace
// summaries (one row per trace, found by the start-time index), never over spans, so a busy hour
// costs one index range scan and one sort of its traces.
import { sql } from 'drizzle-orm';
import { unixNano, type TraceId, type UnixNano } from '@pivot/model';
import type { Database } from './database.ts';
import { traceIdFromDb } from './encode.ts';

export interface TypicalTraceQuery {
  /** The trace to find a typical peer for; it is never its own answer. */
  traceId: TraceId;
  /** The window is [trace start - windowNs / 2, trace start + windowNs / 2]. */
  windowNs: bigint;
}

export type TypicalTraceResult =
  | {
      kind: 'found';
      traceId: TraceId;
      durationNano: bigint;
      /** Traces of the same root service and operation in the window, the trace itself excluded. */
      sample: number;
      rootService: string;
      rootName: string;
      windowStartNs: UnixNano;
      windowEndNs: UnixNano;
    }
  /** The trace is unknown. */
  | { kind: 'unknown-trace' }
  /** The trace has no root span (yet), so there is no root operation to match. */
  | { kind: 'no-root' }
  /** No other trace of that root operation in the window. */
  | { kind: 'none'; rootService: string; rootName: string; windowStartNs: UnixNano; windowEndNs: UnixNano };

export class TypicalTraceQueries {
  constructor(private readonly database: Database) {}

  /**
   * The lower median by duration (ties broken by trace ID, so the answer is stable): with n peers
   * ordered by (duration, trace ID), the one at position ⌊(n + 1) / 2⌋.
   */
  async typical(q: TypicalTraceQuery): Promise<TypicalTraceResult> {
    const half = q.windowNs / 2n;
    const rows = await this.database.query(sql`
      WITH me AS (SELECT trace_id, start_ns, root_service, root_name FROM traces WHERE trace_id = ${q.traceId}::uuid),
      peers AS (
        SELECT t.trace_id, t.end_ns - t.start_ns AS duration_ns,
          row_number() OVER (ORDER BY t.end_ns - t.start_ns, t.trace_id) AS rn,
          count(*) OVER () AS n
        FROM traces t, me
        WHERE t.start_ns >= me.start_ns - ${half.toString()}::bigint
          AND t.start_ns <= me.start_ns + ${half.toString()}::bigint
          AND t.root_service = me.root_service AND t.root_name = me.root_name
          AND t.trace_id <> me.trace_id)
      SELECT me.root_service, me.root_name,
        me.start_ns - ${half.toString()}::bigint AS window_start, me.start_ns + ${half.toString()}::bigint AS window_end,
        p.trace_id, p.duration_ns, p.n
      FROM me LEFT JOIN peers p ON p.rn = (p.n + 1) / 2`);
    const r = rows[0];
    if (!r) return { kind: 'unknown-trace' };
    if (r.root_service == null || r.root_name == null) return { kind: 'no-root' };
    const rootService = r.root_service as string;
    const rootName = r.root_name as string;
    const windowStartNs = unixNano(BigInt(r.window_start as string));
    const windowEndNs = unixNano(BigInt(r.window_end as string));
    if (r.trace_id == null) return { kind: 'none', rootService, rootName, windowStartNs, windowEndNs };
    return {
      kind: 'found',
      traceId: traceIdFromDb(r.trace_id),
      durationNano: BigInt(r.duration_ns as string),
      sample: Number(r.n),
      rootService,
      rootName,
      windowStartNs,
      windowEndNs,
    };
  }
}
