// Trace comparison in a real browser (Debian's Chromium, playwright-core) on the demo shop: a slow
// checkout from a payment incident, "Compare with typical", and the added/missing spans and the
// per-operation deltas checked against what the API says of both traces (aligned here independently,
// by path keys, not with the dashboard's model). Then the header's open-by-ID box, the OTLP/JSON export,
// and the compare of two 10,000-span traces, timed. Screenshots land in test-artifacts/compare-*.png.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startDemo, type Demo } from '@pivot/demo';
import { artifacts, CHROMIUM, ensureWebBuilt, freshContext, launchChromium, webBuild } from './browser.ts';
import { seedBigTrace } from './dashboard-seed.ts';
import { startTestPlatform } from './start.ts';

interface ApiSpan {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  service: string;
  startTimeUnixNano: string;
  durationNano: string;
}

/** expect.poll with room for a loaded 2-core machine. */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 30_000, interval: 100 });

/**
 * Each span's position as a path of (service, operation, k-th such sibling by start) from its root:
 * two spans are aligned when their paths are equal. Written apart from model/trace-diff.ts on purpose.
 */
function positions(spans: ApiSpan[]): Map<string, ApiSpan> {
  const ids = new Set(spans.map((s) => s.spanId));
  const kids = new Map<string | null, ApiSpan[]>();
  for (const s of spans) {
    const p = s.parentSpanId && ids.has(s.parentSpanId) ? s.parentSpanId : null;
    kids.set(p, [...(kids.get(p) ?? []), s]);
  }
  const out = new Map<string, ApiSpan>();
  const walk = (parent: string | null, prefix: string) => {
    const list = [...(kids.get(parent) ?? [])].sort((a, b) =>
      BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano)
        ? -1
        : BigInt(a.startTimeUnixNano) > BigInt(b.startTimeUnixNano)
          ? 1
          : 0,
    );
    const seen = new Map<string, number>();
    for (const s of list) {
      const key = `${s.service}|${s.name}`;
      const k = seen.get(key) ?? 0;
      seen.set(key, k + 1);
      const path = `${prefix}\u0001${key}#${k}`;
      out.set(path, s);
      walk(s.spanId, path);
    }
  };
  walk(null, '');
  return out;
}

