// The issue's check: real traces from the OpenTelemetry trace SDK, and logs carrying their trace IDs
// from pino (NDJSON to /api/v1/logs), pino-loki (Loki push) and the OpenTelemetry log exporters
// (OTLP protobuf and JSON). /api/logs?traceId=… and /api/traces/{id}/logs must return exactly those
// logs; each client's logs must also come back by service, by a word and by a substring.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, trace, type Span } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import pino from 'pino';
import { WebSocket } from 'ws';
import { pinoLoki } from 'pino-loki';
import { startTestPlatform } from './start.ts';

interface ApiLog {
  body: unknown;
  traceId: string | null;
  spanId: string | null;
  service: string;
  severityText: string;
  timeUnixNano: string;
  attributes: Record<string, unknown>;
}
type Client = 'pino' | 'loki' | 'otel-proto' | 'otel-json';

/** What each client is, the service it logs as, a word and an order ID only its messages contain. */
const CLIENTS: Record<Client, { service: string; word: string; orderId: string }> = {
  pino: { service: 'orders-pino', word: 'warehouse', orderId: 'ORD-7F3A-PINO' },
  loki: { service: 'orders-loki', word: 'courier', orderId: 'ORD-91C2-LOKI' },
  'otel-proto': { service: 'orders-otel-proto', word: 'invoice', orderId: 'ORD-5D0E-PROTO' },
  'otel-json': { service: 'orders-otel-json', word: 'refund', orderId: 'ORD-A4B8-JSON' },
};

/** pino's trace fields, as @opentelemetry/instrumentation-pino writes them from the active span. */
function traceMixin(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const sc = span.spanContext();
  return { trace_id: sc.traceId, span_id: sc.spanId, trace_flags: `0${sc.traceFlags.toString(16)}` };
}

