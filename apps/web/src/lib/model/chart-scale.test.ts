import { describe, expect, it } from 'vitest';
import { lastValue, linePath, nearestIndex, overlaps, scaler, timeTicks, valueTicks, yRange } from './chart-scale.ts';

// 7 px per character, as an 11 px sans-serif font roughly measures.
const measure = (s: string) => s.length * 7;

describe('chart scales', () => {
  it('covers the series and the exemplars', () => {
    // The P99 line sits at 1.6–2.35 s, the exemplars at 0.02–1.1 s: the range holds both.
    const [lo, hi] = yRange([[1.6, 2.35, null]], [0.02, 1.1], false);
    expect(lo).toBe(0);
    expect(hi).toBeGreaterThan(2.35);
    const [llo, lhi] = yRange([[1.6, 2.35]], [0.02, 1.1], true);
    expect(llo).toBeLessThan(0.02);
    expect(lhi).toBeGreaterThan(2.35);
  });

  it('starts non-negative data at zero unless that squashes it', () => {
    expect(yRange([[100, 101]], [], false)[0]).toBeGreaterThan(90);
    expect(yRange([[1, 5]], [], false)[0]).toBe(0);
    expect(yRange([[-1, 1]], [], false)[0]).toBeLessThan(-1);
    expect(yRange([[]], [], false)).toEqual([0, 1]);
    expect(yRange([[0, -3, null]], [], true)).toEqual([0.1, 10]);
  });

  it('maps values to pixels, linear and log', () => {
    const y = scaler([0, 10], 100, false, true);
    expect(y(0)).toBe(100);
    expect(y(10)).toBe(0);
    const l = scaler([0.01, 100], 400, true, false);
    expect(l(1)).toBeCloseTo(200);
  });

  it('puts value ticks at 1-2-5 steps, decades on a log axis, never crowded', () => {
    const t = valueTicks([0, 2.5], 200, false, String);
    expect(t.map((x) => x.value)).toEqual([0, 0.5, 1, 1.5, 2, 2.5].filter((v) => t.some((x) => x.value === v)));
    expect(t.length).toBeGreaterThanOrEqual(3);
    const log = valueTicks([0.003, 3], 300, true, String);
    expect(log.map((x) => x.value)).toContain(0.01);
    expect(log.map((x) => x.value)).toContain(1);
    for (let i = 1; i < log.length; i++) expect(Math.abs(log[i]!.pos - log[i - 1]!.pos)).toBeGreaterThanOrEqual(19);
  });

  it('labels time ticks with a 24-hour clock and never lets them collide', () => {
    const start = new Date(2026, 11, 2, 12, 0).getTime(); // local time, as the labels
    for (const [spanMs, width] of [
      [3_600_000, 800],
      [3_600_000, 300],
      [6 * 3_600_000, 500],
      [300_000, 900],
      [7 * 86_400_000, 700],
      [90_000, 200],
    ] as const) {
      const ticks = timeTicks(start, start + spanMs, width, measure, 12);
      expect(ticks.length).toBeGreaterThan(0);
      for (const t of ticks) expect(t.label).toMatch(/^(\d\d:\d\d(:\d\d)?|\d{4}-\d\d-\d\d)$/);
      const boxes = ticks.map((t) => [t.pos - measure(t.label) / 2, t.pos + measure(t.label) / 2] as [number, number]);
      expect(overlaps(boxes.map(([a, b]) => [a, b + 12]))).toBe(false);
      for (const [a, b] of boxes) {
        expect(a).toBeGreaterThanOrEqual(0);
        expect(b).toBeLessThanOrEqual(width);
      }
    }
    // An hour over 800 px: ticks every 5 or 10 minutes, 12:55 then 13:00, never "12:55pm1:00pm".
    const hour = timeTicks(start, start + 3_600_000, 800, measure, 12);
    expect(hour.map((t) => t.label)).toContain('12:30');
    expect(hour.every((t) => !/[ap]m/.test(t.label))).toBe(true);
    // Local midnight shows the date.
    const days = timeTicks(new Date(2026, 11, 1, 18).getTime(), new Date(2026, 11, 2, 6).getTime(), 800, measure, 12);
    expect(days.map((t) => t.label)).toContain('2026-12-02');
  });

  it('draws lines with gaps, and decimates without losing a spike', () => {
    const y = (v: number) => 100 - v;
    expect(linePath([0, 10, 20, 30], [1, null, 3, 4], y, false)).toBe('M0.0,99.0M20.0,97.0L30.0,96.0');
    expect(linePath([0, 10], [0, 5], y, true)).toBe('M10.0,95.0');
    const xs = Array.from({ length: 1000 }, (_, i) => i / 100);
    const ys = xs.map((_, i) => (i === 537 ? 90 : 1));
    const d = linePath(xs, ys, y, false);
    expect(d).toContain(',10.0'); // the spike's pixel
    expect(d.split(/[ML]/).length - 1).toBeLessThanOrEqual(11 * 4);
  });

  it('finds the nearest point and the last value', () => {
    expect(nearestIndex([10, 20, 30], 24)).toBe(1);
    expect(nearestIndex([10, 20, 30], 26)).toBe(2);
    expect(nearestIndex([], 1)).toBe(-1);
    expect(lastValue([1, 2, null])).toBe(2);
    expect(lastValue([null])).toBeNull();
  });
});
