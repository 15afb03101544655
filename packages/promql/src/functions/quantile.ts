// follows quantile in prometheus/promql/quantile.go (used by the quantile aggregation and quantile_over_time)

/** NaN sorts first, as vectorByValueHeap.Less does. Sorts `values` in place. */
export function quantile(q: number, values: Float64Array | number[]): number {
  const n = values.length;
  if (n === 0) return NaN;
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  sortNaNFirst(values);
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return values[lower]! * (1 - weight) + values[upper]! * weight;
}

export function sortNaNFirst(values: Float64Array | number[]): void {
  // Float64Array.prototype.sort already orders NaN last; we need it first.
  if (values instanceof Float64Array) {
    values.sort();
    let nan = 0;
    for (let i = values.length - 1; i >= 0 && values[i] !== values[i]; i--) nan++;
    if (nan > 0) {
      values.copyWithin(nan, 0, values.length - nan);
      values.fill(NaN, 0, nan);
    }
  } else {
    values.sort((a, b) => (a !== a ? (b !== b ? 0 : -1) : b !== b ? 1 : a - b));
  }
}
