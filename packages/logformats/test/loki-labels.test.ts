// The label string of Loki protobuf streams, with Go quoting.
import { describe, expect, it } from 'vitest';
import { LabelStringError, parseLabelString } from '../src/index.ts';

const parse = (s: string) => Object.fromEntries(parseLabelString(s));

describe('parseLabelString', () => {
  it('parses the usual form', () => {
    expect(parse('{app="api", env="prod"}')).toEqual({ app: 'api', env: 'prod' });
    expect(parse('{}')).toEqual({});
    expect(parse('  { a = "1" ,b="2", }  ')).toEqual({ a: '1', b: '2' });
  });

  it('decodes Go escapes, single quotes and raw strings', () => {
    expect(parse(String.raw`{a="q\"uo\\te", b="tab\tnl\n", c="\x41\u00e9\U0001F600\101"}`)).toEqual({
      a: 'q"uo\\te',
      b: 'tab\tnl\n',
      c: 'Aé😀A',
    });
    expect(parse(String.raw`{a='it\'s', b=` + '`raw\\n`}')).toEqual({ a: "it's", b: 'raw\\n' });
    expect(parse('{city="Zürich"}')).toEqual({ city: 'Zürich' });
  });

  it('drops empty values', () => {
    expect(parse('{a="", b="x"}')).toEqual({ b: 'x' });
  });

  it('keeps a "__proto__" label as data', () => {
    const labels = parseLabelString('{__proto__="x"}');
    expect(labels.get('__proto__')).toBe('x');
  });

  it.each([
    ['', "expected '{' but the string ended at position 0"],
    ['app="x"', "expected '{' but found 'a' at position 0"],
    ['{app="x"', "expected '}' but the string ended at position 8"],
    ['{app=x}', 'expected a quoted label value at position 5'],
    ['{1app="x"}', 'expected a label name at position 1'],
    ['{a-b="x"}', "expected '=' but found '-' at position 2"],
    ['{a="x" b="y"}', "expected '}' but found 'b' at position 7"],
    ['{a="x", a="y"}', 'duplicate label name "a" at position 8'],
    ['{a="x} ', 'unterminated label value at position 3'],
    ['{a="\\q"}', "unknown escape '\\q' at position 4"],
    ['{a="\\xZZ"}', 'expected 2 hex digits at position 6'],
    ['{a="\\uD800"}', 'invalid code point in escape at position 5'],
    ['{a="x"} trailing', 'unexpected text after the closing brace at position 8'],
    ['{a="line\nbreak"}', 'newline in label value at position 8'],
  ])('refuses %j', (s, message) => {
    expect(() => parseLabelString(s)).toThrow(LabelStringError);
    expect(() => parseLabelString(s)).toThrow(message);
  });
});
