// Builds the span tree of a trace, flattened in depth-first order so that a subtree is a contiguous
// range of rows: collapsing is a skip, and the waterfall can virtualise a plain array.
// Iterative throughout, because a 10,000-span trace may also be a 10,000-deep chain.
import { nanos, type Nanos } from './units.ts';

export interface SpanLike {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  service: string;
  startTimeUnixNano: string;
  durationNano: string;
  status: { code: string };
}

export interface SpanNode<S extends SpanLike = SpanLike> {
  /** Position in depth-first order (the row number when nothing is collapsed). */
  index: number;
  span: S;
  /** Index of the parent node, -1 for a root. */
  parent: number;
  depth: number;
  /** Child node indices, by start time. */
  children: number[];
  /** Number of nodes below this one: its subtree is index+1 … index+descendants. */
  descendants: number;
  /** Offset from the trace start. */
  start: Nanos;
  end: Nanos;
  duration: Nanos;
  isError: boolean;
  /** The span names a parent that is not in the trace (not yet arrived, or lost). */
  orphan: boolean;
}

export interface SpanTree<S extends SpanLike = SpanLike> {
  nodes: SpanNode<S>[];
  roots: number[];
  /** Span ID → node index (the first, if an ID repeats). */
  byId: Map<string, number>;
  traceStartNs: bigint;
  /** First span start to last span end. */
  duration: Nanos;
  /** Services in order of first appearance in the tree, for stable colours. */
  services: string[];
  maxDepth: number;
}

interface Pending<S> {
  span: S;
  start: number;
  duration: number;
  order: number;
}

/**
 * `starts`: the spans' starts as offsets (ns) from `base`, when the caller has them (the compact
 * trace format): no decimal string is parsed per span.
 */
export function buildSpanTree<S extends SpanLike>(
  spans: readonly S[],
  starts?: { base: bigint; offsets: ArrayLike<number> },
): SpanTree<S> {
  if (spans.length === 0)
    return { nodes: [], roots: [], byId: new Map(), traceStartNs: 0n, duration: nanos(0), services: [], maxDepth: 0 };
  let traceStart: bigint;
  let offsetOf: (i: number) => number;
  if (starts) {
    let min = Infinity;
    for (let i = 0; i < spans.length; i++) if (starts.offsets[i]! < min) min = starts.offsets[i]!;
    traceStart = starts.base + BigInt(min);
    offsetOf = (i) => starts.offsets[i]! - min;
  } else {
    const startsNs = spans.map((s) => BigInt(s.startTimeUnixNano));
    traceStart = startsNs[0]!;
    for (const s of startsNs) if (s < traceStart) traceStart = s;
    offsetOf = (i) => Number(startsNs[i]! - traceStart);
  }

  const pending: Pending<S>[] = spans.map((span, i) => ({
    span,
    start: offsetOf(i),
    duration: Math.max(0, Number(span.durationNano)),
    order: i,
  }));
  const firstById = new Map<string, number>();
  pending.forEach((p, i) => {
    if (!firstById.has(p.span.spanId)) firstById.set(p.span.spanId, i);
  });

  // Children per pending index; roots are spans without a (present) parent.
  const kids: number[][] = pending.map(() => []);
  const rootCandidates: number[] = [];
  const orphan = new Uint8Array(pending.length);
  pending.forEach((p, i) => {
    const parentId = p.span.parentSpanId;
    const parent = parentId ? firstById.get(parentId) : undefined;
    if (parent === undefined || parent === i) {
      if (parentId && parent === undefined) orphan[i] = 1;
      rootCandidates.push(i);
    } else {
      kids[parent]!.push(i);
    }
  });
  const byStart = (a: number, b: number) =>
    pending[a]!.start - pending[b]!.start || pending[a]!.order - pending[b]!.order;
  for (const k of kids) if (k.length > 1) k.sort(byStart);
  rootCandidates.sort(byStart);

  const nodes: SpanNode<S>[] = [];
  const nodeOf = new Int32Array(pending.length).fill(-1);
  const visit = (rootPending: number) => {
    // Explicit stack of [pending index, parent node index, depth]; children pushed in reverse so
    // they pop in start order.
    const stack: [number, number, number][] = [[rootPending, -1, 0]];
    while (stack.length) {
      const [pi, parentNode, depth] = stack.pop()!;
      if (nodeOf[pi] !== -1) continue; // a cycle: already placed
      const p = pending[pi]!;
      const index = nodes.length;
      nodeOf[pi] = index;
      nodes.push({
        index,
        span: p.span,
        parent: parentNode,
        depth,
        children: [],
        descendants: 0,
        start: nanos(p.start),
        end: nanos(p.start + p.duration),
        duration: nanos(p.duration),
        isError: p.span.status.code === 'ERROR',
        orphan: orphan[pi] === 1,
      });
      if (parentNode >= 0) nodes[parentNode]!.children.push(index);
      const k = kids[pi]!;
      for (let j = k.length - 1; j >= 0; j--) stack.push([k[j]!, index, depth + 1]);
    }
  };
  const roots: number[] = [];
  for (const r of rootCandidates) {
    roots.push(nodes.length);
    visit(r);
  }
  // Spans caught in a parent cycle are reachable from no root: show them as roots rather than lose them.
  for (let i = 0; i < pending.length; i++) {
    if (nodeOf[i] === -1) {
      orphan[i] = 1;
      roots.push(nodes.length);
      visit(i);
    }
  }
  // Pre-order: descendants are counted from the end backwards.
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (n.parent >= 0) nodes[n.parent]!.descendants += n.descendants + 1;
  }

  const byId = new Map<string, number>();
  const services: string[] = [];
  const seen = new Set<string>();
  let end = 0;
  let maxDepth = 0;
  for (const n of nodes) {
    if (!byId.has(n.span.spanId)) byId.set(n.span.spanId, n.index);
    if (!seen.has(n.span.service)) {
      seen.add(n.span.service);
      services.push(n.span.service);
    }
    if (n.end > end) end = n.end;
    if (n.depth > maxDepth) maxDepth = n.depth;
  }
  return { nodes, roots, byId, traceStartNs: traceStart, duration: nanos(end), services, maxDepth };
}

/**
 * The rows to show, in order, when the nodes in `collapsed` have their subtrees hidden.
 * O(visible rows + collapsed nodes), thanks to the contiguous subtrees.
 */
export function visibleRows(tree: SpanTree<SpanLike>, collapsed: ReadonlySet<number>): Int32Array {
  const out = new Int32Array(tree.nodes.length);
  let n = 0;
  for (let i = 0; i < tree.nodes.length;) {
    out[n++] = i;
    i += collapsed.has(i) ? tree.nodes[i]!.descendants + 1 : 1;
  }
  return out.subarray(0, n);
}

/** Node indices from the root down to `index`, inclusive: what must be expanded to show it. */
export function ancestorsOf(tree: SpanTree<SpanLike>, index: number): number[] {
  const path: number[] = [];
  for (let i = tree.nodes[index]?.parent ?? -1; i >= 0; i = tree.nodes[i]!.parent) path.push(i);
  return path.reverse();
}
