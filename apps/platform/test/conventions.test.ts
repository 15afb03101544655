// The repository's layout rules, kept by a test rather than by a README: each workspace keeps its
// tests in one place, no file reaches into another workspace by a relative path (shared test code is
// a package's `testing` entry point), and every value a package exports is named in its README.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
const workspaces = [
  ...new Set(tracked.map((f) => /^((?:apps|packages)\/[^/]+|db)\//.exec(f)?.[1]).filter(Boolean)),
] as string[];
const workspaceOf = (file: string) => workspaces.find((w) => file.startsWith(`${w}/`));

describe('repository conventions', () => {
  it('finds the workspaces', () => {
    expect(workspaces).toEqual(
      expect.arrayContaining(['apps/api', 'apps/web', 'packages/store', 'packages/promql', 'db']),
    );
  });

  it('keeps each workspace’s tests in one place: beside the source in src/, or in test/', () => {
    const mixed: string[] = [];
    for (const w of workspaces) {
      const tests = tracked.filter((f) => f.startsWith(`${w}/`) && f.endsWith('.test.ts'));
      const inSrc = tests.filter((f) => f.startsWith(`${w}/src/`));
      const inTest = tests.filter((f) => f.startsWith(`${w}/test/`));
      if (inSrc.length && inTest.length) mixed.push(`${w}: ${inSrc.length} in src/, ${inTest.length} in test/`);
    }
    expect(mixed).toEqual([]);
  });

  it('has no relative import that leaves its workspace', () => {
    const leaks: string[] = [];
    for (const file of tracked.filter((f) => /\.(ts|svelte|mjs|js)$/.test(f))) {
      const w = workspaceOf(file);
      if (!w) continue;
      const text = readFileSync(join(root, file), 'utf8');
      for (const m of text.matchAll(/(?:from\s*|import\s*\(\s*|import\s+)['"](\.\.?\/[^'"]+)['"]/g)) {
        const target = normalize(join(dirname(file), m[1]!));
        // The repository root's shared configs (tsup.app.ts) are for every workspace; another
        // workspace's files are not.
        if (workspaceOf(target) !== w && target.includes('/')) leaks.push(`${file}: ${m[1]}`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it('names every value a package exports in its README', () => {
    const missing: string[] = [];
    for (const w of workspaces) {
      const index = join(root, w, 'src/index.ts');
      const readme = join(root, w, 'README.md');
      if (!existsSync(index) || !existsSync(readme)) continue;
      const doc = readFileSync(readme, 'utf8');
      for (const name of exportedValues(readFileSync(index, 'utf8')))
        if (!new RegExp(`\\b${name}\\b`).test(doc)) missing.push(`${relative(root, readme)}: ${name}`);
    }
    expect(missing).toEqual([]);
  });
});

/** Names of the runtime values (functions, classes, constants) an index module exports; types are left out. */
function exportedValues(source: string): string[] {
  const names = new Set<string>();
  for (const m of source.matchAll(/^export\s+(?:async\s+)?(?:function\*?|class|const|let|enum)\s+([A-Za-z_$][\w$]*)/gm))
    names.add(m[1]!);
  for (const m of source.matchAll(/^export\s+\{([^}]*)\}/gm))
    for (const part of m[1]!.split(',')) {
      const item = part.trim();
      if (!item || item.startsWith('type ')) continue;
      names.add(
        item
          .split(/\s+as\s+/)
          .pop()!
          .trim(),
      );
    }
  return [...names];
}
