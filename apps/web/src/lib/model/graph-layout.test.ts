import { describe, expect, it } from 'vitest';
import { columns, layoutGraph, type GraphLayout, type LayoutEdge, type LayoutNode } from './graph-layout.ts';

function overlaps(l: GraphLayout, gap: number): string[] {
  const bad: string[] = [];
  for (let i = 0; i < l.nodes.length; i++)
    for (let j = i + 1; j < l.nodes.length; j++) {
      const a = l.nodes[i]!;
      const b = l.nodes[j]!;
      if (Math.hypot(a.x - b.x, a.y - b.y) < a.clearance + b.clearance + gap - 1e-6) bad.push(`${a.id}/${b.id}`);
    }
  return bad;
}

/** A tree of services fanning out from a few front doors, with databases and queues at the leaves. */
function bigGraph(n: number): { nodes: LayoutNode[]; edges: LayoutEdge[] } {
  const nodes: LayoutNode[] = [];
  const edges: LayoutEdge[] = [];
  for (let i = 0; i < n; i++) {
    nodes.push({ id: `svc-${String(i).padStart(2, '0')}`, radius: 14 + (i % 5) * 3, labelWidth: 60 + (i % 7) * 8 });
    if (i >= 3) edges.push({ source: `svc-${String(Math.floor((i - 3) / 3)).padStart(2, '0')}`, target: nodes[i]!.id });
    if (i % 6 === 5) edges.push({ source: nodes[i]!.id, target: `svc-${String(i - 4).padStart(2, '0')}` });
  }
  return { nodes, edges };
}

describe('service graph layout', () => {
  const shop: LayoutNode[] = ['frontend', 'checkout', 'inventory', 'pricing', 'payment', 'postgresql shop'].map(
    (id) => ({ id, radius: 18, labelWidth: id.length * 7 }),
  );
  const calls: LayoutEdge[] = [
    { source: 'frontend', target: 'checkout' },
    { source: 'frontend', target: 'pricing' },
    { source: 'checkout', target: 'inventory' },
    { source: 'checkout', target: 'pricing' },
    { source: 'checkout', target: 'payment' },
    { source: 'inventory', target: 'postgresql shop' },
    { source: 'payment', target: 'postgresql shop' },
  ];

  it('is the same for the same seed, whatever order the nodes and edges come in', () => {
    const a = layoutGraph(shop, calls, { seed: 7 });
    const b = layoutGraph([...shop].reverse(), [...calls].reverse(), { seed: 7 });
    expect(b.nodes).toEqual(a.nodes);
    expect([b.width, b.height]).toEqual([a.width, a.height]);
  });

  it('puts callers left of what they call', () => {
    const l = layoutGraph(shop, calls);
    const x = (id: string) => l.byId.get(id)!.x;
    expect(x('frontend')).toBeLessThan(x('checkout'));
    expect(x('checkout')).toBeLessThan(x('payment'));
    expect(x('payment')).toBeLessThan(x('postgresql shop'));
    expect(l.byId.get('postgresql shop')!.column).toBe(3);
  });

  it('keeps every node and its label inside the picture, none touching another', () => {
    const l = layoutGraph(shop, calls, { gap: 12 });
    expect(overlaps(l, 12)).toEqual([]);
    for (const n of l.nodes) {
      expect(n.x - n.clearance).toBeGreaterThanOrEqual(0);
      expect(n.y - n.clearance).toBeGreaterThanOrEqual(0);
      expect(n.x + n.clearance).toBeLessThanOrEqual(l.width);
      expect(n.y + n.clearance).toBeLessThanOrEqual(l.height);
    }
  });

  it('stays readable at 50 services: no overlaps, and compact enough to fit a screen when scaled', () => {
    const { nodes, edges } = bigGraph(50);
    const l = layoutGraph(nodes, edges, { gap: 12 });
    expect(l.nodes).toHaveLength(50);
    expect(overlaps(l, 12)).toEqual([]);
    // Scaled into a 1200 x 700 viewport its 12 px labels stay above 8 px: a sprawling or tall layout
    // would shrink everything to dots (one long column of 50 measured 0.6).
    const scale = Math.min(1200 / l.width, 700 / l.height, 1);
    expect(scale * 12).toBeGreaterThan(8);
    // Landscape, like the screen it is drawn on.
    expect(l.width / l.height).toBeGreaterThan(1);
    expect(l.width / l.height).toBeLessThan(2.5);
  });

  it('pushes apart nodes that start on top of each other and have no edges', () => {
    const alone = Array.from({ length: 12 }, (_, i) => ({ id: `n${i}`, radius: 20, labelWidth: 90 }));
    const l = layoutGraph(alone, []);
    expect(overlaps(l, 12)).toEqual([]);
  });

  it('ignores edges to unknown nodes and self-calls, and lays out nothing as nothing', () => {
    const l = layoutGraph(shop.slice(0, 2), [
      { source: 'frontend', target: 'frontend' },
      { source: 'frontend', target: 'ghost' },
      { source: 'frontend', target: 'checkout' },
    ]);
    expect(l.nodes.map((n) => n.id).sort()).toEqual(['checkout', 'frontend']);
    expect(layoutGraph([], [])).toMatchObject({ nodes: [], width: 0, height: 0 });
  });
});

describe('columns', () => {
  it('is the longest chain of calls from an entry point', () => {
    const c = columns(
      ['a', 'b', 'c', 'd'],
      [
        { source: 'a', target: 'b' },
        { source: 'b', target: 'c' },
        { source: 'a', target: 'c' },
        { source: 'd', target: 'c' },
      ],
    );
    expect(Object.fromEntries(c)).toEqual({ a: 0, b: 1, c: 2, d: 0 });
  });

  it('terminates on cycles', () => {
    const c = columns(
      ['a', 'b', 'c'],
      [
        { source: 'a', target: 'b' },
        { source: 'b', target: 'c' },
        { source: 'c', target: 'b' },
      ],
    );
    expect(c.get('a')).toBe(0);
    expect(c.get('b')).toBeGreaterThanOrEqual(1);
    const ring = columns(
      ['x', 'y'],
      [
        { source: 'x', target: 'y' },
        { source: 'y', target: 'x' },
      ],
    );
    expect(ring.size).toBe(2);
  });
});
