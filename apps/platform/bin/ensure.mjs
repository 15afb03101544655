// Makes a fresh clone runnable with nothing but Node: installs dependencies when they are missing or
// older than the lockfile, and builds the apps when their output is missing or older than the source.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../../', import.meta.url));

function run(cmd) {
  process.stderr.write(`> ${cmd}\n`);
  execSync(cmd, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
}

export function ensureInstalled() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (!existsSync(marker) || statSync(lock).mtimeMs > statSync(marker).mtimeMs) run('npm ci --no-audit --no-fund');
}

function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name === 'build' || entry.name.startsWith('.'))
      continue;
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

export function ensureBuilt() {
  const out = join(root, 'apps', 'platform', 'dist', 'main.js');
  const sources = Math.max(
    newestMtime(join(root, 'apps')),
    newestMtime(join(root, 'packages')),
    newestMtime(join(root, 'db')),
  );
  // The dashboard is served from apps/web/build: a missing build is built too.
  const web = join(root, 'apps', 'web', 'build', 'index.html');
  if (!existsSync(out) || !existsSync(web) || sources > statSync(out).mtimeMs)
    run('npx turbo run build --output-logs=errors-only');
}
