// A cold day becomes columnar while the real senders keep sending: the OpenTelemetry JS exporters
// (spans and logs over OTLP/HTTP, dated in yesterday's partition, which COLD_AFTER=0s makes cold) and
// Debian's Prometheus remote-writing what it scrapes. Afterwards every span and log record an exporter
// saw acknowledged is stored exactly once, and every sample Prometheus scraped is queryable with its
// value. PostgreSQL with citus_columnar only: PGlite, and a server without the extension, keep row
// partitions and have nothing to convert.
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Counter, Gauge, Registry } from 'prom-client';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { BatchLogRecordProcessor, LoggerProvider, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { MetricQueries, readStorageMode } from '@pivot/store';
import { hasPrometheus, serveRegistry, startPrometheus, waitFor, type RunningPrometheus } from './prometheus.ts';
import { startTestPlatform } from './start.ts';

const DAY_MS = 86_400_000;

/** Wraps an exporter's export so that what it saw acknowledged (and refused) is counted. */
function counting<T>(
  exporter: { export(items: T[], cb: (r: ExportResult) => void): void },
  acked: (items: T[]) => void,
  failed: (items: T[]) => void,
): void {
  const export_ = exporter.export.bind(exporter);
  exporter.export = (items, cb) =>
    export_(items, (r) => {
      if (r.code === ExportResultCode.SUCCESS) acked(items);
      else failed(items);
      cb(r);
    });
}

describe.runIf(hasPrometheus)('columnar conversion under live ingest', () => {
  let platform: Awaited<ReturnType<typeof startTestPlatform>>;
  let prometheus: RunningPrometheus;
  let app: Server;
  let columnar = false;

  beforeAll(async () => {
    if (!process.env.DATABASE_URL) return;
    platform = await startTestPlatform({ COLD_AFTER: '0s' });
    const mode = await readStorageMode(platform.database);
    columnar = mode.mode === 'columnar' || !!mode.reason?.includes('not created');
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    app?.close();
    await platform?.stop();
  });

  it('loses and repeats nothing acknowledged while yesterday turns columnar', async (ctx) => {
    if (!process.env.DATABASE_URL) ctx.skip('embedded PGlite has no citus_columnar: row partitions only');
    if (!columnar) ctx.skip('this PostgreSQL has no citus_columnar: row partitions only, nothing to convert');

    // Metrics: a scraped app whose counter and gauge move every 100 ms, remote-written by Prometheus.
    const registry = new Registry();
    const orders = new Counter({ name: 'shop_orders', help: 'Orders.', labelNames: ['route'], registers: [registry] });
    const queue = new Gauge({ name: 'shop_queue_depth', help: 'Queue depth.', registers: [registry] });
    const tick = setInterval(() => {
      orders.inc({ route: '/checkout' }, 1 + Math.floor(Math.random() * 3));
      queue.set(Math.random() * 50);
    }, 100);
    let target: string;
    ({ server: app, target } = await serveRegistry(registry));
    prometheus = await startPrometheus({ targets: [target], remoteWriteUrl: `${platform.ingestUrl}/api/v1/write` });

    // Spans and logs: a trace of two spans and a log line every 20 ms, all dated yesterday.
    const ackedSpans = new Map<string, string>(); // span ID -> trace ID
    const ackedLogs = new Map<string, string>(); // body -> trace ID
    const ackedAfterConversion = { spans: 0, logs: 0 };
    let converted = false;
    const refused = { spans: 0, logs: 0 };
    const spanExporter = new OTLPTraceExporter({ url: `${platform.ingestUrl}/v1/traces` });
    counting<ReadableSpan>(
      spanExporter,
      (spans) => {
        for (const s of spans) ackedSpans.set(s.spanContext().spanId, s.spanContext().traceId);
        if (converted) ackedAfterConversion.spans += spans.length;
      },
      (spans) => (refused.spans += spans.length),
    );
    const logExporter = new OTLPLogExporter({ url: `${platform.ingestUrl}/v1/logs` });
    counting<ReadableLogRecord>(
      logExporter,
      (logs) => {
        for (const l of logs) ackedLogs.set(l.body as string, l.spanContext!.traceId);
        if (converted) ackedAfterConversion.logs += logs.length;
      },
      (logs) => (refused.logs += logs.length),
    );
    const resource = resourceFromAttributes({ 'service.name': 'shop' });
    const tracing = new BasicTracerProvider({
      resource,
      spanProcessors: [new BatchSpanProcessor(spanExporter, { scheduledDelayMillis: 200, maxQueueSize: 100_000 })],
    });
    const logging = new LoggerProvider({
      resource,
      processors: [
        new BatchLogRecordProcessor({ exporter: logExporter, scheduledDelayMillis: 200, maxQueueSize: 100_000 }),
      ],
    });
    const tracer = tracing.getTracer('columnar-e2e');
    const logger = logging.getLogger('columnar-e2e');
    const yesterdayNoon = Math.floor(Date.now() / DAY_MS) * DAY_MS - DAY_MS / 2;
    let n = 0;
    const emit = () => {
      const at = yesterdayNoon + n * 37;
      const root = tracer.startSpan('POST /checkout', {
        kind: SpanKind.SERVER,
        startTime: new Date(at),
        attributes: { 'http.route': '/checkout', n },
      });
      const ctxRoot = trace.setSpan(context.active(), root);
      tracer.startSpan('INSERT orders', { kind: SpanKind.CLIENT, startTime: new Date(at + 2) }, ctxRoot).end(at + 9);
      logger.emit({
        body: `order ${n} placed`,
        severityNumber: SeverityNumber.INFO,
        severityText: 'INFO',
        timestamp: at + 5,
        context: ctxRoot,
      });
      root.end(at + 12);
      n++;
    };
    const sending = setInterval(emit, 20);

    try {
      // Yesterday's partitions hold rows, and Prometheus has delivered, before the conversion starts.
      let stored = 0;
      await waitFor('spans, logs and samples acknowledged', async () =>
        ackedSpans.size > 100 && ackedLogs.size > 50 && (stored = await storedSampleCount(platform)) > 0
          ? true
          : undefined,
      ).catch((err: Error) => {
        throw new Error(
          `${err.message}: ${ackedSpans.size} spans, ${ackedLogs.size} logs acknowledged (${refused.spans} / ${refused.logs} refused), ${stored} samples stored`,
        );
      });
      const yday = new Date(yesterdayNoon).toISOString().slice(0, 10).replaceAll('-', '');
      const res = await fetch(`${platform.apiUrl}/api/admin/maintenance/columnar/run`, { method: 'POST' });
      expect(res.status).toBe(200);
      const run = (await res.json()) as { result: { converted: string[]; rows: Record<string, number> } };
      converted = true;
      expect(run.result.converted).toEqual(expect.arrayContaining([`spans_p${yday}`, `logs_p${yday}`]));
      // Late spans and logs for the converted day keep coming and are acknowledged.
      await waitFor(
        'acknowledgements after the conversion',
        async () => (ackedAfterConversion.spans > 50 && ackedAfterConversion.logs > 25 ? true : undefined),
        60_000,
      );
    } finally {
      clearInterval(sending);
      clearInterval(tick);
    }
    // A failed export also rejects forceFlush: what was refused is counted, not asserted on.
    await tracing.forceFlush().catch(() => {});
    await logging.forceFlush().catch(() => {});
    await Promise.all([tracing.shutdown().catch(() => {}), logging.shutdown().catch(() => {})]);
    // The day really is columnar now, for both tables.
    type Tables = { tables: { name: string; columnarPartitions: number }[] };
    const status = (await (await fetch(`${platform.apiUrl}/api/status`)).json()) as {
      signals: { traces: Tables; logs: Tables };
    };
    expect(status.signals.traces.tables.find((t) => t.name === 'spans')?.columnarPartitions).toBe(1);
    expect(status.signals.logs.tables.find((t) => t.name === 'logs')?.columnarPartitions).toBe(1);

    // Every acknowledged span once, by trace.
    const traces = new Map<string, string[]>();
    for (const [spanId, traceId] of ackedSpans) traces.set(traceId, [...(traces.get(traceId) ?? []), spanId]);
    const logsByTrace = new Map<string, string[]>();
    for (const [body, traceId] of ackedLogs) logsByTrace.set(traceId, [...(logsByTrace.get(traceId) ?? []), body]);
    const problems: string[] = [];
    const ids = [...new Set([...traces.keys(), ...logsByTrace.keys()])];
    for (let i = 0; i < ids.length; i += 16)
      await Promise.all(
        ids.slice(i, i + 16).map(async (traceId) => {
          const want = traces.get(traceId) ?? [];
          if (want.length) {
            const r = await fetch(`${platform.apiUrl}/api/traces/${traceId}`);
            const got = r.status === 200 ? ((await r.json()) as { spans: { spanId: string }[] }).spans : [];
            for (const id of want) {
              const copies = got.filter((s) => s.spanId === id).length;
              if (copies !== 1) problems.push(`span ${id} of trace ${traceId}: ${copies} copies`);
            }
          }
          const wantLogs = logsByTrace.get(traceId) ?? [];
          if (wantLogs.length) {
            const r = await fetch(`${platform.apiUrl}/api/traces/${traceId}/logs`);
            const got = r.status === 200 ? ((await r.json()) as { logs: { body: unknown }[] }).logs : [];
            for (const body of wantLogs) {
              const copies = got.filter((l) => l.body === body).length;
              if (copies !== 1) problems.push(`log "${body}" of trace ${traceId}: ${copies} copies`);
            }
          }
        }),
      );
    expect(problems.slice(0, 20), `${problems.length} problems`).toEqual([]);
    expect(ackedSpans.size).toBeGreaterThan(100);

    // Every sample Prometheus scraped up to now, with its value, once remote-write has delivered it.
    const until = Date.now() - 2_000;
    const scraped = await promSamples(prometheus.url, until);
    expect(scraped.size).toBeGreaterThanOrEqual(2);
    const missing = await waitFor(
      'every scraped sample in the store',
      async () => {
        const m = await missingSamples(platform, scraped, until);
        return m.length === 0 ? m : undefined;
      },
      60_000,
    ).catch(async () => missingSamples(platform, scraped, until));
    expect(missing.slice(0, 20), `${missing.length} samples missing`).toEqual([]);
    const rw = await remoteWriteCounters(prometheus.url);
    expect(rw.sent).toBeGreaterThan(0);
    // 4xx (never retried) would lose samples: the conversion must only ever cost retries.
    expect(rw.failed).toBe(0);
    expect(rw.dropped).toBe(0);
    process.stderr.write(
      `columnar under load: ${ackedSpans.size} spans and ${ackedLogs.size} logs acknowledged (${ackedAfterConversion.spans} / ${ackedAfterConversion.logs} after the conversion, ${refused.spans} / ${refused.logs} refused), ${[...scraped.values()].reduce((a, s) => a + s.length, 0)} samples in ${scraped.size} series, remote-write sent ${rw.sent}\n`,
    );
  }, 240_000);
});

type Samples = [number, number][];

async function storedSampleCount(platform: { database: Parameters<typeof readStorageMode>[0] }): Promise<number> {
  const series = await new MetricQueries(platform.database).select(
    [{ name: 'job', type: '=', value: 'app' }],
    0,
    Date.now() + 60_000,
  );
  return series.reduce((a, s) => a + s.timestamps.length, 0);
}

const key = (labels: Record<string, string>) =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));

