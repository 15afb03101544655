// The pure rules of cohort comparison: log patterns, scoring and folding, critical-path self time.
import { describe, expect, it } from 'vitest';
import { criticalSelfTime, logPattern, rankDimensions, type CountedDimension, type PathSpan } from './investigate.ts';

describe('logPattern', () => {
  it.each([
    ['payment timed out for order 53e89b4f', 'payment timed out for order <id>'],
    [
      'card gateway timed out after 700 ms for order ord-482913; retrying (attempt 2 of 2)',
      'card gateway timed out after <n> ms for order <id>; retrying (attempt <n> of <n>)',
    ],
    ['charged 12.50 EUR for order ord-7', 'charged <n> EUR for order <id>'],
    ['low stock for sku-espresso: 3 left', 'low stock for sku-espresso: <n> left'],
    ['trace 4bf92f35-77b3-4da6-a3ce-929d0e0e4736 done.', 'trace <id> done.'],
    ['connect to 10.0.0.12:5432 refused', 'connect to <id> refused'],
    ['version v1.2.3 at -5 degrees', 'version <id> at <n> degrees'],
    ['no digits here', 'no digits here'],
    ['span deadbeefcafe failed, decade feedback', 'span <id> failed, decade feedback'],
  ])('%s', (message, pattern) => {
    expect(logPattern(message)).toBe(pattern);
  });

  it('reads only the first 200 characters', () => {
    expect(logPattern('x'.repeat(300))).toBe('x'.repeat(200));
  });
});

const counted = (
  source: CountedDimension['source'],
  key: string,
  value: string,
  c: number,
  b: number,
  fingerprint = `${key}=${value}`,
  attribute = false,
): CountedDimension => ({ source, key, value, attribute, cohortTraces: c, baselineTraces: b, fingerprint });

describe('rankDimensions', () => {
  const sample = { cohort: 20, baseline: 80 };

  it('scores the difference of proportions, best first, ties by source, key and value', () => {
    const rows = rankDimensions(
      [
        counted('log', 'severity', 'ERROR', 20, 0),
        counted('span', 'event', 'retry', 20, 0),
        counted('span', 'zone', 'b', 10, 40, 'z', true),
        counted('resource', 'host', 'h1', 5, 0),
      ],
      sample,
    );
    expect(rows.map((r) => [r.source, r.key, r.value, r.cohort, r.baseline, r.score])).toEqual([
      ['span', 'event', 'retry', 1, 0, 1],
      ['log', 'severity', 'ERROR', 1, 0, 1],
      ['resource', 'host', 'h1', 0.25, 0, 0.25],
      ['span', 'zone', 'b', 0.5, 0.5, 0],
    ]);
  });

  it('needs 3 traces and 5% of one side', () => {
    const rows = rankDimensions(
      [
        counted('span', 'a', 'two', 2, 0), // 10% of the cohort but 2 traces
        counted('span', 'b', 'three', 3, 0), // 15%: kept
        counted('span', 'c', 'rare', 0, 3), // 3.75% of the baseline: dropped
        counted('span', 'd', 'four', 0, 4), // 5%: kept
      ],
      sample,
    );
    expect(rows.map((r) => r.key)).toEqual(['b', 'd']);
  });

  it('folds rows of one source present in the same traces, keeping events, patterns and intrinsics first', () => {
    const rows = rankDimensions(
      [
        counted('span', 'retry.attempt', '2', 20, 0, 'f', true),
        counted('span', 'status', 'ERROR', 20, 0, 'f'),
        counted('span', 'event', 'retry', 20, 0, 'f'),
        counted('log', 'pattern', 'timed out <id>', 20, 0, 'f'),
        counted('log', 'severity', 'ERROR', 20, 0, 'f'),
        counted('span', 'status', 'UNSET', 20, 0, 'other traces'),
      ],
      sample,
    );
    expect(rows.map((r) => [r.source, r.key, r.value, r.same])).toEqual([
      [
        'span',
        'event',
        'retry',
        [
          { key: 'status', value: 'ERROR', attribute: false },
          { key: 'retry.attempt', value: '2', attribute: true },
        ],
      ],
      ['span', 'status', 'UNSET', undefined],
      ['log', 'pattern', 'timed out <id>', [{ key: 'severity', value: 'ERROR', attribute: false }]],
    ]);
  });

  it('ranks path rows by their mean shares and drops the negligible ones', () => {
    const rows = rankDimensions(
      [
        { ...counted('path', 'payment', 'authorize', 0, 0), cohortShare: 0.9, baselineShare: 0.3 },
        { ...counted('path', 'pricing', 'GET /price', 0, 0), cohortShare: 0.005, baselineShare: 0.009 },
      ],
      sample,
    );
    expect(rows).toEqual([
      { source: 'path', key: 'payment', value: 'authorize', attribute: false, cohort: 0.9, baseline: 0.3, score: 0.6 },
    ]);
  });
});

describe('criticalSelfTime', () => {
  const span = (spanId: string, parentSpanId: string | null, name: string, start: number, end: number): PathSpan => ({
    spanId,
    parentSpanId,
    service: 'svc',
    name,
    start,
    end,
  });
  const op = (name: string) => `svc\u0000${name}`;

  it('follows the last child to finish, and sequential children in turn', () => {
    // root 0-100; a 10-40 then b 40-90 in sequence; c 20-30 runs beside a and is not on the path.
    const spans = [
      span('r', null, 'root', 0, 100),
      span('a', 'r', 'a', 10, 40),
      span('b', 'r', 'b', 40, 90),
      span('c', 'r', 'c', 20, 30),
    ];
    expect(Object.fromEntries(criticalSelfTime(spans, 'r'))).toEqual({
      [op('root')]: 20,
      [op('a')]: 30,
      [op('b')]: 50,
    });
  });

  it('clips children to their parent and counts what a child left of its parent', () => {
    // a child outliving its parent only counts to the parent's end; a grandchild inside b.
    const spans = [span('r', null, 'root', 0, 100), span('b', 'r', 'b', 50, 150), span('g', 'b', 'g', 60, 70)];
    expect(Object.fromEntries(criticalSelfTime(spans, 'r'))).toEqual({
      [op('root')]: 50,
      [op('b')]: 40,
      [op('g')]: 10,
    });
  });

  it('starts at the given span, ignoring spans outside its subtree', () => {
    const spans = [span('r', null, 'root', 0, 100), span('a', 'r', 'a', 10, 40), span('x', null, 'other', 0, 10)];
    expect(Object.fromEntries(criticalSelfTime(spans, 'a'))).toEqual({ [op('a')]: 30 });
  });
});
