import { describe, expect, it } from 'vitest';
import { parse, extractSelectors, type Expr } from '../../src/index.ts';
import { formatParseError } from '../../src/parser/parse.ts';

function ok(q: string): Expr {
  const r = parse(q);
  if (!r.ok) throw new Error(`${q}: ${JSON.stringify(r.errors)}`);
  return r.expr;
}
function errors(q: string): { from: number; to: number; message: string }[] {
  const r = parse(q);
  if (r.ok) throw new Error(`${q} parsed`);
  return r.errors;
}
const first = (q: string): string => errors(q)[0]!.message;

describe('syntax errors carry positions', () => {
  it.each([
    ['sum(', 4, 4, 'unclosed left parenthesis'],
    ['rate(x[5m]', 10, 10, 'unclosed left parenthesis'],
    ['foo{', 4, 4, 'unexpected end of input inside braces'],
    ['1 +', 3, 3, 'unexpected end of input'],
    ['foo bar', 4, 7, 'unexpected identifier "bar"'],
    ['"unterminated', 0, 13, 'unterminated quoted string'],
  ])('%s', (q, from, to, message) => {
    expect(errors(q)[0]).toEqual({ from, to, message });
  });

  it('formats like Prometheus', () => {
    expect(formatParseError('foo bar', errors('foo bar')[0]!)).toBe('1:5: parse error: unexpected identifier "bar"');
    expect(formatParseError('a +\n  b c', { from: 8, to: 9, message: 'm' })).toBe('2:5: parse error: m');
  });

  it('reports an empty query', () => {
    expect(first('   ')).toBe('no expression found in input');
  });
});

describe('semantic checks of the Prometheus parser', () => {
  it.each([
    ['rate(foo)', 'expected type range vector in call to function "rate", got instant vector'],
    ['abs(foo[5m])', 'expected type instant vector in call to function "abs", got range vector'],
    ['histogram_quantile(1)', 'expected 2 argument(s) in call to "histogram_quantile", got 1'],
    ['label_join(x)', 'expected at least 3 argument(s) in call to "label_join", got 1'],
    ['round(x, 1, 2)', 'expected at most 2 argument(s) in call to "round", got 3'],
    ['label_join(x, "a", "b", "c", 1)', 'expected type string in call to function "label_join", got scalar'],
    ['sum(x, y)', 'wrong number of arguments for aggregate expression provided, expected 1, got 2'],
    ['topk(x)', 'wrong number of arguments for aggregate expression provided, expected 2, got 1'],
    ['topk(x, y)', 'expected type scalar in aggregation parameter, got instant vector'],
    ['count_values(1, x)', 'expected type string in aggregation parameter, got scalar'],
    ['sum(x[5m])', 'expected type instant vector in aggregation expression, got range vector'],
    ['{}', 'vector selector must contain at least one non-empty matcher'],
    ['{job=""}', 'vector selector must contain at least one non-empty matcher'],
    ['{job=~".*"}', 'vector selector must contain at least one non-empty matcher'],
    ['foo{__name__="bar"}', 'metric name must not be set twice: "foo" or "bar"'],
    ['1 == 1', 'comparisons between scalars must use BOOL modifier'],
    ['x + bool y', 'bool modifier can only be used on comparison operators'],
    ['up and 1', 'set operator "and" not allowed in binary scalar expression'],
    ['a and on(b) group_left c', 'no grouping allowed for "and" operation'],
    ['x + on(a) group_left(a) y', 'label "a" must not occur in ON and GROUP clause at once'],
    ['sum(x) > on(a) group_left 1', 'vector matching only allowed between instant vectors'],
    ['"a" + 1', 'binary expression must contain only scalar and instant vector types'],
    ['x[5m] + 1', 'binary expression must contain only scalar and instant vector types'],
    ['-x[5m]', 'unary expression only allowed on expressions of type scalar or instant vector, got "range vector"'],
    ['x[5m:1m][5m:1m]', 'subquery is only allowed on instant vector, got range vector instead'],
    ['rate(x[5m])[1m]', 'ranges only allowed for vector selectors'],
    ['x offset 5m[5m]', 'no offset modifiers allowed before range'],
    ['x @ 1 [5m]', 'no @ modifiers allowed before range'],
    [
      'sum(x) offset 5m',
      'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery',
    ],
    ['(x) @ 5', '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery'],
    ['x offset 5m offset 1m', 'offset may not be set multiple times'],
    ['x @ 1 @ 2', '@ <timestamp> may not be set multiple times'],
    ['x[0s]', 'duration must be greater than 0'],
    ['x offset 0s', 'duration must be greater than 0'],
    ['x[5m:0s]', 'duration must be greater than 0'],
    ['foo{a=~"("}', 'error parsing regexp: missing closing ): `^(?:()$`'],
    ['sort_by_label(x)', 'unknown function with name "sort_by_label"'],
    ['limitk(1, x)', 'aggregation operator "limitk" is not supported'],
    ['x{a="\\q"}', 'invalid syntax'],
  ])('%s', (q, message) => {
    expect(first(q)).toBe(message);
  });

  it('points at the offending argument', () => {
    expect(errors('rate(foo)')[0]).toMatchObject({ from: 5, to: 8 });
    expect(errors('sum(x) + count_values(1, y)')[0]).toMatchObject({ from: 22, to: 23 });
  });
});

