// What a first-time user of `npm run demo` meets, in a real browser (Debian's Chromium, playwright-core):
// the demo shop running against the all-in-one platform, plus the hour of the demo's metrics it would
// have remote-written by then (test/demo-history.ts: same metric, labels, buckets, push interval and
// incidents; its exemplars' traces were never sent, so the pivots below use the live demo's). Every
// fix of issue 20 is asserted where the user meets it; screenshots land in test-artifacts/demo-*.png.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { startDemo, type Demo } from '@pivot/demo';
import { artifacts, CHROMIUM, ensureWebBuilt, freshContext, launchChromium, webBuild } from './browser.ts';
import { seedDemoMetricsHistory } from './demo-history.ts';
import { startTestPlatform } from './start.ts';

const SUGGESTED =
  'histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket[$__rate_interval])))';

interface ExemplarAnswer {
  data: { seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string>; value: string }[] }[];
}

/** Bounding boxes along one axis never overlap. */
async function expectNoOverlap(labels: Locator, axis: 'x' | 'y'): Promise<number> {
  const boxes = (await Promise.all((await labels.all()).map((l) => l.boundingBox())))
    .flatMap((b): [number, number][] => (b ? [axis === 'x' ? [b.x, b.x + b.width] : [b.y, b.y + b.height]] : []))
    .sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < boxes.length; i++)
    expect(boxes[i]![0], `${axis} tick labels overlap`).toBeGreaterThanOrEqual(boxes[i - 1]![1]);
  return boxes.length;
}

/** Computed style of the first element matching `selector` (and holding `text`), read in the page. */
const styleOf = async (page: Page, selector: string, prop: string, text = ''): Promise<string> =>
  String(
    await page.evaluate(
      `getComputedStyle([...document.querySelectorAll(${JSON.stringify(selector)})].find((e) => e.textContent.includes(${JSON.stringify(text)})))[${JSON.stringify(prop)}]`,
    ),
  );

/** Pixels of the exemplar colour (#ff6bd6 in the dark theme) in a screenshot of the plot area, decoded in the page. */
async function exemplarPixels(page: Page, plot: Locator): Promise<number> {
  const png = (await plot.screenshot()).toString('base64');
  return Number(
    await page.evaluate(`(async () => {
      const img = new Image();
      img.src = 'data:image/png;base64,${png}';
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const ctx = c.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] > 200 && d[i + 1] < 150 && d[i + 2] > 170) n++;
      return n;
    })()`),
  );
}

/** No US dates or 12-hour times anywhere on the page: one ISO format app-wide. */
async function expectIsoDates(page: Page): Promise<void> {
  const text = (await page.locator('body').innerText()) + (await page.locator('svg text').allTextContents()).join(' ');
  expect(text).not.toMatch(/\b\d{1,2}:\d\d\s?[ap]m\b/i);
  expect(text).not.toMatch(/\b\d{1,2}\/\d{1,2}\/\d{2,4}\b/);
}

/** expect.poll with room for a loaded 2-core machine (its default gives up after a second). */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 30_000, interval: 100 });

