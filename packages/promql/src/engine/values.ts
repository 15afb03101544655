import type { Labels } from '@pivot/model';
import { labelsKey } from '../labels.ts';
import { sameLabelset } from '../errors.ts';

/**
 * Values are evaluated for all steps of a query at once, column-wise. A series keeps a Float64Array of
 * its values plus a presence byte per step, but only over the span of steps where it can have points
 * ([lo, lo + v.length)): short-lived series in long range queries then cost their lifetime, not the
 * whole range. Labels never change along a series, so label work (keys, grouping, matching) happens once
 * per series rather than once per point.
 */
export interface Series {
  labels: Labels;
  /** labelsKey(labels), computed on first use. */
  key?: string;
  /** First step covered by v/has. */
  lo: number;
  v: Float64Array;
  has: Uint8Array;
}

export interface VectorValue {
  kind: 'vector';
  series: Series[];
}
export interface ScalarValue {
  kind: 'scalar';
  v: Float64Array;
}
export interface StringValue {
  kind: 'string';
  s: string;
}
/** Raw samples (range-vector results): sample timestamps, never stale markers. */
export interface RawSeries {
  labels: Labels;
  t: Float64Array;
  v: Float64Array;
}
export interface MatrixValue {
  kind: 'matrix';
  series: RawSeries[];
}
export type Value = VectorValue | ScalarValue | StringValue | MatrixValue;

/** The step grid a node is evaluated on. */
export interface Ctx {
  start: number;
  end: number;
  interval: number;
  /** Number of steps: start, start + interval, … ≤ end. */
  n: number;
}

export function makeCtx(start: number, end: number, interval: number): Ctx {
  const n = end < start ? 0 : Math.floor((end - start) / interval) + 1;
  return { start, end, interval, n };
}

export const keyOf = (s: Series): string => (s.key ??= labelsKey(s.labels));

/** One past the last step covered. */
export const spanEnd = (s: Series): number => s.lo + s.has.length;

/** Whether the series has a point at step i (any step, inside its span or not). */
export function present(s: Series, i: number): boolean {
  const k = i - s.lo;
  return k >= 0 && k < s.has.length && s.has[k] === 1;
}

/** The value at step i; only meaningful where present(s, i). */
export const valueAt = (s: Series, i: number): number => s.v[i - s.lo]!;

export function newSeries(labels: Labels, lo: number, hi: number, key?: string): Series {
  const len = Math.max(0, hi - lo);
  const s: Series = { labels, lo, v: new Float64Array(len), has: new Uint8Array(len) };
  if (key !== undefined) s.key = key;
  return s;
}

/** Widens a series' span in place to cover [lo, hi) (rare: outputs fed by several inputs). */
export function widen(s: Series, lo: number, hi: number): void {
  const end = spanEnd(s);
  if (lo >= s.lo && hi <= end) return;
  const nlo = Math.min(lo, s.lo);
  const nhi = Math.max(hi, end);
  const v = new Float64Array(nhi - nlo);
  const has = new Uint8Array(nhi - nlo);
  v.set(s.v, s.lo - nlo);
  has.set(s.has, s.lo - nlo);
  s.lo = nlo;
  s.v = v;
  s.has = has;
}

/**
 * Hands out series whose arrays are views into shared chunks: nodes over thousands of series would
 * otherwise make two small typed-array allocations per series, which dominates GC time.
 */
export class SeriesSlab {
  private v: Float64Array = new Float64Array(0);
  private h: Uint8Array = new Uint8Array(0);
  private used = 0;
  constructor(private readonly chunk: number) {}

  series(labels: Labels, lo: number, hi: number, key?: string): Series {
    const len = Math.max(0, hi - lo);
    if (len > this.chunk) return newSeries(labels, lo, hi, key);
    if (this.used + len > this.v.length) {
      this.v = new Float64Array(Math.max(this.chunk * 64, len));
      this.h = new Uint8Array(this.v.length);
      this.used = 0;
    }
    const s: Series = {
      labels,
      lo,
      v: this.v.subarray(this.used, this.used + len),
      has: this.h.subarray(this.used, this.used + len),
    };
    this.used += len;
    if (key !== undefined) s.key = key;
    return s;
  }
}

