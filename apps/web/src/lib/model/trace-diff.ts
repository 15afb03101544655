// Two traces aligned span by span, for the compare page. A span of A and a span of B are the same
// "position" when their parents are aligned and they are the k-th child with that (service, operation)
// under it, in start order: the first `payment POST /charge` under checkout matches the first, the
// second the second, and a third in B only is an added span (a retry, say). Spans left over on one
// side are added (only in B) or missing (only in A), and so is everything below them.
// Jaeger UI's trace diff (packages/jaeger-ui/src/components/TraceDiff/TraceDiffGraph/) merges the two
// trees the same way, by the path of (service, operation) from the root, but keeps one node per path
// with counts; here a node per position keeps a row per span, so the view can be a waterfall-like list.
// The rows come out in depth-first order with subtree sizes, as span-tree.ts does, so collapsing is a
// skip and the list can be virtualised; everything is iterative, for 10,000-deep chains.
import { criticalPath } from './critical-path.ts';
import type { SpanLike, SpanTree } from './span-tree.ts';

export type DiffStatus = 'same' | 'added' | 'missing';

export interface DiffRow {
  /** Position in depth-first order. */
  index: number;
  /** Row index of the parent, -1 for a top-level row. */
  parent: number;
  depth: number;
  /** Rows below this one: its subtree is index+1 … index+descendants. */
  descendants: number;
  service: string;
  name: string;
  /** Node index in tree A, -1 when the span is only in B. */
  a: number;
  /** Node index in tree B, -1 when the span is only in A. */
  b: number;
  status: DiffStatus;
  /** Duration in A and in B, ns (0 on the side the span is absent from). */
  durationA: number;
  durationB: number;
  /** Time this span itself spends on its trace's critical path, ns (0: not on it, or absent). */
  criticalA: number;
  criticalB: number;
  /** On the critical path in one trace and not in the other. */
  criticalChanged: boolean;
}

/** One (service, operation), summed over its spans in each trace. */
export interface OperationDelta {
  service: string;
  name: string;
  countA: number;
  countB: number;
  /** Sum of span durations, ns. */
  durationA: number;
  durationB: number;
  /** durationB - durationA. */
  delta: number;
  /** Time on the critical path, ns. */
  criticalA: number;
  criticalB: number;
  criticalDelta: number;
}

export interface TraceDiff {
  rows: DiffRow[];
  matched: number;
  added: number;
  missing: number;
  /** Rows on one critical path and not the other. */
  criticalChanged: number;
  /** Per operation, largest absolute duration delta first (then service, then name). */
  operations: OperationDelta[];
  durationA: number;
  durationB: number;
}

const keyOf = (s: SpanLike) => `${s.service}\u0000${s.name}`;

/** Time each node spends on the trace's critical path, ns. */
export function criticalTimeByNode(tree: SpanTree): Float64Array {
  const out = new Float64Array(tree.nodes.length);
  for (const seg of criticalPath(tree)) out[seg.node] = out[seg.node]! + (seg.end - seg.start);
  return out;
}

interface Pair {
  a: number;
  b: number;
  /** Start offset from the (aligned) parent's start, on the side the order is taken from. */
  offset: number;
  order: number;
}

/**
 * Pairs two sibling lists (node indices in start order) by the k-th occurrence of each (service,
 * operation), and returns them interleaved by start offset from their parent.
 */
function alignSiblings(
  tA: SpanTree,
  tB: SpanTree,
  kidsA: readonly number[],
  kidsB: readonly number[],
  parentStartA: number,
  parentStartB: number,
): Pair[] {
  const unusedB = new Map<string, number[]>();
  for (const b of kidsB) {
    const k = keyOf(tB.nodes[b]!.span);
    const list = unusedB.get(k);
    if (list) list.push(b);
    else unusedB.set(k, [b]);
  }
  const taken = new Set<number>();
  const out: Pair[] = [];
  for (const a of kidsA) {
    const queue = unusedB.get(keyOf(tA.nodes[a]!.span));
    const b = queue?.shift() ?? -1;
    if (b >= 0) taken.add(b);
    out.push({ a, b, offset: tA.nodes[a]!.start - parentStartA, order: out.length });
  }
  for (const b of kidsB)
    if (!taken.has(b)) out.push({ a: -1, b, offset: tB.nodes[b]!.start - parentStartB, order: out.length });
  return out.sort((x, y) => x.offset - y.offset || x.order - y.order);
}

