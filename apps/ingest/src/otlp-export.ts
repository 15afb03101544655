// The OTLP export step every transport shares: decode → write → partial success. OTLP/HTTP
// (otlp-http.ts) and OTLP/gRPC (otlp-grpc.ts) differ only in how the bytes arrive and how the answer
// leaves; each signal is defined once here and mounted on both.
import type { MetricsBatch, ResourceLogs, ResourceSpans, Signal } from '@pivot/model';
import {
  OtlpDecodeError,
  decodeExportLogsRequest,
  decodeExportLogsRequestJson,
  decodeExportMetricsRequest,
  decodeExportMetricsRequestJson,
  decodeExportTraceRequest,
  decodeExportTraceRequestJson,
  encodeExportResponse,
  otlpMetricsToPrometheus,
  type DecodedMetrics,
  type PartialSuccess,
} from '@pivot/otlp';
import { DEFAULT_MAX_LINE_BYTES } from '@pivot/logformats';
import { badRequest } from '@pivot/server-kit';
import type { IngestMetrics } from './metrics.ts';
import type { LogLimits } from './routes/logs.ts';

export type OtlpFormat = 'protobuf' | 'json';

/** Where a signal's decoded batches go: a group-commit writer, resolved after COMMIT. */
export interface Sink<B> {
  write(batch: B): Promise<void>;
  readonly queueDepth: number;
}

export interface Decoded<B> {
  batch: B;
  accepted: number;
  rejected: number;
  message: string;
}

export interface OtlpSignal<B> {
  signal: Signal;
  decodeProtobuf(bytes: Uint8Array): Decoded<B>;
  decodeJson(bytes: Uint8Array): Decoded<B>;
  write(batch: B): Promise<void>;
  encodeResponse(partial: PartialSuccess | null, format: OtlpFormat): Uint8Array | string;
  /** The decoders' own error type: it becomes a 400 (gRPC INVALID_ARGUMENT) with its message. */
  isDecodeError(err: unknown): boolean;
}

/**
 * Decodes one export request, writes what is valid and counts both outcomes. Resolves with the
 * partial success to answer (null when everything was stored) only once the rows are committed.
 * Undecodable input throws a 400 HttpError; store errors (queue full, database down) pass through
 * for the transport to map.
 */
export async function exportOtlp<B>(
  s: OtlpSignal<B>,
  body: Uint8Array,
  format: OtlpFormat,
  metrics: IngestMetrics,
): Promise<PartialSuccess | null> {
  let decoded: Decoded<B>;
  try {
    decoded = format === 'protobuf' ? s.decodeProtobuf(body) : s.decodeJson(body);
  } catch (err) {
    if (s.isDecodeError(err)) {
      metrics.rejected.inc({ signal: s.signal, reason: 'undecodable' });
      throw badRequest((err as Error).message, err);
    }
    throw err;
  }
  if (decoded.accepted > 0) await s.write(decoded.batch);
  metrics.accepted.inc({ signal: s.signal }, decoded.accepted);
  if (decoded.rejected > 0) metrics.rejected.inc({ signal: s.signal, reason: 'invalid' }, decoded.rejected);
  return decoded.rejected > 0 ? { rejected: decoded.rejected, message: decoded.message } : null;
}

const isOtlpDecodeError = (e: unknown) => e instanceof OtlpDecodeError;

export function traceSignal(sink: Sink<ResourceSpans[]>): OtlpSignal<ResourceSpans[]> {
  const asDecoded = (d: ReturnType<typeof decodeExportTraceRequest>) => ({
    batch: d.resourceSpans,
    accepted: d.accepted,
    rejected: d.rejected,
    message: d.message,
  });
  return {
    signal: 'traces',
    decodeProtobuf: (b) => asDecoded(decodeExportTraceRequest(b)),
    decodeJson: (b) => asDecoded(decodeExportTraceRequestJson(b)),
    write: (batch) => sink.write(batch),
    encodeResponse: (partial, format) => encodeExportResponse('traces', partial, format),
    isDecodeError: isOtlpDecodeError,
  };
}

export function samplesIn(batch: MetricsBatch): number {
  let n = 0;
  for (const s of batch.series) n += s.samples.length;
  return n;
}

/** OTLP data points → Prometheus series; what cannot be represented is counted as rejected. */
function translated(d: DecodedMetrics): Decoded<MetricsBatch> {
  const t = otlpMetricsToPrometheus(d.resourceMetrics);
  const rejected = d.rejected + t.rejected;
  return {
    batch: t.batch,
    accepted: samplesIn(t.batch),
    rejected,
    message: [d.message, t.message].filter(Boolean).join('; '),
  };
}

export function metricSignal(sink: Sink<MetricsBatch>): OtlpSignal<MetricsBatch> {
  return {
    signal: 'metrics',
    decodeProtobuf: (b) => translated(decodeExportMetricsRequest(b)),
    decodeJson: (b) => translated(decodeExportMetricsRequestJson(b)),
    write: (batch) => sink.write(batch),
    encodeResponse: (partial, format) => encodeExportResponse('metrics', partial, format),
    isDecodeError: isOtlpDecodeError,
  };
}

/** OTLP log string bodies are truncated to the longest line the other log paths accept. */
export function logSignal(sink: Sink<ResourceLogs[]>, logLimits: LogLimits = {}): OtlpSignal<ResourceLogs[]> {
  const options = { maxBodyLength: logLimits.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES };
  const asDecoded = (d: ReturnType<typeof decodeExportLogsRequest>) => ({
    batch: d.resourceLogs,
    accepted: d.accepted,
    rejected: d.rejected,
    message: d.message,
  });
  return {
    signal: 'logs',
    decodeProtobuf: (b) => asDecoded(decodeExportLogsRequest(b, options)),
    decodeJson: (b) => asDecoded(decodeExportLogsRequestJson(b, options)),
    write: (batch) => sink.write(batch),
    encodeResponse: (partial, format) => encodeExportResponse('logs', partial, format),
    isDecodeError: isOtlpDecodeError,
  };
}
