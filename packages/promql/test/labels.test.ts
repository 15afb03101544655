import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareLabels, labelsKey, labelsSortKey, labelsString } from '../src/labels.ts';

const labelSet = fc.dictionary(
  fc.constantFrom('a', 'ab', 'b', 'job', '__name__'),
  fc.string({ maxLength: 4 }).filter((s) => !s.includes('\x00')),
);

describe('label keys', () => {
  it('sort keys order label sets exactly like labels.Compare', () => {
    fc.assert(
      fc.property(labelSet, labelSet, (a, b) => {
        const x = labelsSortKey(a);
        const y = labelsSortKey(b);
        expect(Math.sign(x < y ? -1 : x > y ? 1 : 0)).toBe(Math.sign(compareLabels(a, b)));
      }),
    );
  });

  it('identity keys ignore empty values and label order', () => {
    expect(labelsKey({ b: '2', a: '1', c: '' })).toBe(labelsKey({ a: '1', b: '2' }));
    expect(labelsKey({ a: '1' })).not.toBe(labelsKey({ a: '11' }));
  });

  it('prints like Prometheus', () => {
    expect(labelsString({ job: 'a"b', __name__: 'up' })).toBe('{__name__="up", job="a\\"b"}');
  });
});
