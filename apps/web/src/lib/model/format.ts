// How durations, times and counts are written everywhere in the dashboard.
import type { Nanos } from './units.ts';

const sig = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** 850µs, 12.3ms, 1.23s, 2m 5s. */
export function formatDuration(ns: Nanos | number): string {
  if (!Number.isFinite(ns)) return '–';
  const a = Math.abs(ns);
  if (a < 1_000) return `${Math.round(ns)}ns`;
  if (a < 1_000_000) return `${sig(ns / 1_000)}µs`;
  if (a < 1_000_000_000) return `${sig(ns / 1_000_000)}ms`;
  if (a < 60_000_000_000) return `${sig(ns / 1_000_000_000)}s`;
  const totalS = Math.round(ns / 1e9);
  const m = Math.floor(totalS / 60);
  if (m < 60) return `${m}m ${totalS % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

export const formatMs = (ms: number | null | undefined): string => (ms == null ? '–' : formatDuration(ms * 1e6));

export function formatRate(perSecond: number): string {
  if (perSecond === 0) return '0/s';
  if (perSecond >= 1) return `${sig(perSecond)}/s`;
  if (perSecond * 60 >= 1) return `${sig(perSecond * 60)}/min`;
  return `${sig(perSecond * 3600)}/h`;
}

export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '–';
  const p = fraction * 100;
  if (p === 0) return '0%';
  if (p < 0.1) return '<0.1%';
  return `${p >= 10 ? p.toFixed(0) : p.toFixed(1)}%`;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Local wall-clock time with milliseconds: 2025-11-24 22:15:03.120. */
export function formatTimestamp(ms: number, withDate = true): string {
  const d = new Date(ms);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  return withDate ? `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}` : time;
}

export function formatCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1e6) return `${sig(n / 1e3)}k`;
  return `${sig(n / 1e6)}M`;
}
