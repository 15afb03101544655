import { describe, expect, it } from 'vitest';
import {
  expandVars,
  probeSelector,
  promDuration,
  quantileOf,
  rateIntervalSeconds,
  scrapeIntervalFromCounts,
  suggestQueries,
} from './promql-vars.ts';

describe('PromQL range variables', () => {
  it('computes $__rate_interval as Grafana does', () => {
    expect(rateIntervalSeconds(15, 5)).toBe(20);
    expect(rateIntervalSeconds(2, 5)).toBe(20);
    expect(rateIntervalSeconds(300, 15)).toBe(315);
  });

  it('writes durations PromQL reads', () => {
    expect(promDuration(20)).toBe('20s');
    expect(promDuration(90)).toBe('1m30s');
    expect(promDuration(3600)).toBe('1h');
    expect(promDuration(1.5)).toBe('1500ms');
  });

  it('expands the variables and maps error positions back to the typed query', () => {
    const typed = 'rate(x[$__rate_interval]) + rate(y[$__interval]) +';
    const e = expandVars(typed, { rateIntervalS: 20, intervalS: 15, rangeS: 3600 });
    expect(e.query).toBe('rate(x[20s]) + rate(y[15s]) +');
    // The error at the end of the expanded query is at the end of the typed one.
    expect(e.toTyped(e.query.length)).toBe(typed.length);
    expect(e.toTyped(0)).toBe(0);
    expect(e.toTyped(8)).toBe(7); // inside "20s": the variable's start
    expect(e.toTyped(e.query.indexOf('rate(y'))).toBe(typed.indexOf('rate(y'));
  });

  it('probes the scrape interval on the _count of a histogram', () => {
    expect(probeSelector('histogram_quantile(0.99, sum by (le) (rate(h_bucket{job="a"}[$__rate_interval])))')).toBe(
      'h_count{job="a"}',
    );
    expect(probeSelector('rate({__name__="x"}[$__rate_interval])')).toBe('{__name__="x"}');
    expect(probeSelector('rate(x[5m])')).toBeNull();
    // 5 s pushes: 12 samples a minute, fewer where the data starts.
    expect(scrapeIntervalFromCounts([3, 12, 12, 12, 11, 0], 60)).toBe(5);
    expect(scrapeIntervalFromCounts([4, 4, 4], 60)).toBe(15);
    expect(scrapeIntervalFromCounts([1, 1, 2], 60)).toBeNull(); // too sparse for a minute: ask over 10
    expect(scrapeIntervalFromCounts([10, 10], 600)).toBe(60);
    expect(scrapeIntervalFromCounts([], 60)).toBeNull();
  });

  it('swaps the quantile of a histogram_quantile query', () => {
    const q = quantileOf('histogram_quantile(0.99, sum by (le) (rate(h_bucket[1m])))')!;
    expect(q.phi).toBe(0.99);
    expect(q.at(0.5)).toBe('histogram_quantile(0.5, sum by (le) (rate(h_bucket[1m])))');
    expect(quantileOf('sum(rate(x[1m]))')).toBeNull();
  });

  it('suggests queries on metrics that exist, latency histograms first', () => {
    const s = suggestQueries([
      'a_total',
      'http_server_request_duration_seconds_bucket',
      'http_server_request_duration_seconds_count',
      'http_server_request_duration_seconds_sum',
      'queue_size_bucket',
      'queue_size_count',
      'up',
    ]);
    expect(s[0]).toBe(
      'histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket[$__rate_interval])))',
    );
    expect(s).toContain('sum by (job) (rate(a_total[$__rate_interval]))');
    expect(s.join(' ')).not.toContain('http_server_duration_seconds_bucket');
    expect(s.some((x) => x.includes('_count['))).toBe(false);
  });
});
