// Differential: the same rule files through Debian's promtool 2.42 (`promtool check rules`) and
// parseRuleFile, which must refuse the same files with the same messages. Skipped without promtool.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRuleFile } from '../src/index.ts';

const PROMTOOL = '/usr/bin/promtool';
const run = promisify(execFile);

const CASES: Record<string, string> = {
  good: `groups:
  - name: api
    interval: 30s
    rules:
      - record: job:http_requests:rate5m
        expr: sum by (job) (rate(http_requests_total[5m]))
      - alert: HighErrorRate
        expr: job:http_requests:rate5m > 0.5
        for: 10m
        keep_firing_for: 5m
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.job }} at {{ $value | humanizePercentage }} ({{ printf \\"%.2f\\" $value }})"
`,
  semantic: `groups:
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
        keep_firing_for: 1m
        annotations:
          a: b
      - alert: BadExpr
        expr: sum(up
      - alert: Tmpl
        expr: up
        labels:
          __name__: x
          "bad-label": y
        annotations:
          s: "{{ $labels.job | nosuch }}"
  - name: g
  - name: ""
`,
  unknownField: 'groups:\n  - name: g\n    rulez: []\n',
  badDuration: 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        for: 5x\n',
  badExprs: `groups:
  - name: g
    rules:
      - record: a
        expr: rate(up[5m]
      - record: b
        expr: up{job="x"
      - record: c
        expr: foo bar
`,
};

describe.skipIf(!existsSync(PROMTOOL))('rule files against promtool check rules', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pivot-promtool-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const [name, text] of Object.entries(CASES)) {
    it(`agrees on ${name}`, async () => {
      const file = join(dir, `${name}.yml`);
      await writeFile(file, text);
      const expected = await run(PROMTOOL, ['check', 'rules', file]).then(
        () => null,
        (e: { stderr: string }) =>
          e.stderr
            .split(/\n(?=\S)/)
            .filter((l) => l.startsWith(`${file}: `))
            .map((l) => l.slice(file.length + 2).trimEnd())
            .sort(),
      );
      const ours = parseRuleFile(text, file);
      if (expected === null) expect(ours.ok).toBe(true);
      else expect(ours.ok ? [] : [...ours.errors].sort()).toEqual(expected);
    });
  }
});
