// The dashboard in a real browser (Debian's Chromium driven by playwright-core) against the
// all-in-one server, seeded through the real ingest endpoints (OpenTelemetry SDK for traces and
// logs, remote-write for a histogram with exemplars). It walks the product's main path: a P99
// spike → the slow requests behind it → one of them end to end with its logs → the same logs in
// log search; and it times a 10,000-span trace. Screenshots of each step land in test-artifacts/.
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { P99_QUERY, seedBigTrace, seedDemo, type SeededDemo } from './dashboard-seed.ts';
import { startTestPlatform } from './start.ts';

const CHROMIUM = '/usr/bin/chromium';
const root = fileURLToPath(new URL('../../../', import.meta.url));
const webBuild = join(root, 'apps/web/build');
const artifacts = join(root, 'apps/platform/test-artifacts');

/** The dashboard must be built for the API to serve it; a build takes about half a minute. */
function ensureWebBuilt(): void {
  if (existsSync(join(webBuild, 'index.html'))) return;
  const t0 = Date.now();
  execSync('npx turbo run build --filter=@pivot/web --output-logs=errors-only', {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  process.stdout.write(`dashboard e2e: built apps/web in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

interface ApiTiming {
  step: string;
  path: string;
  ms: number;
  status: number;
}

describe.runIf(existsSync(CHROMIUM))('dashboard in a real browser', () => {
  let platform: Awaited<ReturnType<typeof startTestPlatform>>;
  let demo: SeededDemo;
  let bigTraceId: string;
  let browser: BrowserContext;
  let page: Page;
  let profileDir: string;
  const timings: ApiTiming[] = [];
  let step = 'demo';

  beforeAll(async () => {
    ensureWebBuilt();
    mkdirSync(artifacts, { recursive: true });
    platform = await startTestPlatform({ WEB_DIR: webBuild });
    demo = await seedDemo(platform.ingestUrl);
    bigTraceId = await seedBigTrace(platform.ingestUrl, 10_000);
    profileDir = mkdtempSync(join(tmpdir(), 'pivot-chromium-'));
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 860 },
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
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('pageerror', (e) => process.stdout.write(`browser error: ${e.message}\n`));
    // Every API call behind a page view, with how long it took to answer completely.
    page.on('requestfinished', (req) => {
      const url = new URL(req.url());
      if (!url.pathname.startsWith('/api/') || url.pathname === '/api/logs/tail') return;
      const t = req.timing();
      const at = step;
      void req
        .response()
        .then((res) => timings.push({ step: at, path: url.pathname, ms: t.responseEnd, status: res?.status() ?? 0 }));
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    await platform?.stop();
    if (timings.length) {
      const by = new Map<string, number[]>();
      for (const t of timings) {
        const key = `${t.step === 'demo' ? '' : `(${t.step}) `}${t.path
          .replace(/[0-9a-f]{32}/, '{id}')
          .replace(/\/label\/[^/]+\//, '/label/{name}/')
          .replace(/\/services\/[^/]+\/stats/, '/services/{name}/stats')}`;
        by.set(key, [...(by.get(key) ?? []), t.ms]);
      }
      const lines = [...by].map(([k, v]) => `  ${k}: ${v.length} calls, max ${Math.max(...v).toFixed(0)} ms`);
      process.stdout.write(`dashboard e2e: API calls behind the page views (budget 300 ms)\n${lines.join('\n')}\n`);
    }
  });

  const shot = (name: string) => page.screenshot({ path: join(artifacts, `dashboard-${name}.png`) });

  it('goes from a P99 spike to the slow requests, one of them end to end with its logs, and the same logs in search', async () => {
    // 1. The metrics explorer with a P99 histogram_quantile query over the seeded half hour.
    const url = `/metrics?q=${encodeURIComponent(P99_QUERY)}&from=${demo.startMs}&to=${demo.endMs}`;
    await page.goto(`${platform.apiUrl}${url}`);
    const over = page.locator('[data-testid="chart"] .overlay');
    await over.waitFor();
    await page.locator('[data-testid="promql-editor"]').waitFor(); // the CodeMirror editor has loaded
    await expect.poll(() => page.locator('.graph-head').textContent()).toMatch(/\d+ exemplars/);
    await shot('1-metrics-p99');

    // 2. Brush the spike: the panel lists the exemplar traces in that window, slowest first.
    const box = (await over.boundingBox())!;
    const x = (ms: number) => box.x + ((ms - demo.startMs) / (demo.endMs - demo.startMs)) * box.width;
    const y = box.y + box.height / 2;
    await page.mouse.move(x(demo.spike[0] + 30_000), y);
    await page.mouse.down();
    await page.mouse.move(x(demo.spike[1] - 30_000), y, { steps: 8 });
    await page.mouse.up();
    const rows = page.locator('[data-testid="exemplar-trace"]');
    await rows.first().waitFor();
    expect(page.url()).toMatch(/wfrom=\d+&wto=\d+/);
    const listed = await Promise.all((await rows.all()).map(async (r) => (await r.getAttribute('data-trace-id'))!));
    expect(listed.length).toBeGreaterThan(3);
    for (const id of listed) expect(demo.slowTraceIds).toContain(id);
    const values = await rows.locator('.val').allTextContents();
    const seconds = values.map((v) => Number.parseFloat(v) * (v.endsWith('ms') ? 1e-3 : 1));
    expect(seconds).toEqual([...seconds].sort((a, b) => b - a));
    await shot('2-spike-selected');

    // 3. Open the slowest: the trace view shows its spans and the log lines of that trace.
    const traceId = listed[0]!;
    await rows.first().click();
    await page.waitForURL(new RegExp(`/traces/${traceId}`));
    await expect.poll(() => page.locator('[data-span-id]').count()).toBe(7);
    const traceLogs = page.locator('[data-testid="trace-logs"] [data-testid="log-row"]');
    await expect.poll(() => traceLogs.count()).toBeGreaterThanOrEqual(5);
    const bodiesInTrace = (await traceLogs.locator('.body').allTextContents()).sort();
    expect(bodiesInTrace.some((b) => /timed out \(attempt 1\), retrying/.test(b))).toBe(true);
    await expect.poll(() => page.locator('.row .badge.logs').count()).toBeGreaterThan(0); // logs attached to their spans' rows
    await shot('3-trace-with-logs');

    // 4. The same lines in log search, by trace ID.
    await page.locator('[data-testid="trace-logs-link"]').click();
    await page.waitForURL(/\/logs\?traceId=/);
    const searchRows = page.locator('[data-testid="log-results"] [data-testid="log-row"]');
    await expect.poll(() => searchRows.count()).toBe(bodiesInTrace.length);
    expect((await searchRows.locator('.body').allTextContents()).sort()).toEqual(bodiesInTrace);
    await shot('4-logs-of-trace');

    // The other views of the same data: services (from span data) and trace search.
    await page.goto(`${platform.apiUrl}/?from=${demo.startMs}&to=${demo.endMs + 60_000}`);
    await expect.poll(() => page.locator('[data-testid="stats-table"] tbody tr').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('[data-testid="stats-table"]').textContent()).toMatch(/shop-api.*\/s/);
    await shot('7-services');
    await page.locator('a', { hasText: 'shop-api' }).first().click();
    await page.waitForURL(/\/services\/shop-api/);
    await expect.poll(() => page.locator('[data-testid="stats-table"] tbody tr').count()).toBe(1);
    await shot('8-service-shop-api');
    await page.goto(
      `${platform.apiUrl}/traces?service=shop-api&minDuration=1s&limit=500&from=${demo.startMs}&to=${demo.endMs + 60_000}`,
    );
    await expect
      .poll(() => page.locator('[data-testid="trace-results"] tbody tr').count())
      .toBe(demo.slowTraceIds.length);
    await page.locator('[data-testid="trace-scatter"] circle').first().waitFor();
    await shot('9-trace-search');
  }, 120_000);

  it('renders a 10,000-span trace in well under the bound, and scrolls to its last span', async () => {
    step = '10k-span trace';
    await page.goto(`${platform.apiUrl}/logs`);
    // Measured inside the app (navigation → data → tree → rows on screen), and from outside.
    const t0 = Date.now();
    await page.goto(`${platform.apiUrl}/traces/${bigTraceId}`);
    await page.locator('[data-span-id]').first().waitFor();
    const wallMs = Date.now() - t0;
    const footer = page.locator('.trace-page footer');
    await expect.poll(() => footer.textContent()).toMatch(/shown in \d+ ms/);
    const text = (await footer.textContent())!;
    const shownMs = Number(/shown in\s+(\d+) ms/.exec(text)![1]);
    const fetchMs = Number(/fetched in\s+(\d+) ms/.exec(text)![1]);
    const buildMs = Number(/tree in\s+(\d+) ms/.exec(text)![1]);
    const detail = await page.locator('[data-testid="trace-timing"]').getAttribute('title');
    const domRows = await page.locator('[data-span-id]').count();
    process.stdout.write(
      `dashboard e2e: 10,000-span trace: page load to first rows ${wallMs} ms; in the app ${shownMs} ms = API fetch and JSON parse ${fetchMs} ms` +
        ` + span tree ${buildMs} ms + first render ${shownMs - fetchMs - buildMs} ms (critical path and breakdown after it: ${detail}); ${domRows} rows in the DOM\n`,
    );
    expect(text).toMatch(/^\s*10000 spans/);
    expect(domRows).toBeLessThan(200); // virtualised
    // The goal is < 1 s; a shared 2-core CI box on embedded PGlite gets slack. The browser's own
    // share (everything after the API answered) is held to the goal with the same slack factor.
    expect(shownMs).toBeLessThan(10_000);
    expect(shownMs - fetchMs).toBeLessThan(3_000);
    await shot('5-trace-10k-spans');

    // Keyboard to the end: the last span is rendered and selected.
    await page.locator('[data-testid="waterfall"]').focus();
    await page.keyboard.press('End');
    await expect.poll(() => page.locator('[data-span-id].selected').getAttribute('id')).toBe('span-row-9999');
    await shot('6-trace-10k-end');
  }, 120_000);
});
