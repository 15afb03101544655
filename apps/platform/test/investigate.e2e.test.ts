// Cohort comparison on the demo workload: during a payment incident, the slow checkouts are explained
// in the first three rows of POST /api/investigate (the retry event, the "timed out" log, and payment's
// side: its card-gateway call holding the time on the critical path, or the database's lock-wait line for
// payment's INSERT, which the demo's incident also holds since its server logs are linked); then the same through the dashboard's
// investigate panel, opened from the trace scatter, in Chromium.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startDemo } from '@pivot/demo';
import { artifacts, CHROMIUM, ensureWebBuilt, freshContext, launchChromium, webBuild } from './browser.ts';
import { startTestPlatform } from './start.ts';

// Payment's side of the incident, one of which is the third row: the card-gateway call on the critical
// path, or the database's line for payment's INSERT that waited on the retried attempt's row lock.
const PAYMENT_ROWS = [
  'path payment=POST card-gateway /authorize',
  'log pattern=process <n> acquired ShareLock on transaction <n> after <n> ms',
];

interface Row {
  source: string;
  key: string;
  value: string;
  cohort: number;
  baseline: number;
  score: number;
  same?: { key: string; value: string }[];
}
interface Answer {
  dimensions: Row[];
  sample: { cohort: number; baseline: number };
}

