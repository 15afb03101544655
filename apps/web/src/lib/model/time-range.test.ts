import { describe, expect, it } from 'vitest';
import {
  absoluteRange,
  describeRange,
  parseDurationMs,
  parseTimeExpr,
  resolveRange,
  shiftRange,
  validateRange,
  zoomOut,
} from './time-range.ts';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

describe('time ranges', () => {
  it('parses durations', () => {
    expect(parseDurationMs('15m')).toBe(900_000);
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('1.5s')).toBe(1500);
    expect(parseDurationMs('15')).toBeNull();
    expect(parseDurationMs('5x')).toBeNull();
  });

  it('parses relative, Unix and ISO times', () => {
    expect(parseTimeExpr('now', NOW)).toBe(NOW);
    expect(parseTimeExpr('now-1h', NOW)).toBe(NOW - 3_600_000);
    expect(parseTimeExpr('now+5m', NOW)).toBe(NOW + 300_000);
    expect(parseTimeExpr(String(NOW), NOW)).toBe(NOW);
    expect(parseTimeExpr(String(NOW / 1000), NOW)).toBe(NOW);
    expect(parseTimeExpr('2025-01-15T11:00:00Z', NOW)).toBe(NOW - 3_600_000);
    expect(parseTimeExpr('yesterday', NOW)).toBeNull();
    expect(parseTimeExpr('now-abc', NOW)).toBeNull();
  });

  it('resolves ranges and falls back to the last hour when invalid', () => {
    expect(resolveRange({ from: 'now-15m', to: 'now' }, NOW)).toEqual({ startMs: NOW - 900_000, endMs: NOW });
    expect(resolveRange({ from: 'now', to: 'now-1h' }, NOW)).toEqual({ startMs: NOW - 3_600_000, endMs: NOW });
    expect(validateRange({ from: 'now', to: 'now-1h' }, NOW)).toMatch(/before/);
    expect(validateRange({ from: 'soon', to: 'now' }, NOW)).toMatch(/not a time/);
    expect(validateRange({ from: 'now-1h', to: 'now' }, NOW)).toBeNull();
  });

  it('shifts, zooms and describes', () => {
    const r = { startMs: 1000, endMs: 2000 };
    expect(shiftRange(r, -0.5)).toEqual(absoluteRange(500, 1500));
    expect(zoomOut(r)).toEqual({ from: '500', to: '2500' });
    expect(describeRange({ from: 'now-1h', to: 'now' }, String)).toBe('Last 1 hour');
    expect(describeRange({ from: String(NOW - 1000), to: String(NOW) }, (ms) => `t${NOW - ms}`)).toBe('t1000 → t0');
  });
});
