// The OTLP signals, defined once and mounted on both transports: OTLP/HTTP (otlp-http.ts) and
// OTLP/gRPC (otlp-grpc.ts) differ only in how the bytes arrive and how the answer leaves. Below them
// is the ingest pipeline (pipeline.ts); above it, the partial success OTLP answers with.
import type { MetricsBatch, ResourceLogs, ResourceSpans, Signal } from '@pivot/model';
import {
  decodeExportLogsRequest,
  decodeExportLogsRequestJson,
  decodeExportMetricsRequest,
  decodeExportMetricsRequestJson,
  decodeExportTraceRequest,
  decodeExportTraceRequestJson,
  otlpMetricsToPrometheus,
  type DecodedMetrics,
  type PartialSuccess,
} from '@pivot/otlp';
import { DEFAULT_MAX_LINE_BYTES } from '@pivot/logformats';
import type { IngestMetrics } from './metrics.ts';
import { decoded, ingest, samplesIn, type Decoded, type LogLimits, type Sink } from './pipeline.ts';

export type OtlpFormat = 'protobuf' | 'json';

/** One OTLP signal: its decoders (protobuf and OTLP/JSON, both throwing OtlpDecodeError) and its sink. */
export interface OtlpSignal<B> {
  signal: Signal;
  decode(body: Uint8Array, format: OtlpFormat): Decoded<B>;
  sink: Sink<B>;
}

/**
 * One export request through the pipeline. Resolves with the partial success to answer (null when
 * everything was stored) once the rows are committed; throws as ingest() does.
 */
export async function exportOtlp<B>(
  s: OtlpSignal<B>,
  body: Uint8Array,
  format: OtlpFormat,
  metrics: IngestMetrics,
): Promise<PartialSuccess | null> {
  const out = await ingest({ signal: s.signal, sink: s.sink, decode: (b) => s.decode(b, format) }, body, metrics);
  return out.rejected > 0 ? { rejected: out.rejected, message: out.message } : null;
}

export function traceSignal(sink: Sink<ResourceSpans[]>): OtlpSignal<ResourceSpans[]> {
  return {
    signal: 'traces',
    decode(body, format) {
      const d = format === 'protobuf' ? decodeExportTraceRequest(body) : decodeExportTraceRequestJson(body);
      return decoded(d.resourceSpans, d.accepted, d.rejected, d.message);
    },
    sink,
  };
}

/** OTLP data points → Prometheus series; what cannot be represented is counted as rejected. */
function translated(d: DecodedMetrics): Decoded<MetricsBatch> {
  const t = otlpMetricsToPrometheus(d.resourceMetrics);
  const message = [d.message, t.message].filter(Boolean).join('; ');
  return decoded(t.batch, samplesIn(t.batch), d.rejected + t.rejected, message);
}

export function metricSignal(sink: Sink<MetricsBatch>): OtlpSignal<MetricsBatch> {
  return {
    signal: 'metrics',
    decode: (body, format) =>
      translated(format === 'protobuf' ? decodeExportMetricsRequest(body) : decodeExportMetricsRequestJson(body)),
    sink,
  };
}

/** OTLP log string bodies are truncated to the longest line the other log paths accept. */
export function logSignal(sink: Sink<ResourceLogs[]>, logLimits: LogLimits = {}): OtlpSignal<ResourceLogs[]> {
  const options = { maxBodyLength: logLimits.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES };
  return {
    signal: 'logs',
    decode(body, format) {
      const d =
        format === 'protobuf' ? decodeExportLogsRequest(body, options) : decodeExportLogsRequestJson(body, options);
      return decoded(d.resourceLogs, d.accepted, d.rejected, d.message);
    },
    sink,
  };
}
