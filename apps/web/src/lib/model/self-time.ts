// Self time: the part of a span's duration not covered by any of its children. Summed per service,
// it says where a trace spent its time (waiting on a child is the child's time, not the parent's).
import type { SpanTree } from './span-tree.ts';
import { nanos, type Nanos } from './units.ts';

export interface ServiceTime {
  service: string;
  selfTime: Nanos;
  /** Share of all self time in the trace, 0…1. */
  fraction: number;
  spans: number;
  errors: number;
}

/** Self time of every node, indexed like tree.nodes. Children are clipped to their parent. */
export function selfTimes(tree: SpanTree): Float64Array {
  const out = new Float64Array(tree.nodes.length);
  for (const n of tree.nodes) {
    let covered = 0;
    let curStart = -1;
    let curEnd = -1;
    // Children are sorted by start, so overlapping children merge in one pass.
    for (const c of n.children) {
      const child = tree.nodes[c]!;
      const s = Math.max(child.start, n.start);
      const e = Math.min(child.end, n.end);
      if (e <= s) continue;
      if (s > curEnd) {
        if (curEnd > curStart) covered += curEnd - curStart;
        curStart = s;
        curEnd = e;
      } else if (e > curEnd) {
        curEnd = e;
      }
    }
    if (curEnd > curStart) covered += curEnd - curStart;
    out[n.index] = Math.max(0, n.duration - covered);
  }
  return out;
}

/** Self time per service, largest first. */
export function selfTimeByService(tree: SpanTree): ServiceTime[] {
  const self = selfTimes(tree);
  const by = new Map<string, ServiceTime>();
  let total = 0;
  for (const n of tree.nodes) {
    const t = self[n.index]!;
    total += t;
    let row = by.get(n.span.service);
    if (!row)
      by.set(n.span.service, (row = { service: n.span.service, selfTime: nanos(0), fraction: 0, spans: 0, errors: 0 }));
    row.selfTime = nanos(row.selfTime + t);
    row.spans++;
    if (n.isError) row.errors++;
  }
  const rows = [...by.values()];
  for (const r of rows) r.fraction = total > 0 ? r.selfTime / total : 0;
  return rows.sort((a, b) => b.selfTime - a.selfTime || a.service.localeCompare(b.service));
}
