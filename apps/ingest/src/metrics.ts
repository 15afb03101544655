// Ingest self-metrics: what was accepted and refused per signal, how the group commit behaves.
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Signal } from '@pivot/model';
import { createHttpMetrics, type HttpMetrics } from '@pivot/server-kit';

export interface IngestMetrics extends HttpMetrics {
  accepted: Counter<'signal'>;
  rejected: Counter<'signal' | 'reason'>;
  batchItems: Histogram<'signal'>;
  flushSeconds: Histogram<'signal' | 'outcome'>;
  queueDepth: Gauge<'signal'>;
  /** OTLP/gRPC calls by full method name and status code name (OK, UNAVAILABLE, …). */
  grpcRequests: Counter<'method' | 'code'>;
  grpcDuration: Histogram<'method'>;
  /** Where the queue-depth gauge reads each signal's depth when scraped. */
  queueSources: Map<Signal, () => number>;
}

export function createIngestMetrics(withDefaults = true): IngestMetrics {
  const base = createHttpMetrics('pivot_ingest', withDefaults);
  const registers = [base.registry];
  const queueSources = new Map<Signal, () => number>();
  return {
    ...base,
    accepted: new Counter({
      name: 'pivot_ingest_items_accepted_total',
      help: 'Items (spans, log records, samples) committed.',
      labelNames: ['signal'],
      registers,
    }),
    rejected: new Counter({
      name: 'pivot_ingest_items_rejected_total',
      help: 'Items refused, by reason.',
      labelNames: ['signal', 'reason'],
      registers,
    }),
    batchItems: new Histogram({
      name: 'pivot_ingest_batch_items',
      help: 'Items per group-commit transaction.',
      labelNames: ['signal'],
      buckets: [1, 10, 50, 100, 500, 1000, 2500, 5000, 10000],
      registers,
    }),
    flushSeconds: new Histogram({
      name: 'pivot_ingest_flush_seconds',
      help: 'Group-commit transaction latency.',
      labelNames: ['signal', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    queueDepth: new Gauge({
      name: 'pivot_ingest_queue_items',
      help: 'Items waiting to be written.',
      labelNames: ['signal'],
      registers,
      // Read at scrape time, so the hot path never touches the gauge.
      collect() {
        for (const [signal, depth] of queueSources) this.set({ signal }, depth());
      },
    }),
    grpcRequests: new Counter({
      name: 'pivot_ingest_grpc_requests_total',
      help: 'OTLP/gRPC calls by method and status code.',
      labelNames: ['method', 'code'],
      registers,
    }),
    grpcDuration: new Histogram({
      name: 'pivot_ingest_grpc_request_duration_seconds',
      help: 'OTLP/gRPC call latency.',
      labelNames: ['method'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    queueSources,
  };
}

/** A writer's onFlush hook that records batch size and latency. */
export function flushRecorder(m: IngestMetrics, signal: Signal) {
  return (info: { items: number; seconds: number; ok: boolean }) => {
    m.batchItems.observe({ signal }, info.items);
    m.flushSeconds.observe({ signal, outcome: info.ok ? 'ok' : 'error' }, info.seconds);
  };
}
