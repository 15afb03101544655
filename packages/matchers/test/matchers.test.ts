import { describe, expect, it } from 'vitest';
import { RegexError, compileAnchored, matchValue, matchesAll, matchesAnchored } from '../src/index.ts';

describe('RE2 patterns', () => {
  const m = matchesAnchored;

  it('anchors at both ends', () => {
    expect(m('a.', 'ab')).toBe(true);
    expect(m('a.', 'xab')).toBe(false);
    expect(m('a|b', 'a')).toBe(true);
    expect(m('a|b', 'ab')).toBe(false);
    // Go's $ is the end of the text, not of a line.
    expect(m('a', 'a\n')).toBe(false);
  });

  it('takes Go syntax as it is', () => {
    expect(m('(?i)get', 'GET')).toBe(true);
    expect(m('(?P<x>a)b', 'ab')).toBe(true);
    expect(m('[[:digit:]]+', '123')).toBe(true);
    expect(m('[[:alpha:]_]+', 'ab_c')).toBe(true);
    expect(m('[[:^alpha:]]', '1')).toBe(true);
    expect(m('a\\_b', 'a_b')).toBe(true);
    expect(m('\\Qa.b\\E', 'a.b')).toBe(true);
    expect(m('\\Qa.b\\E', 'axb')).toBe(false);
    expect(m('a{', 'a{')).toBe(true);
    expect(m('[]a]+', ']a')).toBe(true);
    expect(m('\\pL+', 'é')).toBe(true);
    expect(m('\\p{Greek}+', 'αβ')).toBe(true);
    expect(m('\\x{1F600}', '😀')).toBe(true);
    expect(m('\\141', 'a')).toBe(true);
    expect(m('(?s).', '\n')).toBe(true);
    expect(m('.', '\n')).toBe(false);
  });

  it('takes scoped and mid-pattern case-insensitive flags', () => {
    expect(m('(?i:PRO).*', 'production')).toBe(true);
    expect(m('((?i)PRO).*', 'production')).toBe(true);
    expect(m('.*(?i:DUC).*', 'production')).toBe(true);
    expect(m('(?i:PRO)D.*', 'prod')).toBe(false);
  });

  it('gives the shortcut shapes the meaning RE2 gives them', () => {
    const values = ['', 'a', 'ab', 'b', 'a\nb', '\n', 'A', 'a|b', 'é', 'x y'];
    for (const p of ['.*', '.+', 'a|b', 'a|', 'ab|a', 'x y', 'é|A', 'a.b', '(?s).*'])
      for (const v of values) expect(m(p, v), `${p} on ${JSON.stringify(v)}`).toBe(compileAnchored(p).matches(v));
    // Repeated values come from a memo; the answers stay those of re2js.
    for (let i = 0; i < 3; i++) expect(m('a+b?', 'aab')).toBe(true);
  });

  it('matches whole code points with .', () => {
    expect(m('.', '😀')).toBe(true);
  });

  it('matches in linear time', () => {
    const t0 = performance.now();
    expect(m('(a+)+', 'a'.repeat(28) + 'b')).toBe(false);
    expect(m('(a|a)*c', 'a'.repeat(5000))).toBe(false);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('rejects invalid patterns with Go error texts', () => {
    expect(() => compileAnchored('(')).toThrow(RegexError);
    expect(() => compileAnchored('(')).toThrow('error parsing regexp: missing closing ): `^(?:()$`');
    expect(() => compileAnchored('[a')).toThrow(RegexError);
    expect(() => compileAnchored('(?=a)')).toThrow('invalid or unsupported Perl syntax');
    expect(() => compileAnchored('a{1001}')).toThrow('invalid repeat count');
  });
});

describe('label matchers', () => {
  it('treat an absent label as the empty value', () => {
    expect(matchesAll([{ name: 'x', type: '=', value: '' }], {})).toBe(true);
    expect(matchesAll([{ name: 'x', type: '=~', value: 'a|' }], {})).toBe(true);
    expect(matchesAll([{ name: 'x', type: '!~', value: '.+' }], { x: 'a' })).toBe(false);
    expect(matchValue({ name: 'x', type: '!=', value: 'a' }, 'b')).toBe(true);
  });
});
