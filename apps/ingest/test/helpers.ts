// Builds an ingest app over a real store for tests.
import { createLogger } from '@pivot/server-kit';
import { PartitionManager, SpanWriter, TraceQueries, type Database } from '@pivot/store';
import { createIngestApp, createIngestMetrics, flushRecorder } from '../src/index.ts';

/** An OTLP fixture as a server receives it (gzip-encoded ones still gzip). */
export { rawFixture as fixture } from '@pivot/otlp/testing';

export function buildIngest(database: Database, limits = { maxBodyBytes: 1 << 20, maxDecompressedBytes: 4 << 20 }) {
  const metrics = createIngestMetrics(false);
  const spans = new SpanWriter(database, new PartitionManager(database), { onFlush: flushRecorder(metrics, 'traces') });
  const app = createIngestApp({
    logger: createLogger('silent', 'test'),
    metrics,
    limits,
    spans,
    ready: () => database.ping(),
  });
  return { app, spans, metrics, queries: new TraceQueries(database) };
}
