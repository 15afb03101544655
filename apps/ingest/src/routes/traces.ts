// POST /v1/traces: OTLP/HTTP traces.
import { Hono } from 'hono';
import type { ResourceSpans } from '@pivot/model';
import type { AppEnv, BodyLimits } from '@pivot/server-kit';
import type { IngestMetrics } from '../metrics.ts';
import { traceSignal } from '../otlp-export.ts';
import { otlpHandler } from '../otlp-http.ts';
import type { Sink } from '../pipeline.ts';

export function traceRoutes(spans: Sink<ResourceSpans[]>, limits: BodyLimits, metrics: IngestMetrics): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post('/v1/traces', otlpHandler(traceSignal(spans), limits, metrics));
  return app;
}
