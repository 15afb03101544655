// Retention: each signal keeps its data for a set time, enforced by dropping whole day partitions
// (instant, no bloat, no vacuum) and by deleting the per-trace summaries whose spans are all gone.
// A partition goes once its whole day is older than the retention, so data lives between the
// retention and the retention plus one day.
import { sql } from 'drizzle-orm';
import { SIGNALS, type Signal } from '@pivot/model';
import type { Database } from './database.ts';
import { MS_PER_DAY, type PartitionManager } from './partitions.ts';
import { SIGNAL_PARTITIONED_TABLES } from './tables.ts';

/** Retention per signal in milliseconds; 0 keeps the signal forever. */
export type RetentionPolicy = Record<Signal, number>;

export interface RetentionResult {
  /** Partitions dropped, per signal. */
  dropped: Record<Signal, string[]>;
  /** Trace summaries deleted because all their spans were in dropped days. */
  tracesDeleted: number;
}

/** Trace summaries are deleted in slices so no single statement holds many row locks for long. */
const TRACE_DELETE_BATCH = 10_000;

/**
 * Drops every partition whose day ended before `now - retention`, signal by signal, then deletes the
 * trace summaries that ended before the oldest day kept. Tables not yet in the database (a signal
 * whose migration has not run) are skipped. Pass the ingest writers' PartitionManager so that its
 * cache forgets what was dropped.
 */
export async function applyRetention(
  database: Database,
  partitions: PartitionManager,
  policy: RetentionPolicy,
  nowMs: number,
): Promise<RetentionResult> {
  const result: RetentionResult = { dropped: { traces: [], logs: [], metrics: [] }, tracesDeleted: 0 };
  for (const signal of SIGNALS) {
    const keepMs = policy[signal];
    if (!(keepMs > 0)) continue;
    const cutoffMs = nowMs - keepMs;
    for (const table of SIGNAL_PARTITIONED_TABLES[signal]) {
      // list() reads pg_inherits: a table that does not exist simply has no partitions.
      result.dropped[signal].push(...(await partitions.dropOlderThan(table, cutoffMs)));
    }
    if (signal === 'traces') result.tracesDeleted = await deleteTraceSummaries(database, cutoffMs);
  }
  return result;
}

/** Deletes summaries of traces that ended before the first day whose spans are kept. */
async function deleteTraceSummaries(database: Database, cutoffMs: number): Promise<number> {
  // The same boundary as the partition drop: days ending at or before the cutoff are gone.
  const boundaryNs = (BigInt(Math.floor(cutoffMs / MS_PER_DAY)) * BigInt(MS_PER_DAY) * 1_000_000n).toString();
  let total = 0;
  for (;;) {
    // start_ns <= end_ns, so the start bound only lets the traces_start_idx index do the work.
    const rows = await database.query<{ n: string | number }>(sql`
      WITH gone AS (
        DELETE FROM traces WHERE trace_id IN (
          SELECT trace_id FROM traces WHERE start_ns < ${boundaryNs}::bigint AND end_ns < ${boundaryNs}::bigint LIMIT ${TRACE_DELETE_BATCH}
        ) RETURNING 1
      ) SELECT count(*) AS n FROM gone`);
    const n = Number(rows[0]?.n ?? 0);
    total += n;
    if (n < TRACE_DELETE_BATCH) return total;
  }
}

/** Formats a retention in ms the way it is configured: `7d`, `36h`, `90m`, or `0` (forever). */
export function formatRetention(ms: number): string {
  if (!(ms > 0)) return '0';
  for (const [unit, size] of [
    ['d', MS_PER_DAY],
    ['h', 3_600_000],
    ['m', 60_000],
  ] as const)
    if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
