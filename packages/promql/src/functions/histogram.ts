// Classic (le-bucketed) histograms. follows bucketQuantile in prometheus/promql/quantile.go (v2.42).

/**
 * strconv.ParseFloat(s, 64) as applied to `le` values: decimal or hex floats, Inf/Infinity/NaN in any
 * case with an optional sign. Returns null where Go reports a syntax error (the bucket is then skipped).
 */
export function parseGoFloat(s: string): number | null {
  const m = /^([+-]?)(.*)$/.exec(s)!;
  const sign = m[1] === '-' ? -1 : 1;
  const body = m[2]!;
  const lower = body.toLowerCase();
  if (lower === 'inf' || lower === 'infinity') return sign * Infinity;
  if (lower === 'nan') return NaN;
  if (/^0x/i.test(body)) {
    // Go requires the p exponent in hex floats.
    const mm = /^0x([0-9a-f_]*)(?:\.([0-9a-f_]*))?p([+-]?[\d_]+)$/i.exec(body);
    if (!mm) return null;
    const intPart = (mm[1] ?? '').replace(/_/g, '');
    const frac = (mm[2] ?? '').replace(/_/g, '');
    if (intPart === '' && frac === '') return null;
    let mant = 0;
    for (const ch of intPart + frac) mant = mant * 16 + parseInt(ch, 16);
    const exp = Number(mm[3]!.replace(/_/g, '')) - 4 * frac.length;
    return sign * mant * Math.pow(2, exp);
  }
  if (!/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(body)) return null;
  return sign * Number(body);
}

/**
 * Quantile from cumulative bucket counts. `bounds`/`counts` hold `n` buckets; they are sorted and
 * rewritten in place (coalescing equal bounds, forcing monotonicity) exactly as Prometheus does.
 */
export function bucketQuantile(q: number, bounds: Float64Array, counts: Float64Array, n: number): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (n === 0) return NaN;
  sortBuckets(bounds, counts, n);
  if (bounds[n - 1] !== Infinity) return NaN;
  // coalesceBuckets: buckets with the same upper bound (e.g. le="1" and le="1.0") are summed.
  let w = 0;
  for (let r = 1; r < n; r++) {
    if (bounds[r] === bounds[w]) counts[w]! += counts[r]!;
    else {
      w++;
      bounds[w] = bounds[r]!;
      counts[w] = counts[r]!;
    }
  }
  n = w + 1;
  // ensureMonotonic: scrape races can make a higher bucket smaller; take the running maximum.
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    if (counts[i]! > max) max = counts[i]!;
    else if (counts[i]! < max) counts[i] = max;
  }
  if (n < 2) return NaN;
  const observations = counts[n - 1]!;
  if (observations === 0) return NaN;
  let rank = q * observations;
  // sort.Search over all but the +Inf bucket.
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (counts[mid]! >= rank) hi = mid;
    else lo = mid + 1;
  }
  const b = lo;
  if (b === n - 1) return bounds[n - 2]!;
  if (b === 0 && bounds[0]! <= 0) return bounds[0]!;
  let bucketStart = 0;
  const bucketEnd = bounds[b]!;
  let count = counts[b]!;
  if (b > 0) {
    bucketStart = bounds[b - 1]!;
    count -= counts[b - 1]!;
    rank -= counts[b - 1]!;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

/** Insertion sort by bound (bucket lists are short and usually already ordered). */
function sortBuckets(bounds: Float64Array, counts: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const b = bounds[i]!;
    const c = counts[i]!;
    let j = i - 1;
    while (j >= 0 && bounds[j]! > b) {
      bounds[j + 1] = bounds[j]!;
      counts[j + 1] = counts[j]!;
      j--;
    }
    bounds[j + 1] = b;
    counts[j + 1] = c;
  }
}
