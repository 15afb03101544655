import type { PromExemplarGroup } from '@pivot/api-types';
import { describe, expect, it } from 'vitest';
import {
  alignMatrix,
  alignResults,
  exemplarThinStepS,
  exemplarsInWindow,
  flattenExemplars,
  sampleValue,
  seriesName,
  spanFilterFromLabels,
} from './promql-series.ts';

describe('PromQL results for the chart', () => {
  it('names series as Prometheus prints them', () => {
    expect(seriesName({ __name__: 'up', job: 'api', instance: 'a:1' })).toBe('up{instance="a:1", job="api"}');
    expect(seriesName({ route: '/x' })).toBe('{route="/x"}');
    expect(seriesName({})).toBe('{}');
  });

  it('aligns series on one time axis with gaps as null', () => {
    const a = alignMatrix([
      {
        metric: { a: '1' },
        values: [
          [10, '1'],
          [20, '2'],
        ],
      },
      {
        metric: { a: '2' },
        values: [
          [20, '5'],
          [30, 'NaN'],
        ],
      },
    ]);
    expect(a.xs).toEqual([10, 20, 30]);
    expect(a.ys).toEqual([
      [1, 2, null],
      [null, 5, null],
    ]);
    expect(a.names).toEqual(['{a="1"}', '{a="2"}']);
    expect(sampleValue('+Inf')).toBeNull();
  });

  it('names a lone unlabelled series by its expression, and quantile parts by their label', () => {
    const one = alignResults([{ label: null, result: [{ metric: {}, values: [[1, '2']] }] }], ' sum(rate(x[1m])) ');
    expect(one.names).toEqual(['sum(rate(x[1m]))']);
    const parts = alignResults(
      [
        { label: 'P50', result: [{ metric: {}, values: [[1, '1']] }] },
        { label: 'P99', result: [{ metric: { job: 'a' }, values: [[1, '3']] }] },
      ],
      'q',
    );
    expect(parts.names).toEqual(['P50', 'P99 {job="a"}']);
    expect(parts.ys).toEqual([[1], [3]]);
  });

  const groups: PromExemplarGroup[] = [
    {
      seriesLabels: { __name__: 'h_bucket', le: '1' },
      exemplars: [
        { labels: { trace_id: 'AA', span_id: 's1' }, value: '0.9', timestamp: 100 },
        { labels: { traceId: 'bb' }, value: '0.2', timestamp: 105 },
        { labels: { other: 'x' }, value: '5', timestamp: 106 },
      ],
    },
    {
      seriesLabels: { __name__: 'h_bucket', le: '+Inf' },
      exemplars: [
        { labels: { trace_id: 'aa' }, value: '1.5', timestamp: 101 },
        { labels: { trace_id: 'cc' }, value: '3', timestamp: 300 },
      ],
    },
  ];

  it('flattens exemplars that carry a trace ID, in time order', () => {
    const pts = flattenExemplars(groups);
    expect(pts.map((p) => [p.t, p.traceId])).toEqual([
      [100, 'aa'],
      [101, 'aa'],
      [105, 'bb'],
      [300, 'cc'],
    ]);
    expect(pts[0]!.spanId).toBe('s1');
  });

  it('lists one exemplar per trace in a window, slowest first', () => {
    const w = exemplarsInWindow(flattenExemplars(groups), 100, 200);
    expect(w.map((p) => [p.traceId, p.value])).toEqual([
      ['aa', 1.5],
      ['bb', 0.2],
    ]);
  });

  it('thins exemplars by whole query steps, about EXEMPLAR_COLUMNS buckets across the range', () => {
    expect(exemplarThinStepS(3600, 15)).toBe(30); // 1 h at 15 s: 120 buckets of 30 s
    expect(exemplarThinStepS(300, 1)).toBe(3); // 5 min at 1 s: 100 buckets of 3 s
    expect(exemplarThinStepS(600, 60)).toBe(60); // never below the step
    expect(exemplarThinStepS(86_400, 300)).toBe(900);
    expect(exemplarThinStepS(10, 0)).toBe(1);
  });

  it('maps service/job and route labels to a span search, using values common to all series', () => {
    expect(spanFilterFromLabels([{ job: 'prod/checkout', route: '/pay' }])).toEqual({
      service: 'checkout',
      route: '/pay',
      from: ['job="prod/checkout" → service', 'route="/pay" → http.route'],
    });
    expect(
      spanFilterFromLabels([
        { service: 'a', job: 'j', route: '/x' },
        { service: 'a', job: 'j', route: '/y' },
      ]),
    ).toEqual({ service: 'a', from: ['service="a" → service'] });
    expect(spanFilterFromLabels([])).toEqual({ from: [] });
  });
});
