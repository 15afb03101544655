// Demo data for the dashboard, sent through the real ingest endpoints: traces and logs from the
// OpenTelemetry JS SDK (two services, logs emitted inside their spans), and a latency histogram by
// Prometheus remote-write whose exemplars carry the trace IDs of the slow requests. The story is
// "the request that is slow only sometimes": P99 spikes for a few minutes, P50 does not move.
import { SpanKind, SpanStatusCode, context, trace, type Context, type Span } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { encodeWriteRequest } from '@pivot/remote-write';
import type { MetricsBatch } from '@pivot/model';

// A loaded 2-core CI machine can take longer than the exporters' 10 s default to commit a 2,000-span batch.
const SEED_TIMEOUT_MS = 60_000;

export const HISTOGRAM = 'http_server_duration_seconds';
export const P99_QUERY = `histogram_quantile(0.99, sum by (le, service, route) (rate(${HISTOGRAM}_bucket{service="shop-api"}[1m])))`;
const BOUNDS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const SCRAPE_MS = 15_000;

export interface SeededDemo {
  /** Traces of the slow requests, whose IDs the histogram's exemplars carry. */
  slowTraceIds: string[];
  /** Every trace sent, each with log records. */
  traceIds: string[];
  /** The spike: [start, end] in Unix ms. */
  spike: [number, number];
  startMs: number;
  endMs: number;
}

interface Providers {
  shop: BasicTracerProvider;
  payment: BasicTracerProvider;
  shopLogs: LoggerProvider;
  paymentLogs: LoggerProvider;
}

function providers(ingestUrl: string): Providers {
  const tracer = (service: string) =>
    new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': service,
        'service.version': '1.4.2',
        'deployment.environment': 'demo',
      }),
      spanProcessors: [
        new BatchSpanProcessor(
          new OTLPTraceExporter({ url: `${ingestUrl}/v1/traces`, timeoutMillis: SEED_TIMEOUT_MS }),
          { maxQueueSize: 50_000, maxExportBatchSize: 2_000, scheduledDelayMillis: 200 },
        ),
      ],
    });
  const logs = (service: string) =>
    new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': service }),
      processors: [
        new BatchLogRecordProcessor({
          exporter: new OTLPLogExporter({ url: `${ingestUrl}/v1/logs`, timeoutMillis: SEED_TIMEOUT_MS }),
          maxQueueSize: 50_000,
          maxExportBatchSize: 2_000,
          scheduledDelayMillis: 200,
        }),
      ],
    });
  return {
    shop: tracer('shop-api'),
    payment: tracer('payment-service'),
    shopLogs: logs('shop-api'),
    paymentLogs: logs('payment-service'),
  };
}

async function flush(p: Providers): Promise<void> {
  await Promise.all([p.shop.forceFlush(), p.payment.forceFlush(), p.shopLogs.forceFlush(), p.paymentLogs.forceFlush()]);
}

async function shutdown(p: Providers): Promise<void> {
  await Promise.all([p.shop.shutdown(), p.payment.shutdown(), p.shopLogs.shutdown(), p.paymentLogs.shutdown()]);
}

