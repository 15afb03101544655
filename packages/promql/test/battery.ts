// The differential battery: query cases, invalid queries, evaluation times, and how to ask each side.
// Used by this package's engine-vs-Prometheus test and by the platform's full-stack one.
import { PromQLError, instantQuery, rangeQuery, type Querier, type QueryResult } from '../src/index.ts';
import { DURATION_MS } from './fixture.ts';
import { promQuery } from './prometheus.ts';

// Data spans the last ~2 hours so the TSDB head accepts it (older samples are out of bounds in 2.42).
export const T0 = Math.floor((Date.now() - DURATION_MS - 10 * 60_000) / 60_000) * 60_000;
const at = (minutes: number): string => String((T0 + minutes * 60_000) / 1000);

export const INSTANT_TIMES = [100, 36 + 1 / 3, 50.5, 111 + 37 / 60, 7, 90.25].map((m) => T0 + m * 60_000);
export const RANGES: [number, number, number][] = [
  [T0 + 5 * 60_000, T0 + 115 * 60_000, 60_000],
  [T0 + 12 * 60_000, T0 + 80 * 60_000, 37_000],
];

export interface Case {
  q: string;
  /** Compare vector results in order (sort, sort_desc). */
  ordered?: boolean;
  instantOnly?: boolean;
}

const c = (q: string, opts: Omit<Case, 'q'> = {}): Case => ({ q, ...opts });

