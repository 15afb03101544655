import { describe, expect, it } from 'vitest';
import {
  MemoryQuerier,
  PromQLError,
  instantQuery,
  rangeQuery,
  type LabelMatcher,
  type Querier,
  type StoredSeries,
} from '../../src/index.ts';
import { STALE, flatten, instant, range, regular, series, value } from '../helpers.ts';

const kind = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (err instanceof PromQLError) return `${err.kind}: ${err.message}`;
    throw err;
  }
};

describe('instant selectors', () => {
  const g = series({ __name__: 'g' }, [
    [0, 1],
    [60_000, 2],
    [120_000, STALE],
    [600_000, 3],
  ]);

  it('returns the latest sample within the lookback delta, inclusive', async () => {
    expect(await value([g], 'g', 60)).toBe('2');
    expect(await value([g], 'g', 119)).toBe('2');
    expect(await value([g], 'g', 600 + 300)).toBe('3');
    expect(await value([g], 'g', 600 + 300.001)).toBeUndefined();
  });

  it('ends a series at a stale marker', async () => {
    expect(await value([g], 'g', 120)).toBeUndefined();
    expect(await value([g], 'g', 300)).toBeUndefined();
  });

  it('skips stale markers inside ranges but keeps ordinary NaN', async () => {
    expect(await value([g], 'count_over_time(g[10m])', 600)).toBe('3');
    const n = series({ __name__: 'n' }, [[0, NaN]]);
    expect(await value([n], 'n', 10)).toBe('NaN');
  });

  it('honours a custom lookback delta', async () => {
    const r = await instantQuery(new MemoryQuerier([g]), 'g', 100_000, { lookbackDeltaMs: 30_000 });
    expect(flatten(r)).toEqual({});
  });

  it('applies offset and @', async () => {
    expect(await value([g], 'g offset 1m', 120)).toBe('2');
    expect(await value([g], 'g @ 60', 1000)).toBe('2');
    expect(await value([g], 'g @ 90 offset 30s', 1000)).toBe('2');
  });
});

describe('results', () => {
  const a = regular({ __name__: 'm', k: 'a' }, 10, 60, (i) => i);
  const b = regular({ __name__: 'm', k: 'b' }, 5, 60, (i) => 10 * i);

  it('range queries evaluate every step from start to end inclusive, sorted by labels', async () => {
    const r = await range([b, a], 'm', 0, 540, 180);
    expect(r).toEqual({
      resultType: 'matrix',
      result: [
        {
          metric: { __name__: 'm', k: 'a' },
          values: [
            [0, '0'],
            [180, '3'],
            [360, '6'],
            [540, '9'],
          ],
        },
        {
          metric: { __name__: 'm', k: 'b' },
          values: [
            [0, '0'],
            [180, '30'],
            [360, '40'],
            [540, '40'],
          ],
        },
      ],
    });
  });

  it('a scalar range query yields one series without labels', async () => {
    const r = await range([], '1 + time()', 0, 10, 5);
    expect(r).toEqual({
      resultType: 'matrix',
      result: [
        {
          metric: {},
          values: [
            [0, '1'],
            [5, '6'],
            [10, '11'],
          ],
        },
      ],
    });
  });

  it('instant queries return vectors, scalars, strings and matrices', async () => {
    const q = new MemoryQuerier([a]);
    expect(await instantQuery(q, '2 * 3', 5000)).toEqual({ resultType: 'scalar', result: [5, '6'] });
    expect(await instantQuery(q, '"hi"', 5000)).toEqual({ resultType: 'string', result: [5, 'hi'] });
    expect(await instantQuery(q, 'm[2m]', 180_000)).toEqual({
      resultType: 'matrix',
      result: [
        {
          metric: { __name__: 'm', k: 'a' },
          values: [
            [60, '1'],
            [120, '2'],
            [180, '3'],
          ],
        },
      ],
    });
  });

  it('subqueries align their steps to absolute multiples of the step', async () => {
    const r = await instantQuery(new MemoryQuerier([a]), 'm[3m:2m]', 300_000);
    expect(r).toEqual({
      resultType: 'matrix',
      result: [
        {
          metric: { __name__: 'm', k: 'a' },
          values: [
            [120, '2'],
            [240, '4'],
          ],
        },
      ],
    });
  });
});

