import { describe, expect, it } from 'vitest';
import { visibleRows } from './virtual-rows.ts';

describe('visibleRows', () => {
  const rows = Array.from({ length: 100 }, (_, i) => i * 2);
  it('draws the rows in view and the overscan around them, clamped to the list', () => {
    expect(visibleRows(rows, 0, 48, 24, 1).map((r) => r.pos)).toEqual([0, 1, 2]);
    expect(visibleRows(rows, 240, 48, 24, 2)).toEqual([8, 9, 10, 11, 12, 13].map((pos) => ({ pos, idx: pos * 2 })));
    expect(visibleRows(rows, 2400, 48, 24, 1).map((r) => r.pos)).toEqual([99]);
  });
});
