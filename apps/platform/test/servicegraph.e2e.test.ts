// The service graph end to end with the real OpenTelemetry JS SDK: six services propagate W3C trace
// context through real header carriers (one, cart, drops it on its call to pricing), call a database
// and publish to a queue whose consumer links to the producer. Every edge, count and histogram bucket
// is checked through /api/servicegraph and through PromQL, and the propagation report must name cart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Context,
  type Span as OtelSpan,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { PropagationResponse, ServiceGraphResponse, TracePropagationResponse } from '@pivot/api-types';
import { startTestPlatform } from './start.ts';

const propagator = new W3CTraceContextPropagator();
const SERVICES = ['web', 'checkout', 'inventory', 'cart', 'pricing', 'shipping'] as const;
type Service = (typeof SERVICES)[number];
const N = 20;
// Tempo's default buckets, written out here rather than imported from the store under test.
const LE = [0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192, 16.384];
const cumulative = (durationsMs: number[]) => [
  ...LE.map((le) => durationsMs.filter((d) => d / 1000 <= le).length),
  durationsMs.length,
];

interface Expected {
  requests: number;
  failed: number;
  serverMs: number[];
  clientMs: number[];
}

describe('service graph end to end with the OpenTelemetry JS SDK', () => {
  let platform: Awaited<ReturnType<typeof startTestPlatform>>;
  const providers = new Map<Service, BasicTracerProvider>();
  const edges = new Map<string, Expected>();
  const spanGroups = new Map<string, number[]>();
  const mainTraces: string[] = [];
  let base = 0;

  const edge = (key: string, failed: boolean, clientMs: number, serverMs: number) => {
    let e = edges.get(key);
    if (!e) edges.set(key, (e = { requests: 0, failed: 0, serverMs: [], clientMs: [] }));
    e.requests++;
    if (failed) e.failed++;
    e.clientMs.push(clientMs);
    e.serverMs.push(serverMs);
  };
  const KIND = [
    'SPAN_KIND_INTERNAL',
    'SPAN_KIND_SERVER',
    'SPAN_KIND_CLIENT',
    'SPAN_KIND_PRODUCER',
    'SPAN_KIND_CONSUMER',
  ];
  /** Starts a span at an explicit time and ends it `ms` later, recording what span metrics should hold. */
  function timed(
    service: Service,
    name: string,
    kind: SpanKind,
    parent: Context,
    startMs: number,
    ms: number,
    opts: { attributes?: Record<string, string>; error?: boolean; links?: OtelSpan[]; root?: boolean } = {},
  ): OtelSpan {
    const span = providers
      .get(service)!
      .getTracer(service)
      .startSpan(
        name,
        {
          kind,
          startTime: new Date(startMs),
          attributes: opts.attributes ?? {},
          links: (opts.links ?? []).map((l) => ({ context: l.spanContext() })),
          ...(opts.root ? { root: true } : {}),
        },
        parent,
      );
    if (opts.error) span.setStatus({ code: SpanStatusCode.ERROR, message: 'out of stock' });
    span.end(new Date(startMs + ms));
    const key = [service, name, KIND[kind], opts.error ? 'STATUS_CODE_ERROR' : 'STATUS_CODE_UNSET'].join('|');
    spanGroups.set(key, [...(spanGroups.get(key) ?? []), ms]);
    return span;
  }
  /** The context a server extracts from the headers its client injected (none when `drop`). */
  function hop(client: OtelSpan, drop = false): Context {
    const headers: Record<string, string> = {};
    if (!drop) propagator.inject(trace.setSpan(ROOT_CONTEXT, client), headers, defaultTextMapSetter);
    return propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  }
  const ctx = (s: OtelSpan) => trace.setSpan(ROOT_CONTEXT, s);

  beforeAll(async () => {
    // No periodic fold while spans are still being exported: the test folds once, when all are in.
    platform = await startTestPlatform({ SERVICEGRAPH_WAIT_MS: '10000', SERVICEGRAPH_INTERVAL_MS: '300000' });
    const url = `${platform.ingestUrl}/v1/traces`;
    for (const s of SERVICES)
      providers.set(
        s,
        new BasicTracerProvider({
          resource: resourceFromAttributes({ 'service.name': s }),
          spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))],
        }),
      );
    // Requests two seconds apart, ended well over the wait ago, in whole minutes after `base`.
    base = Math.floor((Date.now() - 3 * 60_000) / 60_000) * 60_000;
    for (let i = 0; i < N; i++) {
      const t = base + 1000 + i * 2000;
      const d0 = 300 + 50 * i;
      const a = 2 ** (i % 8); // 1..128 ms: durations right on the bucket bounds
      const fail = i % 5 === 0;

      const webS = timed('web', 'GET /checkout', SpanKind.SERVER, ROOT_CONTEXT, t, d0);
      const webC = timed('web', 'POST checkout', SpanKind.CLIENT, ctx(webS), t + 1, d0 - 2, {
        attributes: { 'server.address': 'checkout' },
      });
      const coS = timed('checkout', 'POST /checkout', SpanKind.SERVER, hop(webC), t + 2, d0 - 4);
      edge('user>web|virtual_node', false, 0, d0);
      edge('web>checkout|', false, d0 - 2, d0 - 4);

      const invC = timed('checkout', 'GET inventory', SpanKind.CLIENT, ctx(coS), t + 3, a + 1, {
        attributes: { 'server.address': 'inventory' },
      });
      const invS = timed('inventory', 'GET /stock', SpanKind.SERVER, hop(invC), t + 3, a, { error: fail });
      timed('inventory', 'SELECT stock', SpanKind.CLIENT, ctx(invS), t + 3, a, {
        // Commented as sqlcommenter does (the propagation check flags a SQL statement without it).
        attributes: {
          'db.system': 'postgresql',
          'db.namespace': 'inventory',
          'db.query.text': `SELECT 1 /*traceparent='00-${'1'.repeat(32)}-${'2'.repeat(16)}-01'*/`,
        },
      });
      edge('checkout>inventory|', fail, a + 1, a);
      edge('inventory>postgresql/inventory|database', false, a, a);

      const cartC = timed('checkout', 'POST cart', SpanKind.CLIENT, ctx(coS), t + 140, 10 + i, {
        attributes: { 'server.address': 'cart' },
      });
      const cartS = timed('cart', 'POST /cart', SpanKind.SERVER, hop(cartC), t + 141, 8 + i);
      edge('checkout>cart|', false, 10 + i, 8 + i);
      // cart's HTTP client does not inject traceparent: pricing starts a trace of its own.
      const priceC = timed('cart', 'GET pricing', SpanKind.CLIENT, ctx(cartS), t + 142, 6, {
        attributes: { 'server.address': 'pricing' },
      });
      timed('pricing', 'GET /price', SpanKind.SERVER, hop(priceC, true), t + 143, 4);
      edge('cart>pricing|virtual_node', false, 6, 0);
      edge('user>pricing|virtual_node', false, 0, 4);

      const queue = { 'messaging.system': 'kafka', 'messaging.destination.name': 'orders' };
      const prod = timed('checkout', 'orders publish', SpanKind.PRODUCER, ctx(coS), t + 160, 1, { attributes: queue });
      edge('checkout>kafka/orders|messaging_system', false, 1, 0);
      // The consumer starts its own trace and links to the producer, as the messaging conventions allow.
      timed('shipping', 'orders process', SpanKind.CONSUMER, ROOT_CONTEXT, t + 500, 3 * i + 1, {
        attributes: queue,
        links: [prod],
        root: true,
      });
      edge('kafka/orders>shipping|messaging_system', false, 0, 3 * i + 1);
      mainTraces.push(webS.spanContext().traceId);
    }
    await Promise.all([...providers.values()].map((p) => p.forceFlush()));
    const run = await platform.ingest.maintenance.runNow('servicegraph');
    expect(run.result.spans).toBe(N * 12);
  });

  afterAll(async () => {
    await Promise.all([...providers.values()].map((p) => p.shutdown()));
    await platform?.stop();
  });

  const window = () => `start=${base}&end=${Date.now()}`;
  async function promql(query: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const res = await fetch(`${platform.apiUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
    expect(res.status, query).toBe(200);
    return ((await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } })
      .data.result;
  }

  it('serves every edge with its counts, and every node with its type', async () => {
    const res = await fetch(`${platform.apiUrl}/api/servicegraph?${window()}`);
    expect(res.status).toBe(200);
    const g = (await res.json()) as ServiceGraphResponse;
    const got = Object.fromEntries(
      g.edges.map((e) => [`${e.client}>${e.server}|${e.connectionType}`, [e.requests, e.errors]]),
    );
    expect(got).toEqual(Object.fromEntries([...edges].map(([k, e]) => [k, [e.requests, e.failed]])));
    expect(Object.fromEntries(g.nodes.map((n) => [n.id, n.type]))).toEqual({
      cart: 'service',
      checkout: 'service',
      inventory: 'service',
      'kafka/orders': 'messaging',
      pricing: 'service',
      'postgresql/inventory': 'database',
      shipping: 'service',
      user: 'external',
      web: 'service',
    });
    const inventory = g.nodes.find((n) => n.id === 'inventory')!;
    expect([inventory.requests, inventory.errors]).toEqual([N, 4]);
    // The rate is over the time the data covers (from its first folded minute), not the hour asked for.
    expect(inventory.requestRate).toBeGreaterThan(N / 300);
  });

  it('answers PromQL with exactly the counts and every histogram bucket of the rollups', async () => {
    for (const [key, e] of edges) {
      const [client, rest] = key.split('>') as [string, string];
      const [server, conn] = rest.split('|') as [string, string];
      const sel = `{client="${client}",server="${server}",connection_type="${conn}"}`;
      const one = async (q: string) => {
        const r = await promql(q);
        expect(r, q).toHaveLength(1);
        return Number(r[0]!.value[1]);
      };
      expect(await one(`traces_service_graph_request_total${sel}`)).toBe(e.requests);
      expect(await one(`traces_service_graph_request_failed_total${sel}`)).toBe(e.failed);
      for (const [side, ms] of [
        ['server', e.serverMs],
        ['client', e.clientMs],
      ] as const) {
        const buckets = await promql(`traces_service_graph_request_${side}_seconds_bucket${sel}`);
        const byLe = Object.fromEntries(buckets.map((b) => [b.metric.le, Number(b.value[1])]));
        expect(byLe, `${key} ${side}`).toEqual(
          Object.fromEntries(cumulative(ms).map((n, i) => [i < LE.length ? String(LE[i]) : '+Inf', n])),
        );
        expect(await one(`traces_service_graph_request_${side}_seconds_count${sel}`)).toBe(ms.length);
        expect(await one(`traces_service_graph_request_${side}_seconds_sum${sel}`)).toBeCloseTo(
          ms.reduce((x, y) => x + y, 0) / 1000,
          9,
        );
      }
    }
    for (const [key, ms] of spanGroups) {
      const [service, name, kind, status] = key.split('|');
      const sel = `{service="${service}",span_name="${name}",span_kind="${kind}",status_code="${status}"}`;
      const calls = await promql(`traces_spanmetrics_calls_total${sel}`);
      expect(
        calls.map((c) => Number(c.value[1])),
        key,
      ).toEqual([ms.length]);
      const buckets = await promql(`traces_spanmetrics_latency_bucket${sel}`);
      expect(Object.fromEntries(buckets.map((b) => [b.metric.le, Number(b.value[1])])), key).toEqual(
        Object.fromEntries(cumulative(ms).map((n, i) => [i < LE.length ? String(LE[i]) : '+Inf', n])),
      );
    }
    // Three traces per request, two of them broken (the main one at cart, pricing's own).
    expect((await promql('pivot_propagation_traces_total')).map((r) => Number(r.value[1]))).toEqual([3 * N]);
    expect((await promql('pivot_propagation_broken_traces_total')).map((r) => Number(r.value[1]))).toEqual([2 * N]);
    expect(Number((await promql('pivot_propagation_problem_spans_total{service="cart"}'))[0]!.value[1])).toBe(N);
    // histogram_quantile over span metrics works as in Tempo: inventory's 8 durations 1..128 ms.
    const [p50] = await promql(
      'histogram_quantile(0.5, sum by (le) (traces_spanmetrics_latency_bucket{service="inventory",span_kind="SPAN_KIND_SERVER"}))',
    );
    expect(Number(p50!.value[1])).toBeGreaterThan(0.002);
    expect(Number(p50!.value[1])).toBeLessThanOrEqual(0.016);
    // Exemplars point at real traces.
    const ex = await fetch(
      `${platform.apiUrl}/api/v1/query_exemplars?query=${encodeURIComponent('traces_spanmetrics_calls_total{service="web"}')}&start=${base / 1000}&end=${Date.now() / 1000}`,
    );
    const exBody = (await ex.json()) as { data: { exemplars: { labels: Record<string, string> }[] }[] };
    expect(exBody.data.flatMap((d) => d.exemplars).map((e) => e.labels.trace_id)).toContain(mainTraces.at(-1));
  });

  // The queries Grafana's Tempo data source sends to its service-map Prometheus for the service-graph tab
  // and node graph (public/app/plugins/datasource/tempo/datasource.ts, serviceMapQuery; metric names from
  // graphTransform.ts), with $__range as a range that covers the data. Grafana builds one edge per
  // (client, server) row and attributes its totals to the server node.
  it("answers Grafana's service-map queries with one row per (client, server) edge, totals as the rollups", async () => {
    const range = '[1h]';
    const byEdge = (rows: { metric: Record<string, string>; value: [number, string] }[]) =>
      Object.fromEntries(rows.map((r) => [`${r.metric.client}>${r.metric.server}`, Number(r.value[1])]));
    const totals = new Map<string, number>();
    const failed = new Map<string, number>();
    for (const [key, e] of edges) {
      const pair = key.split('|')[0]!;
      totals.set(pair, (totals.get(pair) ?? 0) + e.requests);
      failed.set(pair, (failed.get(pair) ?? 0) + e.failed);
    }
    for (const [metric, expected] of [
      ['traces_service_graph_request_total', totals],
      ['traces_service_graph_request_failed_total', failed],
    ] as const) {
      const rows = await promql(`sum by (client, server) (rate(${metric}${range}))`);
      expect(rows.every((r) => Object.keys(r.metric).sort().join() === 'client,server')).toBe(true);
      const rates = byEdge(rows);
      // rate() extrapolates, so the totals are compared through increase() over the same window's samples.
      const counts = byEdge(await promql(`sum by (client, server) (${metric})`));
      for (const [pair, n] of expected) if (n > 0) expect(counts[pair], `${metric} ${pair}`).toBe(n);
      for (const [pair, n] of expected) if (n > 0) expect(rates[pair], `${metric} ${pair}`).toBeGreaterThan(0);
    }
    const seconds = byEdge(
      await promql(`sum by (client, server) (rate(traces_service_graph_request_server_seconds_sum${range}))`),
    );
    expect(Object.keys(seconds).sort()).toEqual([...totals.keys()].sort());
    const p90 = await promql(
      `histogram_quantile(0.9, sum by (client, server, le) (rate(traces_service_graph_request_server_seconds_bucket${range})))`,
    );
    expect(p90.length).toBe(totals.size);
    // The table under the graph: calls, errors and latency by span name (Grafana's rateMetric, errorRateMetric,
    // durationMetric, filtered to server spans).
    const calls = await promql(
      `topk(5, sum(rate(traces_spanmetrics_calls_total{span_kind="SPAN_KIND_SERVER"}${range})) by (span_name))`,
    );
    expect(calls.length).toBeGreaterThan(0);
    const p90Server = await promql(
      `histogram_quantile(.9, sum(rate(traces_spanmetrics_latency_bucket{span_kind="SPAN_KIND_SERVER"}${range})) by (le))`,
    );
    expect(p90Server).toHaveLength(1);
    expect(Number(p90Server[0]!.value[1])).toBeGreaterThan(0);
  });

  it('names cart as the service that drops traceparent, and pricing as where the trace breaks', async () => {
    const res = await fetch(`${platform.apiUrl}/api/propagation?${window()}`);
    expect(res.status).toBe(200);
    const p = (await res.json()) as PropagationResponse;
    const broken = p.services.filter((s) => s.problems.length);
    expect(broken.map((s) => s.service).sort()).toEqual(['cart', 'pricing']);
    const cart = broken.find((s) => s.service === 'cart')!;
    expect(cart.problems.map((x) => [x.problem, x.count])).toEqual([['client-without-server', N]]);
    expect(cart.brokenHops).toBe(N);
    expect(cart.problems[0]!.why).toContain('pricing');
    const pricing = broken.find((s) => s.service === 'pricing')!;
    expect(pricing.problems.map((x) => [x.problem, x.count])).toEqual([['context-lost', N]]);
    expect(pricing.problems[0]!.why).toContain('called by cart');
    // Three traces per request: the main one (broken at cart), pricing's own, and shipping's (complete).
    expect(p.traces).toEqual({ total: 3 * N, complete: N, completeShare: 1 / 3 });
    expect(p.services.find((s) => s.service === 'web')).toMatchObject({ spans: 2 * N, brokenHops: 0 });

    const example = cart.problems[0]!.examples[0]!;
    const flags = (await (
      await fetch(`${platform.apiUrl}/api/traces/${example.traceId}/propagation`)
    ).json()) as TracePropagationResponse;
    expect(flags.flagged).toEqual([
      { spanId: example.spanId, problem: 'client-without-server', why: expect.any(String) },
    ]);
    expect(mainTraces).toContain(example.traceId);
  });

  it('refuses a bad window or a missing edge end with a 400 naming it', async () => {
    const r1 = await fetch(`${platform.apiUrl}/api/servicegraph?start=${Date.now()}&end=${Date.now() - 1000}`);
    expect(r1.status).toBe(400);
    expect(await r1.text()).toContain('start');
    const r2 = await fetch(`${platform.apiUrl}/api/servicegraph/edge/traces?client=web`);
    expect(r2.status).toBe(400);
    expect(await r2.text()).toContain('server');
    const r3 = await fetch(
      `${platform.apiUrl}/api/servicegraph/edge/traces?client=checkout&server=inventory&limit=3&${window()}`,
    );
    const body = (await r3.json()) as { traces: { durationMs: number; edgeDurationMs: number }[] };
    // The slowest calls: a = 128 ms happens at i = 7 and i = 15, so 129 ms client spans come first.
    expect(body.traces.map((t) => t.edgeDurationMs)).toEqual([129, 129, 65]);
  });
});
