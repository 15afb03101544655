// The /map and /propagation pages' data shaped for drawing: node sizes, edge paths that end at the
// node's rim (curved apart when two services call each other), the labels, and the propagation
// ranking with its examples as trace-view links. Pure, so it is tested without a browser.
import type {
  PropagationProblem,
  PropagationResponse,
  PropagationServiceRow,
  ServiceGraphEdge,
  ServiceGraphNode,
  ServiceGraphResponse,
} from '@pivot/api-types';
import { formatMs, formatPercent, formatRate } from './format.ts';
import { layoutGraph, type PlacedNode } from './graph-layout.ts';

/** Approximate width of one character of the 12 px UI font, to reserve label space before drawing. */
const CHAR_PX = 7;

export interface MapNode {
  node: ServiceGraphNode;
  x: number;
  y: number;
  r: number;
  virtual: boolean;
  label: string;
  stats: string;
}

export interface MapEdge {
  edge: ServiceGraphEdge;
  /** client→server: what the edge-traces API and the URL select by. */
  pair: string;
  /** Unique: an edge is keyed by its connection type too (a pair can have a direct and a virtual_node edge). */
  key: string;
  /** SVG path from the client's rim to just short of the server's rim (the arrow head fills the rest). */
  d: string;
  labelX: number;
  labelY: number;
  stats: string;
  /** The text drawn on the edge: rate, errors when there are any, P99. */
  label: string;
  /** False where the label would cover a node, its name or a busier edge's label: then it shows on focus. */
  showLabel: boolean;
  failing: boolean;
}

export interface MapView {
  nodes: MapNode[];
  edges: MapEdge[];
  width: number;
  height: number;
}

/** Circle radius by request rate: a busy service reads as bigger, on a log scale so one does not dwarf all. */
export function nodeRadius(requestRate: number): number {
  const r = 14 + 5 * Math.log10(1 + Math.max(0, requestRate) * 10);
  return Math.min(30, Math.round(r * 10) / 10);
}

export const isVirtual = (n: ServiceGraphNode): boolean => n.type !== 'service';

export const edgeKey = (e: { client: string; server: string }): string => `${e.client}\u2192${e.server}`;
const uniqueKey = (e: ServiceGraphEdge): string => `${edgeKey(e)}|${e.connectionType}`;

export function statsLine(x: { requestRate: number; errorRate: number; p99Ms: number | null }): string {
  return `${formatRate(x.requestRate)} · ${formatPercent(x.errorRate)} err · p99 ${formatMs(x.p99Ms)}`;
}

/**
 * The path of one edge: a straight line between the rims, or, when the other direction exists too
 * (or another edge of the same pair), an arc bent to its right, `bend` times as far, so that no two
 * lie on top of each other.
 */
export function edgePath(
  a: { x: number; y: number; r: number },
  b: { x: number; y: number; r: number },
  bend: number,
  arrow = 6,
): { d: string; labelX: number; labelY: number } {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.hypot(dx, dy) || 1;
  const ux = dx / len;
  const uy = dy / len;
  // The normal to the right of the direction of travel.
  const nx = -uy;
  const ny = ux;
  const off = bend * Math.min(40, len / 5);
  const sx = a.x + ux * a.r + nx * (off ? a.r * 0.3 : 0);
  const sy = a.y + uy * a.r + ny * (off ? a.r * 0.3 : 0);
  const ex = b.x - ux * (b.r + arrow) + nx * (off ? b.r * 0.3 : 0);
  const ey = b.y - uy * (b.r + arrow) + ny * (off ? b.r * 0.3 : 0);
  const mx = (sx + ex) / 2;
  const my = (sy + ey) / 2;
  const r = (v: number) => Math.round(v * 10) / 10;
  if (!off) return { d: `M${r(sx)},${r(sy)}L${r(ex)},${r(ey)}`, labelX: r(mx), labelY: r(my) };
  const cx = mx + nx * off;
  const cy = my + ny * off;
  // A quadratic curve's midpoint is halfway between the chord's midpoint and the control point.
  return {
    d: `M${r(sx)},${r(sy)}Q${r(cx)},${r(cy)} ${r(ex)},${r(ey)}`,
    labelX: r((mx + cx) / 2),
    labelY: r((my + cy) / 2),
  };
}

/** Past this many nodes each shows only its rate (and errors) under its name; the rest is on focus. */
export const COMPACT_ABOVE = 16;

