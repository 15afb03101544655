// The rows of a virtualised list that are in the DOM: those in view plus an overscan above and below,
// so a 10,000-row list costs what a 50-row one does. Shared by the waterfall and the trace diff.

/** A row to draw: its position in the list (for its offset) and the index it stands for. */
export interface VisibleRow {
  pos: number;
  idx: number;
}

export function visibleRows(
  rows: ArrayLike<number>,
  scrollTop: number,
  height: number,
  rowHeight: number,
  overscan: number,
): VisibleRow[] {
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  const out: VisibleRow[] = [];
  for (let p = first; p < last; p++) out.push({ pos: p, idx: rows[p]! });
  return out;
}
