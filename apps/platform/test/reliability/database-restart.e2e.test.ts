// Sustained ingest of all three signals through real clients — the OpenTelemetry trace and log
// exporters (which retry) and a real Prometheus remote-writing a scraped app — while every server
// connection of the platform is killed (pg_terminate_backend, as a PostgreSQL restart does), twice.
// Afterwards every span and log record the SDKs created is stored exactly once and the samples equal
// Prometheus' own. Needs PostgreSQL.
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Counter, Registry } from 'prom-client';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { MetricQueries } from '@pivot/store';
import { databaseName, logBodyCopies, spanCopies, terminateConnections } from '@pivot/store/testing';
import { hasPrometheus, serveRegistry, startPrometheus, waitFor, type RunningPrometheus } from '../prometheus.ts';
import { startTestPlatform } from '../start.ts';

describe.runIf(hasPrometheus && process.env.DATABASE_URL)('database connections killed under sustained ingest', () => {
  let platform: Awaited<ReturnType<typeof startTestPlatform>>;
  let prometheus: RunningPrometheus;
  let app: Server;
  let ticker: NodeJS.Timeout;
  let provider: BasicTracerProvider;
  let logProvider: LoggerProvider;

  beforeAll(async () => {
    platform = await startTestPlatform();
    const registry = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const ticks = new Counter({ name: 'restart_ticks', help: 'Ticks.', registers: [registry] });
    ticker = setInterval(() => ticks.inc(), 50);
    let target: string;
    ({ server: app, target } = await serveRegistry(registry));
    prometheus = await startPrometheus({ targets: [target], remoteWriteUrl: `${platform.ingestUrl}/api/v1/write` });
    provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'restart-test' }),
      spanProcessors: [
        new BatchSpanProcessor(
          new OTLPTraceExporter({ url: `${platform.ingestUrl}/v1/traces`, timeoutMillis: 30_000 }),
          { scheduledDelayMillis: 100, maxExportBatchSize: 200, maxQueueSize: 100_000 },
        ),
      ],
    });
    logProvider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'restart-test' }),
      processors: [
        new BatchLogRecordProcessor({
          exporter: new OTLPLogExporter({ url: `${platform.ingestUrl}/v1/logs`, timeoutMillis: 30_000 }),
          scheduledDelayMillis: 100,
          maxExportBatchSize: 200,
          maxQueueSize: 100_000,
        }),
      ],
    });
  }, 60_000);

  afterAll(async () => {
    clearInterval(ticker);
    await provider?.shutdown();
    await logProvider?.shutdown();
    await prometheus?.stop();
    app?.close();
    await platform?.stop();
  });

  it('stores every created span and log record exactly once and every scraped sample, despite two connection massacres', async () => {
    const scratch = await databaseName(platform.database);
    const queries = new MetricQueries(platform.database);
    const matcher = [{ name: '__name__', type: '=' as const, value: 'restart_ticks_total' }];
    await waitFor('Prometheus to scrape and send', async () =>
      (await queries.select(matcher, 0, Date.now() + 1000)).length ? true : undefined,
    );
    const tracer = provider.getTracer('restart');
    const logger = logProvider.getLogger('restart');
    const created = new Set<string>();
    const logged = new Set<string>();
    const windowStart = Date.now();
    for (let round = 0; round < 30; round++) {
      for (let i = 0; i < 50; i++) {
        const span = tracer.startSpan(`op-${round}`);
        created.add(`${span.spanContext().traceId}:${span.spanContext().spanId}`);
        span.end();
        const body = `round ${round} item ${i}`;
        logged.add(body);
        logger.emit({ body, severityText: 'INFO', severityNumber: 9 });
      }
      if (round === 10 || round === 20) {
        expect(await terminateConnections(process.env.DATABASE_URL!, scratch)).toBeGreaterThan(0);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const windowEnd = Date.now();
    await provider.forceFlush();
    await logProvider.forceFlush();

    const rows = await waitFor(
      'all spans',
      async () => {
        const r = await spanCopies(platform.database, 'restart-test');
        return r.length >= created.size ? r : undefined;
      },
      60_000,
    );
    expect(rows.filter((r) => r.copies !== 1)).toEqual([]);
    expect(new Set(rows.map((r) => `${r.traceId}:${r.spanId}`))).toEqual(created);

    const logRows = await waitFor(
      'all log records',
      async () => {
        const r = await logBodyCopies(platform.database, 'restart-test');
        return r.length >= logged.size ? r : undefined;
      },
      60_000,
    );
    expect(logRows.filter((r) => r.copies !== 1)).toEqual([]);
    expect(new Set(logRows.map((r) => r.body))).toEqual(logged);

    // Prometheus' TSDB is the reference for what was scraped in the window.
    const ref = await fetch(
      `${prometheus.url}/api/v1/query?query=${encodeURIComponent(`restart_ticks_total[${Math.ceil((windowEnd - windowStart) / 1000) + 30}s]`)}&time=${windowEnd / 1000}`,
    );
    const expected = (
      (await ref.json()) as { data: { result: { values: [number, string][] }[] } }
    ).data.result[0]!.values.map(([t, v]) => [Math.round(t * 1000), Number(v)]).filter(
      ([t]) => t! >= windowStart && t! <= windowEnd,
    );
    const ours = await waitFor(
      'the samples to land',
      async () => {
        const [s] = await queries.select(matcher, windowStart, windowEnd);
        return s && s.timestamps.length >= expected.length ? s : undefined;
      },
      60_000,
    );
    expect(Array.from(ours.timestamps).map((t, i) => [t, ours.values[i]])).toEqual(expected);
  }, 180_000);
});
