// Database server log lines in the trace view (issue 21), on the demo workload in a real browser
// (Debian's Chromium through playwright-core). The demo's statements carry sqlcommenter comments, and
// its database logs their durations and, in the slow-payment incident, a lock wait; shipping's legacy
// driver comments nothing, so its lines are linked by inference or not at all. The slow trace's payment
// INSERT must show the server's lock wait and duration on its row and in its side panel; the
// propagation report counts shipping's uncommented statements. Screenshots: test-artifacts/db-*.png.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { LogRecord, PropagationResponse } from '@pivot/api-types';
import { startDemo, type Demo } from '@pivot/demo';
import { artifacts, CHROMIUM, ensureWebBuilt, freshContext, launchChromium, webBuild } from './browser.ts';
import { startTestPlatform } from './start.ts';

interface ApiSpan {
  spanId: string;
  name: string;
  service: string;
  kind: string;
  durationNano: string;
  attributes: Record<string, unknown>;
}

const poll = <T>(fn: () => Promise<T> | T, timeout = 30_000) => expect.poll(fn, { timeout, interval: 200 });

describe.runIf(existsSync(CHROMIUM))('database server lines of the demo in the trace view', () => {
  let platform: Awaited<ReturnType<typeof startTestPlatform>>;
  let demo: Demo;
  let browser: Browser;
  let page: Page;
  const shot = (name: string) => page.screenshot({ path: join(artifacts, `db-${name}.png`) });
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${platform.apiUrl}${path}`);
    if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    ensureWebBuilt();
    mkdirSync(artifacts, { recursive: true });
    platform = await startTestPlatform({
      WEB_DIR: webBuild,
      SERVICEGRAPH_WAIT_MS: '10000',
      SERVICEGRAPH_INTERVAL_MS: '1000',
    });
    // An incident all the time: slow payments, with their lock waits, within seconds.
    demo = await startDemo({
      ingestUrl: platform.ingestUrl,
      requestsPerSecond: 6,
      incidents: { periodMs: 60_000, offsetMs: 0, durationMs: 60_000, slowShare: 0.5 },
    });
    await new Promise((r) => setTimeout(r, 10_000));
    await demo.stop();
    browser = await launchChromium();
    page = await (await freshContext(browser)).newPage();
    page.on('pageerror', (e) => process.stdout.write(`browser error: ${e.message}\n`));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    await platform?.stop();
  });

  /** A slow payment trace whose INSERT waited on a lock, with its span and the server's lines for it. */
  async function slowInsert() {
    const { traces } = await api<{ traces: { traceId: string }[] }>(
      '/api/traces?service=payment&minDuration=900ms&limit=20',
    );
    for (const { traceId } of traces) {
      const { spans } = await api<{ spans: ApiSpan[] }>(`/api/traces/${traceId}`);
      const insert = spans.find((s) => s.service === 'payment' && s.name === 'INSERT payments');
      if (!insert) continue;
      const { logs } = await api<{ logs: LogRecord[] }>(`/api/traces/${traceId}/logs`);
      const lines = logs.filter((l) => l.service === 'postgresql' && l.spanId === insert.spanId);
      if (lines.some((l) => l.attributes['pg.event'] === 'lock_wait')) return { traceId, insert, lines, logs, spans };
    }
    throw new Error(`no slow payment trace with a lock wait among ${traces.length}`);
  }

  it("links the slow INSERT's lock wait and duration by its sqlcommenter comment", async () => {
    const { traceId, insert, lines, logs, spans } = await slowInsert();
    // Shipping's statements carry no comment: its server lines in the trace, if any, are inferred.
    const shippingSpans = new Set(spans.filter((s) => s.service === 'shipping').map((s) => s.spanId));
    for (const l of logs.filter((l) => l.service === 'postgresql' && shippingSpans.has(l.spanId ?? '')))
      expect(l.link).toBe('inferred');
    expect(insert.attributes['db.query.text']).toBe(
      `INSERT INTO payments (order_id, amount_cents, status) VALUES ($1, $2, $3) ON CONFLICT (order_id) DO NOTHING /*traceparent='00-${traceId}-${insert.spanId}-01'*/`,
    );
    expect(lines.map((l) => [l.attributes['pg.event'], l.link, l.traceId])).toEqual([
      ['lock_wait', 'sqlcommenter', traceId],
      ['lock_wait', 'sqlcommenter', traceId],
      ['duration', 'sqlcommenter', traceId],
    ]);
    const [waiting, acquired, duration] = lines;
    expect(waiting!.body).toMatch(/^process \d+ still waiting for ShareLock on transaction \d+ after \d+\.\d{3} ms$/);
    expect(acquired!.body).toMatch(/^process \d+ acquired ShareLock on transaction \d+ after \d+\.\d{3} ms$/);
    expect(waiting!.attributes['pg.wait_ms']).toBeGreaterThanOrEqual(100);
    expect(acquired!.attributes['pg.wait_ms']).toBeGreaterThanOrEqual(200);
    // The server's time covers the wait and lies within the span's.
    const serverMs = duration!.attributes['pg.duration_ms'] as number;
    expect(serverMs).toBeGreaterThanOrEqual(acquired!.attributes['pg.wait_ms'] as number);
    expect(serverMs).toBeLessThanOrEqual(Number(insert.durationNano) / 1e6);
    expect(duration!.attributes).toMatchObject({
      'pg.application_name': 'payment',
      'pg.user': 'shop',
      'db.statement':
        'INSERT INTO payments (order_id, amount_cents, status) VALUES ($1, $2, $3) ON CONFLICT (order_id) DO NOTHING',
    });
  });

  it("counts shipping's uncommented statements in the propagation report, and no one else's", async () => {
    let report: PropagationResponse | undefined;
    await poll(async () => {
      report = await api<PropagationResponse>('/api/propagation');
      return report.services
        .find((s) => s.service === 'shipping')
        ?.problems.some((p) => p.problem === 'db-without-traceparent');
    }, 90_000).toBe(true);
    const flagged = report!.services.filter((s) => s.problems.some((p) => p.problem === 'db-without-traceparent'));
    expect(flagged.map((s) => s.service)).toEqual(['shipping']);
    const shipping = flagged[0]!.problems.find((p) => p.problem === 'db-without-traceparent')!;
    expect(shipping.why).toBe(
      "its statement to postgresql/shop carries no traceparent comment (sqlcommenter): the database's own log lines for it name no trace",
    );
    expect(shipping.count).toBeGreaterThan(0);
    // The server's lines that name no trace, per application_name: shipping's only (the others comment).
    const unlinked = report!.serverLogs!.filter((l) => l.unlinked > 0);
    expect(unlinked.map((l) => l.application)).toEqual(['shipping']);
    for (const l of report!.serverLogs!) if (l.application !== 'shipping') expect(l.unlinked).toBe(0);
    // Payment's slow inserts always reach log_min_duration_statement; inventory's 1-6 ms statements may not.
    expect(report!.serverLogs!.map((l) => l.application)).toContain('payment');

    await page.goto(`${platform.apiUrl}/propagation`);
    const table = page.locator('[data-testid="server-logs-unlinked"]');
    await table.waitFor();
    await poll(() =>
      table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-application'))),
    ).toEqual(['shipping']);
    await table.scrollIntoViewIfNeeded();
    await shot('propagation');
  }, 120_000);

  it("shows the server's lock wait and duration on the DB span's row and in its side panel", async () => {
    const { traceId, insert, lines } = await slowInsert();
    const duration = lines.find((l) => l.attributes['pg.event'] === 'duration')!;
    const serverMs = duration.attributes['pg.duration_ms'] as number;
    await page.goto(`${platform.apiUrl}/traces/${traceId}?span=${insert.spanId}`);
    const row = page.locator(`[data-span-id="${insert.spanId}"]`);
    await row.waitFor();
    const marker = row.locator('[data-testid="db-marker"]');
    // formatDuration: three significant digits, 100 ms and over without decimals.
    const ms = serverMs >= 1000 ? `${(serverMs / 1000).toFixed(2)}s` : `${serverMs.toFixed(0)}ms`;
    await poll(() => marker.textContent()).toBe(`db ${ms} · lock wait`);
    await row.click();
    const block = page.locator('[data-testid="db-server"]');
    await block.waitFor();
    expect((await block.locator('[data-testid="db-link"]').textContent())!.trim()).toBe(
      "Server log, linked by the statement's traceparent comment.",
    );
    expect(await block.locator('[data-testid="db-duration"]').textContent()).toContain(ms);
    const waits = (await block.locator('[data-testid="db-lock-wait"]').allTextContents()).map((t) => t.trim());
    expect(waits).toHaveLength(2);
    // formatDuration: a machine under load may stretch the wait past a second.
    expect(waits[0]).toMatch(/^ShareLock on transaction \d+ · \d+(\.\d+)?m?s$/);
    // The server's lines, inline: the same bodies the API gave, in time order.
    expect(await block.locator('[data-testid="log-row"] .body').allTextContents()).toEqual(lines.map((l) => l.body));
    await block.scrollIntoViewIfNeeded();
    await shot('lock-wait');
  }, 60_000);
});
