// The test-script interpreter itself: series notation, number lines, printing ASTs back to queries.
import { describe, expect, it } from 'vitest';
import { isStaleMarker, parse, type Expr } from '../../src/index.ts';
import { CASES } from '../battery.ts';
import { almostEqual, evalCases, evalQueries, readTestdata } from './harness.ts';
import { printExpr, withAtModifiers } from './print.ts';
import { goParseNumber, parseScript, parseSeriesDesc } from './script.ts';

describe('series descriptions (parser.ParseSeriesDesc)', () => {
  it.each([
    ['m 1 2 3', [1, 2, 3]],
    ['m 0+10x3', [0, 10, 20, 30]],
    ['m 10-2x2', [10, 8, 6]],
    ['m -1+1x2', [-1, 0, 1]],
    ['m 5x2', [5, 5, 5]],
    ['m _ 1 _x2 2', ['omitted', 1, 'omitted', 'omitted', 2]],
    ['m 1 stale 2', [1, 'stale', 2]],
    ['m Inf -Inf NaN +1', [Infinity, -Infinity, NaN, 1]],
    ['m 010 1e3 .5', [8, 1000, 0.5]],
    ['m 0.1+0.1x2', [0.1, 0.2, 0.30000000000000004]],
  ])('%s', (text, values) => {
    expect(parseSeriesDesc(text, 1).values).toEqual(values);
  });

  it('reads labels, metric names that are keywords, and trailing commas', () => {
    expect(parseSeriesDesc('sum{a="1", b=\'x\',} 1', 1).labels).toEqual({ __name__: 'sum', a: '1', b: 'x' });
    expect(parseSeriesDesc('{__name__="m", le="+Inf"} 1', 1).labels).toEqual({ __name__: 'm', le: '+Inf' });
    expect(parseSeriesDesc('{} 1', 1).labels).toEqual({});
  });

  it('refuses what Go refuses', () => {
    expect(() => parseSeriesDesc('m 1+2', 1)).toThrow();
    expect(() => parseSeriesDesc('m foo', 1)).toThrow();
    expect(() => parseSeriesDesc('m{a=1} 1', 1)).toThrow();
  });
});

describe('scripts', () => {
  it('loads at multiples of the interval, keeps stale markers, replays clear', () => {
    const cmds = parseScript(
      [
        'load 5m',
        '  m{a="1"} 1 _ stale 4',
        '',
        'eval instant at 10m m',
        '  {__name__="m", a="1"} 1',
        '',
        'clear',
        'eval_fail instant at 0m x',
        '',
        'eval_ordered instant at 1h 1 + 1',
        '  2',
      ].join('\n'),
    );
    expect(cmds.map((c) => c.kind)).toEqual(['load', 'eval', 'clear', 'eval', 'eval']);
    const cases = evalCases({ name: 't', commands: cmds });
    const s = cases[0]!.series[0]!;
    expect([...s.timestamps]).toEqual([0, 600_000, 900_000]);
    expect(isStaleMarker(s.values, 1)).toBe(true);
    expect(cases[1]!.series).toEqual([]);
    expect(cases[1]!.cmd).toMatchObject({ fail: true, timeMs: 0 });
    expect(cases[2]!.cmd).toMatchObject({ ordered: true, timeMs: 3_600_000, expect: { kind: 'scalar', value: 2 } });
  });

  it('reads number lines as strconv does', () => {
    expect(goParseNumber('12340000')).toBe(12340000);
    expect(goParseNumber('0x10')).toBe(16);
    expect(goParseNumber('+Inf')).toBe(Infinity);
    expect(goParseNumber('NaN')).toBeNaN();
    expect(goParseNumber('-0.0000002')).toBe(-0.0000002);
    expect(goParseNumber('{} 1')).toBeNull();
  });

  it('compares within the relative epsilon of promql/test.go', () => {
    expect(almostEqual(1, 1 + 1e-7)).toBe(true);
    expect(almostEqual(1, 1 + 1e-5)).toBe(false);
    expect(almostEqual(NaN, NaN)).toBe(true);
    expect(almostEqual(0, 1e-300)).toBe(false);
  });
});

/** The tree without positions, parentheses (which printing adds) and the name written outside braces. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (!v || typeof v !== 'object') return v;
  if ((v as Expr).type === 'ParenExpr') return shape((v as { expr: unknown }).expr);
  const out: Record<string, unknown> = {};
  // The printer writes the metric name as a matcher; the matchers hold it either way.
  for (const [k, x] of Object.entries(v)) if (k !== 'pos' && k !== 'name') out[k] = shape(x);
  return out;
}

function roundTrips(q: string): void {
  const a = parse(q);
  if (!a.ok) return;
  const printed = printExpr(a.expr);
  const b = parse(printed);
  expect(b.ok ? shape(b.expr) : b.errors, printed).toEqual(shape(a.expr));
}

describe('printing ASTs back to queries', () => {
  it.each([
    '-1 ^ 2',
    'a * on(x) group_left(y) b',
    'a / ignoring(x) group_right b',
    'a * ignoring() group_left b',
    'a and on() b',
    'a > bool 1',
    'sum without () (x)',
    'topk(-1, x)',
    'count_values("v", x)',
    'x offset -5m @ 100.5',
    'rate(x{a=~"b\\\\.c"}[1m30s] offset 1h @ start())',
    'max_over_time((a + b)[1h:] @ end() offset 1m)',
    '-(-x)',
    'NaN + Inf - -Inf',
    '"a\\"b\\n"',
    'label_replace(x, "d", "$1", "s", "(.*)")',
  ])('%s', (q) => roundTrips(q));

  it('round-trips every query of the differential battery', () => {
    for (const c of CASES) roundTrips(c.q);
  });

  it('pins @ like atModifierTestCases', () => {
    expect(withAtModifiers('rate(x[5m]) + y @ 10 + z @ start()', 60_000)).toBe(
      '((rate({__name__="x"}[5m] @ 60)) + ({__name__="y"} @ 10)) + ({__name__="z"} @ 60)',
    );
    // Selectors inside a subquery stay as they are, and so do the calls there.
    expect(withAtModifiers('max_over_time(minute(x)[5m:1m])', 60_000)).toBe(
      'max_over_time((minute({__name__="x"}))[5m:1m] @ 60)',
    );
    expect(withAtModifiers('minute(x)', 60_000)).toBeNull();
    expect(evalQueries({ expr: 'x', timeMs: 0 } as never).map((q) => q.timeMs)).toEqual([0, -1000, 0, 1000]);
  });
});

const files = readTestdata();
describe.skipIf(!files)('the upstream expressions', () => {
  it('round-trip through the printer', () => {
    for (const f of files ?? []) for (const c of evalCases(f)) roundTrips(c.cmd.expr);
  });
});
