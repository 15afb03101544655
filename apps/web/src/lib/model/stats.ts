// Service statistics as the Services pages show them.
import type { StatsRow } from '@pivot/api-types';
import { nsStringToMs } from './units.ts';

/**
 * Requests per second over the time the data actually covers: from the start of the first bucket
 * with a request to the end of the last one, within the range. A service that started a minute ago
 * in a one-hour range is rated over that minute (110 requests → 1.8/s), not over the hour (0.03/s).
 */
export function coveredRate(
  sparkline: readonly number[],
  buckets: readonly number[],
  stepMs: number,
  startMs: number,
  endMs: number,
): number {
  const first = sparkline.findIndex((n) => n > 0);
  if (first < 0) return 0;
  let last = sparkline.length - 1;
  while (last > first && !(sparkline[last]! > 0)) last--;
  const from = Math.max(startMs, buckets[first] ?? startMs);
  const to = Math.min(endMs, (buckets[last] ?? endMs) + stepMs);
  const seconds = Math.max(to - from, 1000) / 1000;
  let requests = 0;
  for (const n of sparkline) requests += n;
  return requests / seconds;
}

/** The rows with their rate measured over the time their data covers (see coveredRate). */
export function withCoveredRates<R extends Pick<StatsRow, 'sparkline' | 'rate'>>(
  rows: readonly R[],
  w: { start: string; end: string; stepMs: number; buckets: readonly number[] },
): R[] {
  const startMs = nsStringToMs(w.start);
  const endMs = nsStringToMs(w.end);
  return rows.map((r) => ({ ...r, rate: coveredRate(r.sparkline, w.buckets, w.stepMs, startMs, endMs) }));
}