describe.runIf(existsSync(CHROMIUM))('trace comparison, export and the open-by-ID box, on the demo', () => {
  let platform: Awaited<ReturnType<typeof startTestPlatform>>;
  let demo: Demo;
  let browser: Browser;
  let page: Page;
  const shot = (name: string) => page.screenshot({ path: join(artifacts, `compare-${name}.png`) });
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${platform.apiUrl}${path}`);
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    ensureWebBuilt();
    mkdirSync(artifacts, { recursive: true });
    platform = await startTestPlatform({ WEB_DIR: webBuild });
    // An incident 3 s in: half the charges time out once and are retried, so slow checkouts carry an
    // extra card-gateway attempt, while the rest of the traffic stays typical.
    demo = await startDemo({
      ingestUrl: platform.ingestUrl,
      requestsPerSecond: 4,
      incidents: { periodMs: 60_000, offsetMs: 3_000, durationMs: 12_000, slowShare: 0.5, baseSlowShare: 0 },
    });
    await new Promise((r) => setTimeout(r, 25_000));
    await demo.stop();
    await new Promise((r) => setTimeout(r, 3_000)); // the last batches committed
    browser = await launchChromium();
    page = await (await freshContext(browser)).newPage();
    page.on('pageerror', (e) => process.stdout.write(`browser error: ${e.message}\n`));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    await platform?.stop();
  });

  it('compares a slow checkout with a typical one: added spans and per-operation deltas as the API data says', async () => {
    const slow = await api<{ traces: { traceId: string; rootName: string | null; durationNano: string }[] }>(
      '/api/traces?service=frontend&operation=POST%20%2Fcheckout&minDuration=800ms&limit=50',
    );
    const b = slow.traces.find((t) => t.rootName === 'POST /checkout');
    expect(b, 'a slow checkout from the incident').toBeDefined();
    const typical = await api<{ traceId: string; sample: number; durationNs: string }>(
      `/api/traces/${b!.traceId}/typical?window=1h`,
    );
    expect(typical.sample).toBeGreaterThan(20);
    expect(BigInt(typical.durationNs)).toBeLessThan(BigInt(b!.durationNano));

    await page.goto(`${platform.apiUrl}/traces/${b!.traceId}`);
    await page.locator('[data-span-id]').first().waitFor();
    await page.locator('[data-testid="compare-typical"]').click();
    await page.waitForURL(`**/traces/compare?a=${typical.traceId}&b=${b!.traceId}`);
    await page.locator('[data-testid="diff-rows"] [data-row]').first().waitFor();

    // What the page must say, worked out from the API's spans of both traces.
    const spansA = (await api<{ spans: ApiSpan[] }>(`/api/traces/${typical.traceId}`)).spans;
    const spansB = (await api<{ spans: ApiSpan[] }>(`/api/traces/${b!.traceId}`)).spans;
    const pa = positions(spansA);
    const pb = positions(spansB);
    const added = [...pb.keys()].filter((k) => !pa.has(k));
    const missing = [...pa.keys()].filter((k) => !pb.has(k));
    const matched = [...pa.keys()].filter((k) => pb.has(k));
    // The incident's signature: B retried the card gateway, so it has at least one attempt A has not.
    expect(added.some((k) => k.endsWith('#1') && /card-gateway|charge|attempt/i.test(k))).toBe(true);

    expect(await page.locator('[data-testid="matched"]').textContent()).toBe(
      `${matched.length} aligned span${matched.length === 1 ? '' : 's'}`,
    );
    expect(await page.locator('[data-testid="added"]').textContent()).toBe(`${added.length} added in B`);
    expect(await page.locator('[data-testid="missing"]').textContent()).toBe(`${missing.length} missing from B`);

    // The rows marked added and missing are those spans (all rows of a demo trace are in view).
    const rowsOf = async (status: string) =>
      (
        await page
          .locator(`[data-testid="diff-rows"] [data-status="${status}"] .name-col`)
          .evaluateAll((els) =>
            els.map((e) => `${e.querySelector('.svc')!.textContent}|${e.querySelector('.op')!.textContent}`),
          )
      ).sort();
    const name = (k: string) => k.split('\u0001').at(-1)!.replace(/#\d+$/, '');
    expect(await rowsOf('added')).toEqual(added.map(name).sort());
    expect(await rowsOf('missing')).toEqual(missing.map(name).sort());
    expect(await page.locator('[data-testid="diff-rows"] [data-row]').count()).toBe(
      matched.length + added.length + missing.length,
    );

    // Per operation: span counts and summed durations, exactly.
    const ops = new Map<string, { countA: number; countB: number; durA: bigint; durB: bigint }>();
    for (const [side, spans] of [
      ['A', spansA],
      ['B', spansB],
    ] as const)
      for (const s of spans) {
        const k = `${s.service}|${s.name}`;
        const o = ops.get(k) ?? { countA: 0, countB: 0, durA: 0n, durB: 0n };
        if (side === 'A') {
          o.countA++;
          o.durA += BigInt(s.durationNano);
        } else {
          o.countB++;
          o.durB += BigInt(s.durationNano);
        }
        ops.set(k, o);
      }
    const table = await page.locator('[data-testid="op-deltas"] tbody tr').evaluateAll((trs) =>
      trs.map((tr) => {
        const d = (k: string) => tr.getAttribute(`data-${k}`) ?? '';
        return [
          `${d('service')}|${d('name')}`,
          Number(d('count-a')),
          Number(d('count-b')),
          d('duration-a'),
          d('duration-b'),
        ];
      }),
    );
    expect(table.map((r) => r[0]).sort()).toEqual([...ops.keys()].sort());
    for (const [k, countA, countB, durA, durB] of table) {
      const o = ops.get(k as string)!;
      expect([k, countA, countB, durA, durB]).toEqual([k, o.countA, o.countB, String(o.durA), String(o.durB)]);
    }
    // Largest absolute delta first.
    const deltas = table.map((r) => Math.abs(Number(r[4]) - Number(r[3])));
    expect(deltas).toEqual([...deltas].sort((x, y) => y - x));
    const first = table[0]![0] as string;
    process.stdout.write(
      `compare e2e: demo checkout ${b!.traceId} (${Number(b!.durationNano) / 1e6} ms) against typical ${typical.traceId} (${Number(typical.durationNs) / 1e6} ms, median of ${typical.sample}): ${matched.length} aligned, ${added.length} added, ${missing.length} missing; largest delta ${first}\n`,
    );
    await shot('1-slow-vs-typical');

    // Differences only: the added rows and the path down to them.
    await page.locator('[data-testid="changed-only"]').check();
    await poll(() => page.locator('[data-testid="diff-rows"] [data-row]').count()).toBeLessThan(
      matched.length + added.length + missing.length,
    );
    expect(await rowsOf('added')).toEqual(added.map(name).sort());
    await shot('2-differences-only');
  }, 120_000);

  it('opens a trace by ID from the header box on any page, and refuses what is not a trace ID', async () => {
    const [t] = (await api<{ traces: { traceId: string }[] }>('/api/traces?limit=1')).traces;
    await page.goto(`${platform.apiUrl}/logs`);
    const box = page.locator('[data-testid="open-trace"]');
    await box.fill('not-a-trace');
    await box.press('Enter');
    await poll(() => page.locator('[data-testid="open-trace-error"]').textContent()).toBe(
      'A trace ID has only hex digits (0-9, a-f)',
    );
    expect(new URL(page.url()).pathname).toBe('/logs');
    await shot('3-open-box-refused');
    await box.fill('abc123');
    await box.press('Enter');
    await poll(() => page.locator('[data-testid="open-trace-error"]').textContent()).toBe(
      'A trace ID has 32 hex digits (or 16), not 6',
    );
    // Uppercase, with spaces around: opened as the lower-case ID.
    await box.fill(`  ${t!.traceId.toUpperCase()} `);
    await box.press('Enter');
    await page.waitForURL(`**/traces/${t!.traceId}`);
    await page.locator('[data-span-id]').first().waitFor();
    expect(await page.locator('[data-testid="open-trace-error"]').count()).toBe(0);
    // 16 hex digits: a 64-bit ID, left-padded as OpenTelemetry does.
    await box.fill('00F067AA0BA902B7');
    await box.press('Enter');
    await page.waitForURL('**/traces/000000000000000000f067aa0ba902b7');
  }, 60_000);

  it('downloads the trace as OTLP/JSON with every span of it', async () => {
    const [t] = (await api<{ traces: { traceId: string; spanCount: number }[] }>('/api/traces?service=payment&limit=1'))
      .traces;
    await page.goto(`${platform.apiUrl}/traces/${t!.traceId}`);
    await page.locator('[data-span-id]').first().waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('[data-testid="export-otlp"]').click(),
    ]);
    expect(download.suggestedFilename()).toBe(`trace-${t!.traceId}.otlp.json`);
    const body = JSON.parse(readFileSync(await download.path(), 'utf8')) as {
      resourceSpans: {
        resource: { attributes: { key: string }[] };
        scopeSpans: { spans: { spanId: string; traceId: string }[] }[];
      }[];
    };
    const exported = body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
    const spans = (await api<{ spans: ApiSpan[] }>(`/api/traces/${t!.traceId}`)).spans;
    expect(exported.map((s) => s.spanId).sort()).toEqual(spans.map((s) => s.spanId).sort());
    expect(new Set(exported.map((s) => s.traceId))).toEqual(new Set([t!.traceId]));
    expect(exported).toHaveLength(t!.spanCount);
    // That ingest reads it back into a fresh database as the same spans: apps/api/test/trace-compare.test.ts.
    await shot('4-trace-export');
  }, 60_000);

  it('compares two 10,000-span traces, virtualised, and reports how long it took', async () => {
    const a = await seedBigTrace(platform.ingestUrl, 10_000);
    const b = await seedBigTrace(platform.ingestUrl, 10_200);
    await page.goto(`${platform.apiUrl}/logs`);
    const t0 = Date.now();
    await page.goto(`${platform.apiUrl}/traces/compare?a=${a}&b=${b}`);
    await page.locator('[data-testid="diff-rows"] [data-row]').first().waitFor();
    const wallMs = Date.now() - t0;
    const footer = page.locator('[data-testid="compare-timing"]');
    await poll(() => footer.textContent()).toMatch(/shown in \d+ ms/);
    const text = (await footer.textContent())!;
    const num = (re: RegExp) => Number(re.exec(text)![1]);
    const shownMs = num(/shown in (\d+) ms/);
    const fetchMs = num(/fetched both in (\d+) ms/);
    const treesMs = num(/trees in (\d+) ms/);
    const diffMs = num(/aligned in (\d+) ms/);
    const domRows = await page.locator('[data-testid="diff-rows"] [data-row]').count();
    process.stdout.write(
      `compare e2e: 10,000 vs 10,200 spans: page load to first rows ${wallMs} ms; in the app ${shownMs} ms = both fetches ${fetchMs} ms + both trees ${treesMs} ms + alignment ${diffMs} ms + first render ${shownMs - fetchMs - treesMs - diffMs} ms; ${domRows} rows in the DOM\n`,
    );
    expect(text).toMatch(/^10,?200 rows/);
    expect(await page.locator('[data-testid="added"]').textContent()).toBe('200 added in B');
    expect(await page.locator('[data-testid="missing"]').textContent()).toBe('0 missing from B');
    expect(domRows).toBeLessThan(200); // virtualised
    expect(shownMs).toBeLessThan(15_000);
    expect(shownMs - fetchMs).toBeLessThan(5_000);
    await shot('5-10k-spans');
    // Scrolled to the end, the last rows (B's extra spans) are drawn.
    await page.locator('[data-testid="diff-rows"]').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await poll(() => page.locator('[data-testid="diff-rows"] [data-row="10199"]').count()).toBe(1);
    expect(await page.locator('[data-testid="diff-rows"] [data-row="10199"]').getAttribute('data-status')).toBe(
      'added',
    );
    await shot('6-10k-spans-end');
  }, 180_000);
});
