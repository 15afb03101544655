import { describe, expect, it } from 'vitest';
import type { PropagationResponse, ServiceGraphEdge, ServiceGraphNode, ServiceGraphResponse } from '@pivot/api-types';
import {
  buildMapView,
  edgeLabelBox,
  edgePath,
  nodeHref,
  nodeRadius,
  rankPropagation,
  spanHref,
} from './service-graph.ts';

const node = (id: string, over: Partial<ServiceGraphNode> = {}): ServiceGraphNode => ({
  id,
  type: 'service',
  requestRate: 1,
  errorRate: 0,
  p99Ms: 20,
  requests: 60,
  errors: 0,
  ...over,
});
const edge = (client: string, server: string, over: Partial<ServiceGraphEdge> = {}): ServiceGraphEdge => ({
  client,
  server,
  connectionType: '',
  requestRate: 1,
  errorRate: 0,
  p99Ms: 12,
  requests: 60,
  errors: 0,
  ...over,
});
const graph = (nodes: ServiceGraphNode[], edges: ServiceGraphEdge[]): ServiceGraphResponse => ({
  start: '2026-01-01T00:00:00Z',
  end: '2026-01-01T01:00:00Z',
  nodes,
  edges,
});

describe('map view', () => {
  it('draws every node and edge of the answer, virtual nodes marked', () => {
    const v = buildMapView(
      graph(
        [node('frontend'), node('checkout'), node('postgresql shop', { type: 'database' })],
        [edge('frontend', 'checkout'), edge('checkout', 'postgresql shop', { connectionType: 'database', errors: 2 })],
      ),
    );
    expect(v.nodes.map((n) => [n.node.id, n.virtual]).sort()).toEqual([
      ['checkout', false],
      ['frontend', false],
      ['postgresql shop', true],
    ]);
    expect(v.edges.map((e) => [e.pair, e.failing])).toEqual([
      ['frontend→checkout', false],
      ['checkout→postgresql shop', true],
    ]);
    expect(v.nodes.find((n) => n.node.id === 'frontend')!.stats).toBe('1.00/s · 0% err · p99 20.0ms');
  });

  it('keeps only the rate under each node of a big graph, so fifty still fit', () => {
    const many = Array.from({ length: 30 }, (_, i) =>
      node(`svc-${i}`, { errors: i === 3 ? 1 : 0, errorRate: i === 3 ? 0.5 : 0 }),
    );
    const v = buildMapView(graph(many, []));
    expect(v.nodes.find((n) => n.node.id === 'svc-0')!.stats).toBe('1.00/s');
    expect(v.nodes.find((n) => n.node.id === 'svc-3')!.stats).toBe('1.00/s · 50% err');
  });

  it('adds a node an edge names but the node list left out, so the edge is not lost', () => {
    const v = buildMapView(graph([node('a')], [edge('a', 'card-gateway')]));
    expect(v.nodes.find((n) => n.node.id === 'card-gateway')).toMatchObject({ virtual: true });
    expect(v.edges).toHaveLength(1);
  });

  it('bends the two directions of a mutual call apart', () => {
    const v = buildMapView(graph([node('a'), node('b')], [edge('a', 'b'), edge('b', 'a')]));
    const [ab, ba] = v.edges;
    expect(ab!.d).toContain('Q');
    expect(ba!.d).toContain('Q');
    expect(Math.hypot(ab!.labelX - ba!.labelX, ab!.labelY - ba!.labelY)).toBeGreaterThan(10);
  });

  it('keys a direct and a virtual edge of the same pair apart, and draws them apart', () => {
    const v = buildMapView(
      graph(
        [node('shipping'), node('inventory')],
        [edge('shipping', 'inventory'), edge('shipping', 'inventory', { connectionType: 'virtual_node' })],
      ),
    );
    expect(new Set(v.edges.map((e) => e.key)).size).toBe(2);
    expect(v.edges.map((e) => e.pair)).toEqual(['shipping→inventory', 'shipping→inventory']);
    expect(v.edges[0]!.d).not.toBe(v.edges[1]!.d);
  });

  it('hides an edge label that would cover a node or a busier edge label, never the busiest', () => {
    const many = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((id) => node(id));
    const all: ServiceGraphEdge[] = [];
    for (const x of many)
      for (const y of many)
        if (x.id < y.id) all.push(edge(x.id, y.id, { requests: x.id.charCodeAt(0) + y.id.charCodeAt(0) }));
    const v = buildMapView(graph(many, all));
    const shown = v.edges.filter((e) => e.showLabel);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThan(v.edges.length); // 28 edges among 8 nodes cannot all be labelled
    const busiest = [...v.edges].sort((p, q) => q.edge.requests - p.edge.requests)[0]!;
    // The busiest keeps its label unless it sits on a node.
    const onNode = v.nodes.some((n) => {
      const b = edgeLabelBox(busiest);
      return b.x0 < n.x + n.r && n.x - n.r < b.x1 && b.y0 < n.y + n.r && n.y - n.r < b.y1;
    });
    expect(busiest.showLabel || onNode).toBe(true);
    // No two shown labels overlap.
    const boxes = shown.map(edgeLabelBox);
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const [p, q] = [boxes[i]!, boxes[j]!];
        expect(p.x0 < q.x1 && q.x0 < p.x1 && p.y0 < q.y1 && q.y0 < p.y1).toBe(false);
      }
  });

  it('ends an edge at the rims, short of the server by the arrow', () => {
    const p = edgePath({ x: 0, y: 0, r: 10 }, { x: 100, y: 0, r: 20 }, 0, 6);
    expect(p.d).toBe('M10,0L74,0');
    expect([p.labelX, p.labelY]).toEqual([42, 0]);
  });

  it('sizes busy services bigger, within bounds', () => {
    expect(nodeRadius(0)).toBe(14);
    expect(nodeRadius(10)).toBeGreaterThan(nodeRadius(1));
    expect(nodeRadius(1e9)).toBe(30);
  });

  it('links services to their page, and virtual nodes nowhere', () => {
    expect(nodeHref(node('my svc'), 'from=now-1h')).toBe('/services/my%20svc?from=now-1h');
    expect(nodeHref(node('kafka orders', { type: 'messaging' }))).toBeNull();
    expect(spanHref('abc', 'def')).toBe('/traces/abc?span=def');
  });
});

