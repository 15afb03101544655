import { describe, expect, it } from 'vitest';
import { buildSpanTree } from './span-tree.ts';
import { selfTimeByService, selfTimes } from './self-time.ts';
import { MS, span } from './testing.ts';

describe('self time', () => {
  it('subtracts the union of children, clipped to the parent', () => {
    const tree = buildSpanTree([
      span('root', null, 0, 100, { service: 'front' }),
      // Two overlapping children cover 10…50; a third runs past the parent's end.
      span('a', 'root', 10, 30, { service: 'db' }),
      span('b', 'root', 20, 30, { service: 'db' }),
      span('c', 'root', 90, 40, { service: 'cache' }),
    ]);
    const self = selfTimes(tree);
    expect(self[0]! / MS).toBeCloseTo(100 - 40 - 10);
    expect(self[tree.byId.get('c')!]! / MS).toBeCloseTo(40);
  });

  it('sums per service with fractions of the total, largest first', () => {
    const tree = buildSpanTree([
      span('root', null, 0, 100, { service: 'front' }),
      span('a', 'root', 0, 60, { service: 'db', error: true }),
      span('b', 'a', 0, 60, { service: 'db' }),
    ]);
    const rows = selfTimeByService(tree);
    expect(rows.map((r) => r.service)).toEqual(['db', 'front']);
    expect(rows[0]!.selfTime / MS).toBeCloseTo(60);
    expect(rows[0]!.fraction).toBeCloseTo(0.6);
    expect(rows[0]!.spans).toBe(2);
    expect(rows[0]!.errors).toBe(1);
    expect(rows.reduce((s, r) => s + r.fraction, 0)).toBeCloseTo(1);
  });

  it('gives a fully covered parent zero self time', () => {
    const tree = buildSpanTree([span('p', null, 0, 10), span('c', 'p', 0, 10)]);
    expect([...selfTimes(tree)]).toEqual([0, 10 * MS]);
  });
});