/** Prometheus' own raw samples of the scrape job up to `untilMs`, by series. */
async function promSamples(url: string, untilMs: number): Promise<Map<string, Samples>> {
  const q = encodeURIComponent('{job="app"}[15m]');
  const res = await fetch(`${url}/api/v1/query?query=${q}&time=${untilMs / 1000}`);
  const body = (await res.json()) as {
    data: { result: { metric: Record<string, string>; values: [number, string][] }[] };
  };
  return new Map(
    body.data.result.map((r) => [
      key(r.metric),
      r.values.map(([t, v]): [number, number] => [Math.round(t * 1000), Number(v)]),
    ]),
  );
}

async function missingSamples(
  platform: { database: Parameters<typeof readStorageMode>[0] },
  scraped: Map<string, Samples>,
  untilMs: number,
): Promise<string[]> {
  const stored = await new MetricQueries(platform.database).select(
    [{ name: 'job', type: '=', value: 'app' }],
    0,
    untilMs + 1,
  );
  const ours = new Map(stored.map((s) => [key(s.labels), s]));
  const missing: string[] = [];
  for (const [series, samples] of scraped) {
    const s = ours.get(series);
    const have = new Map<number, number>();
    if (s) for (let i = 0; i < s.timestamps.length; i++) have.set(s.timestamps[i]!, s.values[i]!);
    for (const [t, v] of samples)
      if (!Object.is(have.get(t), v)) missing.push(`${series} @${t}: Prometheus ${v}, ours ${have.get(t)}`);
  }
  return missing;
}

/** Prometheus' own remote-write counters, summed over its queues. */
async function remoteWriteCounters(url: string): Promise<{ sent: number; failed: number; dropped: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = (name: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
      .reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return {
    sent: sum('prometheus_remote_storage_samples_total'),
    failed: sum('prometheus_remote_storage_samples_failed_total'),
    dropped: sum('prometheus_remote_storage_samples_dropped_total'),
  };
}