describe('AST', () => {
  it('builds selectors with the name as the last matcher', () => {
    expect(ok('http_requests_total{job="api", code=~"5.."}')).toMatchObject({
      type: 'VectorSelector',
      name: 'http_requests_total',
      matchers: [
        { name: 'job', type: '=', value: 'api' },
        { name: 'code', type: '=~', value: '5..' },
        { name: '__name__', type: '=', value: 'http_requests_total' },
      ],
      offsetMs: 0,
      at: null,
    });
  });

  it('accepts quoted label names and a quoted metric name', () => {
    expect(ok('{"my.metric", "a.b"="c"}')).toMatchObject({
      matchers: [
        { name: '__name__', type: '=', value: 'my.metric' },
        { name: 'a.b', type: '=', value: 'c' },
      ],
    });
  });

  it('applies offset and @ in either order, to the selector inside a range', () => {
    for (const q of ['x[5m] offset 1m @ 100', 'x[5m] @ 100 offset 1m']) {
      expect(ok(q)).toMatchObject({
        type: 'MatrixSelector',
        rangeMs: 300_000,
        selector: { offsetMs: 60_000, at: { kind: 'time', ms: 100_000 } },
      });
    }
    expect(ok('x @ start()')).toMatchObject({ at: { kind: 'start' } });
    expect(ok('x[1h:5m] @ end() offset -30s')).toMatchObject({
      type: 'SubqueryExpr',
      rangeMs: 3_600_000,
      stepMs: 300_000,
      offsetMs: -30_000,
      at: { kind: 'end' },
    });
    expect(ok('x[1h:]')).toMatchObject({ stepMs: 0 });
  });

  it('binds postfix modifiers tighter than operators', () => {
    expect(ok('a - b offset 5m')).toMatchObject({
      type: 'BinaryExpr',
      lhs: { type: 'VectorSelector', offsetMs: 0 },
      rhs: { type: 'VectorSelector', offsetMs: 300_000 },
    });
    // The subquery attaches to b alone, which makes this a type error located at `b[5m:1m]`.
    expect(errors('a + b[5m:1m]')[0]).toMatchObject({ from: 4, to: 12 });
    expect(ok('-x @ 10')).toMatchObject({ type: 'UnaryExpr', expr: { type: 'VectorSelector', at: { ms: 10_000 } } });
  });

  it('follows operator precedence and associativity', () => {
    // ^ is right-associative and binds tighter than unary minus.
    expect(ok('2 ^ 3 ^ 2')).toMatchObject({ op: '^', lhs: { value: 2 }, rhs: { op: '^' } });
    expect(ok('-1 ^ 2')).toMatchObject({ type: 'UnaryExpr', op: '-', expr: { op: '^', lhs: { value: 1 } } });
    expect(ok('1 - 2 - 3')).toMatchObject({ op: '-', lhs: { op: '-' }, rhs: { value: 3 } });
    expect(ok('a or b and c unless d')).toMatchObject({ op: 'or', rhs: { op: 'unless', lhs: { op: 'and' } } });
    expect(ok('1 + 2 * 3 > bool 4')).toMatchObject({ op: '>', returnBool: true, lhs: { op: '+', rhs: { op: '*' } } });
  });

  it('normalises vector matching', () => {
    expect(ok('a * on(x, y) group_left(z) b')).toMatchObject({
      matching: { card: 'many-to-one', on: true, labels: ['x', 'y'], include: ['z'] },
    });
    expect(ok('a / ignoring(x) group_right b')).toMatchObject({
      matching: { card: 'one-to-many', on: false, labels: ['x'], include: [] },
    });
    expect(ok('a and b')).toMatchObject({ matching: { card: 'many-to-many' } });
    expect(ok('a + 1')).toMatchObject({ matching: null });
  });

  it('parses aggregations with the modifier before or after', () => {
    const want = { type: 'AggregateExpr', op: 'sum', grouping: ['a', 'b'], without: false };
    expect(ok('sum by (a, b) (x)')).toMatchObject(want);
    expect(ok('sum(x) by (a, b,)')).toMatchObject(want);
    expect(ok('SUM WITHOUT (a) (x)')).toMatchObject({ op: 'sum', without: true, grouping: ['a'] });
    expect(ok('topk(5, x)')).toMatchObject({ op: 'topk', param: { value: 5 }, expr: { type: 'VectorSelector' } });
  });

  it('parses number literals like Go', () => {
    const num = (q: string): number => (ok(q) as { value: number }).value;
    expect(num('0x1F')).toBe(31);
    expect(num('010')).toBe(8); // strconv.ParseInt base 0: octal
    expect(num('09')).toBe(9);
    expect(num('1e3')).toBe(1000);
    expect(num('.5')).toBe(0.5);
    expect(num('-Inf')).toBe(-Infinity);
    expect(num('+inf')).toBe(Infinity);
    expect(num('NaN')).toBeNaN();
    expect(num('1h30m')).toBe(5400);
    expect(num('1_000')).toBe(1000);
  });

  it('parses the number forms Go lexes that the grammar does not', () => {
    const num = (q: string): number => (ok(q) as { value: number }).value;
    expect(num('1.')).toBe(1);
    expect(num('2.')).toBe(2);
    expect(num('-1.')).toBe(-1);
    expect(num('1.e3')).toBe(1000);
    expect(num('5.E-1')).toBe(0.5);
    expect(num('0X1f')).toBe(31);
    expect(num('0x1e')).toBe(30);
    expect(ok('5./6.')).toMatchObject({ op: '/', lhs: { value: 5 }, rhs: { value: 6 } });
    expect(ok('histogram_quantile(1./6., x)')).toMatchObject({
      func: 'histogram_quantile',
      args: [{ op: '/', lhs: { value: 1 }, rhs: { value: 6 } }, { name: 'x' }],
    });
    expect(ok('x @ 100.')).toMatchObject({ at: { ms: 100_000 } });
    expect(ok('x offset 5m + 1.')).toMatchObject({ op: '+', rhs: { value: 1 } });
    // Identifiers keep their digits; a dot after one is still an error.
    expect(ok('foo1 + .5')).toMatchObject({ lhs: { name: 'foo1' }, rhs: { value: 0.5 } });
    expect(() => ok('foo1.')).toThrow();
    expect(() => ok('"1." + 1.')).toThrow(/binary expression must contain only scalar and instant vector types/);
  });

  it('rejects numbers Go cannot parse with its message', () => {
    expect(first('0x')).toBe('error parsing number: strconv.ParseFloat: parsing "0x": invalid syntax');
    expect(first('1e400')).toBe('error parsing number: strconv.ParseFloat: parsing "1e400": value out of range');
    expect(first('0xFFFFFFFFFFFFFFFFFF')).toBe(
      'error parsing number: strconv.ParseFloat: parsing "0xFFFFFFFFFFFFFFFFFF": invalid syntax',
    );
    expect(() => ok('1.5.3')).toThrow();
  });

  it('parses durations with every unit', () => {
    expect(ok('x[1y2w3d4h5m6s7ms]')).toMatchObject({
      rangeMs: 365 * 864e5 + 2 * 7 * 864e5 + 3 * 864e5 + 4 * 36e5 + 5 * 6e4 + 6000 + 7,
    });
  });

  it('unquotes strings like Go', () => {
    const str = (q: string): string => (ok(q) as { value: string }).value;
    expect(str('"a\\nb\\t\\"c\\\\"')).toBe('a\nb\t"c\\');
    expect(str("'it\\'s'")).toBe("it's");
    expect(str('`raw\\n`')).toBe('raw\\n');
    expect(str('"\\u00e9\\x41\\101"')).toBe('éAA');
    expect(str('"日本"')).toBe('日本');
  });

  it('accepts holt_winters although the grammar dropped it', () => {
    expect(ok('holt_winters(x[5m], 0.5, 0.5)')).toMatchObject({ type: 'Call', func: 'holt_winters' });
    expect(ok('label_replace(x, "a", "holt_winters(", "b", "c")')).toMatchObject({
      args: [{}, {}, { value: 'holt_winters(' }, {}, {}],
    });
  });
});