// A deterministic generator, so every run draws the same picture.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** One checkout: shop-api → payment-service, with logs inside the spans. Times in ms. */
function checkout(
  p: Providers,
  startMs: number,
  durationMs: number,
  slow: boolean,
  failed: boolean,
  random: () => number,
): string {
  const shop = p.shop.getTracer('shop');
  const pay = p.payment.getTracer('payment');
  const shopLog = p.shopLogs.getLogger('shop');
  const payLog = p.paymentLogs.getLogger('payment');
  const log = (
    logger: typeof shopLog,
    ctx: Context,
    atMs: number,
    severityNumber: SeverityNumber,
    severityText: string,
    body: string,
    attributes: Record<string, string | number> = {},
  ) => logger.emit({ timestamp: atMs, severityNumber, severityText, body, attributes, context: ctx });

  const root = shop.startSpan('POST /checkout', {
    kind: SpanKind.SERVER,
    startTime: startMs,
    attributes: {
      'http.request.method': 'POST',
      'http.route': '/checkout',
      'url.path': '/checkout',
      'user.id': Math.floor(random() * 1000),
    },
  });
  const rootCtx = trace.setSpan(context.active(), root);
  const orderId = `ord-${Math.floor(random() * 1e6)}`;
  log(shopLog, rootCtx, startMs + 1, SeverityNumber.INFO, 'INFO', `checkout started for ${orderId}`, {
    'order.id': orderId,
  });

  const cart = shop.startSpan(
    'SELECT cart_items',
    {
      kind: SpanKind.CLIENT,
      startTime: startMs + 1,
      attributes: { 'db.system': 'postgresql', 'db.query.text': 'SELECT * FROM cart_items WHERE user_id = $1' },
    },
    rootCtx,
  );
  cart.end(startMs + 4);

  const callStart = startMs + 5;
  const callEnd = startMs + durationMs - 3;
  const client = shop.startSpan(
    'POST payment-service /charge',
    {
      kind: SpanKind.CLIENT,
      startTime: callStart,
      attributes: { 'http.request.method': 'POST', 'server.address': 'payment-service' },
    },
    rootCtx,
  );
  const clientCtx = trace.setSpan(rootCtx, client);
  const server = pay.startSpan(
    'POST /charge',
    { kind: SpanKind.SERVER, startTime: callStart + 1, attributes: { 'http.route': '/charge', 'order.id': orderId } },
    clientCtx,
  );
  const serverCtx = trace.setSpan(clientCtx, server);
  log(payLog, serverCtx, callStart + 2, SeverityNumber.INFO, 'INFO', `charging card for ${orderId}`, {
    'order.id': orderId,
    'payment.provider': 'acme-pay',
  });
  let t = callStart + 2;
  const attempts = slow ? 3 : 1;
  const per = (callEnd - 1 - t) / attempts;
  for (let a = 1; a <= attempts; a++) {
    const attempt: Span = pay.startSpan(
      'acme-pay authorize',
      { kind: SpanKind.CLIENT, startTime: t, attributes: { 'retry.attempt': a, 'peer.service': 'acme-pay' } },
      serverCtx,
    );
    const last = a === attempts;
    if (!last) {
      attempt.setStatus({ code: SpanStatusCode.ERROR, message: 'timeout after 800ms' });
      log(
        payLog,
        trace.setSpan(serverCtx, attempt),
        t + per - 1,
        SeverityNumber.WARN,
        'WARN',
        `acme-pay timed out (attempt ${a}), retrying`,
        { 'retry.attempt': a },
      );
    }
    attempt.end(t + per - 1);
    t += per;
  }
  if (failed) {
    server.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
    server.addEvent(
      'exception',
      { 'exception.type': 'CardDeclined', 'exception.message': 'card declined by issuer' },
      callEnd - 2,
    );
    log(payLog, serverCtx, callEnd - 2, SeverityNumber.ERROR, 'ERROR', `payment FAILED for ${orderId}: card declined`, {
      'order.id': orderId,
    });
  }
  server.end(callEnd - 1);
  client.setAttribute('http.response.status_code', failed ? 402 : 200);
  client.end(callEnd);
  root.setAttribute('http.response.status_code', failed ? 402 : 200);
  if (failed) root.setStatus({ code: SpanStatusCode.ERROR, message: 'payment failed' });
  log(
    shopLog,
    rootCtx,
    startMs + durationMs - 1,
    slow ? SeverityNumber.WARN : SeverityNumber.INFO,
    slow ? 'WARN' : 'INFO',
    `checkout ${failed ? 'failed' : 'done'} for ${orderId} in ${durationMs.toFixed(0)}ms`,
    { 'order.id': orderId, 'duration.ms': Math.round(durationMs) },
  );
  root.end(startMs + durationMs);
  return root.spanContext().traceId;
}

/**
 * The last `minutes` of checkouts: every scrape interval has 40 requests (a handful sent as traces),
 * and from `spikeAgo` to `spikeAgo - spikeLength` minutes ago a fifth of them take 1.5–3 s.
 */
