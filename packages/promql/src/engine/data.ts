import type { Labels } from '@pivot/model';
import type { StoredSeries } from '../types.ts';
import { labelKeys } from '../labels.ts';
import { isStaleAt, wordsOf } from '../stale.ts';

/** A fetched series, annotated once: label key, stale-marker positions, and a stale-free view for ranges. */
export interface Prepared {
  labels: Labels;
  key: string;
  t: Float64Array;
  v: Float64Array;
  /** 1 where v holds a stale marker; null when the series has none (the common case). */
  stale: Uint8Array | null;
  rangeT: Float64Array;
  rangeV: Float64Array;
}

export function prepare(s: StoredSeries, key: string): Prepared {
  const { timestamps: t, values: v } = s;
  const len = Math.min(t.length, v.length);
  let stale: Uint8Array | null = null;
  let words: Uint32Array | null = null;
  let staleCount = 0;
  for (let i = 0; i < len; i++) {
    if (v[i] !== v[i]) {
      words ??= wordsOf(v);
      if (isStaleAt(words, i)) {
        stale ??= new Uint8Array(len);
        stale[i] = 1;
        staleCount++;
      }
    }
  }
  const tt = len === t.length ? t : t.subarray(0, len);
  const vv = len === v.length ? v : v.subarray(0, len);
  let rangeT = tt;
  let rangeV = vv;
  // Range selectors skip stale markers (matrixIterSlice); keeping a filtered copy makes window scans branch-free.
  if (stale) {
    rangeT = new Float64Array(len - staleCount);
    rangeV = new Float64Array(len - staleCount);
    let j = 0;
    for (let i = 0; i < len; i++) {
      if (stale[i]) continue;
      rangeT[j] = tt[i]!;
      rangeV[j] = vv[i]!;
      j++;
    }
  }
  return { labels: s.labels, key, t: tt, v: vv, stale, rangeT, rangeV };
}

/** Index of the first element > x in the ascending array a (binary search). */
export function upperBound(a: Float64Array, x: number, lo = 0, hi = a.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element ≥ x in the ascending array a. */
export function lowerBound(a: Float64Array, x: number, lo = 0, hi = a.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The part of a prepared series within [minMs, maxMs], as views (no copies). */
export function clip(p: Prepared, minMs: number, maxMs: number): Prepared {
  const { t } = p;
  const lo = lowerBound(t, minMs);
  const hi = upperBound(t, maxMs, lo);
  if (lo === 0 && hi === t.length) return p;
  const rlo = p.stale ? lowerBound(p.rangeT, minMs) : lo;
  const rhi = p.stale ? upperBound(p.rangeT, maxMs, rlo) : hi;
  return {
    labels: p.labels,
    key: p.key,
    t: t.subarray(lo, hi),
    v: p.v.subarray(lo, hi),
    stale: p.stale ? p.stale.subarray(lo, hi) : null,
    rangeT: p.rangeT.subarray(rlo, rhi),
    rangeV: p.rangeV.subarray(rlo, rhi),
  };
}

/**
 * Storage may hand back one series in several pieces (e.g. per partition or chunk); the engine needs one
 * series per label set, like Prometheus' merging querier. Pieces are merged by timestamp, the later
 * piece winning on equal timestamps. Values are copied as raw words so stale-marker bits survive.
 * Returns the series in label order (storage order is not guaranteed; a fixed order keeps results and
 * float sums reproducible), each with its identity key.
 */
export function normalizeFetched(stored: StoredSeries[]): { s: StoredSeries; key: string }[] {
  const keyed = stored.map((s) => ({ s, ...labelKeys(s.labels) }));
  keyed.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  const out: { s: StoredSeries; key: string }[] = [];
  for (let i = 0; i < keyed.length;) {
    let j = i + 1;
    while (j < keyed.length && keyed[j]!.key === keyed[i]!.key) j++;
    const group = keyed.slice(i, j).map((x) => x.s);
    out.push({ s: group.length === 1 ? group[0]! : mergePieces(group), key: keyed[i]!.key });
    i = j;
  }
  return out;
}

function mergePieces(group: StoredSeries[]): StoredSeries {
  const refs: [number, number, number][] = []; // [timestamp, piece, index]
  group.forEach((s, p) => {
    for (let i = 0; i < s.timestamps.length; i++) refs.push([s.timestamps[i]!, p, i]);
  });
  refs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const kept = refs.filter((r, i) => i + 1 >= refs.length || refs[i + 1]![0] !== r[0]);
  const timestamps = new Float64Array(kept.length);
  const values = new Float64Array(kept.length);
  const dst = wordsOf(values);
  const src = group.map((s) => wordsOf(s.values));
  kept.forEach(([t, p, i], k) => {
    timestamps[k] = t;
    dst[2 * k] = src[p]![2 * i]!;
    dst[2 * k + 1] = src[p]![2 * i + 1]!;
  });
  return { labels: group[0]!.labels, timestamps, values };
}
