import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildSpanTree, type SpanLike } from './span-tree.ts';
import { diffTraces, visibleDiffRows } from './trace-diff.ts';
import { MS, span } from './testing.ts';

const rowsOf = (d: ReturnType<typeof diffTraces>) =>
  d.rows.map((r) => ['  '.repeat(r.depth) + `${r.service} ${r.name}`, r.status, r.durationA / MS, r.durationB / MS]);

// checkout GET /checkout → cart GET /cart, payment POST /charge (×n), and what the test adds.
const checkout = (id: string, charges: number[], extra: SpanLike[] = [], rootMs = 100): SpanLike[] => [
  span(`${id}r`, null, 0, rootMs, { service: 'checkout', name: 'GET /checkout' }),
  span(`${id}c`, `${id}r`, 1, 9, { service: 'cart', name: 'GET /cart' }),
  ...charges.map((d, i) => span(`${id}p${i}`, `${id}r`, 10 + i * 30, d, { service: 'payment', name: 'POST /charge' })),
  ...extra,
];

describe('diffTraces', () => {
  it('aligns identical traces span for span, with no difference', () => {
    const spans = checkout('a', [20]);
    const d = diffTraces(buildSpanTree(spans), buildSpanTree(spans));
    expect(rowsOf(d)).toEqual([
      ['checkout GET /checkout', 'same', 100, 100],
      ['  cart GET /cart', 'same', 9, 9],
      ['  payment POST /charge', 'same', 20, 20],
    ]);
    expect([d.matched, d.added, d.missing, d.criticalChanged]).toEqual([3, 0, 0, 0]);
    expect(d.operations.every((o) => o.delta === 0 && o.criticalDelta === 0)).toBe(true);
  });

  it('pairs the k-th span of each (service, operation) under aligned parents; the rest is added or missing', () => {
    // A: one charge and a cache lookup. B: a charge that failed and its retry, no cache lookup, and a
    // fraud check with a child of its own (a whole added subtree).
    const a = buildSpanTree(
      checkout('a', [20], [span('ak', 'ar', 50, 5, { service: 'checkout', name: 'cache get' })], 100),
    );
    const b = buildSpanTree(
      checkout(
        'b',
        [25, 40],
        [
          span('bf', 'br', 80, 10, { service: 'fraud', name: 'check' }),
          span('bm', 'bf', 82, 6, { service: 'fraud', name: 'model' }),
        ],
        130,
      ),
    );
    const d = diffTraces(a, b);
    // Siblings in start order (A's offset for paired and missing spans, B's for added ones).
    expect(rowsOf(d)).toEqual([
      ['checkout GET /checkout', 'same', 100, 130],
      ['  cart GET /cart', 'same', 9, 9],
      ['  payment POST /charge', 'same', 20, 25],
      ['  payment POST /charge', 'added', 0, 40],
      ['  checkout cache get', 'missing', 5, 0],
      ['  fraud check', 'added', 0, 10],
      ['    fraud model', 'added', 0, 6],
    ]);
    expect([d.matched, d.added, d.missing]).toEqual([3, 3, 1]);
    expect(d.rows.map((r) => r.descendants)).toEqual([6, 0, 0, 0, 0, 1, 0]);
    expect(d.rows.map((r) => r.parent)).toEqual([-1, 0, 0, 0, 0, 0, 5]);
    // Per operation: sums, counts, and the largest absolute delta first.
    expect(
      d.operations.map((o) => [
        o.service,
        o.name,
        o.countA,
        o.countB,
        o.durationA / MS,
        o.durationB / MS,
        o.delta / MS,
      ]),
    ).toEqual([
      ['payment', 'POST /charge', 1, 2, 20, 65, 45],
      ['checkout', 'GET /checkout', 1, 1, 100, 130, 30],
      ['fraud', 'check', 0, 1, 0, 10, 10],
      ['fraud', 'model', 0, 1, 0, 6, 6],
      ['checkout', 'cache get', 1, 0, 5, 0, -5],
      ['cart', 'GET /cart', 1, 1, 9, 9, 0],
    ]);
    expect([d.durationA / MS, d.durationB / MS]).toEqual([100, 130]);
  });

  it('marks where the critical path differs and gives the critical time per operation', () => {
    // A: the charge (10…30) is on the path; the cache lookup (50…95) finishes last, so it is too.
    // B: the cache lookup is short (50…55) and a slow charge (10…90) holds the trace.
    const a = buildSpanTree(
      checkout('a', [20], [span('ak', 'ar', 50, 45, { service: 'checkout', name: 'cache get' })]),
    );
    const b = buildSpanTree(checkout('b', [80], [span('bk', 'br', 50, 5, { service: 'checkout', name: 'cache get' })]));
    const d = diffTraces(a, b);
    const crit = d.rows.map((r) => [r.name, r.criticalA / MS, r.criticalB / MS, r.criticalChanged]);
    expect(crit).toEqual([
      // A: root 0…1, cart 1…10, charge 10…30, root 30…50, cache 50…95, root 95…100.
      // B: root 0…1, cart 1…10, charge 10…90, root 90…100.
      ['GET /checkout', 1 + 20 + 5, 1 + 10, false],
      ['GET /cart', 9, 9, false],
      ['POST /charge', 20, 80, false],
      ['cache get', 45, 0, true],
    ]);
    expect(d.criticalChanged).toBe(1);
    const op = d.operations.find((o) => o.name === 'cache get')!;
    expect([op.criticalA / MS, op.criticalB / MS, op.criticalDelta / MS, op.delta / MS]).toEqual([45, 0, -45, -40]);
  });

  it('shows only the changed rows and the path to them, and skips collapsed subtrees', () => {
    const a = buildSpanTree(checkout('a', [20]));
    const b = buildSpanTree(checkout('b', [20], [span('bf', 'bc', 2, 3, { service: 'cart', name: 'SELECT cart' })]));
    const d = diffTraces(a, b);
    expect(rowsOf(d).map((r) => `${r[0]} ${r[1]}`)).toEqual([
      'checkout GET /checkout same',
      '  cart GET /cart same',
      '    cart SELECT cart added',
      '  payment POST /charge same',
    ]);
    expect([...visibleDiffRows(d, new Set())]).toEqual([0, 1, 2, 3]);
    expect([...visibleDiffRows(d, new Set(), true)]).toEqual([0, 1, 2]);
    expect([...visibleDiffRows(d, new Set([1]))]).toEqual([0, 1, 3]);
    expect([...visibleDiffRows(d, new Set([0]), true)]).toEqual([0]);
  });

  it('handles a 10,000-deep chain on one side and a 10,000-wide fan-out on the other without recursion', () => {
    const chain: SpanLike[] = [];
    const fan: SpanLike[] = [span('f0', null, 0, 10_000)];
    for (let i = 0; i < 10_000; i++)
      chain.push(span(`c${i}`, i ? `c${i - 1}` : null, i * 0.001, 10_000 - i * 0.002, { name: i ? 'step' : 'root' }));
    for (let i = 1; i < 10_000; i++) fan.push(span(`f${i}`, 'f0', i * 0.5, 0.4, { name: 'step' }));
    fan[0]!.name = 'root';
    const d = diffTraces(buildSpanTree(chain), buildSpanTree(fan));
    // The roots and the first step pair up; the rest of the chain is missing, the rest of the fan added.
    expect([d.matched, d.missing, d.added, d.rows.length]).toEqual([2, 9_998, 9_998, 19_998]);
    expect(d.rows[0]!.descendants).toBe(19_997);
    expect(Math.max(...d.rows.map((r) => r.depth))).toBe(9_999);
  });

  it('for any two traces: every span is on exactly one row, and swapping A and B swaps added and missing', () => {
    const names = ['x', 'y', 'z'];
    const arbTrace = fc
      .array(fc.record({ parent: fc.nat(), start: fc.nat(100), dur: fc.nat(100), name: fc.constantFrom(...names) }), {
        minLength: 1,
        maxLength: 30,
      })
      .map((xs) =>
        xs.map((x, i) => span(`s${i}`, i === 0 ? null : `s${x.parent % i}`, x.start, x.dur, { name: x.name })),
      );
    fc.assert(
      fc.property(arbTrace, arbTrace, (sa, sb) => {
        const ta = buildSpanTree(sa);
        const tb = buildSpanTree(sb);
        const d = diffTraces(ta, tb);
        const as = d.rows
          .filter((r) => r.a >= 0)
          .map((r) => r.a)
          .sort((x, y) => x - y);
        const bs = d.rows
          .filter((r) => r.b >= 0)
          .map((r) => r.b)
          .sort((x, y) => x - y);
        expect(as).toEqual(ta.nodes.map((n) => n.index));
        expect(bs).toEqual(tb.nodes.map((n) => n.index));
        const back = diffTraces(tb, ta);
        expect([back.matched, back.added, back.missing]).toEqual([d.matched, d.missing, d.added]);
        const self = diffTraces(ta, ta);
        expect([self.added, self.missing, self.criticalChanged]).toEqual([0, 0, 0]);
      }),
      { numRuns: 200 },
    );
  });
});
