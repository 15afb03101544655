// The real OpenTelemetry JS SDK, in two services that call each other over HTTP with W3C trace
// context, exports to the ingest port; the trace is read back from the API port.
import { createServer, request as httpRequest, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { startTestPlatform } from './start.ts';

const propagator = new W3CTraceContextPropagator();

interface ApiSpan {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  service: string;
  kind: string;
  startTimeUnixNano: string;
  durationNano: string;
  status: { code: string; message: string };
  attributes: Record<string, unknown>;
  events: { name: string }[];
  resource: { attributes: Record<string, unknown> };
}

describe('traces end to end with the OpenTelemetry JS SDK', () => {
  let platform: Awaited<ReturnType<typeof startTestPlatform>>;
  let checkout: BasicTracerProvider;
  let payment: BasicTracerProvider;
  let paymentServer: Server;
  let paymentUrl: string;

  beforeAll(async () => {
    platform = await startTestPlatform();
    const url = `${platform.ingestUrl}/v1/traces`;
    // checkout-api exports protobuf, payment-service JSON: both encodings from real exporters.
    checkout = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'checkout-api', 'service.version': '1.2.3' }),
      spanProcessors: [new BatchSpanProcessor(new ProtoExporter({ url }))],
    });
    payment = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'payment-service' }),
      spanProcessors: [new BatchSpanProcessor(new JsonExporter({ url, compression: 'gzip' as never }))],
    });
    const paymentTracer = payment.getTracer('payment');
    paymentServer = createServer((req, res) => {
      const parent = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
      const span = paymentTracer.startSpan(
        'POST /charge',
        { kind: SpanKind.SERVER, attributes: { 'http.route': '/charge' } },
        parent,
      );
      span.addEvent('retry', { 'retry.attempt': 1 });
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
      setTimeout(() => {
        span.end();
        res.statusCode = 402;
        res.end('declined');
      }, 20);
    });
    await new Promise<void>((r) => paymentServer.listen(0, '127.0.0.1', r));
    paymentUrl = `http://127.0.0.1:${(paymentServer.address() as { port: number }).port}/charge`;
  });

  afterAll(async () => {
    await checkout?.shutdown();
    await payment?.shutdown();
    paymentServer?.close();
    await platform?.stop();
  });

  async function doCheckout(): Promise<string> {
    const tracer = checkout.getTracer('checkout');
    const root = tracer.startSpan('POST /checkout', {
      kind: SpanKind.SERVER,
      attributes: { 'http.route': '/checkout', 'user.id': 42 },
    });
    const rootCtx = trace.setSpan(context.active(), root);
    const client = tracer.startSpan('POST payment-service /charge', { kind: SpanKind.CLIENT }, rootCtx);
    const headers: Record<string, string> = {};
    propagator.inject(trace.setSpan(rootCtx, client), headers, defaultTextMapSetter);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(paymentUrl, { method: 'POST', headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
    client.setAttribute('http.response.status_code', status);
    client.end();
    root.end();
    return root.spanContext().traceId;
  }

  it('stores the spans of both services as one trace with the right tree and summary', async () => {
    const traceId = await doCheckout();
    // Payment's spans are exported first: the trace must come together in any order.
    await payment.forceFlush();
    await checkout.forceFlush();

    const res = await fetch(`${platform.apiUrl}/api/traces/${traceId}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      services: string[];
      spans: ApiSpan[];
      summary: { rootService: string; rootName: string; spanCount: number; errorCount: number; durationNano: string };
    };
    expect(body.services).toEqual(['checkout-api', 'payment-service']);
    const byName = Object.fromEntries(body.spans.map((s) => [s.name, s]));
    const root = byName['POST /checkout']!;
    const client = byName['POST payment-service /charge']!;
    const server = byName['POST /charge']!;
    expect(root.parentSpanId).toBeNull();
    expect(client.parentSpanId).toBe(root.spanId);
    expect(server.parentSpanId).toBe(client.spanId);
    expect([root.service, client.service, server.service]).toEqual(['checkout-api', 'checkout-api', 'payment-service']);
    expect([root.kind, client.kind, server.kind]).toEqual(['SERVER', 'CLIENT', 'SERVER']);
    expect(server.status).toEqual({ code: 'ERROR', message: 'card declined' });
    expect(server.events.map((e) => e.name)).toEqual(['retry']);
    expect(client.attributes['http.response.status_code']).toBe(402);
    expect(root.attributes['user.id']).toBe(42);
    expect(root.resource.attributes['service.version']).toBe('1.2.3');
    expect(BigInt(server.durationNano)).toBeGreaterThan(15_000_000n);

    expect(body.summary).toMatchObject({
      rootService: 'checkout-api',
      rootName: 'POST /checkout',
      spanCount: 3,
      errorCount: 1,
    });
    // The true trace duration: first start to last end over all spans (the two SDKs' clocks may
    // skew by a little, so a child can end after its root).
    const starts = body.spans.map((s) => BigInt(s.startTimeUnixNano));
    const ends = body.spans.map((s) => BigInt(s.startTimeUnixNano) + BigInt(s.durationNano));
    const max = (xs: bigint[]) => xs.reduce((a, b) => (a > b ? a : b));
    const min = (xs: bigint[]) => xs.reduce((a, b) => (a < b ? a : b));
    expect(BigInt(body.summary.durationNano)).toBe(max(ends) - min(starts));
  });

  it('finds the trace by search filters and lists services and operations', async () => {
    const traceId = await doCheckout();
    await checkout.forceFlush();
    await payment.forceFlush();
    const q = async (qs: string) =>
      (
        (await (await fetch(`${platform.apiUrl}/api/traces?${qs}`)).json()) as { traces: { traceId: string }[] }
      ).traces.map((t) => t.traceId);
    expect(await q('service=payment-service&status=error&limit=1')).toEqual([traceId]);
    expect((await q('service=checkout-api&operation=POST%20%2Fcheckout&attr.user.id=42')).includes(traceId)).toBe(true);
    expect(await q('minDuration=1h')).toEqual([]);
    const services = (await (await fetch(`${platform.apiUrl}/api/services`)).json()) as { services: string[] };
    expect(services.services).toEqual(['checkout-api', 'payment-service']);
    const ops = (await (await fetch(`${platform.apiUrl}/api/services/payment-service/operations`)).json()) as {
      operations: { name: string; kind: string }[];
    };
    expect(ops.operations).toEqual([{ name: 'POST /charge', kind: 'SERVER' }]);
  });

  it('gives the same trace in columns (?format=columns, what the dashboard reads)', async () => {
    const traceId = await doCheckout();
    await payment.forceFlush();
    await checkout.forceFlush();
    const rows = (await (await fetch(`${platform.apiUrl}/api/traces/${traceId}`)).json()) as {
      summary: { startTimeUnixNano: string };
      spans: (ApiSpan & Record<string, unknown>)[];
    };
    const res = await fetch(`${platform.apiUrl}/api/traces/${traceId}?format=columns`, {
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    const cols = (await res.json()) as {
      summary: unknown;
      spans: Record<string, unknown[]>;
      resources: ApiSpan['resource'][];
      scopes: unknown[];
    };
    expect(cols.summary).toEqual(rows.summary);
    const base = BigInt(rows.summary.startTimeUnixNano);
    const c = cols.spans;
    const back = rows.spans.map((_, i) => ({
      spanId: c.spanId![i],
      parentSpanId: c.parentSpanId![i],
      name: c.name![i],
      service: c.service![i],
      kind: c.kind![i],
      startTimeUnixNano: (base + BigInt(c.startOffsetNano![i] as number)).toString(),
      durationNano: String(c.durationNano![i]),
      status: { code: c.statusCode![i], message: c.statusMessage![i] },
      traceState: c.traceState![i],
      flags: c.flags![i],
      attributes: c.attributes![i],
      events: c.events![i] ?? [],
      links: c.links![i] ?? [],
      droppedAttributesCount: c.droppedAttributesCount![i],
      droppedEventsCount: c.droppedEventsCount![i],
      droppedLinksCount: c.droppedLinksCount![i],
      resource: cols.resources[c.resource![i] as number],
      scope: cols.scopes[c.scope![i] as number],
    }));
    expect(back).toEqual(rows.spans.map(({ traceId: _t, ...s }) => s));
    expect(cols.resources.length).toBe(2); // one per service, not one per span
    expect((await fetch(`${platform.apiUrl}/api/traces/${'ab'.repeat(16)}?format=columns`)).status).toBe(404);
  });

  it('answers 400 for a malformed trace ID and 404 for an unknown one', async () => {
    const bad = await fetch(`${platform.apiUrl}/api/traces/xyz`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/not a trace ID/);
    expect((await fetch(`${platform.apiUrl}/api/traces/${'ab'.repeat(16)}`)).status).toBe(404);
    expect((await fetch(`${platform.apiUrl}/api/traces?minDuration=fast`)).status).toBe(400);
  });
});
