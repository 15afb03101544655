import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatFloat, formatGoG } from '../src/format.ts';

describe('formatFloat (strconv.FormatFloat(v, "f", -1, 64))', () => {
  it.each([
    [0, '0'],
    [-0, '-0'],
    [1, '1'],
    [-2.5, '-2.5'],
    [0.1, '0.1'],
    [1e21, '1000000000000000000000'],
    [1.5e-7, '0.00000015'],
    [123456789012345680000, '123456789012345680000'],
    [5e-324, '0.' + '0'.repeat(323) + '5'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ])('%s → %s', (v, s) => {
    expect(formatFloat(v)).toBe(s);
  });

  it('round-trips every finite double without exponent notation', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        const s = formatFloat(v);
        expect(s).not.toMatch(/e/);
        expect(Object.is(Number(s), v)).toBe(true);
      }),
    );
  });
});

describe("formatGoG (Go's %v)", () => {
  it.each([
    [1e30, '1e+30'],
    [123456, '123456'],
    [1234567, '1.234567e+06'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [NaN, 'NaN'],
  ])('%s → %s', (v, s) => {
    expect(formatGoG(v)).toBe(s);
  });
});