export function buildMapView(graph: ServiceGraphResponse, seed = 1): MapView {
  const compact = graph.nodes.length > COMPACT_ABOVE;
  const input = graph.nodes.map((n) => {
    const label = n.id;
    const stats = compact
      ? `${formatRate(n.requestRate)}${n.errors > 0 ? ` · ${formatPercent(n.errorRate)} err` : ''}`
      : statsLine(n);
    return {
      id: n.id,
      radius: nodeRadius(n.requestRate),
      labelWidth: Math.max(label.length, stats.length) * CHAR_PX,
      node: n,
      label,
      stats,
    };
  });
  // An edge may name a node the graph did not list (an older server): draw it as an external peer.
  const listed = new Set(input.map((n) => n.id));
  for (const e of graph.edges)
    for (const id of [e.client, e.server])
      if (!listed.has(id)) {
        listed.add(id);
        const node: ServiceGraphNode = {
          id,
          type: 'external',
          requestRate: 0,
          errorRate: 0,
          p99Ms: null,
          requests: 0,
          errors: 0,
        };
        input.push({ id, radius: nodeRadius(0), labelWidth: id.length * CHAR_PX, node, label: id, stats: '' });
      }
  const layout = layoutGraph(
    input,
    graph.edges.map((e) => ({ source: e.client, target: e.server })),
    { seed, gap: 16 },
  );
  const byId = new Map(input.map((n) => [n.id, n]));
  // Leave room under each circle for its two label lines.
  const nodes: MapNode[] = layout.nodes.map((p: PlacedNode) => {
    const n = byId.get(p.id)!;
    return { node: n.node, x: p.x, y: p.y, r: p.radius, virtual: isVirtual(n.node), label: n.label, stats: n.stats };
  });
  const at = new Map(nodes.map((n) => [n.node.id, n]));
  const pairs = new Set(graph.edges.map(edgeKey));
  const seen = new Map<string, number>();
  const edges: MapEdge[] = [];
  for (const e of graph.edges) {
    const a = at.get(e.client);
    const b = at.get(e.server);
    if (!a || !b || a === b) continue;
    const pair = edgeKey(e);
    const nth = seen.get(pair) ?? 0;
    seen.set(pair, nth + 1);
    const reverse = pairs.has(edgeKey({ client: e.server, server: e.client }));
    const path = edgePath(a, b, nth + (reverse ? 1 : 0));
    const label = `${formatRate(e.requestRate)}${e.errors > 0 ? ` · ${formatPercent(e.errorRate)} err` : ''} · ${formatMs(e.p99Ms)}`;
    edges.push({
      edge: e,
      pair,
      key: uniqueKey(e),
      ...path,
      stats: statsLine(e),
      label,
      showLabel: true,
      failing: e.errors > 0,
    });
  }
  placeEdgeLabels(
    nodes.map((n) => ({ ...n, labelWidth: byId.get(n.node.id)!.labelWidth })),
    edges,
  );
  return { nodes, edges, width: layout.width, height: layout.height + 24 };
}

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}
const overlap = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

/** The box of an edge's label as the page draws it: 10 px text centred 4 px above its anchor. */
export function edgeLabelBox(e: Pick<MapEdge, 'labelX' | 'labelY' | 'label'>): Box {
  const w = e.label.length * EDGE_CHAR_PX;
  return { x0: e.labelX - w / 2, y0: e.labelY - 14, x1: e.labelX + w / 2, y1: e.labelY - 1 };
}
const EDGE_CHAR_PX = 5.8;

/**
 * Keeps an edge's label only where it covers no node, no node's name and stats, and no busier edge's
 * label (the busiest edges are placed first); the others show when their edge has the focus.
 */
export function placeEdgeLabels(nodes: readonly (MapNode & { labelWidth: number })[], edges: MapEdge[]): void {
  const taken: Box[] = nodes.flatMap((n) => [
    { x0: n.x - n.r, y0: n.y - n.r, x1: n.x + n.r, y1: n.y + n.r },
    { x0: n.x - n.labelWidth / 2, y0: n.y + n.r + 2, x1: n.x + n.labelWidth / 2, y1: n.y + n.r + (n.stats ? 31 : 18) },
  ]);
  const order = [...edges].sort((a, b) => b.edge.requests - a.edge.requests || (a.key < b.key ? -1 : 1));
  for (const e of order) {
    const box = edgeLabelBox(e);
    e.showLabel = !taken.some((t) => overlap(t, box));
    if (e.showLabel) taken.push(box);
  }
}

/** Where a node click goes: an instrumented service's page; a virtual node has none. */
export function nodeHref(n: ServiceGraphNode, rangeQs = ''): string | null {
  if (isVirtual(n)) return null;
  return `/services/${encodeURIComponent(n.id)}${rangeQs ? `?${rangeQs}` : ''}`;
}

/** A trace-view link that selects (and so highlights) one span. */
export const spanHref = (traceId: string, spanId: string): string =>
  `/traces/${encodeURIComponent(traceId)}?span=${encodeURIComponent(spanId)}`;

export const PROBLEM_LABEL: Record<PropagationProblem, string> = {
  orphan: 'orphan spans',
  'client-without-server': 'calls that lost their trace',
  'context-lost': 'requests that arrived without their trace',
  'root-not-entry': 'roots that are not entry points',
  'db-without-traceparent': 'SQL statements without traceparent',
};

export interface PropagationRank {
  row: PropagationServiceRow;
  /** Every problem counted once per span. */
  broken: number;
  /**
   * Spans whose break this service caused: all but `context-lost`, which is where a caller's (or a
   * proxy's) dropped context shows up, at the callee. The caller that dropped it ranks first.
   */
  atFault: number;
  /** Share of this service's spans that break a trace. */
  share: number;
}

/**
 * Services that break traces, the ones that cause breaks first (then by every broken span, then by
 * name, so the order is stable). A legacy client that drops `traceparent` shows as `client-without-server`
 * at the caller and as `context-lost` at the callee, the same count: the caller is the one to fix.
 */
export function rankPropagation(res: PropagationResponse): PropagationRank[] {
  return res.services
    .map((row) => {
      const broken = row.orphans + row.brokenHops + row.nonEntryRoots;
      const lost = row.problems.filter((p) => p.problem === 'context-lost').reduce((n, p) => n + p.count, 0);
      return { row, broken, atFault: Math.max(0, broken - lost), share: row.spans > 0 ? broken / row.spans : 0 };
    })
    .filter((r) => r.broken > 0)
    .sort((a, b) => b.atFault - a.atFault || b.broken - a.broken || (a.row.service < b.row.service ? -1 : 1));
}