describe('investigate on the demo workload', () => {
  let platform: Awaited<ReturnType<typeof startTestPlatform>>;
  let start = 0;
  let end = 0;

  beforeAll(async () => {
    if (existsSync(CHROMIUM)) ensureWebBuilt();
    platform = await startTestPlatform({ WEB_DIR: webBuild });
    // An incident all the time: about half of the charges time out once and are retried.
    const demo = await startDemo({
      ingestUrl: platform.ingestUrl,
      requestsPerSecond: 5,
      metricsIntervalMs: 1000,
      incidents: { periodMs: 60_000, offsetMs: 0, durationMs: 60_000, slowShare: 0.5 },
    });
    start = Date.now();
    await new Promise((r) => setTimeout(r, 15_000));
    // Only traces begun well before the stop: every one of them is whole once the demo has flushed.
    end = Date.now() - 2000;
    await demo.stop();
    // Ingest stores asynchronously: wait until two answers a second apart sample the same traces.
    let last = '';
    for (let i = 0; i < 30; i++) {
      const now = JSON.stringify((await investigate(cohort())).sample);
      if (now === last) break;
      last = now;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const investigate = async (body: unknown): Promise<Answer> => {
    const res = await fetch(`${platform.apiUrl}/api/investigate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 200) throw new Error(`investigate: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as Answer;
  };

  const cohort = () => ({
    cohort: {
      service: 'frontend',
      operation: 'POST /checkout',
      minDuration: '800ms',
      start: `${start}000000`,
      end: `${end}000000`,
    },
  });

  it('explains the slow checkouts in the first three rows: retry event, timed-out log, payment on the path', async () => {
    const a = await investigate(cohort());
    process.stdout.write(`demo investigate: sample ${JSON.stringify(a.sample)}\n`);
    for (const r of [...a.dimensions.slice(0, 8), ...a.dimensions.filter((d) => d.source === 'path').slice(0, 5)])
      process.stdout.write(`  ${r.source} ${r.key}=${r.value} ${r.cohort} vs ${r.baseline} (${r.score})\n`);
    expect(a.sample.cohort).toBeGreaterThanOrEqual(5);
    expect(a.sample.baseline).toBeGreaterThanOrEqual(5);
    const top = a.dimensions.slice(0, 3).map((r) => `${r.source} ${r.key}=${r.value}`);
    expect(top).toEqual(
      expect.arrayContaining([
        'span event=retry',
        'log pattern=card gateway timed out after <n> ms for order <id>; retrying (attempt <n> of <n>)',
      ]),
    );
    expect(top.filter((r) => PAYMENT_ROWS.includes(r))).toHaveLength(1);
    // The slow checkouts retried (all of them, unless the shared machine slowed another one past 800 ms),
    // no fast one did.
    const retry = a.dimensions.find((r) => r.source === 'span' && r.key === 'event' && r.value === 'retry')!;
    expect(retry.cohort).toBeGreaterThanOrEqual(0.8);
    expect(retry.baseline).toBe(0);
    // The retried attempt and its ERROR status stand in the same traces: folded into the event's row.
    expect(retry.same).toEqual(expect.arrayContaining([{ key: 'status', value: 'ERROR', attribute: false }]));
    const path = a.dimensions.find((r) => r.source === 'path' && r.key === 'payment')!;
    expect(path.value).toBe('POST card-gateway /authorize');
    // The card-gateway call holds most of a slow trace; payment's INSERT, waiting on its lock, the rest.
    expect(path.cohort).toBeGreaterThan(0.7);
  });

  describe.runIf(existsSync(CHROMIUM))('the panel in Chromium', () => {
    let browser: Browser;
    let page: Page;
    const shot = (name: string) =>
      page.screenshot({ path: join(artifacts, `investigate-${name}.png`), fullPage: true });

    beforeAll(async () => {
      mkdirSync(artifacts, { recursive: true });
      browser = await launchChromium();
      page = await (await freshContext(browser)).newPage();
      page.on('pageerror', (e) => process.stdout.write(`browser error: ${e.message}\n`));
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    const firstRows = async () =>
      (await page.locator('[data-testid="investigate-rows"] tbody tr').allInnerTexts()).slice(0, 3).join('\n');

    it('opens from the trace search and explains the slow checkouts in its first three rows', async () => {
      await page.goto(
        `${platform.apiUrl}/traces?service=frontend&operation=${encodeURIComponent('POST /checkout')}&minDuration=800ms&from=${start}&to=${end}`,
      );
      await page.locator('[data-testid="trace-results"]').waitFor();
      const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/investigate');
      await page.getByTestId('investigate-search').click();
      expect((await answered).status()).toBe(200);
      const panel = page.getByTestId('investigate-panel');
      await panel.locator('[data-testid="investigate-rows"]').waitFor();
      const top = await firstRows();
      expect(top).toContain('event = retry');
      expect(top).toContain('card gateway timed out after <n> ms for order <id>');
      expect(top).toMatch(/payment: POST card-gateway \/authorize|acquired ShareLock on transaction/);
      expect(await panel.getByTestId('investigate-sample').innerText()).toMatch(/^Cohort \d+ traces · baseline \d+/);
      await shot('search');
    });

    it('opens from a brush over the slow traces on the scatter, and a clicked row filters the search', async () => {
      await page.goto(`${platform.apiUrl}/traces?service=frontend&from=${start}&to=${end}`);
      await page.locator('[data-testid="trace-results"]').waitFor();
      const area = page.getByTestId('scatter-brush');
      const box = (await area.boundingBox())!;
      // The slow checkouts (about 1 s) sit at the top of the log duration axis: brush its top quarter, whole width.
      const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/investigate');
      await page.mouse.move(box.x + 2, box.y + 1);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.15, { steps: 4 });
      await page.mouse.move(box.x + box.width - 2, box.y + box.height * 0.3, { steps: 4 });
      await page.mouse.up();
      const req = JSON.parse((await answered).request().postData()!) as {
        cohort: { service: string; minDuration: string };
      };
      expect(req.cohort.service).toBe('frontend');
      expect(Number(req.cohort.minDuration)).toBeGreaterThan(100_000_000);
      const panel = page.getByTestId('investigate-panel');
      await panel.locator('[data-testid="investigate-rows"]').waitFor();
      expect(await panel.innerText()).toContain('brushed:');
      const top = await firstRows();
      expect(top).toContain('event = retry');
      await shot('brush');
      // The critical-path row names payment's gateway call: clicking it narrows the search to it.
      await panel.locator('tr', { hasText: 'payment: POST card-gateway /authorize' }).first().click();
      await expect
        .poll(() => new URL(page.url()).searchParams.get('operation'), { timeout: 10_000 })
        .toBe('POST card-gateway /authorize');
      expect(new URL(page.url()).searchParams.get('service')).toBe('payment');
    });

    it('opens from a window brushed on a metric chart: that window against the whole range', async () => {
      const q = 'sum by (job) (rate(http_server_request_duration_seconds_count{job="frontend"}[1m]))';
      const mid = Math.round((start + end) / 2);
      await page.goto(
        `${platform.apiUrl}/metrics?q=${encodeURIComponent(q)}&from=${start}&to=${end}&wfrom=${mid}&wto=${end}`,
      );
      const button = page.getByTestId('investigate-window');
      await expect.poll(() => button.isEnabled(), { timeout: 15_000 }).toBe(true);
      const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/investigate');
      await button.click();
      const res = await answered;
      expect(res.status()).toBe(200);
      const req = JSON.parse(res.request().postData()!) as {
        cohort: { service: string; start: string; end: string };
        baseline: { service: string; start: string; end: string };
      };
      expect(req.cohort).toEqual({ service: 'frontend', start: `${mid}000000`, end: `${end}000000` });
      expect(req.baseline).toEqual({ service: 'frontend', start: `${start}000000`, end: `${end}000000` });
      const panel = page.getByTestId('investigate-panel');
      await expect.poll(() => panel.getByTestId('investigate-sample').innerText()).toMatch(/^Cohort \d+ traces/);
      await shot('metrics');
    });
  });
});
