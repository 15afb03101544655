import { describe, expect, it } from 'vitest';
import {
  autoStepSeconds,
  bucketIndex,
  countByBucket,
  logBucketBounds,
  logBucketOf,
  logHistogram,
  makeBuckets,
  niceStepMs,
  stackByBucket,
  stackMax,
} from './bucketing.ts';

describe('bucketing', () => {
  it('picks the smallest nice step that fits the bucket budget', () => {
    expect(niceStepMs(3_600_000, 60)).toBe(60_000);
    expect(niceStepMs(3_600_000, 100)).toBe(60_000);
    expect(niceStepMs(3_600_000, 120)).toBe(30_000);
    expect(niceStepMs(10_000, 1000)).toBe(1_000);
    expect(niceStepMs(30 * 86_400_000, 10)).toBe(604_800_000);
    expect(autoStepSeconds(3_600_000)).toBe(15);
    expect(niceStepMs(2_000, 60, 1)).toBe(50);
  });

  it('aligns buckets to the step and counts times into them', () => {
    const b = makeBuckets(65_000, 185_000, 60_000);
    expect(b.starts).toEqual([60_000, 120_000, 180_000]);
    expect(bucketIndex(b, 59_999)).toBe(-1);
    expect(bucketIndex(b, 60_000)).toBe(0);
    expect(bucketIndex(b, 239_999)).toBe(2);
    expect(bucketIndex(b, 240_000)).toBe(-1);
    expect(countByBucket(b, [61_000, 62_000, 130_000, 999_999])).toEqual([2, 1, 0]);
  });

  it('stacks by group with the given order first', () => {
    const b = makeBuckets(0, 20, 10);
    const stack = stackByBucket(
      b,
      [
        { t: 1, g: 'ERROR' },
        { t: 2, g: 'INFO' },
        { t: 15, g: 'INFO' },
        { t: 16, g: 'DEBUG' },
      ],
      (x) => x.t,
      (x) => x.g,
      ['ERROR', 'WARN', 'INFO'],
    );
    expect([...stack.keys()]).toEqual(['ERROR', 'WARN', 'INFO', 'DEBUG']);
    expect(stack.get('INFO')).toEqual([1, 1]);
    expect(stack.get('WARN')).toEqual([0, 0]);
    expect(stackMax(stack)).toBe(2);
  });

  it('puts latencies in log buckets, 4 per doubling, with contiguous bounds', () => {
    expect(logBucketOf(1)).toBe(0);
    expect(logBucketOf(2)).toBe(4);
    expect(logBucketOf(1024)).toBe(40);
    const [lo, hi] = logBucketBounds(logBucketOf(1500));
    expect(lo).toBeLessThanOrEqual(1500);
    expect(hi).toBeGreaterThan(1500);
    const h = logHistogram([1000, 1001, 4000]);
    expect(h.reduce((s, b) => s + b.count, 0)).toBe(3);
    for (let i = 1; i < h.length; i++) expect(h[i]!.from).toBeCloseTo(h[i - 1]!.to);
    expect(logHistogram([])).toEqual([]);
  });
});
