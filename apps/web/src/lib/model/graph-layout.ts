// Where each node of the service graph goes: a d3-force simulation run to rest synchronously, then a
// pass that pushes apart any nodes still touching. Pure and deterministic (same graph and seed, same
// picture, whatever order the API listed the nodes in), so the map does not reshuffle on every
// refresh and the layout can be tested in node.
import {
  forceCollide,
  forceLink,
  forceManyBody,
  forceSimulation,
  forceX,
  forceY,
  type SimulationLinkDatum,
  type SimulationNodeDatum,
} from 'd3-force';

export interface LayoutNode {
  id: string;
  /** The drawn circle's radius. */
  radius: number;
  /** Width of the label under the node: the space the node needs is at least half of it each side. */
  labelWidth?: number;
}

export interface LayoutEdge {
  source: string;
  target: string;
}

export interface PlacedNode {
  id: string;
  x: number;
  y: number;
  radius: number;
  /** The space kept free around the centre: the circle or half its label, plus a gap. */
  clearance: number;
  /** Distance from the callers that nobody calls: calls flow left to right. */
  column: number;
}

export interface GraphLayout {
  nodes: PlacedNode[];
  byId: Map<string, PlacedNode>;
  width: number;
  height: number;
}

export interface LayoutOptions {
  seed?: number;
  /** Space kept between two nodes' clearances, and around the picture. */
  gap?: number;
  iterations?: number;
  /** Width over height of the box the layout fills (a landscape screen by default). */
  aspect?: number;
}

interface SimNode extends SimulationNodeDatum {
  id: string;
  radius: number;
  clearance: number;
  column: number;
}

/** A small seeded generator (mulberry32), so d3's jiggle of coincident nodes is the same every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Each node's column: the longest chain of calls leading to it from a node nobody calls. Cycles are
 * cut by never revisiting a node on the current path, so a → b → a still terminates.
 */
export function columns(ids: readonly string[], edges: readonly LayoutEdge[]): Map<string, number> {
  const out = new Map<string, string[]>();
  const hasCaller = new Set<string>();
  const known = new Set(ids);
  for (const e of edges) {
    if (e.source === e.target || !known.has(e.source) || !known.has(e.target)) continue;
    (out.get(e.source) ?? out.set(e.source, []).get(e.source)!).push(e.target);
    hasCaller.add(e.target);
  }
  const col = new Map<string, number>(ids.map((id) => [id, 0]));
  // Longest path by relaxation, bounded by the node count (a DAG settles within it; a cycle stops there).
  let frontier = ids.filter((id) => !hasCaller.has(id));
  // A graph that is one big cycle has no entry: start from its first node.
  if (frontier.length === 0 && ids.length > 0) frontier = [ids[0]!];
  for (let round = 0; round < ids.length && frontier.length > 0; round++) {
    const next = new Set<string>();
    for (const id of frontier)
      for (const t of out.get(id) ?? []) {
        if (col.get(t)! < col.get(id)! + 1) {
          col.set(t, col.get(id)! + 1);
          next.add(t);
        }
      }
    frontier = [...next].sort();
  }
  return col;
}

