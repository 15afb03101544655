// OTLP/gRPC end to end: the real OpenTelemetry JS gRPC exporters (traces, metrics, logs), uncompressed
// and gzip, with and without an ingest token, send to the all-in-one platform; the data is read back
// through the query API. Ingest auth over HTTP is checked on the same platform, and an outage of
// PostgreSQL (DATABASE_URL only) on a platform of its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { rawClient, rawExport, statusDetails } from '@pivot/ingest/testing';
import { startTestPlatform } from './start.ts';

type TestPlatform = Awaited<ReturnType<typeof startTestPlatform>>;

const TOKENS = ['e2e-token-one', 'e2e-token-two'];

interface Exporters {
  compression?: 'gzip';
  token?: string;
}

function grpcOptions(url: string, o: Exporters) {
  const metadata = new Metadata();
  if (o.token) metadata.set('authorization', `Bearer ${o.token}`);
  return { url, metadata, timeoutMillis: 30_000, ...(o.compression ? { compression: o.compression as never } : {}) };
}

/** Sends one trace of two spans through the real trace exporter; resolves with its trace ID and result. */
async function sendTrace(
  url: string,
  service: string,
  o: Exporters,
): Promise<{ traceId: string; result: ExportResult }> {
  const results: ExportResult[] = [];
  const exporter = new OTLPTraceExporter(grpcOptions(url, o));
  const export_ = exporter.export.bind(exporter);
  exporter.export = (spans, cb) => export_(spans, (r) => (results.push(r), cb(r)));
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('grpc-e2e');
  const root = tracer.startSpan(`GET /${service}`, {
    kind: SpanKind.SERVER,
    attributes: { 'http.route': `/${service}` },
  });
  tracer.startSpan('SELECT orders', { kind: SpanKind.CLIENT }, trace.setSpan(context.active(), root)).end();
  root.end();
  // A failed export also rejects forceFlush; the result is what the caller asserts on.
  await provider.forceFlush().catch(() => {});
  await provider.shutdown();
  const failed = results.find((r) => r.code !== ExportResultCode.SUCCESS);
  return { traceId: root.spanContext().traceId, result: failed ?? results[0]! };
}

async function getTrace(p: TestPlatform, traceId: string) {
  const res = await fetch(`${p.apiUrl}/api/traces/${traceId}`);
  return {
    status: res.status,
    body:
      res.status === 200
        ? ((await res.json()) as { spans: { name: string; service: string }[]; summary: { spanCount: number } })
        : undefined,
  };
}

/** Sends one counter through the real metrics exporter. */
async function sendCounter(url: string, service: string, name: string, value: number, o: Exporters): Promise<void> {
  const reader = new PeriodicExportingMetricReader({
    exporter: new OTLPMetricExporter(grpcOptions(url, o)),
    exportIntervalMillis: 3_600_000,
  });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    readers: [reader],
  });
  provider.getMeter('grpc-e2e').createCounter(name).add(value, { route: '/orders' });
  await provider.forceFlush();
  await provider.shutdown();
}

async function instantValue(
  p: TestPlatform,
  query: string,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${p.apiUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } })
    .data.result;
}

/** Emits one log record inside a span context through the real logs exporter. */
async function sendLog(url: string, service: string, body: string, traceId: string, o: Exporters): Promise<void> {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter(grpcOptions(url, o)) })],
  });
  const ctx = trace.setSpanContext(context.active(), { traceId, spanId: '00f067aa0ba902b7', traceFlags: 1 });
  provider
    .getLogger('grpc-e2e')
    .emit({
      body,
      severityNumber: SeverityNumber.WARN,
      severityText: 'WARN',
      context: ctx,
      attributes: { 'order.id': 7 },
    });
  await provider.forceFlush();
  await provider.shutdown();
}

interface ApiLog {
  body: unknown;
  severityText: string;
  service: string;
  spanId: string | null;
  attributes: Record<string, unknown>;
}
async function traceLogs(p: TestPlatform, traceId: string): Promise<ApiLog[]> {
  const res = await fetch(`${p.apiUrl}/api/traces/${traceId}/logs`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { logs: ApiLog[] }).logs;
}

