// Wires the ingest service to a database: writers, partition upkeep, the HTTP and gRPC listeners.
import {
  LOGS_TABLE,
  LogWriter,
  METRIC_CHUNKS_TABLE,
  METRIC_EXEMPLARS_TABLE,
  MetricWriter,
  PartitionManager,
  SPANS_TABLE,
  SpanWriter,
  applyRetention,
  compactMetricChunks,
  type Database,
} from '@pivot/store';
import { listen, type Config, type Listening, type Logger } from '@pivot/server-kit';
import { createIngestApp, type IngestDeps } from './app.ts';
import { createIngestMetrics, flushRecorder, type IngestMetrics } from './metrics.ts';
import { startOtlpGrpc } from './otlp-grpc.ts';
import { withTimeWindow } from './pipeline.ts';
import { checkIngestExposure } from './auth.ts';

export interface IngestService {
  /** The writers' day partitions; the all-in-one's API runs retention through it (one cache). */
  partitions: PartitionManager;
  http: Listening;
  /** OTLP/gRPC on GRPC_PORT; `url` is what an exporter's endpoint is set to. */
  grpc: Listening;
  metrics: IngestMetrics;
  /** Stops accepting, flushes everything acknowledged, stops upkeep. Does not close the database. */
  close(): Promise<void>;
}

const HOUR_MS = 3_600_000;

export async function startIngest(config: Config, database: Database, logger: Logger): Promise<IngestService> {
  checkIngestExposure(config);
  const metrics = createIngestMetrics();
  const partitions = new PartitionManager(database);
  const writerOpts = { maxQueuedItems: config.INGEST_QUEUE_MAX_ITEMS, maxBatchItems: config.INGEST_BATCH_MAX_ITEMS };
  const spans = new SpanWriter(database, partitions, { ...writerOpts, onFlush: flushRecorder(metrics, 'traces') });
  // Samples are small: a transaction takes ten times as many of them as of spans.
  const samples = new MetricWriter(database, partitions, {
    maxQueuedItems: config.INGEST_QUEUE_MAX_ITEMS * 10,
    maxBatchItems: config.INGEST_BATCH_MAX_ITEMS * 10,
    onFlush: flushRecorder(metrics, 'metrics'),
  });
  const logs = new LogWriter(database, partitions, { ...writerOpts, onFlush: flushRecorder(metrics, 'logs') });

  // Today's and the next days' partitions exist before their first write; failures only delay that.
  const upkeep = () =>
    partitions
      .prepareAhead([SPANS_TABLE, LOGS_TABLE, METRIC_CHUNKS_TABLE, METRIC_EXEMPLARS_TABLE], Date.now())
      .catch((err: unknown) => logger.warn({ err }, 'partition upkeep failed'));
  await upkeep();
  const timer = setInterval(upkeep, HOUR_MS);
  timer.unref();
  let compacting = false;
  const compaction = setInterval(() => {
    if (compacting) return;
    compacting = true;
    compactMetricChunks(database, Date.now())
      .then((r) => r.groups && logger.debug(r, 'metric chunks compacted'))
      .catch((err: unknown) => logger.warn({ err }, 'metric compaction failed'))
      .finally(() => (compacting = false));
  }, config.COMPACTION_INTERVAL_MS);
  compaction.unref();
  // Retention (RETENTION_*): old day partitions are dropped at start and hourly, through the writers'
  // own partition manager so its cache forgets them.
  let retentionRun: Promise<void> | undefined;
  const retention = () => {
    retentionRun ??= applyRetention(
      database,
      partitions,
      { traces: config.RETENTION_TRACES, logs: config.RETENTION_LOGS, metrics: config.RETENTION_METRICS },
      Date.now(),
    )
      .then((r) => {
        const dropped = [...r.dropped.traces, ...r.dropped.logs, ...r.dropped.metrics];
        if (dropped.length || r.tracesDeleted)
          logger.info({ dropped, tracesDeleted: r.tracesDeleted }, 'retention: old partitions dropped');
      })
      .catch((err: unknown) => logger.warn({ err }, 'retention failed'))
      .finally(() => (retentionRun = undefined));
    return retentionRun;
  };
  void retention();
  const retentionTimer = setInterval(retention, HOUR_MS);
  retentionTimer.unref();

  // One set of sinks and settings behind both transports. Items dated outside the time window are
  // refused one by one before they reach a writer (time-window.ts).
  const window = {
    maxFutureMs: config.INGEST_MAX_FUTURE,
    retentionMs: { traces: config.RETENTION_TRACES, logs: config.RETENTION_LOGS, metrics: config.RETENTION_METRICS },
  };
  const deps: IngestDeps = {
    logger,
    metrics,
    limits: { maxBodyBytes: config.MAX_BODY_BYTES, maxDecompressedBytes: config.MAX_DECOMPRESSED_BYTES },
    spans: withTimeWindow(spans, 'traces', window),
    samples: withTimeWindow(samples, 'metrics', window),
    logs: withTimeWindow(logs, 'logs', window),
    logLimits: { maxLineBytes: config.MAX_LOG_LINE_BYTES },
    remoteWrite: { maxLabelValueBytes: config.MAX_LABEL_VALUE_BYTES, maxLabelsPerSeries: config.MAX_LABELS_PER_SERIES },
    ingestTokens: config.INGEST_TOKEN,
    maxInflightBytes: config.INGEST_MAX_INFLIGHT_BYTES,
    ready: () => database.ping(),
  };
  const app = createIngestApp(deps);
  const http = await listen(app.fetch, config.HOST, config.INGEST_PORT);
  logger.info({ url: http.url, auth: Boolean(config.INGEST_TOKEN) }, 'ingest listening (OTLP/HTTP)');
  const maxMessageBytes = config.GRPC_MAX_MESSAGE_BYTES ?? config.MAX_DECOMPRESSED_BYTES;
  const grpc = await startOtlpGrpc(
    { ...deps, maxMessageBytes },
    config.HOST,
    config.GRPC_PORT,
    config.SHUTDOWN_TIMEOUT_MS,
  ).catch(async (err: unknown) => {
    await http.close();
    throw err;
  });
  logger.info({ url: grpc.url, auth: Boolean(config.INGEST_TOKEN) }, 'ingest listening (OTLP/gRPC)');
  return {
    partitions,
    http,
    grpc,
    metrics,
    async close() {
      clearInterval(timer);
      clearInterval(compaction);
      clearInterval(retentionTimer);
      await Promise.all([http.close(), grpc.close()]);
      await Promise.all([spans.close(), samples.close(), logs.close(), retentionRun]);
    },
  };
}
