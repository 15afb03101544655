// README's "Alerting" rule file works as it stands: pivot and promtool both accept it, and pivot evaluates it.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MemoryQuerier } from '@pivot/promql';
import { GroupEvaluator, parseRuleFile } from '../src/index.ts';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('\n## Alerting\n'));
const ruleFile = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;

describe("README's rule file", () => {
  it('is accepted and evaluates without errors', async () => {
    const res = parseRuleFile(ruleFile, 'rules/pivot.yml');
    if (!res.ok) throw new Error(res.errors.join('\n'));
    expect(res.groups[0]!.rules.map((r) => r.name)).toEqual([
      'service_operation:latency_seconds:p99_5m',
      'SlowOperation',
      'HighErrorRatio',
      'BrokenPropagation',
      'ErrorLogBurst',
    ]);
    const g = new GroupEvaluator(res.groups[0]!, { intervalMs: 60_000 });
    await g.eval(new MemoryQuerier([]), 1_700_000_000_000);
    expect(g.rules.map((r) => r.health.health)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it.skipIf(!existsSync('/usr/bin/promtool'))('passes promtool check rules', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pivot-readme-rules-'));
    try {
      await writeFile(join(dir, 'pivot.yml'), ruleFile);
      const { stdout } = await promisify(execFile)('/usr/bin/promtool', ['check', 'rules', join(dir, 'pivot.yml')]);
      expect(stdout).toContain('SUCCESS: 5 rules found');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
