// The dashboard under its Content-Security-Policy in a real browser: every page is opened in
// Debian's Chromium and the test fails on any violation the browser reports (an inline script the
// policy's hashes do not cover, an eval, a style or connection it blocks). The policy is strict
// (scripts only from the origin and the shell's hashed inline bootstrap), so a page that needs more
// shows up here rather than as a blank page for users.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext } from 'playwright-core';
import { P99_QUERY, seedDemo, type SeededDemo } from './dashboard-seed.ts';
import { startTestPlatform } from './start.ts';
import { execSync } from 'node:child_process';

const CHROMIUM = '/usr/bin/chromium';
const root = fileURLToPath(new URL('../../../', import.meta.url));
const webBuild = join(root, 'apps/web/build');

describe.runIf(existsSync(CHROMIUM))('dashboard under its Content-Security-Policy', () => {
  let platform: Awaited<ReturnType<typeof startTestPlatform>>;
  let demo: SeededDemo;
  let browser: BrowserContext;
  let profileDir: string;

  beforeAll(async () => {
    if (!existsSync(join(webBuild, 'index.html')))
      execSync('npx turbo run build --filter=@pivot/web --output-logs=errors-only', { cwd: root, stdio: 'inherit' });
    platform = await startTestPlatform({ WEB_DIR: webBuild });
    demo = await seedDemo(platform.ingestUrl);
    profileDir = mkdtempSync(join(tmpdir(), 'pivot-csp-'));
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  it('opens every page with the policy in force and no violation', async () => {
    const slow = demo.slowTraceIds[0]!;
    const pages = [
      '/',
      '/services/shop-api',
      `/metrics?q=${encodeURIComponent(P99_QUERY)}`,
      '/traces',
      `/traces/${slow}`,
      `/logs?traceId=${slow}`,
      '/status',
      '/sql',
      '/map',
      '/map?client=shop-api&server=payment-service',
      '/propagation',
    ];
    const page = browser.pages()[0] ?? (await browser.newPage());
    // Collected in the page from the first script on, so a violation during start-up is seen too.
    await page.addInitScript({
      content: `window.__csp = [];
        document.addEventListener('securitypolicyviolation', (e) =>
          window.__csp.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' (' + e.sourceFile + ':' + e.lineNumber + ')'));`,
    });
    const consoleViolations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) consoleViolations.push(m.text());
    });
    for (const path of pages) {
      const res = await page.goto(`${platform.apiUrl}${path}`, { waitUntil: 'networkidle' });
      expect(res?.status(), path).toBe(200);
      const csp = res!.headers()['content-security-policy'];
      expect(csp, path).toMatch(/script-src 'self' 'sha256-/);
      expect(res!.headers()['x-frame-options'], path).toBe('DENY');
      // The page rendered (the app shell's bootstrap ran): a heading or the main landmark exists.
      await page.locator('main, h1, h2').first().waitFor({ timeout: 15_000 });
      const violations = await page.evaluate<string[]>('window.__csp');
      expect(violations, path).toEqual([]);
    }
    expect(consoleViolations).toEqual([]);
  });

  it('runs a statement on the SQL page and shows what POST /api/sql answers', async () => {
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(new URL('/sql', platform.apiUrl).href, { waitUntil: 'networkidle' });
    const statement = 'SELECT service, count(*)::int AS spans FROM spans GROUP BY 1 ORDER BY 1';
    await page.getByTestId('sql-text').fill(statement);
    await page.getByTestId('sql-text').press('Control+Enter');
    const table = page.getByTestId('sql-result');
    await table.waitFor();
    const shown = await table.locator('tbody td').allTextContents();
    const res = await fetch(new URL('/api/sql', platform.apiUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sql: statement }),
    });
    const api = (await res.json()) as { columns: string[]; rows: [string, number][] };
    expect(api.columns).toEqual(['service', 'spans']);
    expect(api.rows.length).toBeGreaterThan(1);
    expect(shown).toEqual(api.rows.flatMap(([service, n]) => [service, String(n)]));
    await expect(page.getByTestId('sql-summary').textContent()).resolves.toMatch(/^\d+ rows in \d+ ms$/);
    const artifacts = join(root, 'apps/platform/test-artifacts');
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'sql-page.png') });
  });
});