export function countPoints(series: readonly Series[]): number {
  let c = 0;
  for (const s of series) {
    const h = s.has;
    for (let i = 0; i < h.length; i++) c += h[i]!;
  }
  return c;
}

export function hasAny(s: Series): boolean {
  const h = s.has;
  for (let i = 0; i < h.length; i++) if (h[i]) return true;
  return false;
}

/**
 * Collects output series by label set. Writing the same label set twice at one step is exactly the
 * condition under which Prometheus' rangeEval rejects a step result ("vector cannot contain metrics with
 * the same labelset"); different steps may legitimately feed one output series.
 */
export class OutputBuilder {
  private readonly index = new Map<string, Series>();
  readonly series: Series[] = [];

  /** The output series for `labels`, covering at least steps [lo, hi). */
  slot(labels: Labels, lo: number, hi: number, key: string = labelsKey(labels)): Series {
    let s = this.index.get(key);
    if (!s) {
      s = newSeries(labels, lo, hi, key);
      this.index.set(key, s);
      this.series.push(s);
    } else widen(s, lo, hi);
    return s;
  }

  /** Sets step i, which must lie in the span requested from slot(). */
  static put(s: Series, i: number, v: number): void {
    const k = i - s.lo;
    if (s.has[k]) throw sameLabelset();
    s.has[k] = 1;
    s.v[k] = v;
  }

  finish(): Series[] {
    return this.series.filter(hasAny);
  }
}

/** Prometheus' Matrix.ContainsSameLabelset over whole series (used where it checks a whole matrix). */
export function assertUniqueLabelsets(series: readonly Series[]): void {
  if (series.length < 2) return;
  const seen = new Set<string>();
  for (const s of series) {
    const k = keyOf(s);
    if (seen.has(k)) throw sameLabelset();
    seen.add(k);
  }
}

/**
 * rangeEval's per-step ContainsSameLabelset for series built independently: series with equal label sets
 * merge into one (as rangeEval's output map does) unless both have a point at the same step.
 */
export function mergeStepwise(series: Series[]): Series[] {
  if (series.length < 2) return series;
  const first = new Map<string, Series>();
  const out: Series[] = [];
  for (const s of series) {
    const k = keyOf(s);
    const prev = first.get(k);
    if (!prev) {
      first.set(k, s);
      out.push(s);
      continue;
    }
    widen(prev, s.lo, spanEnd(s));
    for (let k2 = 0; k2 < s.has.length; k2++) {
      if (!s.has[k2]) continue;
      OutputBuilder.put(prev, s.lo + k2, s.v[k2]!);
    }
  }
  return out;
}

/**
 * Walks steps in increasing order and yields, per step, the indices (ascending, i.e. in input order) of
 * the series whose span covers it. Per-step operators then touch only live series, which keeps churny
 * data (many short-lived series over a long range) linear in its points rather than series × steps.
 */
export class Sweep {
  private readonly order: number[];
  private next = 0;
  private readonly active: number[] = [];

  constructor(private readonly series: readonly Series[]) {
    this.order = series.map((_, i) => i).sort((a, b) => series[a]!.lo - series[b]!.lo || a - b);
  }

  /** Steps must be visited in non-decreasing order. */
  at(i: number): readonly number[] {
    let added = false;
    while (this.next < this.order.length && this.series[this.order[this.next]!]!.lo <= i) {
      this.active.push(this.order[this.next++]!);
      added = true;
    }
    let w = 0;
    for (const x of this.active) if (spanEnd(this.series[x]!) > i) this.active[w++] = x;
    this.active.length = w;
    if (added) this.active.sort((a, b) => a - b);
    return this.active;
  }
}
