// The critical path: the chain of work that determined the trace's end-to-end duration. Walking
// back from the root's end, at each point the last child to finish before it is what the parent
// was waiting on; where no child ran, the span itself was the work.
// Follows Jaeger UI's algorithm (packages/jaeger-ui/src/components/TracePage/CriticalPath/index.tsx),
// made iterative so a deep trace cannot overflow the stack.
import type { SpanTree } from './span-tree.ts';
import { nanos, type Nanos } from './units.ts';

export interface CriticalSegment {
  node: number;
  start: Nanos;
  end: Nanos;
}

/**
 * Segments of the critical path from `root` (default: the trace's longest root), latest first as
 * found, returned in time order.
 */
export function criticalPath(tree: SpanTree, root?: number): CriticalSegment[] {
  if (tree.nodes.length === 0) return [];
  const start = root ?? longestRoot(tree);
  // Children clipped to their parent (a child that outlives its parent only delays the parent up
  // to its end), sorted by end time, latest first.
  const clippedEnd = new Float64Array(tree.nodes.length);
  const clippedStart = new Float64Array(tree.nodes.length);
  // Pre-order: a parent's clipped bounds are known before its children's.
  for (const n of tree.nodes) {
    const p = n.parent;
    clippedStart[n.index] = p >= 0 ? Math.max(n.start, clippedStart[p]!) : n.start;
    clippedEnd[n.index] = p >= 0 ? Math.min(n.end, clippedEnd[p]!) : n.end;
  }
  const kidsByEnd = (i: number): number[] =>
    tree.nodes[i]!.children.filter(
      (c) => clippedEnd[c]! >= clippedStart[c]! && clippedStart[c]! <= clippedEnd[i]!,
    ).sort((a, b) => clippedEnd[b]! - clippedEnd[a]!);
  const sortedKids = new Map<number, number[]>();
  const kidsOf = (i: number) => {
    let k = sortedKids.get(i);
    if (!k) sortedKids.set(i, (k = kidsByEnd(i)));
    return k;
  };

  const out: CriticalSegment[] = [];
  let current = start;
  let before: number | undefined; // a child of `current` started here; look for work that ended before it
  const limit = tree.nodes.length * 4 + 8;
  for (let steps = 0; steps < limit; steps++) {
    const sectionEnd = before ?? clippedEnd[current]!;
    const kids = kidsOf(current);
    // A child that ended exactly where the next one started (sequential calls) counts; a zero-length
    // one at that instant does not, so the walk always moves back in time and ends.
    const b = before;
    const last =
      b === undefined ? kids[0] : kids.find((c) => clippedEnd[c]! < b || (clippedEnd[c] === b && clippedStart[c]! < b));
    if (last !== undefined) {
      const s = clippedEnd[last]!;
      if (s < sectionEnd) out.push({ node: current, start: nanos(s), end: nanos(sectionEnd) });
      current = last;
      before = undefined;
    } else {
      const s = clippedStart[current]!;
      if (s < sectionEnd) out.push({ node: current, start: nanos(s), end: nanos(sectionEnd) });
      if (current === start) break;
      before = clippedStart[current]!;
      current = tree.nodes[current]!.parent;
      if (current < 0) break;
    }
  }
  return out.reverse();
}

function longestRoot(tree: SpanTree): number {
  let best = tree.roots[0] ?? 0;
  for (const r of tree.roots) if (tree.nodes[r]!.duration > tree.nodes[best]!.duration) best = r;
  return best;
}

/** Critical segments grouped by node, for drawing them on each waterfall row. */
export function segmentsByNode(segments: readonly CriticalSegment[]): Map<number, CriticalSegment[]> {
  const by = new Map<number, CriticalSegment[]>();
  for (const s of segments) {
    const list = by.get(s.node);
    if (list) list.push(s);
    else by.set(s.node, [s]);
  }
  return by;
}
