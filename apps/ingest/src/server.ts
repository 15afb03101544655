// Wires the ingest service to a database: writers, maintenance, the HTTP and gRPC listeners.
import {
  LogWriter,
  MetricWriter,
  PartitionManager,
  PgLogOffsets,
  SpanWriter,
  readServerLogFiles,
  createMaintenance,
  type Database,
  type Maintenance,
  type StoreJob,
} from '@pivot/store';
import { listen, type Config, type Listening, type Logger } from '@pivot/server-kit';
import { createIngestApp, type IngestDeps } from './app.ts';
import { createIngestMetrics, flushRecorder, type IngestMetrics } from './metrics.ts';
import { startOtlpGrpc } from './otlp-grpc.ts';
import { InflightBudget } from './inflight.ts';
import { withTimeWindow } from './pipeline.ts';
import { PgLogTailer, resolveAutoPaths } from './pg-tail.ts';
import { windowFor } from './time-window.ts';
import { checkIngestExposure } from './auth.ts';

export interface IngestService {
  /**
   * Partition upkeep, compaction and retention, over the writers' own partition cache; the all-in-one's
   * API runs its admin jobs through it.
   */
  maintenance: Maintenance<StoreJob>;
  http: Listening;
  /** OTLP/gRPC on GRPC_PORT; `url` is what an exporter's endpoint is set to. */
  grpc: Listening;
  metrics: IngestMetrics;
  /** Stops accepting, flushes everything acknowledged, stops maintenance. Does not close the database. */
  close(): Promise<void>;
}

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

  // Partitions ahead (before we listen), compaction and retention (RETENTION_*), each under an advisory
  // lock so that several ingest processes take turns; through the writers' partition manager, so that
  // its cache follows what retention drops.
  const maintenance = createMaintenance(database, {
    partitions,
    retention: { traces: config.RETENTION_TRACES, logs: config.RETENTION_LOGS, metrics: config.RETENTION_METRICS },
    compactionIntervalMs: config.COMPACTION_INTERVAL_MS,
    retentionIntervalMs: config.RETENTION_INTERVAL_MS,
    columnarIntervalMs: config.COLUMNAR_INTERVAL_MS,
    serviceGraph: { waitMs: config.SERVICEGRAPH_WAIT_MS, intervalMs: config.SERVICEGRAPH_INTERVAL_MS },
    coldAfterMs: config.COLD_AFTER,
    logger,
  });
  await maintenance.start();

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
    inflight: new InflightBudget(config.INGEST_MAX_INFLIGHT_BYTES, () =>
      metrics.rejected.inc({ signal: 'all', reason: 'busy' }),
    ),
    ready: () => database.ping(),
  };
  const app = createIngestApp(deps);
  // A port already taken fails start-up; the maintenance schedule and the writers stop with it, so an
  // embedding process (the platform) is not left running jobs for an ingest that never listened.
  const abandon = async (err: unknown): Promise<never> => {
    await Promise.all([maintenance.stop(), spans.close(), samples.close(), logs.close()]);
    throw err;
  };
  const http = await listen(app.fetch, config.HOST, config.INGEST_PORT).catch(abandon);
  logger.info({ url: http.url, auth: Boolean(config.INGEST_TOKEN) }, 'ingest listening (OTLP/HTTP)');
  const maxMessageBytes = Math.min(config.GRPC_MAX_MESSAGE_BYTES, config.MAX_DECOMPRESSED_BYTES);
  const grpc = await startOtlpGrpc(
    { ...deps, maxMessageBytes },
    config.HOST,
    config.GRPC_PORT,
    config.SHUTDOWN_TIMEOUT_MS,
  ).catch(async (err: unknown) => {
    await http.close();
    return abandon(err);
  });
  logger.info({ url: grpc.url, auth: Boolean(config.INGEST_TOKEN) }, 'ingest listening (OTLP/gRPC)');
  // PostgreSQL's own log files (PG_LOG_PATHS): records and offsets committed together (pg-tail.ts).
  // `auto` asks the server where it logs; what stands in the way is said here, and ingest runs on.
  let pgLogPaths = config.PG_LOG_PATHS;
  let pgLogTimeZone = config.PG_LOG_TIMEZONE;
  if (pgLogPaths.length === 1 && pgLogPaths[0] === 'auto') {
    const auto = await readServerLogFiles(database).then(resolveAutoPaths, (err: unknown) => ({
      paths: [] as string[],
      timeZone: undefined,
      problem: `cannot read the server's log settings: ${err instanceof Error ? err.message : String(err)}`,
    }));
    if (auto.problem) logger.warn({ problem: auto.problem }, 'PG_LOG_PATHS=auto: not tailing PostgreSQL log files');
    pgLogPaths = auto.paths;
    pgLogTimeZone ??= auto.timeZone;
  }
  const pgTail = pgLogPaths.length
    ? new PgLogTailer({
        paths: pgLogPaths,
        service: config.PG_LOG_SERVICE,
        pollMs: config.PG_LOG_POLL_MS,
        maxLineBytes: config.MAX_LOG_LINE_BYTES,
        offsets: new PgLogOffsets(database, partitions),
        logger: logger.child({ component: 'pg-tail' }),
        metrics,
        timeWindow: () => windowFor('logs', window),
        forgetAfterMs: config.RETENTION_LOGS,
        timeZone: pgLogTimeZone,
      })
    : null;
  pgTail?.start();
  if (pgTail) logger.info({ paths: pgLogPaths, timeZone: pgLogTimeZone }, 'tailing PostgreSQL log files');
  return {
    maintenance,
    http,
    grpc,
    metrics,
    async close() {
      const stopping = maintenance.stop();
      await Promise.all([http.close(), grpc.close(), pgTail?.close()]);
      await Promise.all([spans.close(), samples.close(), logs.close(), stopping]);
    },
  };
}
