// Time bucketing for histograms and sparklines: step choice, counting, and stacking by group.

const NICE_STEPS_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000,
  900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000, 172_800_000, 604_800_000,
];

/**
 * The smallest "nice" step (1s, 5s, 1m, 5m, 1h, …; down to `minMs`, e.g. 50ms for the logs of one
 * trace) that splits the range into at most `maxBuckets`.
 */
export function niceStepMs(rangeMs: number, maxBuckets: number, minMs = 1000): number {
  const raw = rangeMs / Math.max(1, maxBuckets);
  for (const s of NICE_STEPS_MS) if (s >= raw && s >= minMs) return s;
  return Math.ceil(raw / 86_400_000) * 86_400_000;
}

/** Like Prometheus' UI: a step giving about `points` points, at least 1s, rounded to a nice value. */
export function autoStepSeconds(rangeMs: number, points = 250): number {
  return Math.max(1, niceStepMs(rangeMs, points) / 1000);
}

export interface Buckets {
  /** Start of each bucket (ms), aligned to multiples of the step. */
  starts: number[];
  stepMs: number;
}

/** Buckets covering [startMs, endMs), aligned to the step so that refreshes do not shift them. */
export function makeBuckets(startMs: number, endMs: number, stepMs: number): Buckets {
  const first = Math.floor(startMs / stepMs) * stepMs;
  const starts: number[] = [];
  for (let t = first; t < endMs && starts.length < 10_000; t += stepMs) starts.push(t);
  if (starts.length === 0) starts.push(first);
  return { starts, stepMs };
}

/** Bucket index of a time, or -1 outside the buckets. */
export function bucketIndex(b: Buckets, tMs: number): number {
  const first = b.starts[0]!;
  const i = Math.floor((tMs - first) / b.stepMs);
  return i >= 0 && i < b.starts.length ? i : -1;
}

/** Counts per bucket of the given times. */
export function countByBucket(b: Buckets, timesMs: Iterable<number>): number[] {
  const counts = new Array<number>(b.starts.length).fill(0);
  for (const t of timesMs) {
    const i = bucketIndex(b, t);
    if (i >= 0) counts[i]!++;
  }
  return counts;
}

/** Counts per bucket per group (e.g. severity), groups in the order given, then any others. */
export function stackByBucket<T>(
  b: Buckets,
  items: Iterable<T>,
  timeMs: (x: T) => number,
  group: (x: T) => string,
  order: readonly string[] = [],
): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const g of order) out.set(g, new Array<number>(b.starts.length).fill(0));
  for (const x of items) {
    const i = bucketIndex(b, timeMs(x));
    if (i < 0) continue;
    const g = group(x);
    let row = out.get(g);
    if (!row) out.set(g, (row = new Array<number>(b.starts.length).fill(0)));
    row[i]!++;
  }
  return out;
}

/** Highest column total of a stack, for scaling. */
export function stackMax(stack: Map<string, number[]>): number {
  let max = 0;
  const rows = [...stack.values()];
  const n = rows[0]?.length ?? 0;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (const r of rows) sum += r[i]!;
    if (sum > max) max = sum;
  }
  return max;
}

/**
 * Latency buckets on a log scale, 4 per doubling (each ≈19% wider than the last), as HDR-style
 * histograms do: the long tail stays readable next to the bulk.
 */
export function logBucketOf(value: number, perDoubling = 4): number {
  return Math.floor(Math.log2(Math.max(value, 1)) * perDoubling);
}

export function logBucketBounds(bucket: number, perDoubling = 4): [number, number] {
  return [2 ** (bucket / perDoubling), 2 ** ((bucket + 1) / perDoubling)];
}

export function logHistogram(values: Iterable<number>, perDoubling = 4): { from: number; to: number; count: number }[] {
  const counts = new Map<number, number>();
  for (const v of values) {
    const b = logBucketOf(v, perDoubling);
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  if (counts.size === 0) return [];
  const keys = [...counts.keys()];
  const lo = Math.min(...keys);
  const hi = Math.max(...keys);
  const out: { from: number; to: number; count: number }[] = [];
  for (let b = lo; b <= hi; b++) {
    const [from, to] = logBucketBounds(b, perDoubling);
    out.push({ from, to, count: counts.get(b) ?? 0 });
  }
  return out;
}
