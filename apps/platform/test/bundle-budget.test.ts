// The bundle budget of issue 20: at most 70 KB of gzipped initial JavaScript per page, and the
// dashboard's build fails beyond it (apps/web/scripts/bundle-size.mjs runs as part of `npm run build`).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureWebBuilt, repoRoot } from './browser.ts';

const script = join(repoRoot, 'apps/web/scripts/bundle-size.mjs');
const run = (env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, ...env } });

describe('the dashboard bundle budget', () => {
  it('holds: every page ≤ 70 KB gzipped initial JS, checked by the build itself', () => {
    ensureWebBuilt();
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'apps/web/package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.build).toMatch(/&& node scripts\/bundle-size\.mjs$/);
    const ok = run();
    expect(ok.status, ok.stderr).toBe(0);
    const pages = [...ok.stdout.matchAll(/^ {2}(.+): ([\d.]+) KB$/gm)].map((m) => Number(m[2]));
    expect(pages.length).toBeGreaterThan(8);
    for (const kb of pages) expect(kb).toBeLessThanOrEqual(70);
    expect(Number(/largest: ([\d.]+) KB/.exec(ok.stdout)![1])).toBe(Math.max(...pages));
  });

  it('fails the build beyond the budget', () => {
    ensureWebBuilt();
    const over = run({ BUNDLE_BUDGET_KB: '10' });
    expect(over.status).toBe(1);
    expect(over.stderr).toMatch(/initial JS [\d.]+ KB is over the 10 KB budget/);
  });
});