describe('size limits', () => {
  it('returns an error for a query nested too deeply instead of overflowing the stack', () => {
    const r = parse(Array(20_000).fill('1').join('+'));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors[0]).toEqual({
      from: 513,
      to: 514,
      message: 'expression nests deeper than 256 levels of operators, parentheses or calls',
    });
  });

  it('does not take signs of exponents, strings or comments for operators', () => {
    const many = (part: string, n: number): string => Array(n).fill(part).join(', ');
    expect(parse(`label_join(x, "a", ${many('"-+-+-+"', 300)})`).ok).toBe(true);
    expect(parse(`vector(${'1e-3 + '.repeat(200)}1) # ${'+'.repeat(1000)}`).ok).toBe(true);
    expect(parse(`x{${many('a!="b"', 300)}}`).ok).toBe(true);
  });

  it('refuses queries longer than 64 KiB', () => {
    expect(parse('x' + ' '.repeat(65_535)).ok).toBe(true);
    expect(errors('x' + ' '.repeat(65_536))[0]!.message).toBe(
      'query is 65,537 characters long, more than the maximum of 65,536',
    );
  });

  it('reports the first syntax error of a long malformed query quickly', () => {
    const t0 = performance.now();
    for (const bad of [')'.repeat(65_000), '}'.repeat(65_000), 'x '.repeat(30_000), 'sum '.repeat(15_000)])
      expect(errors(bad)).toHaveLength(1);
    expect(errors('x + ' + 'y '.repeat(10_000))[0]).toEqual({ from: 6, to: 7, message: 'unexpected identifier "y"' });
    expect(errors('sum(x' + ' '.repeat(10_000))[0]!.message).toBe('unclosed left parenthesis');
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('extractSelectors', () => {
  it('lists every distinct selector once', () => {
    const sel = extractSelectors(
      ok('sum(rate(a{x="1"}[5m])) / sum(rate(a{x="1"}[5m] offset 1h)) + b @ 5 or max_over_time(c[5m:])'),
    );
    expect(sel).toEqual([
      [
        { name: 'x', type: '=', value: '1' },
        { name: '__name__', type: '=', value: 'a' },
      ],
      [{ name: '__name__', type: '=', value: 'b' }],
      [{ name: '__name__', type: '=', value: 'c' }],
    ]);
  });
});
