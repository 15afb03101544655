import { describe, expect, it } from 'vitest';
import { parseRuleFile } from '@pivot/rules';
import { ruleYaml } from './rule-yaml.ts';

const P99 =
  'histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{job="a\\"b"}[1m])))';

describe('copy as rule', () => {
  it('writes an alerting rule that pivot and promtool read back with the query intact', () => {
    const res = parseRuleFile(ruleYaml(P99, 'alert', 0.5), 'copied.yml');
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.groups[0]!.rules[0]).toMatchObject({
      kind: 'alerting',
      name: 'HttpServerRequestDurationSecondsHigh',
      expr: `(${P99}) > 0.5`,
      forMs: 300_000,
      labels: { severity: 'warning' },
    });
  });

  it('writes a recording rule with a valid metric name', () => {
    const res = parseRuleFile(ruleYaml('sum by (job) (rate(a_total[5m]))', 'record'), 'copied.yml');
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.groups[0]!.rules[0]).toMatchObject({
      kind: 'recording',
      name: 'pivot:a:recorded',
      expr: 'sum by (job) (rate(a_total[5m]))',
    });
  });
});
