import { describe, expect, it } from 'vitest';
import { highlightSegments, parseAttrFilters } from './search-text.ts';

describe('highlighting matched terms', () => {
  it('marks every case-insensitive occurrence, merging overlaps', () => {
    expect(highlightSegments('Payment FAILED: payment declined', ['payment', 'failed'])).toEqual([
      { text: 'Payment', match: true },
      { text: ' ', match: false },
      { text: 'FAILED', match: true },
      { text: ': ', match: false },
      { text: 'payment', match: true },
      { text: ' declined', match: false },
    ]);
    expect(highlightSegments('aaa', ['aa'])).toEqual([{ text: 'aaa', match: true }]);
    expect(highlightSegments('no match', ['zzz'])).toEqual([{ text: 'no match', match: false }]);
    expect(highlightSegments('x', [])).toEqual([{ text: 'x', match: false }]);
    expect(highlightSegments('', ['x'])).toEqual([]);
  });
});

describe('attribute filters of the trace search', () => {
  it('reads key=value pairs, values may contain = or be empty', () => {
    expect(parseAttrFilters(' http.route=/checkout  q=a=b empty= ')).toEqual({
      ok: true,
      pairs: [
        ['http.route', '/checkout'],
        ['q', 'a=b'],
        ['empty', ''],
      ],
    });
    expect(parseAttrFilters('')).toEqual({ ok: true, pairs: [] });
  });

  it('refuses a filter without = or without a key, naming it', () => {
    expect(parseAttrFilters('http.route=/checkout user.id')).toEqual({
      ok: false,
      token: 'user.id',
      message: '"user.id" is not key=value: write user.id=<value>, or remove it',
    });
    expect(parseAttrFilters('=42')).toMatchObject({ ok: false, token: '=42' });
  });
});
