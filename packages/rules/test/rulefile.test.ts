import { describe, expect, it } from 'vitest';
import { formatPromDuration, parsePromDuration, parseRuleFile } from '../src/index.ts';

const good = `groups:
  - name: api
    interval: 30s
    limit: 10
    rules:
      - record: job:http_requests:rate5m
        expr: sum by (job) (rate(http_requests_total[5m]))
        labels:
          team: web
      - alert: HighErrorRate
        expr: job:http_requests:rate5m > 0.5
        for: 10m
        keep_firing_for: 5m
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.job }} errors at {{ $value | humanizePercentage }}"
`;

describe('rule files', () => {
  it('reads groups, rules, durations and limits', () => {
    const res = parseRuleFile(good, 'rules/api.yml');
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    const [g] = res.groups;
    expect(g).toMatchObject({ name: 'api', file: 'rules/api.yml', intervalMs: 30_000, limit: 10 });
    expect(g!.rules[0]).toEqual({
      kind: 'recording',
      name: 'job:http_requests:rate5m',
      expr: 'sum by (job) (rate(http_requests_total[5m]))',
      labels: { team: 'web' },
    });
    expect(g!.rules[1]).toMatchObject({
      kind: 'alerting',
      name: 'HighErrorRate',
      forMs: 600_000,
      keepFiringForMs: 300_000,
    });
  });

  it('an empty file has no groups', () => {
    expect(parseRuleFile('', 'x.yml')).toEqual({ ok: true, groups: [] });
  });

  // Messages as promtool check rules (rulefmt.go at v2.42.0) prints them.
  it('refuses with promtool messages and positions', () => {
    const bad = `groups:
  - name: g
    rules:
      - record: job:up
        alert: Both
        expr: up
      - expr: up
      - alert: NoExpr
      - record: "bad name"
        expr: up
        for: 5m
        annotations:
          a: b
      - alert: BadExpr
        expr: sum(up
      - alert: Tmpl
        expr: up
        labels:
          __name__: x
        annotations:
          s: "{{ $labels.job | nosuch }}"
          q: "{{ query \\"up\\" }}"
  - name: g
`;
    const res = parseRuleFile(bad, 'bad.yml');
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.errors).toContain(`4:17: 5:16: group "g", rule 1, "Both": only one of 'record' and 'alert' must be set`);
    expect(res.errors).toContain(`0:0: group "g", rule 2, "": one of 'record' or 'alert' must be set`);
    expect(res.errors).toContain(`0:0: group "g", rule 3, "NoExpr": field 'expr' must be set in rule`);
    expect(res.errors).toContain(`9:17: group "g", rule 4, "bad name": invalid field 'annotations' in recording rule`);
    expect(res.errors).toContain(`9:17: group "g", rule 4, "bad name": invalid field 'for' in recording rule`);
    expect(res.errors).toContain(`9:17: group "g", rule 4, "bad name": invalid recording rule name: bad name`);
    expect(
      res.errors.some((e) => e.startsWith(`15:15: group "g", rule 5, "BadExpr": could not parse expression: 1:`)),
    ).toBe(true);
    expect(res.errors).toContain(`group "g", rule 6, "Tmpl": invalid label name: __name__`);
    expect(res.errors).toContain(
      `group "g", rule 6, "Tmpl": annotation "s": template: __alert_Tmpl:1: function "nosuch" not defined`,
    );
    expect(res.errors).toContain(
      `group "g", rule 6, "Tmpl": annotation "q": template: __alert_Tmpl:1: function "query" is not supported by pivot's template subset`,
    );
    expect(res.errors).toContain(`23:5: groupname: "g" is repeated in the same file`);
  });

  it('refuses unknown fields and bad durations as yaml.v3 does', () => {
    const res = parseRuleFile('groups:\n  - name: g\n    rulez: []\n', 'x.yml');
    expect(res).toEqual({
      ok: false,
      errors: ['yaml: unmarshal errors:\n  line 3: field rulez not found in type rulefmt.RuleGroup'],
    });
    const d = parseRuleFile(
      'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        for: 5x\n',
      'x.yml',
    );
    expect(d).toEqual({ ok: false, errors: ['not a valid duration string: "5x"'] });
  });

  it('parses and prints durations as model.Duration does', () => {
    expect(parsePromDuration('1h30m')).toBe(5_400_000);
    expect(parsePromDuration('90s')).toBe(90_000);
    expect(parsePromDuration('1.5h')).toBeNull();
    expect(formatPromDuration(5_400_000)).toBe('1h30m');
    expect(formatPromDuration(0)).toBe('0s');
  });
});
