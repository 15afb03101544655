import { describe, expect, it } from 'vitest';
import {
  durationAxisLabels,
  formatClock,
  formatCount,
  formatDate,
  formatDuration,
  formatPercent,
  formatRate,
  formatTimestamp,
  plural,
} from './format.ts';
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
    expect(formatRate(0.5)).toBe('0.50/s');
    expect(formatRate(0.031)).toBe('0.031/s');
    expect(formatRate(110 / 60)).toBe('1.83/s');
    expect(formatPercent(0.1234)).toBe('12%');
    expect(formatPercent(0.0001)).toBe('<0.1%');
    expect(formatCount(12_500)).toBe('12.5k');
  });
  it('labels a duration axis in one unit, starting at 0 ms', () => {
    expect(durationAxisLabels([0, 13e6, 26e6, 39e6, 52e6])).toEqual(['0 ms', '13 ms', '26 ms', '39 ms', '52 ms']);
    expect(durationAxisLabels([0, 0.3275e9, 1.31e9])).toEqual(['0 ms', '328 ms', '1310 ms']);
    expect(durationAxisLabels([0, 15e9, 30e9])).toEqual(['0 s', '15 s', '30 s']);
    expect(durationAxisLabels([0, 250e3, 500e3])).toEqual(['0 µs', '250 µs', '500 µs']);
    expect(formatDuration(0)).toBe('0ms');
  });
  it('writes one date format, ISO and 24-hour', () => {
    const t = new Date(2026, 11, 2, 13, 40, 5, 120).getTime();
    expect(formatTimestamp(t)).toBe('2026-12-02 13:40:05.120');
    expect(formatDate(t)).toBe('2026-12-02');
    expect(formatClock(t)).toBe('13:40');
    expect(formatClock(t, true)).toBe('13:40:05');
  });
  it('counts with the right plural', () => {
    expect(plural(1, 'error')).toBe('1 error');
    expect(plural(2, 'error')).toBe('2 errors');
    expect(plural(0, 'series', 'series')).toBe('0 series');
  });
  it('converts nanosecond strings to ms without losing the integer part', () => {
    expect(nsStringToMs('1700000000123456789')).toBeCloseTo(1700000000123.4568, 3);
    expect(nsStringToMs('500000')).toBe(0.5);
  });
});
