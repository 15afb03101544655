import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CopyBuffer, copyRows } from './copy-text.ts';

// copyRows (a string, what the raw COPY ceiling sends) is the reference the byte writer must match.
const text = fc.oneof(
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: fc.constantFrom('a', '\\', '\t', '\n', '\r', 'é', '😀', '\0', '\uD800', '"') }),
  fc.string({ unit: 'binary' }),
);

describe('CopyBuffer', () => {
  it('writes what copyRows writes, as UTF-8, for any text, numbers and NULLs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.option(text), fc.option(fc.integer()), fc.option(fc.bigInt().map(String))), {
          maxLength: 20,
        }),
        (rows) => {
          const out = new CopyBuffer(8);
          for (const [t, n, d] of rows) {
            out.text(t);
            out.plain(n);
            out.plain(d, true);
          }
          const columns = [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])];
          expect(Buffer.from(out.bytes()).toString('hex')).toBe(Buffer.from(copyRows(columns)).toString('hex'));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('escapes backslash, tab, newline and return before and after a non-ASCII character', () => {
    const out = new CopyBuffer(1);
    out.text('a\\b\tc\nd\re');
    out.text('ü\\\t\n\r', true);
    expect(Buffer.from(out.bytes()).toString()).toBe('a\\\\b\\tc\\nd\\re\tü\\\\\\t\\n\\r\n');
  });
});