describe('propagation ranking', () => {
  const res = (services: PropagationResponse['services']): PropagationResponse => ({
    start: '',
    end: '',
    traces: { total: 10, complete: 8, completeShare: 0.8 },
    services,
  });
  const row = (service: string, orphans: number, brokenHops: number, nonEntryRoots: number, spans = 100) => ({
    service,
    spans,
    orphans,
    brokenHops,
    nonEntryRoots,
    problems: [],
  });

  it('ranks by spans that break traces, drops clean services, ties by name', () => {
    const r = rankPropagation(
      res([row('a', 1, 0, 0), row('shipping', 0, 25, 0), row('clean', 0, 0, 0), row('b', 0, 0, 1)]),
    );
    expect(r.map((x) => [x.row.service, x.broken])).toEqual([
      ['shipping', 25],
      ['a', 1],
      ['b', 1],
    ]);
    expect(r[0]!.share).toBeCloseTo(0.25);
  });

  it('puts the caller that drops traceparent above the callee where the context is lost', () => {
    const problem = (p: 'client-without-server' | 'context-lost', count: number) => ({
      problem: p,
      count,
      why: '',
      examples: [],
    });
    const r = rankPropagation(
      res([
        { ...row('inventory', 0, 12, 0), problems: [problem('context-lost', 12)] },
        { ...row('shipping', 0, 12, 0), problems: [problem('client-without-server', 12)] },
      ]),
    );
    expect(r.map((x) => [x.row.service, x.atFault, x.broken])).toEqual([
      ['shipping', 12, 12],
      ['inventory', 0, 12],
    ]);
  });
});
