import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildSpanTree } from './span-tree.ts';
import { criticalPath, segmentsByNode } from './critical-path.ts';
import { MS, span } from './testing.ts';

const ids = (tree: ReturnType<typeof buildSpanTree>, segs: ReturnType<typeof criticalPath>) =>
  segs.map((s) => [tree.nodes[s.node]!.span.spanId, s.start / MS, s.end / MS]);

describe('criticalPath', () => {
  it('follows sequential calls and the parent between them', () => {
    // root 0…100 calls a (10…40) then b (40…90); b calls c (50…80).
    const tree = buildSpanTree([
      span('root', null, 0, 100),
      span('a', 'root', 10, 30),
      span('b', 'root', 40, 50),
      span('c', 'b', 50, 30),
    ]);
    expect(ids(tree, criticalPath(tree))).toEqual([
      ['root', 0, 10],
      ['a', 10, 40],
      ['b', 40, 50],
      ['c', 50, 80],
      ['b', 80, 90],
      ['root', 90, 100],
    ]);
  });

  it('takes the last-finishing of parallel children', () => {
    const tree = buildSpanTree([
      span('root', null, 0, 100),
      span('fast', 'root', 10, 20),
      span('slow', 'root', 10, 70),
    ]);
    expect(ids(tree, criticalPath(tree))).toEqual([
      ['root', 0, 10],
      ['slow', 10, 80],
      ['root', 80, 100],
    ]);
  });

  it('clips a child that outlives its parent', () => {
    const tree = buildSpanTree([span('root', null, 0, 50), span('async', 'root', 40, 100)]);
    expect(ids(tree, criticalPath(tree))).toEqual([
      ['root', 0, 40],
      ['async', 40, 50],
    ]);
  });

  it('groups segments by node', () => {
    const tree = buildSpanTree([span('root', null, 0, 100), span('a', 'root', 10, 30)]);
    const by = segmentsByNode(criticalPath(tree));
    expect(by.get(0)).toHaveLength(2);
    expect(by.get(1)).toHaveLength(1);
  });

  it('for any tree: segments are disjoint, in order, inside the root, and cover it exactly', () => {
    const forest = fc.array(fc.tuple(fc.nat(), fc.nat(100), fc.nat(100)), { minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(forest, (rows) => {
        const spans = rows.map(([p, start, dur], i) =>
          span(`s${i}`, i === 0 ? null : `s${p % i}`, i === 0 ? 0 : start, i === 0 ? 200 : dur),
        );
        const tree = buildSpanTree(spans);
        const segs = criticalPath(tree);
        const root = tree.nodes[0]!;
        let covered = 0;
        let prevEnd = root.start;
        for (const s of segs) {
          expect(s.start).toBeGreaterThanOrEqual(prevEnd - 1e-6);
          expect(s.end).toBeGreaterThan(s.start);
          expect(s.end).toBeLessThanOrEqual(root.end + 1e-6);
          prevEnd = s.end;
          covered += s.end - s.start;
        }
        expect(covered).toBeCloseTo(root.duration, 0);
      }),
      { numRuns: 300 },
    );
  });

  it('walks a 10,000-deep chain without overflowing the stack', () => {
    const spans = Array.from({ length: 10_000 }, (_, i) =>
      span(`s${i}`, i ? `s${i - 1}` : null, i * 0.01, 200 - i * 0.02),
    );
    const tree = buildSpanTree(spans);
    expect(criticalPath(tree).length).toBeGreaterThan(10_000);
  });
});