const randomTraceId = () =>
  Array.from({ length: 32 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');

describe('OTLP/gRPC with the OpenTelemetry JS exporters', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform();
  });
  afterAll(() => platform?.stop());

  it.each([
    { compression: undefined, label: 'none' },
    { compression: 'gzip' as const, label: 'gzip' },
  ])('stores traces sent with compression $label and serves them by ID', async ({ compression }) => {
    const service = `grpc-traces-${compression ?? 'none'}`;
    const { traceId, result } = await sendTrace(platform.grpcUrl, service, { ...(compression ? { compression } : {}) });
    expect(result.code).toBe(ExportResultCode.SUCCESS);
    const { status, body } = await getTrace(platform, traceId);
    expect(status).toBe(200);
    expect(body!.spans.map((s) => [s.name, s.service]).sort()).toEqual([
      [`GET /${service}`, service],
      ['SELECT orders', service],
    ]);
    expect(body!.summary.spanCount).toBe(2);
  });

  it.each([
    { compression: undefined, label: 'none' },
    { compression: 'gzip' as const, label: 'gzip' },
  ])('stores metrics sent with compression $label, queryable with PromQL', async ({ compression }) => {
    const name = `grpc_orders_${compression ?? 'none'}`;
    await sendCounter(platform.grpcUrl, 'shop', name.replaceAll('_', '.'), 3, {
      ...(compression ? { compression } : {}),
    });
    const result = await instantValue(platform, `${name}_total`);
    expect(result).toHaveLength(1);
    expect(result[0]!.metric).toMatchObject({ __name__: `${name}_total`, job: 'shop', route: '/orders' });
    expect(result[0]!.value[1]).toBe('3');
  });

  it.each([
    { compression: undefined, label: 'none' },
    { compression: 'gzip' as const, label: 'gzip' },
  ])('stores logs sent with compression $label, linked to their trace', async ({ compression }) => {
    const traceId = randomTraceId();
    const body = `payment declined (${compression ?? 'none'})`;
    await sendLog(platform.grpcUrl, 'grpc-logs', body, traceId, { ...(compression ? { compression } : {}) });
    const logs = await traceLogs(platform, traceId);
    expect(logs.map((l) => [l.body, l.severityText, l.service, l.spanId, l.attributes['order.id']])).toEqual([
      [body, 'WARN', 'grpc-logs', '00f067aa0ba902b7', 7],
    ]);
  });

  it('answers INVALID_ARGUMENT for an undecodable message and counts calls by method and code', async () => {
    const client = rawClient(platform.grpcUrl);
    try {
      const r = await rawExport(client, 'traces', new TextEncoder().encode('this is not protobuf'));
      expect(r.ok).toBe(false);
      const err = (r as { error: ServiceError }).error;
      expect(err.code).toBe(3);
      expect(err.details).toMatch(/byte/);
    } finally {
      client.close();
    }
    const text = await (await fetch(`${platform.ingestUrl}/metrics`)).text();
    expect(text).toContain(
      'pivot_ingest_grpc_requests_total{method="opentelemetry.proto.collector.trace.v1.TraceService/Export",code="INVALID_ARGUMENT"} 1',
    );
    expect(text).toMatch(
      /pivot_ingest_grpc_requests_total\{method="opentelemetry.proto.collector.metrics.v1.MetricsService\/Export",code="OK"\} [1-9]/,
    );
    expect(text).toMatch(
      /pivot_ingest_grpc_requests_total\{method="opentelemetry.proto.collector.logs.v1.LogsService\/Export",code="OK"\} [1-9]/,
    );
  });
});

describe('ingest with INGEST_TOKEN, over gRPC and HTTP', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform({ INGEST_TOKEN: TOKENS.join(',') });
  });
  afterAll(() => platform?.stop());

  it.each([
    { compression: undefined, label: 'none', token: TOKENS[0] },
    { compression: 'gzip' as const, label: 'gzip', token: TOKENS[1] },
  ])(
    'accepts traces, metrics and logs carrying a token in the metadata (compression $label)',
    async ({ compression, token }) => {
      const o = { token: token!, ...(compression ? { compression } : {}) };
      const service = `secured-${compression ?? 'none'}`;
      const { traceId, result } = await sendTrace(platform.grpcUrl, service, o);
      expect(result.code).toBe(ExportResultCode.SUCCESS);
      expect((await getTrace(platform, traceId)).body!.summary.spanCount).toBe(2);

      const metric = `secured_orders_${compression ?? 'none'}`;
      await sendCounter(platform.grpcUrl, service, metric.replaceAll('_', '.'), 5, o);
      expect((await instantValue(platform, `${metric}_total`)).map((r) => r.value[1])).toEqual(['5']);

      await sendLog(platform.grpcUrl, service, 'with token', traceId, o);
      expect((await traceLogs(platform, traceId)).map((l) => l.body)).toEqual(['with token']);
    },
  );

  it.each([
    { token: undefined, label: 'none' },
    { token: 'not-a-token', label: 'a wrong one' },
  ])('refuses an exporter with token $label: UNAUTHENTICATED, nothing stored', async ({ token }) => {
    const { traceId, result } = await sendTrace(platform.grpcUrl, 'intruder', {
      ...(token ? { token } : {}),
      compression: 'gzip',
    });
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect((result.error as ServiceError).code).toBe(16);
    expect((await getTrace(platform, traceId)).status).toBe(404);
  });

  it('answers 401 over HTTP without the right token, 2xx with it, and keeps /healthz open', async () => {
    const traceBody = JSON.stringify({ resourceSpans: [] });
    const post = (path: string, body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string>) =>
      fetch(`${platform.ingestUrl}${path}`, { method: 'POST', body, headers });
    const otlpJson = { 'content-type': 'application/json' };
    const rw = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' };
    const emptyWriteRequest = new Uint8Array([0]); // an empty snappy block

    for (const auth of [{}, { authorization: 'Bearer wrong' }, { authorization: `Basic ${TOKENS[0]}` }] as Record<
      string,
      string
    >[]) {
      const t = await post('/v1/traces', traceBody, { ...otlpJson, ...auth });
      expect(t.status).toBe(401);
      expect(((await t.json()) as { code: number }).code).toBe(16);
      expect((await post('/api/v1/write', emptyWriteRequest, { ...rw, ...auth })).status).toBe(401);
    }
    const ok = await post('/v1/traces', traceBody, { ...otlpJson, authorization: `Bearer ${TOKENS[1]}` });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({});
    expect(
      (await post('/api/v1/write', emptyWriteRequest, { ...rw, authorization: `Bearer ${TOKENS[0]}` })).status,
    ).toBe(204);
    for (const path of ['/healthz', '/readyz', '/metrics'])
      expect((await fetch(`${platform.ingestUrl}${path}`)).status, path).toBe(200);
  });
});

