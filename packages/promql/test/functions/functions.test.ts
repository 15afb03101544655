import { describe, expect, it } from 'vitest';
import { instant, regular, series, value } from '../helpers.ts';
import { bucketQuantile, parseGoFloat } from '../../src/functions/histogram.ts';
import { quantile } from '../../src/functions/quantile.ts';

const counter = regular({ __name__: 'c', job: 'a' }, 41, 15, (i) => i * 15); // +1/s, 0s..600s

describe('rate family (extrapolatedRate)', () => {
  it('is exact on a regular counter whose samples hit the window edges', async () => {
    expect(await value([counter], 'rate(c[5m])', 300)).toBe('1');
    expect(await value([counter], 'increase(c[5m])', 300)).toBe('300');
  });

  it('drops the metric name', async () => {
    expect(await instant([counter], 'rate(c[5m])', 300)).toEqual({ '{"job":"a"}': '1' });
  });

  it('needs two samples', async () => {
    expect(await instant([counter], 'rate(c[10s])', 300)).toEqual({});
  });

  it('does not extrapolate a counter below zero', async () => {
    const c = series(
      { __name__: 'c' },
      Array.from({ length: 17 }, (_, i) => [60_000 + i * 15_000, 10 + i * 15] as [number, number]),
    );
    // Extrapolation to the start stops at the zero point, 10s before the first sample.
    expect(Number(await value([c], 'increase(c[5m])', 300))).toBeCloseTo(250, 9);
  });

  it('extrapolates half an interval when the data stops early', async () => {
    // Samples 0..150s in a 300s window: 150s covered, avg gap 15s → +7.5s at the end.
    const c = regular({ __name__: 'c' }, 11, 15, (i) => i * 15);
    expect(await value([c], 'increase(c[5m])', 300)).toBe('157.5');
  });

  it('adds back counter resets', async () => {
    const c = series({ __name__: 'c' }, [
      [0, 10],
      [15_000, 20],
      [30_000, 5],
      [45_000, 15],
    ]);
    // 10 → 20 (+10), reset to 5 (+5), → 15 (+10): 25 over 45s, extrapolated to the 45s window.
    expect(await value([c], 'increase(c[45s])', 45)).toBe('25');
    expect(await value([c], 'resets(c[1m])', 45)).toBe('1');
    expect(await value([c], 'delta(c[45s])', 45)).toBe('5');
  });

  it('irate and idelta use the last two samples', async () => {
    const c = series({ __name__: 'c' }, [
      [0, 1],
      [10_000, 50],
      [20_000, 10],
    ]);
    expect(await value([c], 'irate(c[1m])', 20)).toBe('1'); // reset: 10 / 10s
    expect(await value([c], 'idelta(c[1m])', 20)).toBe('-40');
  });
});

describe('regression functions', () => {
  const g = regular({ __name__: 'g' }, 21, 15, (i) => 100 - i * 3); // −0.2/s
  it('deriv is the least-squares slope', async () => {
    expect(Number(await value([g], 'deriv(g[5m])', 300))).toBeCloseTo(-0.2, 12);
  });
  it('predict_linear extrapolates from the evaluation time', async () => {
    expect(Number(await value([g], 'predict_linear(g[5m], 100)', 300))).toBeCloseTo(40 - 20, 9);
  });
  it('treats a constant series as flat', async () => {
    const k = regular({ __name__: 'k' }, 5, 15, () => 7);
    expect(await value([k], 'deriv(k[1m])', 60)).toBe('0');
    expect(await value([k], 'predict_linear(k[1m], 60)', 60)).toBe('7');
  });
});