describe('logs end to end: pino, pino-loki and the OpenTelemetry log exporters, linked to real traces', () => {
  let platform: Awaited<ReturnType<typeof startTestPlatform>>;
  let tracing: NodeTracerProvider;
  /** Expected logs per trace ID: "client|body|spanId". */
  const expected = new Map<string, Set<string>>();
  const traceOf: Partial<Record<Client | 'shared', string>> = {};
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${platform.apiUrl}${path}`);
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };
  const logs = async (qs: string) => (await api<{ logs: ApiLog[] }>(`/api/logs?limit=1000&${qs}`)).logs;

  beforeAll(async () => {
    platform = await startTestPlatform();
    tracing = new NodeTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'orders-api' }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${platform.ingestUrl}/v1/traces` }))],
    });
    // Registers the async-hooks context manager: the active span follows the code, as in a real service.
    tracing.register();
    const tracer = tracing.getTracer('orders');

    // The four log clients, each as its own service.
    const pinoLines: string[] = [];
    const pinoLogger = pino({ level: 'debug', mixin: traceMixin }, { write: (s: string) => void pinoLines.push(s) });
    const lokiTransport = pinoLoki({
      host: platform.ingestUrl,
      batching: { interval: 3600 },
      labels: { service_name: CLIENTS.loki.service, env: 'e2e' },
      silenceErrors: false,
    });
    const lokiLogger = pino({ level: 'debug', mixin: traceMixin }, lokiTransport);
    const otelProto = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': CLIENTS['otel-proto'].service }),
      processors: [
        new BatchLogRecordProcessor({ exporter: new ProtoLogExporter({ url: `${platform.ingestUrl}/v1/logs` }) }),
      ],
    });
    const otelJson = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': CLIENTS['otel-json'].service }),
      processors: [
        new SimpleLogRecordProcessor({ exporter: new JsonLogExporter({ url: `${platform.ingestUrl}/v1/logs` }) }),
      ],
    });
    const protoLogger = otelProto.getLogger('orders-proto', '1.0.0');
    const jsonLogger = otelJson.getLogger('orders-json', '1.0.0');

    /** Logs `message` through `client` inside the active span, and records it as expected for that trace. */
    const log = (client: Client, level: 'info' | 'warn' | 'error', message: string) => {
      const span = trace.getActiveSpan();
      if (span) {
        const { traceId, spanId } = span.spanContext();
        if (!expected.has(traceId)) expected.set(traceId, new Set());
        expected.get(traceId)!.add(`${client}|${message}|${spanId}`);
      }
      if (client === 'pino') pinoLogger[level]({ step: 'fulfil' }, message);
      else if (client === 'loki') lokiLogger[level]({ step: 'fulfil' }, message);
      else {
        const severityNumber = { info: SeverityNumber.INFO, warn: SeverityNumber.WARN, error: SeverityNumber.ERROR }[
          level
        ];
        (client === 'otel-proto' ? protoLogger : jsonLogger).emit({
          severityNumber,
          severityText: level.toUpperCase(),
          body: message,
          attributes: { step: 'fulfil' },
        });
      }
    };
    const messages = (client: Client) => {
      const { word, orderId } = CLIENTS[client];
      return [`order ${orderId} accepted`, `${word} notified about ${orderId}`, `${word} slow for order ${orderId}`];
    };

    // One trace per client, each with a root and a child span; then one trace all four log into.
    const inTrace = (name: string, body: (root: Span, child: () => Span) => void): string =>
      tracer.startActiveSpan(name, (root) => {
        const id = root.spanContext().traceId;
        body(root, () => tracer.startSpan('child', {}, trace.setSpan(context.active(), root)));
        root.end();
        return id;
      });
    for (const client of Object.keys(CLIENTS) as Client[]) {
      traceOf[client] = inTrace(`POST /orders via ${client}`, (_root, startChild) => {
        const [accepted, notified, slow] = messages(client);
        log(client, 'info', accepted!);
        const child = startChild();
        context.with(trace.setSpan(context.active(), child), () => {
          log(client, 'info', notified!);
          log(client, 'warn', slow!);
        });
        child.end();
      });
    }
    traceOf.shared = inTrace('POST /orders/bulk', () => {
      for (const client of Object.keys(CLIENTS) as Client[])
        log(client, 'error', `bulk order failed at ${CLIENTS[client].word} step`);
    });
    // Outside any span: these must never turn up under a trace.
    for (const client of Object.keys(CLIENTS) as Client[])
      log(client, 'info', `${CLIENTS[client].word} heartbeat without trace`);

    // Ship everything: NDJSON as pino wrote it, the Loki batch, the OTLP batches, the spans.
    const ndjson = await fetch(`${platform.ingestUrl}/api/v1/logs?service=${CLIENTS.pino.service}`, {
      method: 'POST',
      body: pinoLines.join(''),
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(ndjson.status).toBe(200);
    expect(await ndjson.json()).toEqual({ accepted: 5, rejectedCount: 0, rejected: [] });
    lokiTransport.end();
    await Promise.all([otelProto.forceFlush(), otelJson.forceFlush(), tracing.forceFlush()]);
    await Promise.all([otelProto.shutdown(), otelJson.shutdown()]);
    // pino-loki sends in the background: wait until its push has been committed.
    const deadline = Date.now() + 10_000;
    while ((await logs(`service=${CLIENTS.loki.service}`)).length < 5) {
      if (Date.now() > deadline) throw new Error('pino-loki push did not arrive');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    await tracing?.shutdown();
    trace.disable();
    context.disable();
    await platform?.stop();
  });

  const asKeys = (list: ApiLog[]) => {
    const clientOf = Object.fromEntries(Object.entries(CLIENTS).map(([c, v]) => [v.service, c]));
    return new Set(list.map((l) => `${clientOf[l.service]}|${String(l.body)}|${l.spanId}`));
  };

  it('stored the traces the logs refer to', async () => {
    for (const id of Object.values(traceOf)) {
      const res = await fetch(`${platform.apiUrl}/api/traces/${id}`);
      expect(res.status, id).toBe(200);
    }
  });

  it('/api/logs?traceId=… returns exactly the logs written under each trace, from every client', async () => {
    expect(expected.size).toBe(5);
    for (const [traceId, want] of expected) {
      const got = await logs(`traceId=${traceId}`);
      expect(got.every((l) => l.traceId === traceId)).toBe(true);
      expect(asKeys(got)).toEqual(want);
      expect(got).toHaveLength(want.size);
    }
    expect(expected.get(traceOf.shared!)!.size).toBe(4);
  });

  it('/api/traces/{id}/logs returns exactly the same logs, oldest first', async () => {
    for (const [traceId, want] of expected) {
      const body = await api<{ traceId: string; logs: ApiLog[]; truncated: boolean }>(`/api/traces/${traceId}/logs`);
      expect(body.traceId).toBe(traceId);
      expect(body.truncated).toBe(false);
      expect(asKeys(body.logs)).toEqual(want);
      expect(body.logs).toHaveLength(want.size);
      const times = body.logs.map((l) => BigInt(l.timeUnixNano));
      expect(times).toEqual([...times].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    }
  });

  it("Grafana's trace-to-logs queries through the Loki API return exactly each trace's logs", async () => {
    const keysOf = (list: ApiLog[]) => new Set(list.map((l) => `${l.timeUnixNano}|${l.service}`));
    for (const traceId of expected.keys()) {
      const { logs: want } = await api<{ logs: ApiLog[] }>(`/api/traces/${traceId}/logs`);
      // grafana/grafana public/app/features/explore/TraceView/createSpanLink.tsx (getQueryForLoki) and the newer
      // logsLink.ts (getTraceToLogsQuery): the legacy query and the newer probe.
      for (const expr of [
        `{service_name=~".+"} | label_format log_line_contains_trace_id=\`{{ contains "${traceId}" __line__  }}\` | log_line_contains_trace_id="true" or trace_id="${traceId}"`,
        `{service_name=~".+"} | logfmt | json | drop __error__ | trace_id="${traceId}"`,
      ]) {
        const body = await api<{ data: { result: { stream: Record<string, string>; values: [string, string][] }[] } }>(
          `/loki/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${Date.now() - 3_600_000}000000&end=${Date.now() + 60_000}000000&limit=1000&direction=backward`,
        );
        const got = new Set(body.data.result.flatMap((s) => s.values.map(([t]) => `${t}|${s.stream.service_name}`)));
        expect(got, expr).toEqual(keysOf(want));
      }
    }
  });

  it('tails logs live over the Loki WebSocket through the real server', async () => {
    const url = `${platform.apiUrl.replace('http', 'ws')}/loki/api/v1/tail?query=${encodeURIComponent('{service_name="loki-tail-e2e"}')}`;
    const ws = new WebSocket(url);
    const lines: string[] = [];
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { streams: { values: [string, string][] }[] };
      lines.push(...m.streams.flatMap((s) => s.values.map((v) => v[1])));
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const sent = await fetch(`${platform.ingestUrl}/api/v1/logs?service=loki-tail-e2e`, {
      method: 'POST',
      body: `{"msg":"over the websocket","level":"info","time":${Date.now() + 1}}\n`,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(sent.status).toBe(200);
    await expect.poll(() => lines.some((l) => l.includes('over the websocket')), { timeout: 10_000 }).toBe(true);
    ws.close();
  });

  it('tails logs live over Server-Sent Events through the real server (not buffered, not compressed)', async () => {
    const abort = new AbortController();
    const res = await fetch(`${platform.apiUrl}/api/logs/tail?service=tail-e2e`, {
      signal: abort.signal,
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('content-encoding')).toBeNull();
    const reader = res.body!.getReader();
    let text = '';
    const waitFor = async (needle: string) => {
      const deadline = Date.now() + 10_000;
      while (!text.includes(needle)) {
        if (Date.now() > deadline) throw new Error(`no ${needle} in ${text}`);
        const { value } = await reader.read();
        text += new TextDecoder().decode(value);
      }
    };
    await waitFor('event: ready');
    const sent = await fetch(`${platform.ingestUrl}/api/v1/logs?service=tail-e2e`, {
      method: 'POST',
      body: `{"msg":"live line","level":"warn","time":${Date.now() + 1}}\n`,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(sent.status).toBe(200);
    await waitFor('live line');
    expect(text).toMatch(/event: logs\ndata: \{"logs":\[\{.*"severityText":"WARN".*"service":"tail-e2e"/);
    abort.abort();
  });

  it.each(Object.keys(CLIENTS) as Client[])(
    'finds the %s logs by service, by word and by substring',
    async (client) => {
      const { service, word, orderId } = CLIENTS[client];
      const byService = await logs(`service=${service}`);
      expect(byService).toHaveLength(5);
      expect(new Set(byService.map((l) => l.severityText))).toEqual(new Set(['INFO', 'WARN', 'ERROR']));
      expect(byService.filter((l) => l.traceId === null).map((l) => l.body)).toEqual([
        `${word} heartbeat without trace`,
      ]);
      expect(byService.find((l) => String(l.body).startsWith('order'))!.attributes.step).toBe('fulfil');
      // A word, in another case: exactly the four messages that contain it.
      const byWord = await logs(`q=${word.toUpperCase()}`);
      expect(byWord.map((l) => l.service)).toEqual(Array(4).fill(service));
      // A substring from inside the order ID, across its dash.
      const sub = orderId.slice(5, 11).toLowerCase();
      const bySubstring = await logs(`q=${encodeURIComponent(sub)}`);
      expect(bySubstring.map((l) => String(l.body)).sort()).toEqual(
        [`order ${orderId} accepted`, `${word} notified about ${orderId}`, `${word} slow for order ${orderId}`].sort(),
      );
      // A phrase and an exclusion together.
      const phrase = await logs(`q=${encodeURIComponent(`"${word} slow" -heartbeat`)}`);
      expect(phrase.map((l) => l.body)).toEqual([`${word} slow for order ${orderId}`]);
    },
  );
});
