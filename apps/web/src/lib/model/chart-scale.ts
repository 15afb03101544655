// What the time-series chart draws, computed without the DOM: the y range (covering the series and
// the exemplars, linear or log), tick positions and labels that never overlap (labels are measured
// with the caller's `measure`, and a step is only taken when every label fits), and line paths
// decimated to the pixel width so that a long range stays cheap to draw.
import { formatDate, formatClock } from './format.ts';

export type Measure = (text: string) => number;

export interface Tick {
  value: number;
  /** Pixel position along the axis (x: from the left, y: from the top). */
  pos: number;
  label: string;
}

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** The y range [lo, hi] of everything drawn: series values and exemplar values. */
export function yRange(
  ys: readonly (readonly (number | null)[])[],
  extra: readonly number[],
  log: boolean,
): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  const see = (v: number | null | undefined) => {
    if (!finite(v) || (log && v <= 0)) return;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  };
  for (const col of ys) for (const v of col) see(v);
  for (const v of extra) see(v);
  if (!Number.isFinite(lo)) return log ? [0.1, 10] : [0, 1];
  if (log) {
    // A little room above and below, in decades.
    const a = Math.log10(lo);
    const b = Math.log10(hi);
    const pad = Math.max((b - a) * 0.05, 0.1);
    return [10 ** (a - pad), 10 ** (b + pad)];
  }
  if (lo === hi) return lo === 0 ? [0, 1] : lo > 0 ? [0, hi * 1.1] : [lo * 1.1, 0];
  const pad = (hi - lo) * 0.05;
  // Non-negative data starts at zero when that does not squash it (latencies, rates, counts).
  const from = lo >= 0 && (lo - pad < 0 || lo < (hi - lo) * 0.5) ? 0 : lo - pad;
  return [from, hi + pad];
}

/** Maps a value to a pixel position, for a linear or log axis of `size` pixels, inverted for y. */
export function scaler(range: [number, number], size: number, log: boolean, invert: boolean): (v: number) => number {
  const [a, b] = log ? [Math.log10(range[0]), Math.log10(range[1])] : range;
  const span = b - a || 1;
  return (v) => {
    const t = ((log ? Math.log10(v) : v) - a) / span;
    return invert ? size * (1 - t) : size * t;
  };
}

export function unscaler(range: [number, number], size: number, log: boolean, invert: boolean): (px: number) => number {
  const [a, b] = log ? [Math.log10(range[0]), Math.log10(range[1])] : range;
  return (px) => {
    const t = invert ? 1 - px / size : px / size;
    const v = a + t * (b - a);
    return log ? 10 ** v : v;
  };
}

/** Value ticks: 1-2-5 steps on a linear axis, decades (and 2, 5 within them when there is room) on a log one. */
export function valueTicks(
  range: [number, number],
  heightPx: number,
  log: boolean,
  format: (v: number) => string,
  minGapPx = 26,
): Tick[] {
  const y = scaler(range, heightPx, log, true);
  const maxTicks = Math.max(2, Math.floor(heightPx / minGapPx));
  const values: number[] = [];
  if (log) {
    const a = Math.floor(Math.log10(range[0]));
    const b = Math.ceil(Math.log10(range[1]));
    const decades = b - a;
    const every = Math.max(1, Math.ceil(decades / maxTicks));
    const within = decades * 3 <= maxTicks ? [1, 2, 5] : [1];
    for (let d = a; d <= b; d += every) for (const m of within) values.push(m * 10 ** d);
  } else {
    const raw = (range[1] - range[0]) / maxTicks;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
    for (let v = Math.ceil(range[0] / step) * step; v <= range[1] + step * 1e-9; v += step)
      values.push(Math.abs(v) < step * 1e-9 ? 0 : +v.toPrecision(12));
  }
  const ticks: Tick[] = [];
  for (const v of values) {
    if (v < range[0] * (1 - 1e-9) || v > range[1] * (1 + 1e-9)) continue;
    const pos = y(v);
    // Never two labels closer than the gap (log axes with 1-2-5 can crowd at the top of a decade).
    if (ticks.length && Math.abs(ticks[ticks.length - 1]!.pos - pos) < minGapPx * 0.75) continue;
    ticks.push({ value: v, pos, label: format(v) });
  }
  return ticks;
}

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const TIME_STEPS = [
  S,
  2 * S,
  5 * S,
  10 * S,
  15 * S,
  30 * S,
  M,
  2 * M,
  5 * M,
  10 * M,
  15 * M,
  30 * M,
  H,
  2 * H,
  3 * H,
  6 * H,
  12 * H,
  D,
  2 * D,
  7 * D,
  14 * D,
  30 * D,
];

