// Facets and search in a real browser (Debian's Chromium through playwright-core), on data sent by
// the OpenTelemetry SDKs: exact facet counts on the log and trace searches, include by click and
// exclude by alt-click as chips in the URL, a trace form that keeps what was typed and refuses an
// attribute filter without "=", highlighted terms, context lines, a live tail that stays in time order
// and counts what arrives while paused, and the NDJSON export. Screenshots: test-artifacts/facets-*.png.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { context, trace, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { SeverityNumber, type Logger } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { artifacts, CHROMIUM, ensureWebBuilt, freshContext, launchChromium, webBuild } from './browser.ts';
import { startTestPlatform } from './start.ts';

const poll = <T>(fn: () => Promise<T> | T, timeout = 20_000) => expect.poll(fn, { timeout, interval: 150 });
const RANGE = 'from=now-1h&to=now';
type Level = 'INFO' | 'WARN' | 'ERROR';
const SEVERITY: Record<Level, SeverityNumber> = {
  INFO: SeverityNumber.INFO,
  WARN: SeverityNumber.WARN,
  ERROR: SeverityNumber.ERROR,
};

describe.runIf(existsSync(CHROMIUM))('facets and search in a real browser', () => {
  let platform: Awaited<ReturnType<typeof startTestPlatform>>;
  let browser: Browser;
  let page: Page;
  const loggers: Record<string, { provider: LoggerProvider; logger: Logger }> = {};
  const tracers: Record<string, { provider: NodeTracerProvider; tracer: Tracer }> = {};
  const t0 = Date.now() - 300_000;
  const shot = (name: string) => page.screenshot({ path: join(artifacts, `facets-${name}.png`), fullPage: true });

  /** Emits records through the OpenTelemetry logs SDK of `service`, and waits until they are exported. */
  async function emit(service: string, records: [timeMs: number, level: Level, body: string, attrs?: object][]) {
    const { provider, logger } = loggers[service]!;
    for (const [time, level, body, attributes] of records)
      logger.emit({
        timestamp: time,
        severityNumber: SEVERITY[level],
        severityText: level,
        body,
        attributes: (attributes ?? {}) as Record<string, string>,
      });
    await provider.forceFlush();
  }

  const rows = () => page.locator('[data-testid="log-row"] .body').allInnerTexts();
  const facetValues = (key: string) =>
    page
      .locator(`[data-testid="facets"] section[data-facet="${key}"] button.value`)
      .evaluateAll((els) => els.map((e) => `${e.getAttribute('data-value')}:${e.querySelector('.n')?.textContent}`));
  const facetButton = (key: string, value: string) =>
    page.locator(`[data-testid="facets"] section[data-facet="${key}"] button.value[data-value="${value}"]`);
  const chips = () => page.locator('[data-testid="filter-chip"]').allInnerTexts();
  const params = () => new URL(page.url()).searchParams;

  beforeAll(async () => {
    ensureWebBuilt();
    mkdirSync(artifacts, { recursive: true });
    platform = await startTestPlatform({ WEB_DIR: webBuild });
    for (const [service, host] of [
      ['checkout', 'h1'],
      ['payments', 'h2'],
    ] as const) {
      const resource = resourceFromAttributes({ 'service.name': service, 'host.name': host });
      const logs = new LoggerProvider({
        resource,
        processors: [
          new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${platform.ingestUrl}/v1/logs` }) }),
        ],
      });
      loggers[service] = { provider: logs, logger: logs.getLogger('shop') };
      const spans = new NodeTracerProvider({
        resource,
        spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${platform.ingestUrl}/v1/traces` }))],
      });
      tracers[service] = { provider: spans, tracer: spans.getTracer('shop') };
    }
    // Six records: four of checkout (one stream), two of payments.
    await emit('checkout', [
      [t0, 'INFO', 'order ORD-1 placed', { route: '/checkout' }],
      [t0 + 10_000, 'ERROR', 'Payment failed for ORD-1', { route: '/checkout', code: 'card_declined' }],
      [t0 + 20_000, 'WARN', 'retrying payment for ORD-1', { route: '/checkout' }],
      [t0 + 30_000, 'INFO', 'order ORD-1 shipped', { route: '/ship' }],
    ]);
    await emit('payments', [
      [t0 + 5_000, 'ERROR', 'payment declined: card_declined', { code: 'card_declined' }],
      [t0 + 40_000, 'INFO', 'healthz ok', { route: '/healthz' }],
    ]);
    // Three traces: two checkouts calling payments (one failing), one shipping page on checkout alone.
    const trip = (start: number, name: string, route: string, ms: number, charge?: 'ok' | 'declined') => {
      const root = tracers.checkout!.tracer.startSpan(name, { startTime: start, attributes: { 'http.route': route } });
      if (charge) {
        const child = tracers.payments!.tracer.startSpan(
          'charge',
          { startTime: start + 5, attributes: { 'payment.result': charge } },
          trace.setSpan(context.active(), root),
        );
        if (charge === 'declined') child.setStatus({ code: SpanStatusCode.ERROR, message: 'declined' });
        child.end(start + ms - 5);
      }
      root.end(start + ms);
    };
    trip(t0, 'POST /checkout', '/checkout', 300, 'declined');
    trip(t0 + 60_000, 'POST /checkout', '/checkout', 120, 'ok');
    trip(t0 + 120_000, 'GET /ship', '/ship', 50);
    await Promise.all(Object.values(tracers).map((t) => t.provider.forceFlush()));
    // Spans land through the ingest's group commit: wait until the three traces are searchable.
    for (const deadline = Date.now() + 30_000; ;) {
      const r = await fetch(`${platform.apiUrl}/api/traces/facets`);
      if (((await r.json()) as { counted: number }).counted === 3) break;
      if (Date.now() > deadline) throw new Error('the three seeded traces did not arrive within 30 s');
      await new Promise((res) => setTimeout(res, 200));
    }
    browser = await launchChromium();
    page = await (await freshContext(browser)).newPage();
    page.on('pageerror', (e) => process.stdout.write(`browser error: ${e.message}\n`));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([
      ...Object.values(loggers).map((l) => l.provider.shutdown()),
      ...Object.values(tracers).map((t) => t.provider.shutdown()),
    ]);
    await platform?.stop();
  });

  it('counts log facets exactly, includes on click and excludes on alt-click as chips in the URL', async () => {
    await page.goto(`${platform.apiUrl}/logs?${RANGE}`);
    await poll(rows).toHaveLength(6);
    await poll(() => facetValues('service')).toEqual(['checkout:4', 'payments:2']);
    expect(await facetValues('severity')).toEqual(['INFO:3', 'ERROR:2', 'WARN:1']);
    expect(await facetValues('route')).toEqual(['/checkout:3', '/healthz:1', '/ship:1']);
    expect(await facetValues('code')).toEqual(['card_declined:2']);
    expect(await page.locator('[data-testid="facet-sample"]').innerText()).toBe('Counts over all 6 records.');
    await shot('logs');

    await facetButton('service', 'payments').click();
    await poll(rows).toEqual(['healthz ok', 'payment declined: card_declined']);
    expect(params().getAll('service')).toEqual(['payments']);
    expect(await chips()).toEqual(['service = payments ✕']);
    await page.getByRole('button', { name: 'Remove the filter service = payments' }).click();
    await poll(rows).toHaveLength(6);

    await facetButton('severity', 'INFO').click({ modifiers: ['Alt'] });
    await poll(rows).toEqual([
      'retrying payment for ORD-1',
      'Payment failed for ORD-1',
      'payment declined: card_declined',
    ]);
    expect(params().getAll('not.level')).toEqual(['INFO']);
    expect(await chips()).toEqual(['severity ≠ INFO ✕']);
    await poll(() => facetValues('severity')).toEqual(['ERROR:2', 'WARN:1']);
    await poll(() => facetValues('service')).toEqual(['checkout:2', 'payments:1']);
    await shot('logs-excluded');
    // The same by keyboard: each value has an exclude button.
    await page.getByRole('button', { name: 'Exclude service = payments' }).focus();
    await page.keyboard.press('Enter');
    await poll(rows).toEqual(['retrying payment for ORD-1', 'Payment failed for ORD-1']);
    expect(await chips()).toEqual(['severity ≠ INFO ✕', 'service ≠ payments ✕']);
  });

  it('highlights the matched terms, shows context lines and exports the result as NDJSON', async () => {
    await page.goto(`${platform.apiUrl}/logs?${RANGE}&not.level=INFO&q=payment`);
    await poll(rows).toHaveLength(3);
    expect(await page.locator('[data-testid="log-row"] .body mark').allInnerTexts()).toEqual([
      'payment',
      'Payment',
      'payment',
    ]);

    await page.locator('[data-testid="log-row"]', { hasText: 'retrying payment' }).locator('button.line').click();
    await page.locator('[data-testid="show-context"]').click();
    // The stream of checkout on h1: not payments' lines, whatever the search's filters.
    await poll(() => page.locator('[data-testid="context-line"]').allInnerTexts()).toHaveLength(4);
    const ctx = await page.locator('[data-testid="context-line"]').allInnerTexts();
    expect(
      ctx.map((l) =>
        l
          .split('\n')
          .at(-1)!
          .replace(/^.*?(INFO|WARN|ERROR)\s*/, ''),
      ),
    ).toEqual(['order ORD-1 placed', 'Payment failed for ORD-1', 'retrying payment for ORD-1', 'order ORD-1 shipped']);
    expect(await page.locator('[data-testid="context-line"].self').innerText()).toContain('retrying payment for ORD-1');
    await shot('context');

    const download = page.waitForEvent('download');
    await page.locator('[data-testid="export-ndjson"]').click();
    const file = await (await download).path();
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { body: string }).body)).toEqual([
      'retrying payment for ORD-1',
      'Payment failed for ORD-1',
      'payment declined: card_declined',
    ]);
  });

  it('keeps the live tail in time order across service batches, and counts lines while paused', async () => {
    await page.goto(`${platform.apiUrl}/logs?${RANGE}&q=tail-&live=1`);
    await page.locator('[data-testid="tail-pause"]').waitFor();
    // The tail starts from when it opened: the records below are newer.
    await new Promise((r) => setTimeout(r, 1500));
    const t = Date.now() + 1000;
    await emit('checkout', [
      [t + 500, 'INFO', 'tail-1.5 checkout'],
      [t + 2000, 'INFO', 'tail-3 checkout'],
    ]);
    await poll(rows).toEqual(['tail-3 checkout', 'tail-1.5 checkout']);
    // payments' batch comes a poll later, with lines older than the newest shown.
    await emit('payments', [
      [t + 1000, 'INFO', 'tail-2 payments'],
      [t + 1500, 'INFO', 'tail-2.5 payments'],
    ]);
    await poll(rows).toEqual(['tail-3 checkout', 'tail-2.5 payments', 'tail-2 payments', 'tail-1.5 checkout']);

    await page.locator('[data-testid="tail-pause"]').click();
    await emit('checkout', [
      [t + 3000, 'INFO', 'tail-4 checkout'],
      [t + 3500, 'INFO', 'tail-4.5 checkout'],
      [t + 4000, 'INFO', 'tail-5 checkout'],
    ]);
    await poll(() => page.locator('[data-testid="tail-pending"]').innerText()).toBe('3 new lines');
    expect(await rows()).toHaveLength(4);
    await shot('tail-paused');
    await page.locator('[data-testid="tail-pause"]').click();
    await poll(rows).toEqual([
      'tail-5 checkout',
      'tail-4.5 checkout',
      'tail-4 checkout',
      'tail-3 checkout',
      'tail-2.5 payments',
      'tail-2 payments',
      'tail-1.5 checkout',
    ]);
  });

  it('counts trace facets exactly and filters by them', async () => {
    const traceRows = () => page.locator('[data-testid="trace-results"] tbody tr').count();
    await page.goto(`${platform.apiUrl}/traces?${RANGE}`);
    await poll(traceRows).toBe(3);
    await poll(() => facetValues('service')).toEqual(['checkout:3', 'payments:2']);
    expect(await facetValues('status')).toEqual(['ok:2', 'error:1']);
    expect(await facetValues('http.route')).toEqual(['/checkout:2', '/ship:1']);
    expect(await facetValues('payment.result')).toEqual(['declined:1', 'ok:1']);
    await shot('traces');

    await facetButton('status', 'error').click();
    await poll(traceRows).toBe(1);
    expect(params().get('status')).toBe('error');
    expect(await page.getByLabel('errors only').isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Remove the filter status = error' }).click();
    await poll(traceRows).toBe(3);

    await facetButton('service', 'payments').click({ modifiers: ['Alt'] });
    await poll(traceRows).toBe(1);
    expect(params().getAll('not.service')).toEqual(['payments']);
    expect(await chips()).toEqual(['service ≠ payments ✕']);
    expect(await page.locator('[data-testid="trace-results"] tbody').innerText()).toContain('GET /ship');
  });

  it('keeps what was typed in the trace form, and refuses an attribute filter without =', async () => {
    const traceRows = () => page.locator('[data-testid="trace-results"] tbody tr').count();
    await page.goto(`${platform.apiUrl}/traces?${RANGE}`);
    await poll(traceRows).toBe(3);
    const minDuration = page.getByLabel('Min duration');
    const attrs = page.getByLabel('Attributes');
    await minDuration.fill('100ms');
    await attrs.fill('http.route=/checkout');
    // Not submitted: ticking "errors only" searches with them, and they stay in their fields.
    await page.getByLabel('errors only').check();
    await poll(() => params().toString()).toContain('status=error');
    expect(params().get('minDuration')).toBe('100ms');
    expect(params().get('attr.http.route')).toBe('/checkout');
    await poll(traceRows).toBe(1);
    expect(await minDuration.inputValue()).toBe('100ms');
    expect(await attrs.inputValue()).toBe('http.route=/checkout');

    await page.getByLabel('errors only').uncheck();
    await page.getByRole('combobox', { name: 'Service' }).selectOption('checkout');
    await poll(() => params().get('service')).toBe('checkout');
    expect(await minDuration.inputValue()).toBe('100ms');
    expect(params().get('minDuration')).toBe('100ms');
    // 300 ms and 120 ms checkouts; the 50 ms shipping page is below the minimum.
    await poll(traceRows).toBe(2);
    // A facet click searches with what is typed too.
    await page.getByLabel('Max duration').fill('200ms');
    await facetButton('status', 'ok').click();
    await poll(() => params().get('status')).toBe('ok');
    expect(params().get('maxDuration')).toBe('200ms');
    await poll(traceRows).toBe(1);
    expect(await page.locator('[data-testid="trace-results"] tbody').innerText()).toContain('120ms');

    await attrs.fill('http.route=/checkout payment.result');
    await page.getByRole('button', { name: 'Search' }).click();
    const error = page.locator('[data-testid="attr-error"]');
    await error.waitFor();
    expect(await error.innerText()).toBe(
      '"payment.result" is not key=value: write payment.result=<value>, or remove it',
    );
    expect(await attrs.getAttribute('aria-invalid')).toBe('true');
    expect(await attrs.inputValue()).toBe('http.route=/checkout payment.result');
    expect([...params().keys()].filter((k) => k.startsWith('attr.'))).toEqual(['attr.http.route']);
    await shot('trace-form-refused');
  });
});
