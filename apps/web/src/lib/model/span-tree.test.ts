import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ancestorsOf, buildSpanTree, visibleRows } from './span-tree.ts';
import { MS, span } from './testing.ts';

describe('buildSpanTree', () => {
  it('orders nodes depth-first with children by start time, and measures from the first start', () => {
    const tree = buildSpanTree([
      span('c', 'a', 30, 10, { service: 'front' }),
      span('a', null, 0, 100, { service: 'front' }),
      span('b', 'a', 10, 10, { service: 'back', error: true }),
      span('d', 'b', 12, 5, { service: 'back' }),
    ]);
    expect(tree.nodes.map((n) => n.span.spanId)).toEqual(['a', 'b', 'd', 'c']);
    expect(tree.nodes.map((n) => n.depth)).toEqual([0, 1, 2, 1]);
    expect(tree.nodes.map((n) => n.descendants)).toEqual([3, 1, 0, 0]);
    expect(tree.nodes[0]!.children).toEqual([1, 3]);
    expect(tree.nodes[2]!.parent).toBe(1);
    expect(tree.nodes[1]!.start).toBe(10 * MS);
    expect(tree.nodes[1]!.isError).toBe(true);
    expect(tree.duration).toBe(100 * MS);
    expect(tree.services).toEqual(['front', 'back']);
    expect(tree.roots).toEqual([0]);
    expect(tree.byId.get('d')).toBe(2);
    expect(tree.maxDepth).toBe(2);
  });

  it('keeps spans whose parent is missing as orphan roots, and spans in a parent cycle', () => {
    const tree = buildSpanTree([
      span('a', null, 0, 10),
      span('x', 'missing', 5, 1),
      span('p', 'q', 1, 1),
      span('q', 'p', 2, 1),
    ]);
    expect(tree.nodes).toHaveLength(4);
    expect(
      tree.nodes
        .filter((n) => n.orphan)
        .map((n) => n.span.spanId)
        .sort(),
    ).toEqual(['p', 'x']);
    expect(tree.roots).toHaveLength(3);
  });

  it('handles a 10,000-deep chain without recursion', () => {
    const spans = Array.from({ length: 10_000 }, (_, i) =>
      span(`s${i}`, i ? `s${i - 1}` : null, i * 0.01, 200 - i * 0.01),
    );
    const tree = buildSpanTree(spans);
    expect(tree.maxDepth).toBe(9_999);
    expect(tree.nodes[0]!.descendants).toBe(9_999);
    expect(ancestorsOf(tree, 9_999)).toHaveLength(9_999);
  });

  it('returns an empty tree for no spans', () => {
    expect(buildSpanTree([]).nodes).toEqual([]);
  });
});

describe('visibleRows', () => {
  const tree = buildSpanTree([
    span('a', null, 0, 100),
    span('b', 'a', 1, 10),
    span('c', 'b', 2, 1),
    span('d', 'a', 20, 10),
  ]);
  it('shows everything when nothing is collapsed', () => {
    expect([...visibleRows(tree, new Set())]).toEqual([0, 1, 2, 3]);
  });
  it('hides a collapsed subtree but keeps the collapsed node', () => {
    expect([...visibleRows(tree, new Set([1]))]).toEqual([0, 1, 3]);
    expect([...visibleRows(tree, new Set([0]))]).toEqual([0]);
  });

  it('for any tree: subtrees are contiguous, and collapsing a node hides exactly its descendants', () => {
    // Random forests: span i's parent is one of the spans before it, or none.
    const forest = fc.array(fc.tuple(fc.nat(), fc.boolean(), fc.nat(1000), fc.nat(1000)), {
      minLength: 1,
      maxLength: 60,
    });
    fc.assert(
      fc.property(forest, fc.nat(), (rows, pick) => {
        const spans = rows.map(([p, root, start, dur], i) =>
          span(`s${i}`, root || i === 0 ? null : `s${p % i}`, start, dur),
        );
        const t = buildSpanTree(spans);
        expect(t.nodes).toHaveLength(spans.length);
        for (const n of t.nodes) {
          for (let j = n.index + 1; j <= n.index + n.descendants; j++)
            expect(t.nodes[j]!.depth).toBeGreaterThan(n.depth);
          for (const c of n.children) expect(t.nodes[c]!.parent).toBe(n.index);
        }
        const target = pick % t.nodes.length;
        const rowsShown = visibleRows(t, new Set([target]));
        expect(rowsShown.length).toBe(t.nodes.length - t.nodes[target]!.descendants);
      }),
      { numRuns: 200 },
    );
  });
});
