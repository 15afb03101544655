// POST /v1/traces: OTLP/HTTP traces.
import { Hono } from 'hono';
import type { ResourceSpans } from '@pivot/model';
import { OtlpDecodeError, decodeExportTraceRequest, decodeExportTraceRequestJson, encodeExportResponse } from '@pivot/otlp';
import type { AppEnv, BodyLimits } from '@pivot/server-kit';
import type { IngestMetrics } from '../metrics.ts';
import { otlpHandler } from '../otlp-http.ts';

export interface Sink<B> {
  write(batch: B): Promise<void>;
  readonly queueDepth: number;
}

export function traceRoutes(spans: Sink<ResourceSpans[]>, limits: BodyLimits, metrics: IngestMetrics): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const asDecoded = (d: ReturnType<typeof decodeExportTraceRequest>) => ({ batch: d.resourceSpans, accepted: d.accepted, rejected: d.rejected, message: d.message });
  app.post(
    '/v1/traces',
    otlpHandler(
      {
        signal: 'traces',
        decodeProtobuf: (b) => asDecoded(decodeExportTraceRequest(b)),
        decodeJson: (b) => asDecoded(decodeExportTraceRequestJson(b)),
        write: (batch) => spans.write(batch),
        encodeResponse: (partial, format) => encodeExportResponse('traces', partial, format),
        isDecodeError: (e) => e instanceof OtlpDecodeError,
      },
      limits,
      metrics,
    ),
  );
  return app;
}