export function diffTraces(tA: SpanTree, tB: SpanTree): TraceDiff {
  const critA = criticalTimeByNode(tA);
  const critB = criticalTimeByNode(tB);
  const rows: DiffRow[] = [];
  // Explicit stack of [a, b, parent row, depth]; children pushed in reverse so they pop in order.
  const stack: [number, number, number, number][] = [];
  const push = (pairs: Pair[], parentRow: number, depth: number) => {
    for (let i = pairs.length - 1; i >= 0; i--) stack.push([pairs[i]!.a, pairs[i]!.b, parentRow, depth]);
  };
  push(alignSiblings(tA, tB, tA.roots, tB.roots, 0, 0), -1, 0);
  while (stack.length) {
    const [a, b, parent, depth] = stack.pop()!;
    const na = a >= 0 ? tA.nodes[a]! : undefined;
    const nb = b >= 0 ? tB.nodes[b]! : undefined;
    const span = (na ?? nb)!.span;
    const criticalA = na ? critA[a]! : 0;
    const criticalB = nb ? critB[b]! : 0;
    const index = rows.length;
    rows.push({
      index,
      parent,
      depth,
      descendants: 0,
      service: span.service,
      name: span.name,
      a,
      b,
      status: na && nb ? 'same' : na ? 'missing' : 'added',
      durationA: na?.duration ?? 0,
      durationB: nb?.duration ?? 0,
      criticalA,
      criticalB,
      criticalChanged: criticalA > 0 !== criticalB > 0,
    });
    push(
      alignSiblings(tA, tB, na?.children ?? [], nb?.children ?? [], na?.start ?? 0, nb?.start ?? 0),
      index,
      depth + 1,
    );
  }
  for (let i = rows.length - 1; i >= 0; i--) {
    const r = rows[i]!;
    if (r.parent >= 0) rows[r.parent]!.descendants += r.descendants + 1;
  }

  const ops = new Map<string, OperationDelta>();
  let matched = 0;
  let added = 0;
  let missing = 0;
  let criticalChanged = 0;
  for (const r of rows) {
    if (r.status === 'same') matched++;
    else if (r.status === 'added') added++;
    else missing++;
    if (r.criticalChanged) criticalChanged++;
    const k = `${r.service}\u0000${r.name}`;
    let op = ops.get(k);
    if (!op) {
      op = {
        service: r.service,
        name: r.name,
        countA: 0,
        countB: 0,
        durationA: 0,
        durationB: 0,
        delta: 0,
        criticalA: 0,
        criticalB: 0,
        criticalDelta: 0,
      };
      ops.set(k, op);
    }
    if (r.a >= 0) op.countA++;
    if (r.b >= 0) op.countB++;
    op.durationA += r.durationA;
    op.durationB += r.durationB;
    op.criticalA += r.criticalA;
    op.criticalB += r.criticalB;
  }
  const operations = [...ops.values()];
  for (const op of operations) {
    op.delta = op.durationB - op.durationA;
    op.criticalDelta = op.criticalB - op.criticalA;
  }
  operations.sort(
    (x, y) =>
      Math.abs(y.delta) - Math.abs(x.delta) ||
      (x.service < y.service ? -1 : x.service > y.service ? 1 : 0) ||
      (x.name < y.name ? -1 : x.name > y.name ? 1 : 0),
  );
  return {
    rows,
    matched,
    added,
    missing,
    criticalChanged,
    operations,
    durationA: tA.duration,
    durationB: tB.duration,
  };
}

/** Whether a row is a difference worth showing: added, missing, or its critical-path role changed. */
export const isChanged = (r: DiffRow): boolean => r.status !== 'same' || r.criticalChanged;

/**
 * The rows to show, in order: subtrees of `collapsed` rows skipped, and with `changedOnly`, only
 * changed rows and their ancestors (the path that leads to each). O(rows).
 */
export function visibleDiffRows(diff: TraceDiff, collapsed: ReadonlySet<number>, changedOnly = false): Int32Array {
  const rows = diff.rows;
  let keep: Uint8Array | undefined;
  if (changedOnly) {
    keep = new Uint8Array(rows.length);
    // Children come after their parent: walking backwards, a kept row marks its parent.
    for (let i = rows.length - 1; i >= 0; i--) {
      const r = rows[i]!;
      if (isChanged(r)) keep[i] = 1;
      if (keep[i] && r.parent >= 0) keep[r.parent] = 1;
    }
  }
  const out = new Int32Array(rows.length);
  let n = 0;
  for (let i = 0; i < rows.length;) {
    if (keep && !keep[i]) {
      i += rows[i]!.descendants + 1; // nothing changed below it either
      continue;
    }
    out[n++] = i;
    i += collapsed.has(i) ? rows[i]!.descendants + 1 : 1;
  }
  return out.subarray(0, n);
}
