// The ingest service: where every signal enters. Built by a factory so tests call app.request().
import type { Hono } from 'hono';
import type { ResourceSpans } from '@pivot/model';
import { createBaseApp, type AppEnv, type BodyLimits, type Logger } from '@pivot/server-kit';
import {
  OtlpDecodeError,
  decodeExportTraceRequest,
  decodeExportTraceRequestJson,
  encodeExportResponse,
} from '@pivot/otlp';
import type { IngestMetrics } from './metrics.ts';
import { otlpHandler, renderOtlpError } from './otlp-http.ts';

export interface SpanSink {
  write(batch: ResourceSpans[]): Promise<void>;
  readonly queueDepth: number;
}

export interface IngestDeps {
  logger: Logger;
  metrics: IngestMetrics;
  limits: BodyLimits;
  spans: SpanSink;
  ready(): Promise<void>;
}

export function createIngestApp(deps: IngestDeps): Hono<AppEnv> {
  const { metrics } = deps;
  metrics.queueSources.set('traces', () => deps.spans.queueDepth);

  const app = createBaseApp({
    logger: deps.logger,
    metrics,
    ready: deps.ready,
    renderError: (c, err) => (c.req.path.startsWith('/v1/') ? renderOtlpError(c, err) : c.json({ error: err.message }, err.status as 400)),
  });

  app.post(
    '/v1/traces',
    otlpHandler(
      {
        signal: 'traces',
        decodeProtobuf: (b) => {
          const d = decodeExportTraceRequest(b);
          return { batch: d.resourceSpans, accepted: d.accepted, rejected: d.rejected, message: d.message };
        },
        decodeJson: (b) => {
          const d = decodeExportTraceRequestJson(b);
          return { batch: d.resourceSpans, accepted: d.accepted, rejected: d.rejected, message: d.message };
        },
        write: (batch) => deps.spans.write(batch),
        encodeResponse: (partial, format) => encodeExportResponse('traces', partial, format),
        isDecodeError: (e) => e instanceof OtlpDecodeError,
      },
      deps.limits,
      metrics,
    ),
  );
  return app;
}