// The JS gRPC exporter (0.223) reports every non-OK status as a plain failure and does not retry it
// itself (only its HTTP sibling wraps a retrying transport). So the test plays the exporter's retry
// policy as the OTLP spec describes it: on UNAVAILABLE or RESOURCE_EXHAUSTED with RetryInfo, wait the
// delay the server asked for and export the same spans again, through the same real exporter.
async function exportWithSpecRetries(exporter: OTLPTraceExporter, spans: ReadableSpan[], maxAttempts: number) {
  const failures: { code: number; retryDelayMs: number | undefined }[] = [];
  for (let attempt = 1; ; attempt++) {
    const result = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
    if (result.code === ExportResultCode.SUCCESS) return failures;
    const err = result.error as ServiceError;
    const delay = statusDetails(err)?.details.find((d) => d.retryDelay)?.retryDelay;
    const retryDelayMs = delay && delay.seconds * 1000 + delay.nanos / 1e6;
    failures.push({ code: err.code, retryDelayMs });
    if (![8, 14].includes(err.code) || retryDelayMs === undefined || attempt >= maxAttempts) throw err;
    await new Promise((r) => setTimeout(r, retryDelayMs));
  }
}

describe.runIf(process.env.DATABASE_URL)('OTLP/gRPC while PostgreSQL is unreachable', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform({}, { viaProxy: true });
  });
  afterAll(() => platform?.stop());

  it('answers UNAVAILABLE with RetryInfo, and the retried export lands once after recovery', async () => {
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'outage' }),
      spanProcessors: [new SimpleSpanProcessor(memory)],
    });
    const tracer = provider.getTracer('outage');
    const root = tracer.startSpan('POST /checkout', { kind: SpanKind.SERVER });
    for (let i = 0; i < 3; i++) tracer.startSpan(`step ${i}`, {}, trace.setSpan(context.active(), root)).end();
    root.end();
    const spans = memory.getFinishedSpans();
    const traceId = root.spanContext().traceId;
    const exporter = new OTLPTraceExporter({
      url: platform.grpcUrl,
      timeoutMillis: 30_000,
      compression: 'gzip' as never,
    });

    platform.proxy!.cut();
    const restored = new Promise<void>((r) =>
      setTimeout(() => {
        platform.proxy!.restore();
        r();
      }, 3_000),
    );
    const failures = await exportWithSpecRetries(exporter, spans, 6);
    await restored;
    await exporter.shutdown();

    expect(failures.length).toBeGreaterThan(0);
    expect(failures[0]).toEqual({ code: 14, retryDelayMs: 5000 });
    const { status, body } = await getTrace(platform, traceId);
    expect(status).toBe(200);
    expect(body!.spans.map((s) => s.name).sort()).toEqual(['POST /checkout', 'step 0', 'step 1', 'step 2']);
    expect(body!.summary.spanCount).toBe(4);
    const text = await (await fetch(`${platform.ingestUrl}/metrics`)).text();
    expect(text).toMatch(
      /pivot_ingest_grpc_requests_total\{method="opentelemetry.proto.collector.trace.v1.TraceService\/Export",code="UNAVAILABLE"\} [1-9]/,
    );
  }, 60_000);
});
