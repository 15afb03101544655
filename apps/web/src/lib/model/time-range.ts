// Time ranges as they appear in URLs: relative ("now-1h" … "now") or absolute (Unix ms or ISO), so
// a shared link to "the last hour" stays relative and a link to an incident stays pinned.

export interface TimeRange {
  from: string;
  to: string;
}

export interface ResolvedRange {
  startMs: number;
  endMs: number;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export const DEFAULT_RANGE: TimeRange = { from: 'now-1h', to: 'now' };

export const QUICK_RANGES: { label: string; from: string }[] = [
  { label: 'Last 5 minutes', from: 'now-5m' },
  { label: 'Last 15 minutes', from: 'now-15m' },
  { label: 'Last 1 hour', from: 'now-1h' },
  { label: 'Last 6 hours', from: 'now-6h' },
  { label: 'Last 24 hours', from: 'now-24h' },
  { label: 'Last 7 days', from: 'now-7d' },
];

/** Milliseconds of a duration such as 15s, 5m, 1h30m, 2d; null if it is not one. */
export function parseDurationMs(s: string): number | null {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let consumed = 0;
  let m: RegExpExecArray | null;
  const t = s.trim();
  while ((m = re.exec(t))) {
    total += Number(m[1]) * (m[2] === 'ms' ? 1 : UNIT_MS[m[2]!]!);
    consumed = re.lastIndex;
  }
  return consumed > 0 && consumed === t.length ? total : null;
}

/** "now", "now-15m", "now+1h", Unix ms or seconds, or an ISO date; null if none of these. */
export function parseTimeExpr(expr: string, nowMs: number): number | null {
  const s = expr.trim();
  if (s === 'now') return nowMs;
  const rel = /^now\s*([+-])\s*(.+)$/.exec(s);
  if (rel) {
    const d = parseDurationMs(rel[2]!);
    return d === null ? null : rel[1] === '-' ? nowMs - d : nowMs + d;
  }
  if (/^\d+(\.\d+)?$/.test(s)) {
    const n = Number(s);
    // Seconds have at most 11 integer digits for the next few millennia; milliseconds have 13.
    return s.split('.')[0]!.length <= 11 ? n * 1000 : n;
  }
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? null : ms;
}

export function isRelative(r: TimeRange): boolean {
  return r.to.trim().startsWith('now');
}

/** Absolute bounds of a range; an invalid or inverted range falls back to the default. */
export function resolveRange(r: TimeRange, nowMs: number): ResolvedRange {
  const start = parseTimeExpr(r.from, nowMs);
  const end = parseTimeExpr(r.to, nowMs);
  if (start === null || end === null || start >= end) {
    return { startMs: nowMs - 3_600_000, endMs: nowMs };
  }
  return { startMs: start, endMs: end };
}

export function validateRange(r: TimeRange, nowMs: number): string | null {
  const start = parseTimeExpr(r.from, nowMs);
  if (start === null) return `"${r.from}" is not a time: use now-15m, an ISO date or Unix ms`;
  const end = parseTimeExpr(r.to, nowMs);
  if (end === null) return `"${r.to}" is not a time: use now, an ISO date or Unix ms`;
  if (start >= end) return 'the start must be before the end';
  return null;
}

/** An absolute range for a window picked on a chart (ms), as URL values. */
export function absoluteRange(startMs: number, endMs: number): TimeRange {
  return { from: String(Math.round(startMs)), to: String(Math.round(endMs)) };
}

/** A short label: "Last 1 hour", "now-90m to now", or the absolute bounds. */
export function describeRange(r: TimeRange, format: (ms: number) => string): string {
  if (r.to === 'now') {
    const q = QUICK_RANGES.find((x) => x.from === r.from);
    if (q) return q.label;
  }
  const f = (e: string) => (/^\d+$/.test(e) ? format(parseTimeExpr(e, 0)!) : e);
  return `${f(r.from)} → ${f(r.to)}`;
}

/** Shifts a resolved range by a fraction of its width (negative: back in time), as absolute values. */
export function shiftRange(r: ResolvedRange, fraction: number): TimeRange {
  const w = r.endMs - r.startMs;
  return absoluteRange(r.startMs + w * fraction, r.endMs + w * fraction);
}

/** Zooms out around the middle by a factor. */
export function zoomOut(r: ResolvedRange, factor = 2): TimeRange {
  const mid = (r.startMs + r.endMs) / 2;
  const half = ((r.endMs - r.startMs) * factor) / 2;
  return absoluteRange(mid - half, mid + half);
}