describe('*_over_time', () => {
  const g = series({ __name__: 'g' }, [
    [0, 3],
    [10_000, 1],
    [20_000, NaN],
    [30_000, 2],
  ]);
  it.each([
    ['avg_over_time(g[1m])', 'NaN'],
    ['sum_over_time(g[1m])', 'NaN'],
    ['count_over_time(g[1m])', '4'],
    ['last_over_time(g[1m])', '2'],
    ['present_over_time(g[1m])', '1'],
    ['min_over_time(g[1m])', '1'],
    ['max_over_time(g[1m])', '3'],
    ['changes(g[1m])', '3'],
    ['quantile_over_time(0.5, g[25s])', '1'], // NaN sorts first: [NaN, 1, 2]
    ['quantile_over_time(2, g[1m])', '+Inf'],
    ['quantile_over_time(-1, g[1m])', '-Inf'],
    ['stdvar_over_time(g[5s])', '0'],
    ['stdvar_over_time(g[15s])', 'NaN'],
  ])('%s', async (q, want) => {
    expect(await value([g], q, 30)).toBe(want);
  });

  it('keeps the metric name only for last_over_time', async () => {
    expect(Object.keys(await instant([g], 'last_over_time(g[1m])', 30))).toEqual(['{"__name__":"g"}']);
    expect(Object.keys(await instant([g], 'max_over_time(g[1m])', 30))).toEqual(['{}']);
  });

  it('absent_over_time reports the pinned labels', async () => {
    expect(await instant([g], 'absent_over_time(nope{a="1", b=~"x"}[1m])', 30)).toEqual({ '{"a":"1"}': '1' });
    expect(await instant([g], 'absent_over_time(g[1m])', 30)).toEqual({});
  });
});

describe('histogram_quantile (bucketQuantile)', () => {
  const h = (buckets: [string, number][], extra: Record<string, string> = {}) =>
    buckets.map(([le, v]) => series({ __name__: 'h_bucket', le, ...extra }, [[0, v]]));

  it.each([
    [0.5, '1'],
    [0.75, '1.5'],
    [1, '2'],
    [0, '0'],
    [-0.5, '-Inf'],
    [1.5, '+Inf'],
    [NaN, 'NaN'],
  ])('interpolates linearly within a bucket (q=%s)', async (q, want) => {
    const data = h([
      ['1', 10],
      ['2', 20],
      ['+Inf', 20],
    ]);
    expect(await value(data, `histogram_quantile(${q}, h_bucket)`, 0)).toBe(want);
  });

  it('requires a +Inf bucket', async () => {
    expect(
      await value(
        h([
          ['1', 10],
          ['2', 20],
        ]),
        'histogram_quantile(0.5, h_bucket)',
        0,
      ),
    ).toBe('NaN');
  });

  it('returns the highest finite bound for ranks in the +Inf bucket', async () => {
    expect(
      await value(
        h([
          ['1', 10],
          ['+Inf', 20],
        ]),
        'histogram_quantile(0.9, h_bucket)',
        0,
      ),
    ).toBe('1');
  });

  it('returns the first bound when it is not positive', async () => {
    expect(
      await value(
        h([
          ['-1', 5],
          ['1', 10],
          ['+Inf', 10],
        ]),
        'histogram_quantile(0.2, h_bucket)',
        0,
      ),
    ).toBe('-1');
  });

  it('forces monotonic counts and coalesces equal bounds', async () => {
    expect(
      await value(
        h([
          ['1', 10],
          ['2', 8],
          ['+Inf', 20],
        ]),
        'histogram_quantile(0.5, h_bucket)',
        0,
      ),
    ).toBe('1');
    expect(
      await value(
        h([
          ['1', 5],
          ['1.0', 5],
          ['+Inf', 20],
        ]),
        'histogram_quantile(0.5, h_bucket)',
        0,
      ),
    ).toBe('1');
  });

  it('is NaN without observations or with a single bucket', async () => {
    expect(
      await value(
        h([
          ['1', 0],
          ['+Inf', 0],
        ]),
        'histogram_quantile(0.5, h_bucket)',
        0,
      ),
    ).toBe('NaN');
    expect(await value(h([['+Inf', 3]]), 'histogram_quantile(0.5, h_bucket)', 0)).toBe('NaN');
  });

  it('skips unparsable le values and drops le and the name', async () => {
    const data = [
      ...h(
        [
          ['1', 10],
          ['+Inf', 10],
          ['abc', 99],
        ],
        { job: 'j' },
      ),
      series({ __name__: 'h_bucket', job: 'k' }, [[0, 1]]),
    ];
    expect(await instant(data, 'histogram_quantile(0.5, h_bucket)', 0)).toEqual({ '{"job":"j"}': '0.5' });
  });

  it('parses le like strconv.ParseFloat', () => {
    expect(parseGoFloat('+Inf')).toBe(Infinity);
    expect(parseGoFloat('inf')).toBe(Infinity);
    expect(parseGoFloat('1e-3')).toBe(0.001);
    expect(parseGoFloat('0x1p-2')).toBe(0.25);
    expect(parseGoFloat('0x10')).toBeNull();
    expect(parseGoFloat('')).toBeNull();
    expect(parseGoFloat('1_0')).toBeNull();
  });

  it('bucketQuantile sorts its input', () => {
    const b = Float64Array.from([Infinity, 2, 1]);
    const c = Float64Array.from([20, 20, 10]);
    expect(bucketQuantile(0.75, b, c, 3)).toBe(1.5);
  });
});

