import { describe, expect, it } from 'vitest';
import { checkMatcherRegex, compileAnchored, expandTemplate, submatch } from '../src/regex.ts';

describe('matcher patterns', () => {
  it('refuses in matchers what only parses inside the anchoring wrapper', () => {
    expect(() => compileAnchored('a)(b')).not.toThrow();
    expect(() => checkMatcherRegex('a)(b')).toThrow('unexpected )');
  });
});

describe("expandTemplate (Go's regexp.Expand)", () => {
  const match = submatch(compileAnchored('(?P<first>a+)(b*)(c)?'), 'aab')!;
  it.each([
    ['$1', 'aa'],
    ['${1}x', 'aax'],
    ['$1x', ''], // "$1x" names group "1x", which does not exist
    ['$first-$2', 'aa-b'],
    ['${first}', 'aa'],
    ['$$1', '$1'],
    ['$9', ''],
    ['$3', ''], // did not take part
    ['$01', ''], // a leading zero makes it a name
    ['a$', 'a$'],
    ['${1', '${1'],
    ['$-', '$-'],
    ['$é', ''], // letters beyond ASCII belong to names
  ])('%s', (t, want) => {
    expect(expandTemplate(t, match)).toBe(want);
  });
});