export const CASES: Case[] = [
  // Selectors, staleness, lookback, offset, @.
  c('http_requests_total'),
  c('http_requests_total{job="api"}'),
  c('http_requests_total{job=~"a.*", method!="POST"}'),
  c('{__name__=~"http_.*|bytes_.*", instance="i1"}'),
  c('http_requests_total{job!~"web"}'),
  c('gappy_gauge'),
  c('flappy'),
  c('special_values'),
  c('http_requests_total offset 10m'),
  c('http_requests_total offset -5m'),
  c(`http_requests_total @ ${at(60)}`),
  c('http_requests_total @ start()'),
  c('http_requests_total @ end()'),
  c(`http_requests_total offset 5m @ ${at(60)}`),
  c('http_requests_total[5m]', { instantOnly: true }),
  c('http_requests_total[5m] offset 3m', { instantOnly: true }),
  c('flappy[10m]', { instantOnly: true }),
  c(`node_temperature_celsius[2m] @ ${at(45)}`, { instantOnly: true }),
  // Rate family.
  c('rate(http_requests_total[5m])'),
  c('rate(http_requests_total[1m])'),
  c('rate(http_requests_total[2m] offset 30s)'),
  c('rate(bytes_sent_total[3m])'),
  c('irate(http_requests_total[5m])'),
  c('increase(http_requests_total[10m])'),
  c('increase(request_duration_seconds_count[15m])'),
  c('delta(node_temperature_celsius[10m])'),
  c('idelta(node_temperature_celsius[5m])'),
  c('deriv(node_temperature_celsius[10m])'),
  c('predict_linear(node_temperature_celsius[15m], 3600)'),
  c('resets(http_requests_total[30m])'),
  c('changes(node_temperature_celsius[10m])'),
  c('changes(gappy_gauge[10m])'),
  c('holt_winters(node_temperature_celsius[10m], 0.5, 0.5)'),
  c('holt_winters(http_requests_total[5m], 0.1, 0.9)'),
  c('rate(flappy[5m])'),
  // *_over_time.
  c('avg_over_time(node_temperature_celsius[10m])'),
  c('sum_over_time(node_temperature_celsius[10m])'),
  c('min_over_time(node_temperature_celsius[10m])'),
  c('max_over_time(node_temperature_celsius[10m])'),
  c('count_over_time(gappy_gauge[10m])'),
  c('last_over_time(gappy_gauge[10m])'),
  c('stddev_over_time(node_temperature_celsius[10m])'),
  c('stdvar_over_time(node_temperature_celsius[10m])'),
  c('present_over_time(flappy[3m])'),
  c('quantile_over_time(0.9, node_temperature_celsius[10m])'),
  c('quantile_over_time(0, node_temperature_celsius[10m])'),
  c('quantile_over_time(1.5, node_temperature_celsius[10m])'),
  c('absent_over_time(gappy_gauge[5m])'),
  c('absent_over_time(nonexistent{job="x"}[5m])'),
  c('sum_over_time(special_values[5m])'),
  c('max_over_time(special_values[5m])'),
  c('min_over_time(special_values[5m])'),
  c('avg_over_time(special_values[10m])'),
  // Histograms.
  c('rate(request_duration_seconds_bucket[5m])'),
  c('histogram_quantile(0.99, sum by (le) (rate(request_duration_seconds_bucket[5m])))'),
  c('histogram_quantile(0.5, rate(request_duration_seconds_bucket[5m]))'),
  c('histogram_quantile(0.9, sum by (le, handler) (rate(request_duration_seconds_bucket[10m])))'),
  c('histogram_quantile(0, sum by (le) (rate(request_duration_seconds_bucket[5m])))'),
  c('histogram_quantile(1, sum by (le) (rate(request_duration_seconds_bucket[5m])))'),
  c('histogram_quantile(-1, sum by (le) (rate(request_duration_seconds_bucket[5m])))'),
  c('histogram_quantile(2, sum by (le) (rate(request_duration_seconds_bucket[5m])))'),
  c('histogram_quantile(NaN, sum by (le) (rate(request_duration_seconds_bucket[5m])))'),
  c('histogram_quantile(0.9, request_duration_seconds_bucket)'),
  c('histogram_quantile(0.9, sum by (le) (request_duration_seconds_bucket{le!="+Inf"}))'),
  c('histogram_quantile(0.5, request_duration_seconds_bucket{le=~"0.1|1|\\\\+Inf"})'),
  c('histogram_quantile(0.75, sum without (instance, handler) (increase(request_duration_seconds_bucket[30m])))'),
  c('sum(rate(request_duration_seconds_sum[5m])) / sum(rate(request_duration_seconds_count[5m]))'),
  // Aggregations.
  c('sum(http_requests_total)'),
  c('sum by (job) (http_requests_total)'),
  c('sum without (instance) (http_requests_total)'),
  c('avg by (job, method) (rate(http_requests_total[5m]))'),
  c('min(node_temperature_celsius)'),
  c('max by (instance) (http_requests_total)'),
  c('count(http_requests_total)'),
  c('count by (job) (http_requests_total)'),
  c('group by (job) (http_requests_total)'),
  c('stddev(node_temperature_celsius)'),
  c('stdvar by (job) (rate(http_requests_total[5m]))'),
  c('topk(3, rate(http_requests_total[5m]))'),
  c('topk by (job) (1, http_requests_total)'),
  c('bottomk(2, node_temperature_celsius)'),
  c('topk(scalar(count(up)), http_requests_total)'),
  c('quantile(0.75, node_temperature_celsius)'),
  c('quantile by (job) (0.5, rate(http_requests_total[5m]))'),
  c('count_values("value", up)'),
  c('count_values by (job) ("v", up)'),
  c('count_values without (instance) ("v", up)'),
  c('sum(rate(http_requests_total[5m])) by (job)'),
  c('avg(special_values)'),
  c('sum(special_values)'),
  c('max(special_values)'),
  c('min(special_values)'),
  c('sum by (__name__) ({__name__=~"collide_.*"})'),
  // Arithmetic and comparison with scalars.
  c('http_requests_total + 1'),
  c('1 - http_requests_total'),
  c('http_requests_total * 2'),
  c('http_requests_total / 0'),
  c('http_requests_total % 7'),
  c('2 ^ (node_temperature_celsius / 10)'),
  c('node_temperature_celsius ^ 2'),
  c('node_temperature_celsius atan2 10'),
  c('node_temperature_celsius > 10'),
  c('10 < node_temperature_celsius'),
  c('node_temperature_celsius >= bool 10'),
  c('up == 0'),
  c('up != bool 1'),
  c('special_values == special_values'),
  // Scalars.
  c('1 + 2 * 3'),
  c('2 ^ 3 ^ 2'),
  c('-1 ^ 2'),
  c('(1 > bool 2) + 5'),
  c('-5 % 3'),
  c('0x1F + 010'),
  c('1e3 / 3'),
  c('Inf - Inf'),
  c('-Inf'),
  c('1 / 0'),
  c('7 atan2 3'),
  c('time()'),
  c('pi()'),
  c('"a string"', { instantOnly: true }),
  // Vector matching.
  c(
    'rate(http_requests_total[5m]) / on(job, instance) group_left sum by (job, instance) (rate(http_requests_total[5m]))',
  ),
  c('http_requests_total * on(instance) group_left(version) node_info'),
  c('node_temperature_celsius * ignoring(version, zone) node_info'),
  c('node_info * on(instance) group_right node_temperature_celsius'),
  c('node_temperature_celsius + on(instance) group_left(zone) node_info'),
  c('http_requests_total / ignoring(method) group_left sum without(method) (http_requests_total)'),
  c('http_requests_total == bool http_requests_total'),
  c('http_requests_total > on(job, instance, method) http_requests_total offset 1m'),
  c('node_temperature_celsius atan2 on(instance) node_temperature_celsius offset 10m'),
  c('up and node_temperature_celsius > 10'),
  c('up or http_requests_total'),
  c('up unless on(instance) node_temperature_celsius > 20'),
  c('node_info and on(instance) up == 0'),
  c('gappy_gauge or vector(0)'),
  c('nonexistent + on(job) up'),
  c('up + on(job) nonexistent'),
  c('rate + 1'),
  c('sum'),
  c('sum{job="x"} or count'),
  c('time + day_of_week'),
  c('sum by (le) (rate(request_duration_seconds_bucket[5m])) # trailing comment'),
  c('sum by (instance) (http_requests_total) > on(instance) sum by (instance) (rate(bytes_sent_total[5m]))'),
  // Instant-vector functions.
  c('abs(node_temperature_celsius)'),
  c('ceil(node_temperature_celsius)'),
  c('floor(node_temperature_celsius)'),
  c('round(node_temperature_celsius)'),
  c('round(node_temperature_celsius, 5)'),
  c('round(node_temperature_celsius, 0.3)'),
  c('exp(node_temperature_celsius / 10)'),
  c('ln(http_requests_total)'),
  c('log2(http_requests_total)'),
  c('log10(node_temperature_celsius)'),
  c('sqrt(http_requests_total)'),
  c('clamp(node_temperature_celsius, 0, 20)'),
  c('clamp(node_temperature_celsius, 20, 0)'),
  c('clamp_min(node_temperature_celsius, 5)'),
  c('clamp_max(node_temperature_celsius, 5)'),
  c('sgn(node_temperature_celsius)'),
  c('abs(special_values)'),
  c('timestamp(http_requests_total)'),
  c('timestamp(rate(http_requests_total[5m]))'),
  c(`timestamp(up @ ${at(40)})`),
  c('vector(1)'),
  c('vector(time())'),
  c('scalar(up{instance="i1"})'),
  c('scalar(up)'),
  c('sort(node_temperature_celsius)', { ordered: true }),
  c('sort_desc(http_requests_total)', { ordered: true }),
  c('absent(nonexistent)'),
  c('absent(up)'),
  c('absent(nonexistent{job="x", instance=~"i.*"})'),
  c('absent(up{job="nope"})'),
  c('label_replace(up, "inst_num", "$1", "instance", "i(\\\\d)")'),
  c('label_replace(up, "x", "$1$2", "instance", "(i)(.*)")'),
  c('label_replace(up, "instance", "", "instance", ".*")'),
  c('label_replace(up, "y", "$1x", "instance", "(.*)")'),
  c('label_join(up, "combo", "-", "job", "instance")'),
  c('label_join(up, "job", "", "nope")'),
  c('day_of_week()'),
  c('hour()'),
  c('minute()'),
  c('month()'),
  c('year()'),
  c('day_of_month()'),
  c('days_in_month()'),
  c('day_of_year()'),
  c('hour(timestamp(up))'),
  c('minute(timestamp(up))'),
  c('days_in_month(vector(1709251200))'),
  // Subqueries.
  c('max_over_time(rate(http_requests_total[1m])[10m:1m])'),
  c('rate(http_requests_total[5m])[10m:]', { instantOnly: true }),
  c('avg_over_time(node_temperature_celsius[10m:30s])'),
  c('max_over_time(deriv(node_temperature_celsius[5m])[20m:2m] offset 5m)'),
  c(`sum_over_time(up[30m:5m] @ ${at(60)})`),
  c('min_over_time((up == 1)[15m:1m])'),
  c('max_over_time(avg_over_time(node_temperature_celsius[5m:1m])[20m:5m])'),
  c('rate(http_requests_total[5m:30s])'),
  // @ modifier.
  c(`rate(http_requests_total[5m] @ ${at(60)})`),
  c(`sum(http_requests_total @ ${at(30)})`),
  c('rate(http_requests_total[5m] @ start())'),
  c(`up @ ${at(40)} offset 5m`),
  c(`predict_linear(node_temperature_celsius[10m] @ ${at(60)}, 600)`),
  c(`http_requests_total - http_requests_total @ ${at(20)}`),
  // Unary.
  c('-http_requests_total'),
  c('-(node_temperature_celsius)'),
  c('+up'),
  c('-sum(up)'),
  // Boundaries: windows and lookback closed at both ends.
  c('aligned_sparse'),
  c('aligned_gauge offset 5m'),
  c('rate(aligned_counter[5m])'),
  c('increase(aligned_counter[1m])'),
  c('irate(aligned_counter[1m])'),
  c('resets(aligned_counter[1h])'),
  c('delta(aligned_gauge[5m])'),
  c('count_over_time(aligned_sparse[10m])'),
  c('last_over_time(aligned_sparse[5m])'),
  c('count_over_time(aligned_counter[1m:15s])'),
  // NaN and infinities through every kind of operation.
  c('count_values("v", special_values)'),
  c('topk(2, special_values)'),
  c('bottomk(2, special_values)'),
  c('quantile(0.5, special_values)'),
  c('stddev(special_values)'),
  c('stdvar(special_values)'),
  c('changes(special_values[10m])'),
  c('deriv(special_values[5m])'),
  c('rate(special_values[5m])'),
  c('special_values > 3'),
  // Precedence and chaining.
  c('1 + 2 * 3 - 4 / 2 ^ 2 % 3'),
  c('up and up or http_requests_total unless node_info'),
  c('up == bool 1 == bool 1'),
  c('up or up'),
  c('up unless up'),
  c('up / on() group_left sum(up)'),
  c('time() - timestamp(up)'),
  c('avg without (instance, method) (http_requests_total)'),
  c('max(http_requests_total) by (job) - min(http_requests_total) by (job)'),
  c('topk(1, up) by (job)'),
  c('quantile(0.5, http_requests_total) by (job)'),
  c('count(up) by (job) > bool 2'),
  c('vector(scalar(sum(up)))'),
  c('sort_desc(sum by (job) (rate(http_requests_total[5m])))', { ordered: true }),
  c('absent(sum(nonexistent))'),
  c('absent_over_time(rate(nonexistent[5m])[5m:])'),
  c('label_replace(rate(http_requests_total[5m]), "x", "$1", "method", "(G).*")'),
  c('{__name__=~"up|node_info"} * 2'),
  c('histogram_quantile(0.9, sum by (le) (rate(request_duration_seconds_bucket{handler="/a"}[5m])))'),
  // More offset / @ / subquery combinations.
  c('sum(rate(http_requests_total[5m] offset 1h))'),
  c('rate(http_requests_total[5m] offset 10m @ end())'),
  c(`max_over_time(rate(http_requests_total[5m])[30m:] @ ${at(70)})`),
  c('sum_over_time(http_requests_total[10m:1m] offset 2m)'),
  c('timestamp(http_requests_total offset 5m)'),
  c(`timestamp(http_requests_total offset 5m @ ${at(60)})`),
  c(`node_temperature_celsius @ ${at(60)} > 5`),
  c(`avg_over_time(node_temperature_celsius[5m:1m] offset 3m @ ${at(50)})`),
  c(`max_over_time((node_temperature_celsius @ ${at(30)})[10m:1m])`),
  c(`last_over_time(up[10m] @ ${at(50)})`),
  c(`quantile_over_time(scalar(sum(up)) / 4, node_temperature_celsius[10m] @ ${at(60)})`),
  c(`predict_linear(node_temperature_celsius[10m:1m] @ ${at(60)}, 60)`),
  c(`topk(scalar(sum(up)), http_requests_total @ ${at(60)})`),
  c(`absent(nonexistent{a="b"} @ ${at(60)})`),
  c(`rate(http_requests_total[5m:1m] @ ${at(60)})`),
  c(`hour(up @ ${at(60)})`),
  // The benchmark's queries.
  c('sum by (instance) (rate(request_duration_seconds_count[1m]))'),
  c('topk(5, rate(request_duration_seconds_bucket[5m]))'),
];