/**
 * Time ticks for [startMs, endMs] over `widthPx`, in local time: 24-hour clock labels (13:40, or
 * 13:40:15 for steps under a minute), a date (2026-12-02) where a day starts or when ticks are a day
 * apart. The smallest step whose labels all fit with `gapPx` between them is chosen, so labels never
 * collide; a label that would stick out of the axis is dropped.
 */
export function timeTicks(
  startMs: number,
  endMs: number,
  widthPx: number,
  measure: Measure,
  gapPx = 12,
  tzOffsetMin = new Date(startMs).getTimezoneOffset(),
): Tick[] {
  const span = endMs - startMs;
  if (!(span > 0) || widthPx <= 0) return [];
  const x = (t: number) => ((t - startMs) / span) * widthPx;
  const offset = -tzOffsetMin * M;
  for (const step of TIME_STEPS) {
    if ((step / span) * widthPx < 30) continue;
    const ticks = layoutTimeTicks(startMs, endMs, step, offset, x, measure, gapPx, widthPx);
    if (ticks) return ticks;
  }
  return [];
}

function layoutTimeTicks(
  startMs: number,
  endMs: number,
  step: number,
  offset: number,
  x: (t: number) => number,
  measure: Measure,
  gapPx: number,
  widthPx: number,
): Tick[] | null {
  // Aligned to local time: a 6 h step ticks at 00, 06, 12 and 18 o'clock.
  const first = Math.ceil((startMs + offset) / step) * step - offset;
  const ticks: Tick[] = [];
  let prevRight = -Infinity;
  for (let t = first; t <= endMs; t += step) {
    const local = new Date(t);
    const midnight = local.getHours() === 0 && local.getMinutes() === 0 && local.getSeconds() === 0;
    const label = step >= D ? formatDate(t) : midnight ? formatDate(t) : formatClock(t, step < M);
    const w = measure(label);
    const pos = x(t);
    const left = pos - w / 2;
    const right = pos + w / 2;
    if (left < 0 || right > widthPx) continue; // would stick out: not drawn
    if (left < prevRight + gapPx) return null; // would collide: a larger step
    ticks.push({ value: t, pos, label });
    prevRight = right;
  }
  return ticks;
}

/** Whether any two boxes overlap along one axis: [start, end] pairs. */
export function overlaps(boxes: readonly [number, number][]): boolean {
  const s = [...boxes].sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < s.length; i++) if (s[i]![0] < s[i - 1]![1]) return true;
  return false;
}

/**
 * An SVG path for one series: gaps (null, non-finite, or ≤ 0 on a log axis) break the line, and
 * when there are more points than pixels, each pixel column keeps its first, lowest, highest and
 * last point, so spikes survive decimation.
 */
export function linePath(
  xsPx: readonly number[],
  ys: readonly (number | null)[],
  y: (v: number) => number,
  log: boolean,
): string {
  const out: string[] = [];
  let pen = false;
  let col = NaN;
  let colPts: [number, number][] = [];
  const flush = () => {
    if (colPts.length === 0) return;
    let pts = colPts;
    if (colPts.length > 4) {
      let lo = colPts[0]!;
      let hi = colPts[0]!;
      for (const p of colPts) {
        if (p[1] > lo[1]) lo = p;
        if (p[1] < hi[1]) hi = p;
      }
      pts = [colPts[0]!, lo, hi, colPts[colPts.length - 1]!];
    }
    for (const [px, py] of pts) {
      out.push(`${pen ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)}`);
      pen = true;
    }
    colPts = [];
  };
  for (let i = 0; i < xsPx.length; i++) {
    const v = ys[i];
    if (!finite(v) || (log && v <= 0)) {
      flush();
      pen = false;
      continue;
    }
    const px = xsPx[i]!;
    const c = Math.round(px);
    if (c !== col) {
      flush();
      col = c;
    }
    colPts.push([px, y(v)]);
  }
  flush();
  return out.join('');
}

/** Index of the x closest to `t` in sorted `xs`; -1 when empty. */
export function nearestIndex(xs: readonly number[], t: number): number {
  if (xs.length === 0) return -1;
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(xs[lo - 1]! - t) <= Math.abs(xs[lo]! - t)) return lo - 1;
  return lo;
}

/** The last finite value of a series, for the legend when no point is hovered. */
export function lastValue(col: readonly (number | null)[]): number | null {
  for (let i = col.length - 1; i >= 0; i--) if (finite(col[i])) return col[i]!;
  return null;
}
