import { describe, expect, it } from 'vitest';
import { RegexError, compileAnchored, expandTemplate, translateRE2 } from './regex.ts';

describe('RE2 patterns', () => {
  const m = (re: string, s: string): boolean => compileAnchored(re).test(s);

  it('anchors at both ends', () => {
    expect(m('a.', 'ab')).toBe(true);
    expect(m('a.', 'xab')).toBe(false);
    expect(m('a|b', 'a')).toBe(true);
    expect(m('a|b', 'ab')).toBe(false);
  });

  it('translates RE2-only syntax', () => {
    expect(m('(?i)get', 'GET')).toBe(true);
    expect(m('(?P<x>a)b', 'ab')).toBe(true);
    expect(m('[[:digit:]]+', '123')).toBe(true);
    expect(m('[[:alpha:]_]+', 'ab_c')).toBe(true);
    expect(m('a\\_b', 'a_b')).toBe(true);
    expect(m('\\Qa.b\\E', 'a.b')).toBe(true);
    expect(m('\\Qa.b\\E', 'axb')).toBe(false);
    expect(m('a{', 'a{')).toBe(true);
    expect(m('[]a]+', ']a')).toBe(true);
    expect(m('\\pL+', 'é')).toBe(true);
  });

  it('matches whole code points with .', () => {
    expect(m('.', '😀')).toBe(true);
  });

  it('rejects invalid patterns with RegexError', () => {
    expect(() => compileAnchored('(')).toThrow(RegexError);
    expect(() => compileAnchored('[a')).toThrow(RegexError);
    expect(() => translateRE2('(?=a)')).toThrow(RegexError);
  });
});

describe("expandTemplate (Go's regexp.Expand)", () => {
  const re = /^(?<first>a+)(b*)$/u;
  const match = re.exec('aab')!;
  it.each([
    ['$1', 'aa'],
    ['${1}x', 'aax'],
    ['$1x', ''], // "$1x" names group "1x", which does not exist
    ['$first-$2', 'aa-b'],
    ['$$1', '$1'],
    ['$9', ''],
    ['a$', 'a$'],
  ])('%s', (t, want) => {
    expect(expandTemplate(t, match)).toBe(want);
  });
});
