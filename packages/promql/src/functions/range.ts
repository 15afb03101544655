// Functions over range vectors, evaluated for one series and one step window at a time. Windows are
// index ranges [lo, hi) into a series' stale-free sample arrays, so no per-step allocation happens.
import { kahanInc } from './kahan.ts';
import { quantile } from './quantile.ts';

export interface RangeCall {
  t: Float64Array;
  v: Float64Array;
  lo: number;
  hi: number;
  /** Window bounds in ms after offset and @: [rangeStart, rangeEnd]. */
  rangeStart: number;
  rangeEnd: number;
  rangeMs: number;
  /** The evaluation step's own timestamp (Prometheus' enh.Ts). */
  ts: number;
  /** Scalar arguments other than the range vector, in argument order, at this step. */
  params: number[];
}

/** Returns null where Prometheus emits no sample. Only called for non-empty windows. */
export type RangeFunction = (c: RangeCall) => number | null;

// follows extrapolatedRate in prometheus/promql/functions.go (v2.42)
function extrapolatedRate(c: RangeCall, isCounter: boolean, isRate: boolean): number | null {
  const { t, v, lo, hi } = c;
  const n = hi - lo;
  if (n < 2) return null;
  const last = hi - 1;
  let result = v[last]! - v[lo]!;
  if (isCounter) {
    let prev = v[lo]!;
    for (let i = lo + 1; i < hi; i++) {
      const cur = v[i]!;
      if (cur < prev) result += prev;
      prev = cur;
    }
  }
  let durationToStart = (t[lo]! - c.rangeStart) / 1000;
  const durationToEnd = (c.rangeEnd - t[last]!) / 1000;
  const sampledInterval = (t[last]! - t[lo]!) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (n - 1);
  if (isCounter && result > 0 && v[lo]! >= 0) {
    // Counters start at zero: never extrapolate below it.
    const durationToZero = sampledInterval * (v[lo]! / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const extrapolationThreshold = averageDurationBetweenSamples * 1.1;
  let extrapolateToInterval = sampledInterval;
  extrapolateToInterval +=
    durationToStart < extrapolationThreshold ? durationToStart : averageDurationBetweenSamples / 2;
  extrapolateToInterval += durationToEnd < extrapolationThreshold ? durationToEnd : averageDurationBetweenSamples / 2;
  let factor = extrapolateToInterval / sampledInterval;
  if (isRate) factor /= c.rangeMs / 1000;
  return result * factor;
}

// follows instantValue in prometheus/promql/functions.go
function instantValue(c: RangeCall, isRate: boolean): number | null {
  const { t, v, hi } = c;
  if (hi - c.lo < 2) return null;
  const last = v[hi - 1]!;
  const prev = v[hi - 2]!;
  let result = isRate && last < prev ? last : last - prev;
  const sampledInterval = t[hi - 1]! - t[hi - 2]!;
  if (sampledInterval === 0) return null;
  if (isRate) result /= sampledInterval / 1000;
  return result;
}

// follows linearRegression in prometheus/promql/functions.go
function linearRegression(c: RangeCall, interceptTime: number): [number, number] {
  const { t, v, lo, hi } = c;
  let n = 0;
  let sumX = 0,
    cX = 0,
    sumY = 0,
    cY = 0,
    sumXY = 0,
    cXY = 0,
    sumX2 = 0,
    cX2 = 0;
  const initY = v[lo]!;
  let constY = true;
  for (let i = lo; i < hi; i++) {
    const y = v[i]!;
    if (constY && i > lo && y !== initY) constY = false;
    n += 1;
    const x = (t[i]! - interceptTime) / 1e3;
    [sumX, cX] = kahanInc(x, sumX, cX);
    [sumY, cY] = kahanInc(y, sumY, cY);
    [sumXY, cXY] = kahanInc(x * y, sumXY, cXY);
    [sumX2, cX2] = kahanInc(x * x, sumX2, cX2);
  }
  if (constY) {
    if (!Number.isFinite(initY) && !Number.isNaN(initY)) return [NaN, NaN];
    return [0, initY];
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  const intercept = sumY / n - (slope * sumX) / n;
  return [slope, intercept];
}

function avgOverTime(c: RangeCall): number {
  const { v, lo, hi } = c;
  let mean = 0,
    comp = 0,
    count = 0;
  for (let i = lo; i < hi; i++) {
    const x = v[i]!;
    count++;
    if (mean === Infinity || mean === -Infinity) {
      // Inf - Inf would turn a correct infinite mean into NaN.
      if ((x === Infinity || x === -Infinity) && mean > 0 === x > 0) continue;
      if (Number.isFinite(x)) continue;
    }
    [mean, comp] = kahanInc(x / count - mean / count, mean, comp);
  }
  return mean === Infinity || mean === -Infinity ? mean : mean + comp;
}

function sumOverTime(c: RangeCall): number {
  const { v, lo, hi } = c;
  let sum = 0,
    comp = 0;
  for (let i = lo; i < hi; i++) [sum, comp] = kahanInc(v[i]!, sum, comp);
  return sum === Infinity || sum === -Infinity ? sum : sum + comp;
}

function variance(c: RangeCall): number {
  const { v, lo, hi } = c;
  let count = 0,
    mean = 0,
    cMean = 0,
    aux = 0,
    cAux = 0;
  for (let i = lo; i < hi; i++) {
    const x = v[i]!;
    count++;
    const delta = x - (mean + cMean);
    [mean, cMean] = kahanInc(delta / count, mean, cMean);
    [aux, cAux] = kahanInc(delta * (x - (mean + cMean)), aux, cAux);
  }
  return (aux + cAux) / count;
}

/** Go's %f. */
const goF = (x: number): string => (Number.isFinite(x) ? x.toFixed(6) : x > 0 ? '+Inf' : x < 0 ? '-Inf' : 'NaN');

let quantileScratch = new Float64Array(64);

export const RANGE_FUNCTIONS: Record<string, RangeFunction> = {
  rate: (c) => extrapolatedRate(c, true, true),
  increase: (c) => extrapolatedRate(c, true, false),
  delta: (c) => extrapolatedRate(c, false, false),
  irate: (c) => instantValue(c, true),
  idelta: (c) => instantValue(c, false),
  // follows funcDeriv: intercept at the first sample keeps x small for float accuracy.
  deriv: (c) => (c.hi - c.lo < 2 ? null : linearRegression(c, c.t[c.lo]!)[0]),
  // follows funcPredictLinear
  predict_linear: (c) => {
    if (c.hi - c.lo < 2) return null;
    const [slope, intercept] = linearRegression(c, c.ts);
    return slope * c.params[0]! + intercept;
  },
  avg_over_time: avgOverTime,
  sum_over_time: sumOverTime,
  count_over_time: (c) => c.hi - c.lo,
  last_over_time: (c) => c.v[c.hi - 1]!,
  present_over_time: () => 1,
  absent_over_time: () => 1,
  min_over_time: (c) => {
    const { v, lo, hi } = c;
    let m = v[lo]!;
    for (let i = lo; i < hi; i++) if (v[i]! < m || m !== m) m = v[i]!;
    return m;
  },
  max_over_time: (c) => {
    const { v, lo, hi } = c;
    let m = v[lo]!;
    for (let i = lo; i < hi; i++) if (v[i]! > m || m !== m) m = v[i]!;
    return m;
  },
  stddev_over_time: (c) => Math.sqrt(variance(c)),
  stdvar_over_time: variance,
  quantile_over_time: (c) => {
    const n = c.hi - c.lo;
    if (quantileScratch.length < n) quantileScratch = new Float64Array(n * 2);
    const vals = quantileScratch.subarray(0, n);
    vals.set(c.v.subarray(c.lo, c.hi));
    return quantile(c.params[0]!, vals);
  },
  changes: (c) => {
    const { v, lo, hi } = c;
    let changes = 0;
    let prev = v[lo]!;
    for (let i = lo + 1; i < hi; i++) {
      const cur = v[i]!;
      if (cur !== prev && !(cur !== cur && prev !== prev)) changes++;
      prev = cur;
    }
    return changes;
  },
  resets: (c) => {
    const { v, lo, hi } = c;
    let resets = 0;
    let prev = v[lo]!;
    for (let i = lo + 1; i < hi; i++) {
      const cur = v[i]!;
      if (cur < prev) resets++;
      prev = cur;
    }
    return resets;
  },
  // follows funcHoltWinters (double exponential smoothing)
  holt_winters: (c) => {
    const sf = c.params[0]!;
    const tf = c.params[1]!;
    if (!(sf > 0 && sf < 1)) throw new RangeError(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${goF(sf)}`);
    if (!(tf > 0 && tf < 1)) throw new RangeError(`invalid trend factor. Expected: 0 < tf < 1, got: ${goF(tf)}`);
    const { v, lo, hi } = c;
    if (hi - lo < 2) return null;
    let s0 = 0;
    let s1 = v[lo]!;
    let b = v[lo + 1]! - v[lo]!;
    for (let i = lo + 1; i < hi; i++) {
      const x = sf * v[i]!;
      b = i - 1 === lo ? b : tf * (s1 - s0) + (1 - tf) * b;
      const y = (1 - sf) * (s1 + b);
      s0 = s1;
      s1 = x + y;
    }
    return s1;
  },
};