// Queries both engines must reject, with the same errorType.
export const ERRORS: string[] = [
  'rate(http_requests_total)',
  'sum(',
  'http_requests_total{',
  '1 +',
  'foo bar',
  '{}',
  '{job=""}',
  'sum(1)',
  'http_requests_total offset 5m offset 5m',
  '(up) offset 5m',
  '1 == 1',
  'up and 1',
  'up[0s]',
  'label_replace(up, "a", "b")',
  'histogram_quantile(up, up)',
  'up{a=~"("}',
  '"foo" + 1',
  'up @ 1 @ 2',
  'topk(up, up)',
  'count_values(1, up)',
  '-"a"',
  'up[5m] + 1',
  'up offset 5m[5m]',
  'up{__name__="x"}',
  'rate({__name__=~"collide_.*"}[5m])',
  'abs({__name__=~"collide_.*"})',
  '{__name__=~"collide_.*"} + 1',
  'node_info + on(job) up',
  'up + on(job) group_left node_info',
  'http_requests_total + on(job, instance) http_requests_total',
  'label_replace(up, "1x", "$1", "instance", "(.*)")',
  'label_join(up, "a-b", ",", "job")',
  'count_values("a-b", up)',
  'up + ignoring(instance) up',
  'holt_winters(up[5m], 1, 0.5)',
  'up offset',
  'up @ 1e100',
  'up{job="a",}[5m',
  ')',
  'holt_winters(up[5m], 0.5, 0)',
];

