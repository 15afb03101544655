// Wires the ingest service to a database: writers, partition upkeep, the HTTP listener.
import { METRIC_CHUNKS_TABLE, METRIC_EXEMPLARS_TABLE, MetricWriter, PartitionManager, SPANS_TABLE, SpanWriter, compactMetricChunks, type Database } from '@pivot/store';
import { listen, type Config, type Listening, type Logger } from '@pivot/server-kit';
import { createIngestApp } from './app.ts';
import { createIngestMetrics, flushRecorder, type IngestMetrics } from './metrics.ts';

export interface IngestService {
  http: Listening;
  metrics: IngestMetrics;
  /** Stops accepting, flushes everything acknowledged, stops upkeep. Does not close the database. */
  close(): Promise<void>;
}

const HOUR_MS = 3_600_000;

export async function startIngest(config: Config, database: Database, logger: Logger): Promise<IngestService> {
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

  // Today's and the next days' partitions exist before their first write; failures only delay that.
  const upkeep = () =>
    partitions.prepareAhead([SPANS_TABLE, METRIC_CHUNKS_TABLE, METRIC_EXEMPLARS_TABLE], Date.now()).catch((err: unknown) => logger.warn({ err }, 'partition upkeep failed'));
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

  const app = createIngestApp({
    logger,
    metrics,
    limits: { maxBodyBytes: config.MAX_BODY_BYTES, maxDecompressedBytes: config.MAX_DECOMPRESSED_BYTES },
    spans,
    samples,
    remoteWrite: { maxLabelValueBytes: config.MAX_LABEL_VALUE_BYTES, maxLabelsPerSeries: config.MAX_LABELS_PER_SERIES },
    ready: () => database.ping(),
  });
  const http = await listen(app.fetch, config.HOST, config.INGEST_PORT);
  logger.info({ url: http.url }, 'ingest listening (OTLP/HTTP)');
  return {
    http,
    metrics,
    async close() {
      clearInterval(timer);
      clearInterval(compaction);
      await http.close();
      await Promise.all([spans.close(), samples.close()]);
    },
  };
}
