// The demo workload against a real platform: six services calling each other over HTTP (and a queue)
// with W3C trace context, exporting traces and logs over OTLP and metrics over remote-write. What a newcomer
// is meant to see must arrive: whole traces, slow payments with a retry event and an error log in
// the same trace, and latency exemplars whose trace IDs open those traces.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEGACY_DROP_EVERY, SHOP_SERVICES, startDemo, type Demo } from '@pivot/demo';
import { MetricQueries } from '@pivot/store';
import { startTestPlatform } from './start.ts';

interface ApiSpan {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  service: string;
  kind: string;
  durationNano: string;
  events: { name: string }[];
  status: { code: string };
}

describe('demo workload end to end', () => {
  let platform: Awaited<ReturnType<typeof startTestPlatform>>;
  let demo: Demo;

  beforeAll(async () => {
    platform = await startTestPlatform();
    // An incident all the time and a brisk load, so that slow payments come within seconds.
    demo = await startDemo({
      ingestUrl: platform.ingestUrl,
      requestsPerSecond: 10,
      metricsIntervalMs: 1000,
      incidents: { periodMs: 60_000, offsetMs: 0, durationMs: 60_000, slowShare: 0.5 },
    });
    await new Promise((r) => setTimeout(r, 6000));
    await demo.flush();
  }, 60_000);

  afterAll(async () => {
    await demo?.stop();
    await platform?.stop();
  });

  /** Retries while the demo's batch processors catch up (each exports on its own 1 s schedule). */
  const eventually = async <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> => {
    for (let i = 0; i < 20; i++) {
      const v = await fn();
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${what}: not there after 5 s`);
  };

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${platform.apiUrl}${path}`);
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };

  it('stores whole traces across the services, database spans included', async () => {
    const { services } = await api<{ services: string[] }>('/api/services');
    expect(services).toEqual([...SHOP_SERVICES].sort());
    const { traces } = await api<{ traces: { traceId: string; spanCount: number }[] }>(
      '/api/traces?service=frontend&operation=POST%20%2Fcheckout&limit=50',
    );
    expect(traces.length).toBeGreaterThan(5);
    // A checkout that went all the way: frontend → checkout → inventory, pricing, payment.
    let full: ApiSpan[] | undefined;
    for (const t of traces) {
      const { spans } = await api<{ spans: ApiSpan[] }>(`/api/traces/${t.traceId}`);
      if (spans.some((s) => s.name === 'INSERT payments')) {
        full = spans;
        break;
      }
    }
    expect(full).toBeDefined();
    const byName = (service: string, name: string) => full!.find((s) => s.service === service && s.name === name)!;
    const root = byName('frontend', 'POST /checkout');
    expect(root.parentSpanId).toBeNull();
    const toCheckout = byName('frontend', 'POST /orders');
    expect(toCheckout.parentSpanId).toBe(root.spanId);
    expect(byName('checkout', 'POST /orders').parentSpanId).toBe(toCheckout.spanId);
    const stock = byName('inventory', 'GET /stock');
    expect(byName('inventory', 'SELECT stock').parentSpanId).toBe(stock.spanId);
    expect(byName('pricing', 'GET /price').kind).toBe('SERVER');
    expect(byName('payment', 'POST /charge').kind).toBe('SERVER');
    expect([...new Set(full!.map((s) => s.service))]).toEqual(
      expect.arrayContaining(['frontend', 'checkout', 'inventory', 'pricing', 'payment']),
    );
  });

  it('carries paid orders over the queue to shipping, and its legacy client drops traceparent 1 time in 4', async () => {
    interface Summary {
      traceId: string;
    }
    // Only traces that began before a flush: the load goes on, and a newer trace may be half exported.
    const end = Date.now() - 2000;
    await demo.flush();
    const spansOf = async (q: string) => {
      const { traces } = await api<{ traces: Summary[] }>(`/api/traces?${q}&end=${end}&limit=200`);
      const all: (ApiSpan & { traceId: string })[] = [];
      for (const t of traces) {
        const { spans } = await api<{ spans: ApiSpan[] }>(`/api/traces/${t.traceId}`);
        all.push(...spans.map((s) => ({ ...s, traceId: t.traceId })));
      }
      return all;
    };
    const spans = await spansOf('service=shipping');
    const consumers = spans.filter((s) => s.service === 'shipping' && s.name === 'orders process');
    expect(consumers.length).toBeGreaterThan(3);
    for (const c of consumers) {
      expect(c.kind).toBe('CONSUMER');
      const producer = spans.find((s) => s.spanId === c.parentSpanId);
      expect(producer).toMatchObject({ service: 'checkout', kind: 'PRODUCER', name: 'orders publish' });
    }
    // The unconsumed topic: its PRODUCER spans have no child.
    const events = spans.filter((s) => s.name === 'order-events publish');
    expect(events.length).toBeGreaterThan(0);
    expect(spans.some((s) => events.some((e) => e.spanId === s.parentSpanId))).toBe(false);
    // Each reservation is a CLIENT span; on every 4th, inventory's SERVER span is not its child.
    const reserves = spans.filter((s) => s.service === 'shipping' && s.name === 'POST /reserve');
    expect(reserves.length).toBeGreaterThanOrEqual(LEGACY_DROP_EVERY);
    const answered = reserves.filter((r) =>
      spans.some((s) => s.service === 'inventory' && s.kind === 'SERVER' && s.parentSpanId === r.spanId),
    );
    const dropped = reserves.length - answered.length;
    expect(dropped).toBeGreaterThanOrEqual(Math.floor(reserves.length / LEGACY_DROP_EVERY) - 1);
    expect(dropped).toBeLessThanOrEqual(Math.ceil(reserves.length / LEGACY_DROP_EVERY) + 1);
    // The dropped ones started traces of their own at inventory.
    const lost = await spansOf('service=inventory&operation=POST%20%2Freserve');
    expect(lost.some((s) => s.name === 'POST /reserve' && s.kind === 'SERVER' && s.parentSpanId === null)).toBe(true);
  });

  it('shows slow payments: ~1 s, a retry event, and an error log in the same trace', async () => {
    const { traces } = await api<{ traces: { traceId: string }[] }>(
      '/api/traces?service=payment&minDuration=900ms&limit=5',
    );
    expect(traces.length).toBeGreaterThan(0);
    // A service exports its spans in batches: the trace may list payment (a database child span arrived)
    // a moment before payment's own POST /charge span does.
    const { traceId, charge } = await eventually('a slow trace with its payment charge span', async () => {
      for (const { traceId } of traces) {
        const { spans } = await api<{ spans: ApiSpan[] }>(`/api/traces/${traceId}`);
        const charge = spans.find((s) => s.service === 'payment' && s.name === 'POST /charge');
        if (charge && Number(charge.durationNano) / 1e6 > 900) return { traceId, charge };
      }
      return undefined;
    });
    expect(Number(charge.durationNano) / 1e6).toBeGreaterThan(900);
    expect(charge.events.map((e) => e.name)).toContain('retry');
    const retryLog = await eventually('the retry log of the slow trace', async () => {
      const { logs } = await api<{
        logs: { body: unknown; severityText: string; service: string; spanId: string | null }[];
      }>(`/api/traces/${traceId}/logs`);
      return logs.find((l) => typeof l.body === 'string' && /timed out after 700 ms/.test(l.body));
    });
    expect(retryLog).toMatchObject({ severityText: 'ERROR', service: 'payment' });
    expect(retryLog.spanId).not.toBeNull();
  });

  it('remote-writes latency histograms with exemplars whose trace IDs are stored traces, and P99 shows the spike', async () => {
    const queries = new MetricQueries(platform.database);
    const groups = await queries.exemplars(
      [
        [
          { name: '__name__', type: '=', value: 'http_server_request_duration_seconds_bucket' },
          { name: 'job', type: '=', value: 'payment' },
        ],
      ],
      Date.now() - 600_000,
      Date.now() + 60_000,
    );
    const exemplars = groups.flatMap((g) => g.exemplars.map((e) => ({ ...e, le: g.seriesLabels.le })));
    expect(exemplars.length).toBeGreaterThan(0);
    for (const e of exemplars) expect(e.traceId).toMatch(/^[0-9a-f]{32}$/);
    // The exemplar of the 1 s bucket is a slow payment's trace, and it opens.
    const slow = exemplars.find((e) => e.value > 0.9)!;
    expect(slow).toBeDefined();
    // The exemplar may be a request whose spans the next scheduled export brings.
    // Each service exports on its own schedule: wait until the payment service's spans are in too.
    const spans = await eventually("the slow exemplar's payment spans", async () => {
      const res = await fetch(`${platform.apiUrl}/api/traces/${slow.traceId}`);
      if (res.status !== 200) return undefined;
      const all = ((await res.json()) as { spans: ApiSpan[] }).spans;
      return all.some((s) => s.service === 'payment') ? all : undefined;
    });
    expect(spans.some((s) => s.service === 'payment' && s.events.some((ev) => ev.name === 'retry'))).toBe(true);

    const q = encodeURIComponent(
      'histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{job="payment"}[1m])))',
    );
    const res = await api<{ data: { result: { value: [number, string] }[] } }>(`/api/v1/query?query=${q}`);
    expect(Number(res.data.result[0]!.value[1])).toBeGreaterThan(0.5);
    const ex = await api<{ data: { exemplars: { labels: Record<string, string> }[] }[] }>(
      `/api/v1/query_exemplars?query=${encodeURIComponent('http_server_request_duration_seconds_bucket{job="payment"}')}&start=${Math.floor(Date.now() / 1000) - 600}&end=${Math.ceil(Date.now() / 1000) + 60}`,
    );
    expect(ex.data.flatMap((d) => d.exemplars).some((e) => /^[0-9a-f]{32}$/.test(e.labels.trace_id ?? ''))).toBe(true);
  });
});