export type Outcome = { ok: true; data: QueryResult } | { ok: false; errorType: string; error: string };

export async function ours(mem: Querier, params: Record<string, string>): Promise<Outcome> {
  try {
    const q = params['query']!;
    const data =
      'end' in params
        ? await rangeQuery(
            mem,
            q,
            Number(params['start']) * 1000,
            Number(params['end']) * 1000,
            Number(params['step']) * 1000,
          )
        : await instantQuery(mem, q, Number(params['time']) * 1000);
    return { ok: true, data };
  } catch (err) {
    if (err instanceof PromQLError) return { ok: false, errorType: err.kind, error: err.message };
    throw err;
  }
}

export async function theirs(url: string, params: Record<string, string>): Promise<Outcome> {
  const r = await promQuery(url, params);
  return r.status === 'success'
    ? { ok: true, data: r.data as QueryResult }
    : { ok: false, errorType: r.errorType, error: r.error };
}

export function paramSets(q: string, instantOnly: boolean): Record<string, string>[] {
  const out: Record<string, string>[] = INSTANT_TIMES.map((t) => ({ query: q, time: String(t / 1000) }));
  if (!instantOnly)
    for (const [s, e, step] of RANGES)
      out.push({ query: q, start: String(s / 1000), end: String(e / 1000), step: String(step / 1000) });
  return out;
}
