// promtool's own unit-test files run through pivot's evaluator (harness: promtool-unit.ts), and through
// Debian's promtool 2.42 first, so the expectations are Prometheus' and not ours.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { expandValues, runRuleUnitTests } from './promtool-unit.ts';

const DIR = fileURLToPath(new URL('./promtool-unit/', import.meta.url));
const TEST_FILE = join(DIR, 'rules_test.yml');
/** Series that stop being written, with and without a stale marker. */
const QUIET_FILE = join(DIR, 'quiet_test.yml');

describe('promtool test rules files through pivot', () => {
  it('expands the series notation as the promql test language does', () => {
    expect(expandValues('1+2x3 _ stale 5x1 -1-1x2 _x2')).toEqual([
      1,
      3,
      5,
      7,
      null,
      'stale',
      5,
      5,
      -1,
      -2,
      -3,
      null,
      null,
    ]);
  });

  for (const file of [TEST_FILE, QUIET_FILE]) {
    const name = file.slice(DIR.length);
    it.skipIf(!existsSync('/usr/bin/promtool'))(`${name} passes promtool test rules`, async () => {
      const { stdout } = await promisify(execFile)('/usr/bin/promtool', ['test', 'rules', file]);
      expect(stdout).toContain('SUCCESS');
    });

    it(`${name} passes through pivot`, async () => {
      expect(await runRuleUnitTests(file)).toEqual([]);
    });
  }

  it('fails through pivot when an expectation is wrong', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pivot-unit-'));
    try {
      await copyFile(join(DIR, 'rules.yml'), join(dir, 'rules.yml'));
      await writeFile(
        join(dir, 't.yml'),
        readFileSync(TEST_FILE, 'utf8').replace('api errors at 1/s', 'api errors at 2/s'),
      );
      const errs = await runRuleUnitTests(join(dir, 't.yml'));
      expect(errs).toHaveLength(1);
      expect(errs[0]).toContain('alertname: HighErrorRate, time: 10m');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
