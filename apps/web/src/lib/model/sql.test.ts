import { describe, expect, it } from 'vitest';
import { cellText } from './sql.ts';

describe('SQL cells', () => {
  it('show NULL, text as is, numbers and JSON', () => {
    expect([null, 'a b', 1.5, false, { k: [1] }, '9223372036854775807'].map(cellText)).toEqual([
      'NULL',
      'a b',
      '1.5',
      'false',
      '{"k":[1]}',
      '9223372036854775807',
    ]);
  });
});
