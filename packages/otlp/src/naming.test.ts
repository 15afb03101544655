// Name normalisation tables; most rows are otlptranslator's own test cases (suffixes on, UTF-8 off).
import { describe, expect, it } from 'vitest';
import { prometheusLabelName, prometheusMetricName, prometheusUnit, type NamerMetricType } from './index.ts';
import { formatFloat } from './naming.ts';

describe('prometheusMetricName', () => {
  it.each<[string, string, NamerMetricType, string]>([
    ['http.server.request.duration', 's', 'histogram', 'http_server_request_duration_seconds'],
    ['http.server.requests', '', 'monotonicCounter', 'http_server_requests_total'],
    ['process.memory.usage', 'By', 'gauge', 'process_memory_usage_bytes'],
    ['http.client.request.duration', 'ms', 'histogram', 'http_client_request_duration_milliseconds'],
    ['http.server.active_requests', '{request}', 'nonMonotonicCounter', 'http_server_active_requests'],
    ['system.cpu.utilization', '1', 'gauge', 'system_cpu_utilization_ratio'],
    ['requests', '', 'monotonicCounter', 'requests_total'],
    ['cpu_usage', '1', 'gauge', 'cpu_usage_ratio'],
    ['items', '1', 'monotonicCounter', 'items_total'],
    ['response_time', 'ms', 'gauge', 'response_time_milliseconds'],
    ['memory_usage', 'By', 'gauge', 'memory_usage_bytes'],
    ['requests', '1/s', 'gauge', 'requests_per_second'],
    ['throughput', 'By/s', 'gauge', 'throughput_bytes_per_second'],
    ['custom_metric', 'custom_unit', 'gauge', 'custom_metric_custom_unit'],
    ['custom_metric', '{custom}', 'gauge', 'custom_metric'],
    ['custom_metric', 'By/{custom}', 'gauge', 'custom_metric_bytes'],
    ['requests_total', '', 'monotonicCounter', 'requests_total'],
    ['cpu_usage_ratio', '1', 'gauge', 'cpu_usage_ratio'],
    ['response_time_seconds', 's', 'gauge', 'response_time_seconds'],
    [
      'metric__with__multiple__underscores',
      'unit__multiple__underscores',
      'gauge',
      'metric_with_multiple_underscores_unit_multiple_underscores',
    ],
    ['custom_metric', 'unit@with#special/chars', 'gauge', 'custom_metric_unit_with_special_per_chars'],
    ['request_duration', 's', 'histogram', 'request_duration_seconds'],
    ['request_size', 'By', 'exponentialHistogram', 'request_size_bytes'],
    ['response_time', 'ms', 'summary', 'response_time_milliseconds'],
    ['active_connections', '', 'nonMonotonicCounter', 'active_connections'],
    ['uptime', 'd', 'gauge', 'uptime_days'],
    ['total.requests', '{req}/s', 'monotonicCounter', 'requests_per_second_total'],
    ['123_requests', '', 'monotonicCounter', '_123_requests_total'],
    ['temperature', 'Cel', 'gauge', 'temperature_celsius'],
    ['speed', 'm/s', 'gauge', 'speed_meters_per_second'],
    ['cache.size', 'MiBy', 'gauge', 'cache_size_mebibytes'],
    ['métrique.size', 'By', 'gauge', 'm_trique_size_bytes'],
    ['@#$%', '', 'gauge', ''],
    ['', 's', 'gauge', 'seconds'],
  ])('%s [%s] as %s → %s', (name, unit, type, want) => {
    expect(prometheusMetricName(name, unit, type)).toBe(want);
  });
});

describe('prometheusUnit', () => {
  it.each([
    ['s', 'seconds'],
    ['ms', 'milliseconds'],
    ['By', 'bytes'],
    ['By/s', 'bytes_per_second'],
    ['1', ''],
    ['1/s', 'per_second'],
    ['{request}', ''],
    ['%', 'percent'],
    ['unit@with#special/chars', 'unit_with_special_per_chars'],
  ])('%s → %s', (unit, want) => expect(prometheusUnit(unit)).toBe(want));
});

describe('prometheusLabelName', () => {
  it.each([
    ['http.request.method', 'http_request_method'],
    ['label:with:colons', 'label_with_colons'],
    ['LabelWithCapitalLetters', 'LabelWithCapitalLetters'],
    ['label!with&special$chars)', 'label_with_special_chars_'],
    ['label_with_foreign_characters_字符', 'label_with_foreign_characters_'],
    ['label.with..dots', 'label_with_dots'],
    ['123label', 'key_123label'],
    ['_label_starting_with_underscore', 'key_label_starting_with_underscore'],
    ['__name__', '__name__'],
    ['__a.b__', '__a_b__'],
    ['ようこそ', ''],
    ['__', ''],
    ['', ''],
  ])('%s → %s', (key, want) => expect(prometheusLabelName(key)).toBe(want));
});

describe('formatFloat (Go FormatFloat f, -1)', () => {
  it.each([
    [0, '0'],
    [5, '5'],
    [0.005, '0.005'],
    [2.5e-7, '0.00000025'],
    [1e21, '1000000000000000000000'],
    [-1.5e22, '-15000000000000000000000'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ])('%d → %s', (v, want) => expect(formatFloat(v)).toBe(want));
});
