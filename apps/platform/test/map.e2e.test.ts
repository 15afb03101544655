// The service map and the propagation report on the demo workload, in a real browser (Debian's
// Chromium through playwright-core): the demo's six services, its database and queue, and shipping's
// legacy client that drops traceparent on one request in four. The map must draw what the API
// answers, an edge must list its slowest traces, everything must work by keyboard, and the report
// must name shipping and open its example on the broken hop. Screenshots: test-artifacts/map-*.png.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type {
  EdgeTracesResponse,
  PropagationResponse,
  ServiceGraphResponse,
  TracePropagationResponse,
} from '@pivot/api-types';
import { SHOP_SERVICES, startDemo } from '@pivot/demo';
import { artifacts, CHROMIUM, ensureWebBuilt, freshContext, launchChromium, webBuild } from './browser.ts';
import { startTestPlatform } from './start.ts';

const poll = <T>(fn: () => Promise<T> | T, timeout = 30_000) => expect.poll(fn, { timeout, interval: 200 });
const edgeKey = (e: { client: string; server: string }) => `${e.client}\u2192${e.server}`;

describe.runIf(existsSync(CHROMIUM))('service map and propagation on the demo', () => {
  let platform: Awaited<ReturnType<typeof startTestPlatform>>;
  let browser: Browser;
  let page: Page;
  let graph: ServiceGraphResponse;
  let report: PropagationResponse | undefined;
  const shot = (name: string) => page.screenshot({ path: join(artifacts, `map-${name}.png`), fullPage: true });
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${platform.apiUrl}${path}`);
    if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    ensureWebBuilt();
    mkdirSync(artifacts, { recursive: true });
    // The shortest pairing wait, and a fold every second, so the demo's spans are folded soon after.
    platform = await startTestPlatform({
      WEB_DIR: webBuild,
      SERVICEGRAPH_WAIT_MS: '10000',
      SERVICEGRAPH_INTERVAL_MS: '1000',
    });
    const demo = await startDemo({ ingestUrl: platform.ingestUrl, requestsPerSecond: 6 });
    await new Promise((r) => setTimeout(r, 15_000));
    await demo.stop();
    // The rollup has folded everything once the graph has all six services and the queue edge, and
    // the report counts shipping's dropped hops.
    const deadline = Date.now() + 120_000;
    for (;;) {
      graph = await api<ServiceGraphResponse>('/api/servicegraph').catch(() => graph);
      report = await api<PropagationResponse>('/api/propagation').catch(() => report);
      const services = new Set(graph?.nodes.filter((n) => n.type === 'service').map((n) => n.id));
      if (
        SHOP_SERVICES.every((s) => services.has(s)) &&
        graph.edges.some((e) => e.client === 'shipping' && e.server === 'inventory') &&
        report?.services.some((s) => s.service === 'shipping' && s.brokenHops > 0)
      )
        break;
      if (Date.now() > deadline)
        throw new Error(`the rollup did not fold the demo within 2 min: ${JSON.stringify(graph)}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    browser = await launchChromium();
    page = await (await freshContext(browser)).newPage();
    page.on('pageerror', (e) => process.stdout.write(`browser error: ${e.message}\n`));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it('draws the nodes and edges the API answers, virtual nodes apart', async () => {
    const graphResponse = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/servicegraph');
    await page.goto(`${platform.apiUrl}/map`);
    const shown = (await (await graphResponse).json()) as ServiceGraphResponse;
    const map = page.locator('[data-testid="service-map"]');
    await map.waitFor();
    const nodes = await map
      .locator('[data-node]')
      .evaluateAll((els) => els.map((e) => [e.getAttribute('data-node'), e.getAttribute('data-type')]));
    expect(nodes.sort()).toEqual(shown.nodes.map((n) => [n.id, n.type]).sort());
    const edges = await map.locator('[data-edge]').evaluateAll((els) => els.map((e) => e.getAttribute('data-edge')));
    expect(edges.sort()).toEqual(shown.edges.map(edgeKey).sort());
    // The demo's topology: six services, a database and the unconsumed topic as virtual nodes.
    for (const s of SHOP_SERVICES) expect(nodes).toContainEqual([s, 'service']);
    expect(nodes.some(([, t]) => t === 'database')).toBe(true);
    expect(nodes.some(([, t]) => t === 'messaging')).toBe(true);
    for (const k of ['frontend→checkout', 'checkout→payment', 'checkout→shipping', 'shipping→inventory'])
      expect(edges).toContain(k);
    // Each node's stats are the API's figures.
    const checkout = shown.nodes.find((n) => n.id === 'checkout')!;
    expect(checkout.requests).toBeGreaterThan(0);
    const label = await map.locator('[data-node="checkout"]').getAttribute('aria-label');
    expect(label).toMatch(/^service checkout: [\d.]+\/s, [\d.<%]+ errors, P99 [\d.]+(ms|s)\b/);
    const rate = Number(/: ([\d.]+)\/s/.exec(label!)![1]);
    expect(rate).toBeCloseTo(checkout.requestRate, checkout.requestRate >= 10 ? 0 : 1);
    // No two nodes overlap on screen.
    const boxes = (
      await Promise.all((await map.locator('[data-node] > :first-child').all()).map((n) => n.boundingBox()))
    )
      .filter((b) => b !== null)
      .map((b) => b);
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i]!, boxes[j]!];
        const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
        expect(apart, `nodes ${i} and ${j} overlap`).toBe(true);
      }
    await shot('map');
  }, 90_000);

  it('lists the slowest traces across an edge, which open in the trace view', async () => {
    await page.goto(`${platform.apiUrl}/map`);
    await page.locator('[data-edge="checkout→payment"]').waitFor();
    const tracesResponse = page.waitForResponse((r) => r.url().includes('/api/servicegraph/edge/traces'));
    // A real click on the middle of the arrow (an SVG path's bounding box centre may miss a curve).
    const at = await page.evaluate<{ x: number; y: number }>(`(() => {
      const p = document.querySelector('[data-edge="checkout→payment"] .hit');
      const q = p.getPointAtLength(p.getTotalLength() / 2);
      const m = p.getScreenCTM();
      return { x: q.x * m.a + q.y * m.c + m.e, y: q.x * m.b + q.y * m.d + m.f };
    })()`);
    await page.mouse.click(at.x, at.y);
    const answer = (await (await tracesResponse).json()) as EdgeTracesResponse;
    expect(answer.traces.length).toBeGreaterThan(0);
    const links = page.locator('[data-testid="edge-traces"] a');
    await poll(() => links.count()).toBe(answer.traces.length);
    expect(await links.evaluateAll((as) => as.map((a) => a.getAttribute('data-trace')))).toEqual(
      answer.traces.map((t) => t.traceId),
    );
    // Slowest first.
    const durations = answer.traces.map((t) => t.edgeDurationMs);
    expect(durations).toEqual([...durations].sort((a, b) => b - a));
    expect(new URL(page.url()).searchParams.get('client')).toBe('checkout');
    await shot('edge');
    await links.first().click();
    await page.waitForURL(/\/traces\/[0-9a-f]{32}\?span=/);
    await page.locator('[data-testid="waterfall"]').waitFor();
    const span = new URL(page.url()).searchParams.get('span')!;
    await poll(() => page.locator(`[data-span-id="${span}"]`).getAttribute('aria-selected')).toBe('true');
  }, 90_000);

  it('reaches nodes and edges by keyboard: Tab to them, Enter opens', async () => {
    await page.goto(`${platform.apiUrl}/`);
    await page.locator('h1').waitFor();
    // g a: the map; g p: the propagation report; both listed in the keyboard help.
    await page.locator('body').press('g');
    await page.keyboard.press('a');
    await page.waitForURL(/\/map$/);
    await page.locator('[data-testid="service-map"]').waitFor();
    // What has the focus: a node's id, "edge:client→server", or null (read in the page).
    const focused = () =>
      page.evaluate<string | null>(`(() => {
        const el = document.activeElement;
        if (el?.getAttribute('data-node')) return el.getAttribute('data-node');
        return el?.getAttribute('data-edge') ? 'edge:' + el.getAttribute('data-edge') : null;
      })()`);
    // Tab until a service node has the focus, then Enter opens its page.
    let at: string | null = null;
    for (let i = 0; i < 60 && !(at && SHOP_SERVICES.includes(at as never)); i++) {
      await page.keyboard.press('Tab');
      at = await focused();
    }
    expect(SHOP_SERVICES).toContain(at);
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/services/${at}`));
    await page.goBack();
    await page.locator('[data-testid="service-map"]').waitFor();
    // Tab on to an edge; Enter lists its traces.
    at = null;
    for (let i = 0; i < 80 && !at?.startsWith('edge:'); i++) {
      await page.keyboard.press('Tab');
      at = await focused();
    }
    expect(at).toMatch(/^edge:/);
    await page.keyboard.press('Enter');
    const [client, server] = at!.slice(5).split('→');
    await poll(() => new URL(page.url()).searchParams.get('server')).toBe(server);
    expect(new URL(page.url()).searchParams.get('client')).toBe(client);
    await page.locator('[data-testid="edge-panel"] h2').waitFor();
    expect(await page.locator('[data-testid="edge-panel"] h2').textContent()).toBe(`${client} → ${server}`);

    // "g p" counts only when p follows g within a second: on a loaded machine the two presses can land
    // further apart, so the pair is pressed again until the page has moved.
    await poll(async () => {
      await page.locator('body').press('g');
      await page.keyboard.press('p');
      await page.waitForURL(/\/propagation$/, { timeout: 2000 }).catch(() => {});
      return new URL(page.url()).pathname;
    }).toBe('/propagation');
    await page.keyboard.press('?');
    const help = page.locator('[role="dialog"]');
    expect(await help.textContent()).toContain('g a');
    expect(await help.textContent()).toContain('g p');
    await page.keyboard.press('Escape');
  }, 90_000);

  it('names shipping as the service that drops traceparent, and opens its example on the broken hop', async () => {
    // The report as the page got it (the fold goes on, so counts grow after beforeAll's look).
    // Every answer's body is read as it arrives: the page may ask twice, and a superseded response's body
    // is gone once the browser moves on. The ranking drawn is the last answer's.
    const bodies: Promise<PropagationResponse | null>[] = [];
    const onResponse = (r: import('playwright-core').Response) => {
      if (new URL(r.url()).pathname === '/api/propagation')
        bodies.push(
          r.json().then(
            (b) => b as PropagationResponse,
            () => null,
          ),
        );
    };
    page.on('response', onResponse);
    await page.goto(`${platform.apiUrl}/propagation`);
    const ranking = page.locator('[data-testid="propagation-ranking"]');
    await ranking.waitFor();
    page.off('response', onResponse);
    const report = (await Promise.all(bodies)).filter((b) => b !== null).at(-1)!;
    expect(report).toBeDefined();
    await ranking.waitFor();
    const shipping = ranking.locator('li[data-service="shipping"]');
    await shipping.waitFor();
    const row = report.services.find((s) => s.service === 'shipping')!;
    const hops = row.problems.find((p) => p.problem === 'client-without-server')!;
    expect(hops.count).toBeGreaterThan(0);
    const hopRow = shipping.locator('tr[data-problem="client-without-server"]');
    expect(await hopRow.locator('.why').textContent()).toBe(hops.why);
    expect(hops.count).toBeLessThan(1000); // shown exactly below 1k
    expect(await hopRow.locator('td.num').textContent()).toBe(String(hops.count));
    // Shipping causes the breaks; inventory, where its requests arrive without context, ranks below it.
    const first = await ranking.locator('li').first().getAttribute('data-service');
    expect(first).toBe('shipping');
    const share = await page.locator('[data-testid="complete-share"]').textContent();
    expect(share).toContain(`of ${report.traces.total}`);
    await shot('propagation');

    await hopRow.locator('.examples a').first().click();
    await page.waitForURL(/\/traces\/[0-9a-f]{32}\?span=/);
    const spanId = new URL(page.url()).searchParams.get('span')!;
    expect(hops.examples.map((e) => e.spanId)).toContain(spanId);
    const marker = page.locator(`[data-span-id="${spanId}"] [data-testid="broken-hop"]`);
    await marker.waitFor();
    // The marker says why, in the words the trace's propagation answer gives for this span.
    const traceId = /\/traces\/([0-9a-f]{32})/.exec(page.url())![1]!;
    const flags = await api<TracePropagationResponse>(`/api/traces/${traceId}/propagation`);
    const why = flags.flagged.find((f) => f.spanId === spanId)?.why;
    expect(why).toBeDefined();
    expect(await marker.getAttribute('title')).toContain(why!);
    await poll(() => page.locator('[data-testid="broken-hop-why"]').textContent()).toContain('Broken hop');
    await shot('broken-hop');
  }, 90_000);
});
