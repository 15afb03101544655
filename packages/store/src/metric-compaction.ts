// Merges a series' small chunks of one window into a single chunk. Each group is rewritten in one
// transaction (delete the small rows, insert the merged one), so no committed sample is ever absent:
// readers see either the old rows or the new one.
import { sql } from 'drizzle-orm';
import type { Database } from './database.ts';
import { decodeChunk, encodeChunk, mergeChunks } from './chunk-codec.ts';
import { CHUNK_WINDOW_MS } from './metric-writer.ts';

export interface CompactionResult {
  groups: number;
  rowsBefore: number;
  samples: number;
}

/**
 * Compacts windows that have more than one chunk per series. The current window is compacted only
 * once it holds `minChunksOpenWindow` chunks, so a live series is not rewritten every minute. An aborted
 * `signal` stops it between transactions.
 */
export async function compactMetricChunks(
  database: Database,
  nowMs: number,
  opts: { maxGroups?: number; minChunksOpenWindow?: number; signal?: AbortSignal } = {},
): Promise<CompactionResult> {
  const openWindow = Math.floor(nowMs / CHUNK_WINDOW_MS) * CHUNK_WINDOW_MS;
  // The window length is a code constant, inlined so that GROUP BY and HAVING see one expression.
  const W = sql.raw(String(CHUNK_WINDOW_MS));
  const groups = await database.query<{ id: string; w: string }>(sql`
    SELECT series_id::text AS id, (start_ms / ${W})::text AS w FROM metric_chunks
    GROUP BY series_id, start_ms / ${W}
    HAVING count(*) >= CASE WHEN start_ms / ${W} * ${W} >= ${openWindow} THEN ${opts.minChunksOpenWindow ?? 16} ELSE 2 END
    LIMIT ${opts.maxGroups ?? 20_000}`);
  const result: CompactionResult = { groups: 0, rowsBefore: 0, samples: 0 };
  // Several groups per transaction keeps commit overhead low; each stays atomic.
  for (let i = 0; i < groups.length; i += 200) {
    // Shutting down: stop between transactions; what is left waits for the next run.
    if (opts.signal?.aborted) break;
    const slice = groups.slice(i, i + 200);
    await database.transaction(async (query) => {
      const ids: string[] = [];
      const starts: number[] = [];
      const ends: number[] = [];
      const counts: number[] = [];
      const datas: Uint8Array[] = [];
      for (const g of slice) {
        const lo = Number(g.w) * CHUNK_WINDOW_MS;
        const rows = await query<{ samples: number; data: Uint8Array }>(sql`
          DELETE FROM metric_chunks WHERE series_id = ${g.id}::bigint AND start_ms >= ${lo} AND start_ms < ${lo + CHUNK_WINDOW_MS}
          RETURNING samples, data`);
        if (rows.length === 0) continue;
        const merged = mergeChunks(rows.map((r) => decodeChunk(r.data)));
        ids.push(g.id);
        starts.push(merged.timestamps[0]!);
        ends.push(merged.timestamps[merged.timestamps.length - 1]!);
        counts.push(merged.timestamps.length);
        datas.push(encodeChunk(merged.timestamps, merged.values));
        result.rowsBefore += rows.length;
        result.samples += merged.timestamps.length;
        result.groups++;
      }
      if (ids.length)
        await query(sql`INSERT INTO metric_chunks (series_id, start_ms, end_ms, samples, data)
          SELECT * FROM unnest(${sql.param(ids)}::bigint[], ${sql.param(starts)}::bigint[], ${sql.param(ends)}::bigint[],
                               ${sql.param(counts)}::int[], ${sql.param(datas)}::bytea[])`);
    });
  }
  return result;
}
