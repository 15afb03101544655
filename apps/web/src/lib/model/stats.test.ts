import { describe, expect, it } from 'vitest';
import { coveredRate } from './stats.ts';

describe('service rate', () => {
  const step = 30_000;
  const start = 0;
  const end = 3_600_000;
  const buckets = Array.from({ length: 120 }, (_, i) => i * step);

  it('rates a service that just started over the time it has run', () => {
    // 110 requests in the last minute of an hour: 1.8/s, not 110/3600 s.
    const spark = buckets.map((_, i) => (i >= 118 ? 55 : 0));
    expect(coveredRate(spark, buckets, step, start, end)).toBeCloseTo(110 / 60, 5);
  });

  it('rates a service that ran all along over the whole range', () => {
    const spark = buckets.map(() => 60);
    expect(coveredRate(spark, buckets, step, start, end)).toBeCloseTo(2, 5);
  });

  it('stops at the end of the range, and is zero without requests', () => {
    const spark = buckets.map((_, i) => (i === 119 ? 10 : 0));
    expect(coveredRate(spark, buckets, step, start, end - 10_000)).toBeCloseTo(10 / 20, 5);
    expect(coveredRate([0, 0], [0, step], step, 0, 2 * step)).toBe(0);
  });
});
