// The browser the end-to-end tests and the dashboard benchmark drive: Debian's Chromium through
// playwright-core (no browser download), against the dashboard build the API serves.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const webBuild = join(repoRoot, 'apps/web/build');
export const artifacts = join(repoRoot, 'apps/platform/test-artifacts');

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The dashboard must be built for the API to serve it; a build takes about half a minute. */
export function ensureWebBuilt(): void {
  if (existsSync(join(webBuild, 'index.html'))) return;
  const t0 = Date.now();
  execSync('npx turbo run build --filter=@pivot/web --output-logs=errors-only', {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  process.stdout.write(`built apps/web in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** A fresh context (empty cache and storage): what a first visit sees. */
export function freshContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 1400, height: 860 } });
}
