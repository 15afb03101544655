import type { LabelMatcher, Querier, StoredSeries } from './types.ts';
import { matchesAll } from './matchers.ts';
import { lowerBound, upperBound } from './engine/data.ts';

/** A Querier over series held in memory, for tests, benchmarks and small embedded uses. */
export class MemoryQuerier implements Querier {
  selectCalls = 0;
  constructor(private readonly series: StoredSeries[]) {}

  select(matchers: LabelMatcher[], minMs: number, maxMs: number, signal?: AbortSignal): Promise<StoredSeries[]> {
    this.selectCalls++;
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    const out: StoredSeries[] = [];
    for (const s of this.series) {
      if (!matchesAll(matchers, s.labels)) continue;
      const lo = lowerBound(s.timestamps, minMs);
      const hi = upperBound(s.timestamps, maxMs, lo);
      if (hi <= lo) continue;
      out.push({ labels: s.labels, timestamps: s.timestamps.subarray(lo, hi), values: s.values.subarray(lo, hi) });
    }
    return Promise.resolve(out);
  }
}
