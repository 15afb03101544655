// Alerting on the all-in-one platform: RULES_DIR loaded at start, a recording rule's series queryable
// through the Prometheus API, an alert firing in /api/v1/alerts, and the /alerts page in a real browser
// (Debian's Chromium) listing the group, the rule and the firing alert with the link to its window.
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { artifacts, CHROMIUM, ensureWebBuilt, freshContext, launchChromium, webBuild } from './browser.ts';
import { startTestPlatform } from './start.ts';

const RULES = `groups:
  - name: smoke
    interval: 1s
    rules:
      - record: pivot:smoke:one
        expr: vector(1)
      - alert: AlwaysFiring
        expr: pivot:smoke:one > 0
        labels:
          severity: info
        annotations:
          summary: "value {{ $value }}"
`;

describe.runIf(existsSync(CHROMIUM))('alerting on the platform', () => {
  let platform: Awaited<ReturnType<typeof startTestPlatform>>;
  let dir: string;
  let browser: Browser;

  beforeAll(async () => {
    ensureWebBuilt();
    mkdirSync(artifacts, { recursive: true });
    dir = await mkdtemp(join(tmpdir(), 'pivot-alerts-e2e-'));
    await writeFile(join(dir, 'smoke.yml'), RULES);
    platform = await startTestPlatform({ WEB_DIR: webBuild, RULES_DIR: dir });
    browser = await launchChromium();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('records, fires, and shows the alert on /alerts', { timeout: 60_000 }, async () => {
    await expect
      .poll(
        async () => {
          const res = (await (await fetch(`${platform.apiUrl}/api/v1/alerts`)).json()) as {
            data: { alerts: { state: string; labels: Record<string, string> }[] };
          };
          return res.data.alerts.map((a) => `${a.labels.alertname}:${a.state}`);
        },
        { timeout: 20_000, interval: 250 },
      )
      .toEqual(['AlwaysFiring:firing']);
    const q = (await (await fetch(`${platform.apiUrl}/api/v1/query?query=pivot:smoke:one`)).json()) as {
      data: { result: { metric: Record<string, string> }[] };
    };
    expect(q.data.result.map((r) => r.metric)).toEqual([{ __name__: 'pivot:smoke:one' }]);

    const page = await (await freshContext(browser)).newPage();
    await page.goto(`${platform.apiUrl}/alerts`);
    await page.locator('[data-group="smoke"]').waitFor();
    expect(await page.locator('[data-rule="AlwaysFiring"]').getAttribute('data-state')).toBe('firing');
    const link = page.locator('[data-alert-state="firing"] a');
    expect(await link.getAttribute('href')).toMatch(/^\/metrics\?q=pivot%3Asmoke%3Aone\+%3E\+0&from=/);
    await page.screenshot({ path: join(artifacts, 'alerts-page.png'), fullPage: true });
  });
});