export async function seedDemo(
  ingestUrl: string,
  opts: { minutes?: number; spikeAgoMin?: number; spikeLengthMin?: number; nowMs?: number } = {},
): Promise<SeededDemo> {
  const minutes = opts.minutes ?? 30;
  const endMs = Math.floor((opts.nowMs ?? Date.now()) / SCRAPE_MS) * SCRAPE_MS;
  const startMs = endMs - minutes * 60_000;
  const spike: [number, number] = [
    endMs - (opts.spikeAgoMin ?? 10) * 60_000,
    endMs - ((opts.spikeAgoMin ?? 10) - (opts.spikeLengthMin ?? 4)) * 60_000,
  ];
  const random = rng(42);
  const p = providers(ingestUrl);
  const counts = new Array<number>(BOUNDS.length + 1).fill(0);
  let sum = 0;
  let total = 0;
  const series = new Map<string, MetricsBatch['series'][number]>();
  const bucketSeries = (le: string) => {
    let s = series.get(le);
    if (!s)
      series.set(
        le,
        (s = {
          labels: { __name__: `${HISTOGRAM}_bucket`, job: 'shop-api', service: 'shop-api', route: '/checkout', le },
          samples: [],
          exemplars: [],
        }),
      );
    return s as unknown as { samples: { timestampMs: number; value: number }[]; exemplars: unknown[] };
  };
  // Plain numbers here; the batch is cast once when sent (the model brands them as UnixMillis).
  const countSeries = {
    labels: { __name__: `${HISTOGRAM}_count`, job: 'shop-api', service: 'shop-api', route: '/checkout' },
    samples: [] as { timestampMs: number; value: number }[],
    exemplars: [] as never[],
  };
  const sumSeries = {
    labels: { __name__: `${HISTOGRAM}_sum`, job: 'shop-api', service: 'shop-api', route: '/checkout' },
    samples: [] as { timestampMs: number; value: number }[],
    exemplars: [] as never[],
  };
  const slowTraceIds: string[] = [];
  const traceIds: string[] = [];

  for (let t = startMs; t <= endMs; t += SCRAPE_MS) {
    const inSpike = t > spike[0] && t <= spike[1];
    for (let i = 0; i < 40; i++) {
      const at = t - SCRAPE_MS + Math.floor(random() * SCRAPE_MS);
      const slow = inSpike && i % 5 === 0;
      const seconds = slow ? 1.5 + random() * 1.5 : 0.02 + random() * 0.06;
      const failed = slow && i % 10 === 0;
      const b = BOUNDS.findIndex((x) => seconds <= x);
      counts[b < 0 ? BOUNDS.length : b]!++;
      sum += seconds;
      total++;
      // Slow requests all become traces; of the others, one per interval.
      if (slow || i === 0) {
        const traceId = checkout(p, at, seconds * 1000, slow, failed, random);
        traceIds.push(traceId);
        if (slow) slowTraceIds.push(traceId);
        const le = b < 0 ? '+Inf' : String(BOUNDS[b]);
        bucketSeries(le).exemplars.push({
          labels: { trace_id: traceId },
          value: seconds,
          timestampMs: at,
          traceId,
          spanId: null,
        });
      }
    }
    let cumulative = 0;
    BOUNDS.forEach((le, i) => {
      cumulative += counts[i]!;
      bucketSeries(String(le)).samples.push({ timestampMs: t, value: cumulative });
    });
    bucketSeries('+Inf').samples.push({ timestampMs: t, value: total });
    countSeries.samples.push({ timestampMs: t, value: total });
    sumSeries.samples.push({ timestampMs: t, value: sum });
  }
  await flush(p);
  await shutdown(p);

  const batch = {
    series: [...series.values(), countSeries, sumSeries],
    metadata: [
      { metricFamilyName: HISTOGRAM, type: 'histogram', help: 'Duration of HTTP server requests.', unit: 'seconds' },
    ],
  } as unknown as MetricsBatch;
  const res = await fetch(`${ingestUrl}/api/v1/write`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
    },
    body: encodeWriteRequest(batch),
  });
  if (!res.ok) throw new Error(`remote-write: ${res.status} ${await res.text()}`);
  return { slowTraceIds, traceIds, spike, startMs, endMs };
}

/** One trace of `n` spans: a root with fan-out calls, each a small subtree, as a batch job would make. */
export async function seedBigTrace(ingestUrl: string, n = 10_000, nowMs = Date.now()): Promise<string> {
  const p = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'batch-import' }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${ingestUrl}/v1/traces`, timeoutMillis: SEED_TIMEOUT_MS }), {
        maxQueueSize: n + 10,
        maxExportBatchSize: 2_000,
        scheduledDelayMillis: 100,
      }),
    ],
  });
  const other = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'catalog-db' }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${ingestUrl}/v1/traces`, timeoutMillis: SEED_TIMEOUT_MS }), {
        maxQueueSize: n + 10,
        maxExportBatchSize: 2_000,
        scheduledDelayMillis: 100,
      }),
    ],
  });
  const tracer = p.getTracer('import');
  const db = other.getTracer('db');
  const start = nowMs - 120_000;
  const root = tracer.startSpan('import catalog', { kind: SpanKind.SERVER, startTime: start });
  const rootCtx = trace.setSpan(context.active(), root);
  let made = 1;
  let t = start + 1;
  for (let batch = 0; made < n; batch++) {
    const b = tracer.startSpan(`import batch ${batch}`, { kind: SpanKind.INTERNAL, startTime: t }, rootCtx);
    made++;
    const bCtx = trace.setSpan(rootCtx, b);
    let u = t;
    for (let i = 0; i < 48 && made < n; i++) {
      const item = tracer.startSpan(
        'upsert product',
        { kind: SpanKind.CLIENT, startTime: u, attributes: { 'product.sku': `sku-${batch}-${i}` } },
        bCtx,
      );
      made++;
      if (made < n) {
        const q = db.startSpan(
          'INSERT products',
          { kind: SpanKind.SERVER, startTime: u + 0.1, attributes: { 'db.system': 'postgresql' } },
          trace.setSpan(bCtx, item),
        );
        made++;
        if (i % 17 === 3) q.setStatus({ code: SpanStatusCode.ERROR, message: 'deadlock detected' });
        q.end(u + 0.8);
      }
      item.end(u + 1);
      u += 1;
    }
    b.end(u);
    t = u + 0.5;
  }
  root.end(t);
  await Promise.all([p.forceFlush(), other.forceFlush()]);
  await Promise.all([p.shutdown(), other.shutdown()]);
  return root.spanContext().traceId;
}