export function layoutGraph(
  nodes: readonly LayoutNode[],
  edges: readonly LayoutEdge[],
  opts: LayoutOptions = {},
): GraphLayout {
  const gap = opts.gap ?? 12;
  const sorted = [...nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const ids = sorted.map((n) => n.id);
  const known = new Set(ids);
  const links = edges
    .filter((e) => e.source !== e.target && known.has(e.source) && known.has(e.target))
    .map((e) => ({ source: e.source, target: e.target }))
    .sort((a, b) => (a.source + '\0' + a.target < b.source + '\0' + b.target ? -1 : 1));
  const col = columns(ids, links);
  const maxCol = Math.max(0, ...col.values());
  const widest = Math.max(0, ...sorted.map((n) => clearanceOf(n)));
  // The box the nodes fill: room for each node's clearance and some slack, in the wanted aspect, so a
  // big graph spreads across a landscape screen instead of growing into one tall column.
  const aspect = opts.aspect ?? 1.6;
  const area = sorted.reduce((a, n) => a + (2 * clearanceOf(n) + gap) ** 2, 0) * 1.8;
  const colWidthMin = 2 * widest + 3 * gap;
  const boxW = Math.max(Math.sqrt(area * aspect), (maxCol + 1) * colWidthMin);
  const boxH = Math.max(boxW / aspect, 2 * widest + 2 * gap);
  const colWidth = boxW / (maxCol + 1);

  const sim: SimNode[] = sorted.map((n) => ({
    id: n.id,
    radius: n.radius,
    clearance: clearanceOf(n),
    column: col.get(n.id)!,
  }));
  if (sim.length === 0) return { nodes: [], byId: new Map(), width: 0, height: 0 };

  const simulation = forceSimulation<SimNode>(sim)
    .randomSource(seededRandom(opts.seed ?? 1))
    .force(
      'link',
      forceLink<SimNode, SimulationLinkDatum<SimNode>>(links)
        .id((d) => d.id)
        .distance(Math.min(colWidth, 2 * widest + 4 * gap))
        .strength(0.2),
    )
    .force('charge', forceManyBody<SimNode>().strength(-200))
    .force('column', forceX<SimNode>((d) => (d.column - maxCol / 2) * colWidth).strength(0.35))
    .force('centre', forceY<SimNode>(0).strength(0.02))
    .force('box', containWithin(boxW / 2, boxH / 2))
    .force('collide', forceCollide<SimNode>((d) => d.clearance + gap / 2).iterations(3))
    .stop();
  const iterations = opts.iterations ?? 300;
  for (let i = 0; i < iterations; i++) simulation.tick();

  separate(sim, gap);

  const minX = Math.min(...sim.map((n) => n.x! - n.clearance)) - gap;
  const minY = Math.min(...sim.map((n) => n.y! - n.clearance)) - gap;
  const placed = sim.map<PlacedNode>((n) => ({
    id: n.id,
    x: n.x! - minX,
    y: n.y! - minY,
    radius: n.radius,
    clearance: n.clearance,
    column: n.column,
  }));
  const width = Math.max(...placed.map((n) => n.x + n.clearance)) + gap;
  const height = Math.max(...placed.map((n) => n.y + n.clearance)) + gap;
  return { nodes: placed, byId: new Map(placed.map((n) => [n.id, n])), width, height };
}

/** A force that pulls back any node that strays outside the box ±halfW × ±halfH (its clearance included). */
function containWithin(halfW: number, halfH: number) {
  let nodes: SimNode[] = [];
  const force = (alpha: number) => {
    for (const n of nodes) {
      const w = halfW - n.clearance;
      const h = halfH - n.clearance;
      if (n.x! > w) n.vx! -= (n.x! - w) * alpha;
      else if (n.x! < -w) n.vx! -= (n.x! + w) * alpha;
      if (n.y! > h) n.vy! -= (n.y! - h) * alpha;
      else if (n.y! < -h) n.vy! -= (n.y! + h) * alpha;
    }
  };
  force.initialize = (ns: SimNode[]) => {
    nodes = ns;
  };
  return force;
}

function clearanceOf(n: LayoutNode): number {
  return Math.max(n.radius, (n.labelWidth ?? 0) / 2);
}

/**
 * d3's collision force is soft: at rest two nodes can still overlap a little. Push every touching
 * pair apart along the line between them until none touch (or give up after enough rounds).
 */
function separate(nodes: SimNode[], gap: number): void {
  for (let round = 0; round < 500; round++) {
    let moved = false;
    for (let i = 0; i < nodes.length; i++)
      for (let j = i + 1; j < nodes.length; j++) {
        const a = nodes[i]!;
        const b = nodes[j]!;
        const need = a.clearance + b.clearance + gap;
        let dx = b.x! - a.x!;
        let dy = b.y! - a.y!;
        let d = Math.hypot(dx, dy);
        if (d >= need) continue;
        if (d === 0) {
          // Coincident: split along a direction fixed by their order.
          dx = 1;
          dy = (j - i) % 2 ? 0.5 : -0.5;
          d = Math.hypot(dx, dy);
        }
        const push = (need - d) / 2 + 0.01;
        const ux = dx / d;
        const uy = dy / d;
        a.x! -= ux * push;
        a.y! -= uy * push;
        b.x! += ux * push;
        b.y! += uy * push;
        moved = true;
      }
    if (!moved) return;
  }
}
