// An ingest app over a real store (PGlite in memory, or a scratch PostgreSQL database), called through
// app.request(): the full HTTP path without a port, for the fuzz, bomb and injection suites.
import { createIngestApp, createIngestMetrics } from '@pivot/ingest';
import { createApiApp } from '@pivot/api';
import { createLogger } from '@pivot/server-kit';
import {
  LogWriter,
  MetricQueries,
  MetricWriter,
  PartitionManager,
  SpanWriter,
  TraceQueries,
  openDatabase,
  type Database,
} from '@pivot/store';
import { scratchDatabaseUrl } from '@pivot/store/testing';
import { rawFixture as otlpFixture } from '@pivot/otlp/testing';
import { fixture as rwFixture } from '@pivot/remote-write/testing';

export { otlpFixture, rwFixture };

export interface Harness {
  db: Database;
  ingest: ReturnType<typeof createIngestApp>;
  api: ReturnType<typeof createApiApp>;
  spans: SpanWriter;
  samples: MetricWriter;
  close(): Promise<void>;
}

export async function startHarness(
  limits = { maxBodyBytes: 4 << 20, maxDecompressedBytes: 16 << 20 },
): Promise<Harness> {
  const scratch = await scratchDatabaseUrl();
  const db = await openDatabase(scratch.url ? { url: scratch.url } : { dataDir: 'memory://' });
  await db.migrate();
  const partitions = new PartitionManager(db);
  const spans = new SpanWriter(db, partitions);
  const samples = new MetricWriter(db, partitions);
  const logs = new LogWriter(db, partitions);
  const logger = createLogger('silent', 'reliability');
  const ingest = createIngestApp({
    logger,
    metrics: createIngestMetrics(false),
    limits,
    spans,
    samples,
    logs,
    ready: () => db.ping(),
  });
  const api = createApiApp({
    logger,
    traces: new TraceQueries(db),
    metrics: { queries: new MetricQueries(db), options: { timeoutMs: 5000, maxSamples: 1_000_000 } },
    ready: () => db.ping(),
  });
  return {
    db,
    ingest,
    api,
    spans,
    samples,
    async close() {
      await spans.close();
      await samples.close();
      await logs.close();
      await db.close();
      await scratch.drop();
    },
  };
}

/** The endpoints and their real payloads that the fuzz and bomb suites mutate. */
export const ENDPOINTS = [
  {
    name: 'OTLP traces protobuf',
    path: '/v1/traces',
    type: 'application/x-protobuf',
    encoding: '',
    seed: () => otlpFixture('otlp-traces-02.pb'),
  },
  {
    name: 'OTLP traces JSON',
    path: '/v1/traces',
    type: 'application/json',
    encoding: '',
    seed: () => otlpFixture('otlp-traces-07.json'),
  },
  {
    name: 'OTLP metrics protobuf',
    path: '/v1/metrics',
    type: 'application/x-protobuf',
    encoding: '',
    seed: () => otlpFixture('otlp-metrics-00.pb'),
  },
  {
    name: 'OTLP logs protobuf',
    path: '/v1/logs',
    type: 'application/x-protobuf',
    encoding: '',
    seed: () => otlpFixture('otlp-logs-04.pb'),
  },
  {
    name: 'OTLP logs JSON',
    path: '/v1/logs',
    type: 'application/json',
    encoding: '',
    seed: () => otlpFixture('otlp-logs-09.json'),
  },
  { name: 'NDJSON logs', path: '/api/v1/logs', type: 'application/x-ndjson', encoding: '', seed: () => ndjson() },
  { name: 'Loki push JSON', path: '/loki/api/v1/push', type: 'application/json', encoding: '', seed: () => lokiJson() },
  {
    name: 'remote-write',
    path: '/api/v1/write',
    type: 'application/x-protobuf',
    encoding: 'snappy',
    seed: () => rwFixture('prom-remote-write-16.pb.snappy'),
  },
];

/** Lines as pino writes them, with trace context. */
function ndjson(): Uint8Array {
  const lines = Array.from({ length: 8 }, (_, i) =>
    JSON.stringify({
      level: 30 + (i % 3) * 10,
      time: 1_795_554_618_000 + i,
      pid: 1,
      hostname: 'h',
      service: 'fuzz',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      msg: `order ord-${i} charged`,
      amount: i,
    }),
  );
  return new TextEncoder().encode(lines.join('\n') + '\n');
}

/** A Loki push as pino-loki and Promtail send it. */
function lokiJson(): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      streams: [
        {
          stream: { service_name: 'fuzz', level: 'info' },
          values: Array.from({ length: 6 }, (_, i) => [
            String(1_795_554_618_000_000_000n + BigInt(i)),
            `line ${i}`,
            { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' },
          ]),
        },
      ],
    }),
  );
}