describe.runIf(existsSync(CHROMIUM))('the demo, as a first-time user meets it', () => {
  let platform: Awaited<ReturnType<typeof startTestPlatform>>;
  let demo: Demo;
  let browser: Browser;
  let page: Page;
  const shot = (name: string) => page.screenshot({ path: join(artifacts, `demo-${name}.png`) });

  beforeAll(async () => {
    ensureWebBuilt();
    mkdirSync(artifacts, { recursive: true });
    platform = await startTestPlatform({ WEB_DIR: webBuild });
    await seedDemoMetricsHistory(platform.ingestUrl, { minutes: 60 });
    // The demo itself: an incident 5 s in, so slow payments, their logs and exemplars come at once.
    demo = await startDemo({
      ingestUrl: platform.ingestUrl,
      requestsPerSecond: 4,
      incidents: { periodMs: 60_000, offsetMs: 5_000, durationMs: 15_000, slowShare: 0.5, baseSlowShare: 0.01 },
    });
    await new Promise((r) => setTimeout(r, 40_000));
    await demo.stop();
    browser = await launchChromium();
    page = await (await freshContext(browser)).newPage();
    page.on('pageerror', (e) => process.stdout.write(`browser error: ${e.message}\n`));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    await platform?.stop();
  });

  it('shows the P99 spike and its exemplars on first load, and pivots to a trace by keyboard', async () => {
    // Suggestions and the placeholder name the demo's metric, not a made-up one.
    await page.goto(`${platform.apiUrl}/metrics`);
    const suggestion = page.locator('[data-testid="suggestions"] button.mono').first();
    await poll(() => suggestion.textContent()).toBe(SUGGESTED);
    await poll(() => page.locator('.cm-placeholder').textContent()).toContain(
      'http_server_request_duration_seconds_bucket',
    );
    expect(await page.locator('body').innerText()).not.toContain('http_server_duration_seconds_bucket');
    await shot('1-suggestions');

    // Click it: the first load draws the spike and every exemplar, without a reload.
    const rangeResponse = page.waitForResponse(
      (r) => r.url().includes('/api/v1/query_range') && decodeURIComponent(r.url()).includes('histogram_quantile'),
    );
    const exemplarResponse = page.waitForResponse((r) => r.url().includes('/api/v1/query_exemplars'));
    await suggestion.click();
    const range = (await (await rangeResponse).json()) as { data: { result: { values: [number, string][] }[] } };
    const p99 = range.data.result[0]!.values.map(([, v]) => Number(v)).filter((v) => Number.isFinite(v) && v > 0);
    const spike = Math.max(...p99) / Math.min(...p99);
    expect(spike, 'max/min of the plotted P99').toBeGreaterThan(3);
    // The chart asks for its exemplars thinned (per series and bucket, the highest); every one it got is drawn.
    const exResponse = await exemplarResponse;
    const thinUrl = new URL(exResponse.url());
    expect(Number(thinUrl.searchParams.get('step'))).toBeGreaterThan(0);
    const ex = (await exResponse.json()) as ExemplarAnswer;
    const exemplarCount = ex.data.reduce((n, g) => n + g.exemplars.length, 0);
    expect(exemplarCount).toBeGreaterThan(100);
    const points = page.locator('[data-testid="exemplar-points"]');
    await poll(() => points.getAttribute('data-count')).toBe(String(exemplarCount)); // all of them drawn
    // Fewer than the exact answer (no step: Prometheus' answer), and the slowest of each series is kept.
    thinUrl.searchParams.delete('step');
    const exact = (await (
      await fetch(`${platform.apiUrl}${thinUrl.pathname}${thinUrl.search}`)
    ).json()) as ExemplarAnswer;
    const exactCount = exact.data.reduce((n, g) => n + g.exemplars.length, 0);
    expect(exactCount).toBeGreaterThan(exemplarCount * 1.5);
    const slowest = (a: ExemplarAnswer) =>
      Object.fromEntries(
        a.data.map((g) => [JSON.stringify(g.seriesLabels), Math.max(...g.exemplars.map((e) => Number(e.value)))]),
      );
    expect(slowest(ex)).toEqual(slowest(exact));
    const plot = page.locator('[data-testid="chart"] .overlay');
    const plotBox = (await plot.boundingBox())!;
    const exBox = (await points.boundingBox())!;
    expect(exBox.y).toBeGreaterThanOrEqual(plotBox.y - 6);
    expect(exBox.y + exBox.height).toBeLessThanOrEqual(plotBox.y + plotBox.height + 6);
    expect(await exemplarPixels(page, plot)).toBeGreaterThan(200);
    // $__rate_interval from the demo's 5 s pushes and the 15 s step: 20 s.
    expect(await page.locator('[data-testid="graph-facts"]').textContent()).toContain(
      '$__rate_interval 20s (scrape interval 5s)',
    );
    // One series: the legend names it by its expression; the note says why P99 sits above the exemplars.
    expect(await page.locator('.legend .entry .name').first().textContent()).toBe(SUGGESTED);
    expect(await page.locator('.legend').textContent()).not.toContain('{}');
    expect(await page.locator('[data-testid="quantile-note"]').textContent()).toMatch(/estimated.*bucket/s);
    const xTicks = await expectNoOverlap(page.locator('[data-testid="chart"] .tick-label.x'), 'x');
    const yTicks = await expectNoOverlap(page.locator('[data-testid="chart"] .tick-label.y'), 'y');
    expect(xTicks).toBeGreaterThan(3);
    expect(yTicks).toBeGreaterThan(2);
    for (const t of await page.locator('[data-testid="chart"] .tick-label.x').allTextContents())
      expect(t).toMatch(/^(\d\d:\d\d(:\d\d)?|\d{4}-\d\d-\d\d)$/);
    await expectIsoDates(page);
    await shot('2-p99-first-load');

    // P50, P95 and P99 together, on a log scale that keeps the fast exemplars readable.
    await page.getByLabel('Quantiles').getByText('P50').click();
    await page.getByLabel('Quantiles').getByText('P95').click();
    await poll(() => page.locator('.legend .entry .name').allTextContents()).toEqual([
      'P50',
      'P95',
      'P99',
      expect.stringMatching(/^exemplars/),
    ]);
    await page.locator('[data-testid="log-scale"]').check();
    await poll(() => page.url()).toMatch(/scale=log/);
    expect(await points.getAttribute('data-count')).toBe(String(exemplarCount));
    await expectNoOverlap(page.locator('[data-testid="chart"] .tick-label.y'), 'y');
    await shot('3-quantiles-log-scale');

    // The keyboard alone: focus the graph, step to the latest exemplar, open its trace.
    await page.goto(`${platform.apiUrl}/metrics?q=${encodeURIComponent(SUGGESTED)}`);
    await poll(() => points.getAttribute('data-count')).not.toBe('0');
    const graph = page.locator('[data-testid="chart"] .plot');
    await graph.focus();
    await page.keyboard.press('End');
    await page.keyboard.press('[');
    await poll(() => page.locator('.ex-tip').textContent()).toContain('Enter opens the trace');
    await shot('4-keyboard-exemplar');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/traces\/[0-9a-f]{32}\?.*tab=logs/);
    await page.locator('[data-span-id]').first().waitFor();
    await page.goBack();
    await page.waitForURL(/\/metrics/);

    // …or select the last half minute with Shift+← and list the traces behind it.
    await poll(() => points.getAttribute('data-count')).not.toBe('0');
    await graph.focus();
    await page.keyboard.press('End');
    await page.keyboard.press('Shift+ArrowLeft');
    await page.keyboard.press('Shift+ArrowLeft');
    await page.keyboard.press('Enter');
    await poll(() => page.url()).toMatch(/wfrom=\d+&wto=\d+/);
    const rows = page.locator('[data-testid="exemplar-trace"]');
    await rows.first().waitFor();
    // The window lists every exemplar trace in it (one per trace), not only the chart's thinned ones.
    const w = new URL(page.url()).searchParams;
    const inWindow = (await (
      await fetch(
        `${platform.apiUrl}/api/v1/query_exemplars?${new URLSearchParams({ query: SUGGESTED.replace('$__rate_interval', '1m'), start: String(Number(w.get('wfrom')) / 1000), end: String(Number(w.get('wto')) / 1000) }).toString()}`,
      )
    ).json()) as ExemplarAnswer;
    const traces = new Set(inWindow.data.flatMap((g) => g.exemplars.map((e) => e.labels.trace_id)));
    expect(traces.size).toBeGreaterThan(0);
    await poll(() => rows.count()).toBe(traces.size);
    expect(await page.locator('[data-testid="window-panel"]').innerText()).toMatch(
      /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} → \d\d:\d\d:\d\d\.\d{3}/,
    );
    await shot('5-keyboard-window');
    await rows.first().focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/traces\/[0-9a-f]{32}\?.*tab=logs/);
  }, 180_000);

  it('opens the trace ready for the keyboard, on its Logs tab, and its logs read the same in log search', async () => {
    // A slow checkout of the demo's incident: payment retried, with logs.
    const res = await fetch(`${platform.apiUrl}/api/traces?service=payment&minDuration=900ms&limit=1`);
    const traceId = ((await res.json()) as { traces: { traceId: string }[] }).traces[0]!.traceId;
    await page.goto(`${platform.apiUrl}/traces/${traceId}?tab=logs`);
    await page.locator('[data-span-id]').first().waitFor();
    // The waterfall has the focus: j, k, c work as the footer says.
    await poll(() => page.locator(':focus').getAttribute('data-testid')).toBe('waterfall');
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await poll(() => page.locator('[data-span-id].selected').getAttribute('id')).toBe('span-row-1');
    await page.keyboard.press('k');
    await poll(() => page.locator('[data-span-id].selected').getAttribute('id')).toBe('span-row-0');
    const critical = page.getByLabel('critical path');
    const before = await critical.isChecked();
    await page.keyboard.press('c');
    await poll(() => critical.isChecked()).toBe(!before);
    expect(await page.getByRole('tab', { name: /Logs/ }).getAttribute('aria-selected')).toBe('true');
    const errors = (await page.locator('[data-testid="error-count"]').textContent())!.trim();
    expect(errors).toMatch(/^(1 error|\d+ errors)$/);
    expect(errors).not.toBe('1 errors');
    expect((await page.locator('.waterfall .head .tick').first().textContent())!.trim()).toBe('0 ms');
    const logsOnTracePage = await page
      .locator('[data-testid="trace-logs"] [data-testid="log-row"] .body')
      .allTextContents();
    expect(logsOnTracePage.length).toBeGreaterThanOrEqual(2);
    await expectIsoDates(page);
    await shot('6-trace-logs-tab');

    // Span details: attribute keys break at their dots, never inside a word.
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    const key = page.locator('[data-testid="span-details"] th', { hasText: 'http.response.status_code' }).first();
    await key.waitFor();
    expect(await key.innerHTML()).toContain('.<wbr>');
    expect(await styleOf(page, '[data-testid="span-details"] th', 'wordBreak', 'http.response.status_code')).toBe(
      'normal',
    );
    await shot('7-span-attributes');

    // Logs of this trace: the same lines in the same order (oldest first), span links, zoomed histogram.
    await page.locator('[data-testid="trace-logs-link"]').click();
    await page.waitForURL(/\/logs\?traceId=/);
    const rows = page.locator('[data-testid="log-results"] [data-testid="log-row"]');
    await poll(() => rows.locator('.body').allTextContents()).toEqual(logsOnTracePage);
    const spanLinks = page.locator('[data-testid="span-link"]');
    expect(await spanLinks.count()).toBe(await rows.count());
    expect(await spanLinks.first().getAttribute('href')).toMatch(
      new RegExp(`^/traces/${traceId}\\?span=[0-9a-f]{16}&tab=logs$`),
    );
    const [from, to] = (await page.locator('.hist .axis > span').allTextContents()).filter((t) => /^\d{4}-/.test(t));
    const spanMs = Date.parse(to!.replace(' ', 'T')) - Date.parse(from!.replace(' ', 'T'));
    expect(spanMs).toBeGreaterThan(0);
    expect(spanMs, 'histogram window: the trace, not the last hour').toBeLessThan(60_000);
    expect(await page.locator('.hist .y-axis .tick-label').count()).toBeGreaterThanOrEqual(2);
    await shot('8-logs-of-trace');

    // From a log line to its trace: the trace opens with its Logs tab selected.
    await spanLinks.first().click();
    await page.waitForURL(new RegExp(`/traces/${traceId}\\?span=[0-9a-f]{16}&tab=logs$`));
    await page.locator('[data-span-id]').first().waitFor();
    await poll(() => page.getByRole('tab', { name: /Logs/ }).getAttribute('aria-selected')).toBe('true');
  }, 120_000);

  it('explains errors in a sentence, with Retry only where it can help, and a parse error once', async () => {
    await page.goto(`${platform.apiUrl}/traces/not-a-trace-id`);
    const status = page.locator('.status.error');
    await poll(() => status.locator('.title').textContent()).toBe('This is not a trace ID');
    expect(await status.locator('.hint').textContent()).toMatch(/Check the link/);
    expect(await status.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    await shot('9-not-a-trace-id');

    await page.goto(`${platform.apiUrl}/traces/0123456789abcdef0123456789abcdef`);
    await poll(() => status.locator('.title').textContent()).toBe('No trace found');
    expect(await status.getByRole('button', { name: 'Retry' }).count()).toBe(1);

    await page.goto(
      `${platform.apiUrl}/metrics?q=${encodeURIComponent('sum(rate(http_server_request_duration_seconds_count[5m])')}`,
    );
    const parseError = page.locator('[data-testid="parse-error"]');
    await parseError.waitFor();
    expect(await parseError.count()).toBe(1);
    expect(await parseError.textContent()).toMatch(/Parse error at 1:\d+:/);
    expect(await page.locator('.status.error').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    expect((await page.locator('body').innerText()).match(/parse error/gi)?.length).toBe(1);
    await shot('10-parse-error');
  }, 60_000);

  it('reads right on Services, Traces and Status, and lists g u in the keyboard help', async () => {
    // Services: the demo's services started 40 s ago; their rate is over that time, per second.
    await page.goto(`${platform.apiUrl}/`);
    const frontend = page.locator('[data-testid="stats-table"] tr', { hasText: 'frontend' });
    await frontend.waitFor();
    const rate = (await frontend.locator('td').nth(1).textContent())!.trim();
    expect(rate).toMatch(/^[\d.]+\/s$/);
    expect(Number.parseFloat(rate)).toBeGreaterThan(1.5); // ~4 requests a second, not 4 × 40 s / 3600 s = 0.044/s
    await expectIsoDates(page);
    const servicesH1 = await styleOf(page, '.page h1', 'fontSize');
    await shot('11-services');

    await page.locator('a', { hasText: 'frontend' }).first().click();
    await page.waitForURL(/\/services\/frontend/);
    const chart = page.locator('[data-testid="chart"]');
    await chart.locator('.tick-label.x').first().waitFor();
    expect(await expectNoOverlap(chart.locator('.tick-label.x'), 'x')).toBeGreaterThan(3);
    await expectNoOverlap(chart.locator('.tick-label.y'), 'y');
    expect(await page.locator('.hist-wrap .y-axis .tick-label').count()).toBeGreaterThanOrEqual(2);
    await expectIsoDates(page);
    await shot('12-service-frontend');

    await page.goto(`${platform.apiUrl}/traces?service=payment`);
    const scatter = page.locator('[data-testid="trace-scatter"]');
    await scatter.locator('circle').first().waitFor();
    expect(await expectNoOverlap(scatter.locator('.tick-label.y'), 'y')).toBeGreaterThanOrEqual(2);
    expect(await expectNoOverlap(scatter.locator('.tick-label.x'), 'x')).toBeGreaterThan(3);
    await expectIsoDates(page);
    await shot('13-trace-search');

    // Status: the layout and heading of the other pages; retention in words; no "1000 KiB".
    await page.goto(`${platform.apiUrl}/status`);
    await page.locator('[data-signal="traces"]').waitFor();
    expect(await styleOf(page, '.page h1', 'fontSize')).toBe(servicesH1);
    await page.getByRole('button', { name: 'Run retention now' }).click();
    const done = page.locator('[data-testid="retention-result"]');
    await done.waitFor();
    expect(await done.textContent()).toMatch(/^(Dropped|Nothing was older than the retention)/);
    expect(await done.textContent()).not.toContain('{');
    expect(await page.locator('body').innerText()).not.toMatch(/\b1\d{3}(\.\d+)? [KMGT]iB\b/);
    await shot('14-status');

    await page.locator('body').click({ position: { x: 5, y: 300 } });
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    expect(await help.textContent()).toContain('g u');
    expect(await help.textContent()).toContain('Status');
    await shot('15-keyboard-help');
    await page.keyboard.press('Escape');
  }, 120_000);
});
