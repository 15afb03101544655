import { describe, expect, it } from 'vitest';
import { formatCount, formatDuration, formatPercent, formatRate } from './format.ts';
import { nsStringToMs } from './units.ts';

describe('formatting', () => {
  it('writes durations with a unit that fits', () => {
    expect(formatDuration(500)).toBe('500ns');
    expect(formatDuration(850_000)).toBe('850µs');
    expect(formatDuration(12_345_678)).toBe('12.3ms');
    expect(formatDuration(1_234_000_000)).toBe('1.23s');
    expect(formatDuration(125e9)).toBe('2m 5s');
  });
  it('writes rates, percentages and counts', () => {
    expect(formatRate(2.5)).toBe('2.50/s');
    expect(formatRate(0.5)).toBe('30.0/min');
    expect(formatPercent(0.1234)).toBe('12%');
    expect(formatPercent(0.0001)).toBe('<0.1%');
    expect(formatCount(12_500)).toBe('12.5k');
  });
  it('converts nanosecond strings to ms without losing the integer part', () => {
    expect(nsStringToMs('1700000000123456789')).toBeCloseTo(1700000000123.4568, 3);
    expect(nsStringToMs('500000')).toBe(0.5);
  });
});
