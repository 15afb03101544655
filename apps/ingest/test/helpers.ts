// Builds an ingest app over a real store for tests.
import { readFileSync } from 'node:fs';
import { createLogger } from '@pivot/server-kit';
import { PartitionManager, SpanWriter, TraceQueries, type Database } from '@pivot/store';
import { createIngestApp, createIngestMetrics, flushRecorder } from '../src/index.ts';

export const fixture = (name: string): Uint8Array =>
  readFileSync(new URL(`../../../packages/otlp/test/fixtures/${name}`, import.meta.url));

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