describe('errors', () => {
  const q = new MemoryQuerier([regular({ __name__: 'm' }, 100, 15, (i) => i)]);

  it('rejects too many points per series like the HTTP API', async () => {
    expect(await kind(rangeQuery(q, 'm', 0, 11_001_000, 1000))).toBe(
      'bad_data: exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
    );
    expect(await kind(rangeQuery(q, 'm', 0, 11_000_000, 1000))).toBe('ok');
  });

  it('validates range query parameters', async () => {
    expect(await kind(rangeQuery(q, 'm', 10, 0, 1))).toBe('bad_data: end timestamp must not be before start time');
    expect(await kind(rangeQuery(q, 'm', 0, 10, 0))).toMatch(/^bad_data: zero or negative query resolution step/);
    expect(await kind(rangeQuery(q, 'm[5m]', 0, 10, 1))).toBe(
      'bad_data: invalid expression type "range vector" for range query, must be Scalar or instant Vector',
    );
  });

  it('evaluates number literals as Go lexes them', async () => {
    expect(await value([], '5./6.', 0)).toBe(String(5 / 6));
    expect(await value([], '1.e1 + 0X1f', 0)).toBe('41');
  });

  it('reports parse errors as bad_data with a position', async () => {
    expect(await kind(instantQuery(q, 'sum(m', 0))).toBe('bad_data: 1:6: parse error: unclosed left parenthesis');
  });

  it('limits the samples held in memory', async () => {
    expect(await kind(rangeQuery(q, 'm', 0, 1500, 1, { maxSamples: 1000 }))).toBe(
      'execution: query processing would load too many samples into memory in query execution',
    );
    expect(await kind(instantQuery(q, 'count_over_time(m[30m])', 1_500_000, { maxSamples: 50 }))).toMatch(
      /^execution: query processing/,
    );
    expect(await kind(instantQuery(q, 'count_over_time(m[30m])', 1_500_000, { maxSamples: 200 }))).toBe('ok');
  });

  it('reports invalid regexes as bad_data with the Go error text', async () => {
    expect(await kind(instantQuery(q, 'm{a=~"("}', 0))).toBe(
      'bad_data: 1:3: parse error: error parsing regexp: missing closing ): `^(?:()$`',
    );
    expect(await kind(instantQuery(q, 'm{a=~"a)(b"}', 0))).toMatch(/^bad_data: .*unexpected \)/);
    expect(await kind(instantQuery(q, 'label_replace(m, "x", "$1", "a", "(")', 0))).toBe(
      'execution: invalid regular expression in label_replace(): (',
    );
  });

  it('refuses an oversized subquery before evaluating it', async () => {
    const used = (): number => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const before = used();
    const t0 = performance.now();
    // 86.4M inner steps: more than the 50M samples allowed, whatever the inner expression yields.
    expect(await kind(instantQuery(q, 'max_over_time(vector(1)[1d:1ms])', 86_400_000))).toBe(
      'execution: query processing would load too many samples into memory in query execution',
    );
    expect(await kind(rangeQuery(q, 'max_over_time(m[1h:1s])', 0, 86_400_000, 60_000, { maxSamples: 80_000 }))).toBe(
      'execution: query processing would load too many samples into memory in query execution',
    );
    // 8.64M points in each window: within 50M samples but over the 11,000 points a series may have.
    expect(await kind(instantQuery(q, 'max_over_time(vector(1)[1d:10ms])', 86_400_000))).toBe(
      'bad_data: subquery [1d:10ms] would evaluate 8,640,000 points per series at each step, more than the maximum of 11,000: use a larger subquery step',
    );
    expect(
      await kind(
        instantQuery(q, 'max_over_time(max_over_time(m[5m])[1h:1s])', 86_400_000, { maxPointsPerSeries: 100 }),
      ),
    ).toMatch(/^bad_data: subquery \[1h:1s\] would evaluate 3,600 points/);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(used() - before).toBeLessThan(50e6);
    expect(await kind(instantQuery(q, 'max_over_time(vector(1)[3h:1s])', 86_400_000))).toBe('ok');
  });

  it('refuses queries nested or sized beyond the limits as bad_data, not a stack overflow', async () => {
    const t0 = performance.now();
    const deep = [
      Array(20_000).fill('1').join('+'),
      Array(10_000).fill('m').join(' or '),
      '-'.repeat(20_000) + 'm',
      '('.repeat(20_000) + 'm' + ')'.repeat(20_000),
      'abs('.repeat(5_000) + 'm' + ')'.repeat(5_000),
      'max_over_time('.repeat(2_000) + 'm' + '[5m:1m])'.repeat(2_000),
    ];
    for (const text of deep) {
      expect(await kind(instantQuery(q, text, 0))).toMatch(
        /^bad_data: 1:\d+: parse error: expression nests deeper than 256 levels/,
      );
      expect(await kind(rangeQuery(q, text, 0, 600_000, 60_000))).toMatch(/^bad_data: .*nests deeper than 256/);
    }
    expect(await kind(instantQuery(q, 'm + ' + '0'.repeat(300_000), 0))).toBe(
      'bad_data: 1:1: parse error: query is 300,004 characters long, more than the maximum of 65,536',
    );
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('evaluates queries right up to the nesting limit', async () => {
    for (const text of [
      Array(250).fill('m').join(' or '),
      Array(250).fill('1').join(' + '),
      'abs('.repeat(250) + 'm' + ')'.repeat(250),
      'max_over_time('.repeat(250) + 'm' + '[5m:1m] @ 100)'.repeat(250),
    ])
      expect(await kind(rangeQuery(q, text, 0, 600_000, 60_000))).toBe('ok');
  });

  it('reports many-to-many and duplicate label sets as execution errors', async () => {
    const d = [series({ __name__: 'a', x: '1' }, [[0, 1]]), series({ __name__: 'b', x: '1' }, [[0, 1]])];
    const mq = new MemoryQuerier(d);
    expect(await kind(instantQuery(mq, 'abs({__name__=~"a|b"})', 0))).toBe(
      'execution: vector cannot contain metrics with the same labelset',
    );
    expect(await kind(instantQuery(mq, 'a + on(x) {__name__=~"a|b"}', 0))).toMatch(
      /^execution: found duplicate series for the match group \{x="1"\} on the right hand-side.*many-to-many matching not allowed/,
    );
    expect(await kind(instantQuery(mq, '{__name__=~"a|b"} + on(x) a', 0))).toBe(
      'execution: multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)',
    );
  });
});

/** A querier that records calls and can stall. */
class SpyQuerier implements Querier {
  calls: { matchers: LabelMatcher[]; minMs: number; maxMs: number; signal?: AbortSignal }[] = [];
  constructor(
    private readonly inner: Querier,
    private readonly delayMs = 0,
  ) {}
  async select(matchers: LabelMatcher[], minMs: number, maxMs: number, signal?: AbortSignal): Promise<StoredSeries[]> {
    this.calls.push({ matchers, minMs, maxMs, ...(signal ? { signal } : {}) });
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    return this.inner.select(matchers, minMs, maxMs, signal);
  }
}

describe('fetching', () => {
  const data = [regular({ __name__: 'x', j: '1' }, 400, 15, (i) => i), regular({ __name__: 'y' }, 400, 15, (i) => i)];

  it('selects each distinct selector once, over the widest range it needs', async () => {
    const spy = new SpyQuerier(new MemoryQuerier(data));
    await rangeQuery(spy, 'rate(x[5m]) + x offset 1h + on() group_left y', 4_000_000, 5_000_000, 60_000);
    expect(spy.calls.map((c) => [c.matchers.map((m) => m.value).join(','), c.minMs, c.maxMs])).toEqual([
      ['x', 4_000_000 - 3_600_000 - 300_000, 5_000_000],
      ['y', 4_000_000 - 300_000, 5_000_000],
    ]);
  });

  it('resolves @ start()/end() and subquery ranges', async () => {
    const spy = new SpyQuerier(new MemoryQuerier(data));
    await rangeQuery(spy, 'max_over_time(x[10m:1m] offset 1m) + y @ end()', 1_000_000, 2_000_000, 10_000);
    expect(spy.calls.map((c) => [c.minMs, c.maxMs])).toEqual([
      [1_000_000 - 60_000 - 600_000 - 300_000, 2_000_000 - 60_000],
      [2_000_000 - 300_000, 2_000_000],
    ]);
  });

  it('ignores samples outside the requested range and unsorted storage order', async () => {
    const messy: Querier = {
      select: async () => [data[0]!, regular({ __name__: 'x', j: '0' }, 400, 15, () => 1)],
    };
    const r = await instantQuery(messy, 'count_over_time(x[1m])', 3_000_000);
    expect(r.resultType === 'vector' && r.result.map((s) => [s.metric['j'], s.value[1]])).toEqual([
      ['0', '5'],
      ['1', '5'],
    ]);
  });

  it('decides regex matchers itself, so storage may return a superset', async () => {
    const groups = ['production', 'PROD', 'staging', 'preprod'].map((g) =>
      series({ __name__: 'x', group: g }, [[0, 1]]),
    );
    const everything: Querier = { select: async () => groups };
    const sel = async (q: string): Promise<string[]> => {
      const r = await instantQuery(everything, q, 0);
      return r.resultType === 'vector' ? r.result.map((s) => s.metric['group']!).sort() : [];
    };
    expect(await sel('x{group=~"(?i:PRO).*"}')).toEqual(['PROD', 'production']);
    expect(await sel('x{group=~"((?i)PRO).*"}')).toEqual(['PROD', 'production']);
    expect(await sel('x{group=~".*(?i:DUC).*"}')).toEqual(['production']);
    expect(await sel('x{group!~".*(?i:prod)"}')).toEqual(['production', 'staging']);
    expect(await sel('x{group="staging"}')).toEqual(['staging']);
  });

  it('times out slow storage and aborts its signal', async () => {
    const spy = new SpyQuerier(new MemoryQuerier(data), 200);
    expect(await kind(instantQuery(spy, 'x', 0, { timeoutMs: 20 }))).toBe(
      'timeout: query timed out in query execution',
    );
    expect(spy.calls[0]!.signal!.aborted).toBe(true);
  });

  it('times out a long evaluation', async () => {
    const big = Array.from({ length: 200 }, (_, i) => regular({ __name__: 'b', i: String(i) }, 2000, 15, (k) => k));
    expect(
      await kind(rangeQuery(new MemoryQuerier(big), 'sum(rate(b[5m]))', 0, 30_000_000, 3000, { timeoutMs: 5 })),
    ).toMatch(/^timeout: query timed out in /);
  });

  it('is canceled through the caller signal', async () => {
    const spy = new SpyQuerier(new MemoryQuerier(data), 200);
    const ac = new AbortController();
    const p = instantQuery(spy, 'x', 0, { signal: ac.signal });
    setTimeout(() => ac.abort(), 10);
    expect(await kind(p)).toBe('canceled: query was canceled in query execution');
    const pre = new AbortController();
    pre.abort();
    expect(await kind(instantQuery(spy, 'x', 0, { signal: pre.signal }))).toMatch(/^canceled/);
  });
});

describe('operators', () => {
  const d = [
    series({ __name__: 'a', x: '1', y: 'p' }, [[0, 6]]),
    series({ __name__: 'a', x: '2', y: 'q' }, [[0, 8]]),
    series({ __name__: 'info', x: '1', v: 'v1' }, [[0, 1]]),
    series({ __name__: 'info', x: '2', v: 'v2' }, [[0, 1]]),
  ];

  it('copies group_left labels from the one side', async () => {
    expect(await instant(d, 'a * on(x) group_left(v) info', 0)).toEqual({
      '{"v":"v1","x":"1","y":"p"}': '6',
      '{"v":"v2","x":"2","y":"q"}': '8',
    });
  });

  it('keeps only on() labels in one-to-one matching', async () => {
    expect(await instant(d, 'a / on(x) info', 0)).toEqual({ '{"x":"1"}': '6', '{"x":"2"}': '8' });
  });

  it('filters with comparisons and returns 0/1 with bool', async () => {
    expect(await instant(d, 'a > 7', 0)).toEqual({ '{"__name__":"a","x":"2","y":"q"}': '8' });
    expect(await instant(d, '7 < a', 0)).toEqual({ '{"__name__":"a","x":"2","y":"q"}': '8' });
    expect(await instant(d, 'a > bool 7', 0)).toEqual({ '{"x":"1","y":"p"}': '0', '{"x":"2","y":"q"}': '1' });
  });

  it('keeps the name for atan2, drops it for arithmetic', async () => {
    expect(Object.keys(await instant(d, 'a atan2 1', 0))[0]).toContain('__name__');
    expect(Object.keys(await instant(d, 'a + 1', 0))[0]).not.toContain('__name__');
  });

  it('implements set operators per signature', async () => {
    expect(Object.keys(await instant(d, 'a and on(x) info', 0))).toHaveLength(2);
    expect(Object.keys(await instant(d, 'a unless on(x) info', 0))).toHaveLength(0);
    expect(Object.keys(await instant(d, 'a or info', 0))).toHaveLength(4);
  });

  it('uses Go arithmetic for edge cases', async () => {
    expect(await value([], '1 ^ NaN', 0)).toBe('1');
    expect(await value([], '(-1) ^ Inf', 0)).toBe('1');
    expect(await value([], '-7 % 3', 0)).toBe('-1');
    expect(await value([], '1 / 0', 0)).toBe('+Inf');
    expect(await value([], '0 / 0', 0)).toBe('NaN');
  });
});

describe('short-lived series', () => {
  it('merge across disjoint lifetimes', async () => {
    const a1 = series(
      { __name__: 'a', i: '1' },
      Array.from({ length: 10 }, (_, k) => [k * 60_000, k] as [number, number]),
    );
    const a2 = series(
      { __name__: 'a', i: '2' },
      Array.from({ length: 10 }, (_, k) => [(50 + k) * 60_000, 100 + k] as [number, number]),
    );
    const r = flatten(
      await range([a1, a2], 'label_replace(a, "i", "x", "i", ".*")', 0, 3600, 60, { lookbackDeltaMs: 1000 }),
    );
    expect(Object.keys(r)).toEqual(['{"__name__":"a","i":"x"}']);
    expect(r['{"__name__":"a","i":"x"}']!.split(' ')).toHaveLength(20);
    const s = flatten(await range([a1, a2], 'sum(a) or vector(-1)', 0, 3600, 60, { lookbackDeltaMs: 1000 }));
    expect(s['{}']!.split(' ')).toHaveLength(61);
  });

  it('cost their lifetime, not the whole range', async () => {
    // 10k pods living 20 minutes each over a week at a 60s step: dense per-step arrays would need ~1 GB
    // per intermediate result, and per-step loops over all series ~10^8 iterations per operator.
    const data = Array.from({ length: 10_000 }, (_, p) =>
      series(
        { __name__: 'churn', pod: String(p) },
        Array.from({ length: 20 }, (_, k) => [p * 30_000 + k * 60_000, k] as [number, number]),
      ),
    );
    const info = data.map((s) => ({
      ...s,
      labels: { ...s.labels, __name__: 'churn_info', node: `n${Number(s.labels['pod']) % 50}` },
    }));
    const all = [...data, ...info];
    for (const q of [
      'sum(rate(churn[5m]))',
      'sum by (node) (churn * on(pod) group_left(node) churn_info)',
      'topk(3, churn)',
      'churn unless on(pod) churn_info > 10',
      'count_values("v", churn)',
    ]) {
      const r = await range(all, q, 0, 600_000, 60);
      expect(r.resultType).toBe('matrix');
      expect(r.result.length).toBeGreaterThan(0);
    }
  }, 60_000);
});

describe('storage quirks', () => {
  it('merges a series returned in several pieces, keeping stale markers', async () => {
    const piece1 = series({ __name__: 'p', a: '1' }, [
      [0, 1],
      [60_000, 2],
    ]);
    const piece2 = series({ a: '1', __name__: 'p' }, [
      [60_000, 2],
      [120_000, STALE],
      [180_000, 4],
    ]);
    expect(await value([piece2, piece1], 'count_over_time(p[5m])', 180)).toBe('3');
    expect(await value([piece2, piece1], 'p', 150)).toBeUndefined();
    expect(await value([piece2, piece1], 'p', 60)).toBe('2');
    expect(await value([piece2, piece1], 'p', 200)).toBe('4');
  });
});
