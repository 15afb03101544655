import { expect, it } from 'vitest';
import { parsePgTimestamp } from './timestamp.ts';

it('reads UTC and numeric-offset timestamps to the nanosecond, and nothing else', () => {
  expect(parsePgTimestamp('2026-12-03 10:25:36.341 UTC')).toBe(1796293536341000000n);
  expect(parsePgTimestamp('2026-12-03 11:25:36.341123 +01')).toBe(1796293536341123000n);
  expect(parsePgTimestamp('2026-12-03 04:55:36 -05:30')).toBe(1796293536000000000n);
  expect(parsePgTimestamp('2026-12-03 11:25:36.341 CET')).toBeNull();
  expect(parsePgTimestamp('yesterday')).toBeNull();
});