describe('quantile', () => {
  it('interpolates between ranks, NaN sorting first', () => {
    expect(quantile(0.5, [4, 1, 3, 2])).toBe(2.5);
    expect(quantile(0, [NaN, 1])).toBeNaN();
    expect(quantile(1, [NaN, 1])).toBe(1);
    expect(quantile(0.5, [])).toBeNaN();
  });
});

describe('instant-vector functions', () => {
  const g = [
    series({ __name__: 'g', i: 'a' }, [[0, 2.5]]),
    series({ __name__: 'g', i: 'b' }, [[0, -2.5]]),
    series({ __name__: 'g', i: 'c' }, [[0, NaN]]),
  ];
  it('round rounds half up, to a multiple', async () => {
    expect(await instant(g, 'round(g)', 0)).toEqual({ '{"i":"a"}': '3', '{"i":"b"}': '-2', '{"i":"c"}': 'NaN' });
    expect(await instant(g.slice(0, 1), 'round(g, 2)', 0)).toEqual({ '{"i":"a"}': '2' });
  });

  it('clamp returns nothing when max < min', async () => {
    expect(await instant(g, 'clamp(g, 1, 0)', 0)).toEqual({});
    expect(await instant(g, 'clamp(g, -1, 1)', 0)).toEqual({ '{"i":"a"}': '1', '{"i":"b"}': '-1', '{"i":"c"}': 'NaN' });
  });

  it('sort puts NaN last in both directions', async () => {
    const order = async (q: string): Promise<string[]> => Object.keys(await instant(g, q, 0));
    expect(await order('sort(g)')).toEqual([
      '{"__name__":"g","i":"b"}',
      '{"__name__":"g","i":"a"}',
      '{"__name__":"g","i":"c"}',
    ]);
    expect(await order('sort_desc(g)')).toEqual([
      '{"__name__":"g","i":"a"}',
      '{"__name__":"g","i":"b"}',
      '{"__name__":"g","i":"c"}',
    ]);
  });

  it('scalar is NaN unless there is exactly one element', async () => {
    expect(await value(g, 'scalar(g)', 0)).toBe('NaN');
    expect(await value(g, 'scalar(g{i="a"})', 0)).toBe('2.5');
  });

  it('absent keeps only equality-pinned labels', async () => {
    expect(await instant(g, 'absent(nope{a="1", b!="2", c="3", c="4"})', 0)).toEqual({ '{"a":"1"}': '1' });
    expect(await instant(g, 'absent(g)', 0)).toEqual({});
    expect(await instant(g, 'absent(sum(nope))', 0)).toEqual({ '{}': '1' });
  });

  it('label_replace expands Go templates and leaves non-matching series alone', async () => {
    expect(await instant(g, 'label_replace(g, "x", "${1}-$1", "i", "(a|b)")', 0)).toEqual({
      '{"__name__":"g","i":"a","x":"a-a"}': '2.5',
      '{"__name__":"g","i":"b","x":"b-b"}': '-2.5',
      '{"__name__":"g","i":"c"}': 'NaN',
    });
  });

  it('label_replace matches in linear time', async () => {
    const s = [series({ __name__: 'm', v: 'a'.repeat(28) + 'b' }, [[0, 1]])];
    const t0 = performance.now();
    expect(await instant(s, 'label_replace(m, "x", "$1", "v", "(a+)+")', 0)).toEqual({
      [JSON.stringify({ __name__: 'm', v: 'a'.repeat(28) + 'b' })]: '1',
    });
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('label_replace takes Go flags and names', async () => {
    const s = [series({ __name__: 'm', group: 'production' }, [[0, 1]])];
    expect(await instant(s, 'label_replace(m, "x", "$1-${rest}", "group", "((?i)PRO)(?P<rest>.*)")', 0)).toEqual({
      '{"__name__":"m","group":"production","x":"pro-duction"}': '1',
    });
    // Only well-formed inside the anchoring wrapper, which is all label_replace compiles.
    expect(await instant(s, 'label_replace(m, "x", "$1", "group", "p)(.*")', 0)).toEqual({
      '{"__name__":"m","group":"production","x":"roduction"}': '1',
    });
  });

  it('label_join joins in argument order and removes empty results', async () => {
    const s = [series({ __name__: 'm', a: 'x', b: 'y', d: 'z' }, [[0, 1]])];
    expect(await instant(s, 'label_join(m, "d", "-", "b", "a", "missing")', 0)).toEqual({
      '{"__name__":"m","a":"x","b":"y","d":"y-x-"}': '1',
    });
    expect(await instant(s, 'label_join(m, "d", "-", "missing")', 0)).toEqual({
      '{"__name__":"m","a":"x","b":"y"}': '1',
    });
  });

  it('date functions read seconds since the epoch in UTC', async () => {
    const t = Date.UTC(2024, 1, 29, 13, 45) / 1000; // Thursday, leap day
    const data = [series({ __name__: 't' }, [[0, t]])];
    const got = await Promise.all(
      ['day_of_week', 'day_of_month', 'day_of_year', 'days_in_month', 'hour', 'minute', 'month', 'year'].map((f) =>
        value(data, `${f}(t)`, 0),
      ),
    );
    expect(got).toEqual(['4', '29', '60', '29', '13', '45', '2', '2024']);
    expect(await value([], 'year()', t)).toBe('2024');
  });

  it('timestamp reads the sample time of a selector, the step time otherwise', async () => {
    const s = [series({ __name__: 's' }, [[10_000, 1]])];
    expect(await value(s, 'timestamp(s)', 100)).toBe('10');
    expect(await value(s, 'timestamp(s * 1)', 100)).toBe('100');
  });

  it('math functions drop the metric name', async () => {
    expect(await instant(g.slice(0, 2), 'abs(g)', 0)).toEqual({ '{"i":"a"}': '2.5', '{"i":"b"}': '2.5' });
    expect(await instant(g.slice(0, 2), 'sgn(g)', 0)).toEqual({ '{"i":"a"}': '1', '{"i":"b"}': '-1' });
  });

  it('holt_winters smooths with level and trend', async () => {
    const s = [regular({ __name__: 's' }, 5, 10, (i) => i * 2)];
    // A straight line stays on the line.
    expect(await value(s, 'holt_winters(s[1m], 0.5, 0.5)', 40)).toBe('8');
  });
});
