// How durations, times and counts are written everywhere in the dashboard.
import type { Nanos } from './units.ts';

const sig = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** 850µs, 12.3ms, 1.23s, 2m 5s; zero is 0ms. */
export function formatDuration(ns: Nanos | number): string {
  if (!Number.isFinite(ns)) return '–';
  const a = Math.abs(ns);
  if (a === 0) return '0ms';
  if (a < 1_000) return `${Math.round(ns)}ns`;
  if (a < 1_000_000) return `${sig(ns / 1_000)}µs`;
  if (a < 1_000_000_000) return `${sig(ns / 1_000_000)}ms`;
  if (a < 60_000_000_000) return `${sig(ns / 1_000_000_000)}s`;
  const totalS = Math.round(ns / 1e9);
  const m = Math.floor(totalS / 60);
  if (m < 60) return `${m}m ${totalS % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/**
 * Labels of a duration axis, all in one unit with a space, as axes are written: milliseconds up to
 * 10 s (0 ms, 13 ms, 1250 ms), then seconds (0 s, 15 s, 30 s); microseconds below 1 ms.
 */
export function durationAxisLabels(valuesNs: readonly number[]): string[] {
  const max = Math.max(0, ...valuesNs.map((v) => Math.abs(v)));
  const [unit, size]: [string, number] =
    max < 1e3
      ? ['ns', 1]
      : max < 1e6
        ? ['µs', 1e3]
        : max < 10e9
          ? ['ms', 1e6]
          : max < 600e9
            ? ['s', 1e9]
            : ['min', 60e9];
  const top = max / size;
  const decimals = top >= 100 ? 0 : top >= 10 ? 1 : 2;
  return valuesNs.map((v) => `${v === 0 ? '0' : String(+(v / size).toFixed(decimals))} ${unit}`);
}

/** "1 error", "2 errors". */
export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

export const formatMs = (ms: number | null | undefined): string => (ms == null ? '–' : formatDuration(ms * 1e6));

/** Requests per second, always per second so that rows compare: 12.5/s, 0.50/s, 0.031/s. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '–';
  if (perSecond === 0) return '0/s';
  if (perSecond >= 1) return `${sig(perSecond)}/s`;
  return `${+perSecond.toPrecision(2) >= 0.1 ? perSecond.toFixed(2) : String(+perSecond.toPrecision(2))}/s`;
}

export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '–';
  const p = fraction * 100;
  if (p === 0) return '0%';
  if (p < 0.1) return '<0.1%';
  return `${p >= 10 ? p.toFixed(0) : p.toFixed(1)}%`;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

// One date format app-wide, ISO 8601 in local time: 2025-11-24 22:15:03.120, 24-hour clock.

/** Local wall-clock time with milliseconds: 2025-11-24 22:15:03.120. */
export function formatTimestamp(ms: number, withDate = true): string {
  const d = new Date(ms);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  return withDate ? `${formatDate(ms)} ${time}` : time;
}

/** Local date: 2025-11-24. */
export function formatDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Local time of day, 24-hour: 22:15, or 22:15:03 with seconds. */
export function formatClock(ms: number, seconds = false): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}${seconds ? `:${pad(d.getSeconds())}` : ''}`;
}

export function formatCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1e6) return `${sig(n / 1e3)}k`;
  return `${sig(n / 1e6)}M`;
}
