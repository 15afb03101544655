// The ingest service: where every signal enters. Built by a factory so tests call app.request().
import type { Hono } from 'hono';
import type { MetricsBatch, ResourceSpans } from '@pivot/model';
import type { RemoteWriteLimits } from '@pivot/remote-write';
import { createBaseApp, type AppEnv, type BodyLimits, type Logger } from '@pivot/server-kit';
import type { IngestMetrics } from './metrics.ts';
import { renderOtlpError } from './otlp-http.ts';
import { metricRoutes } from './routes/metrics.ts';
import { traceRoutes, type Sink } from './routes/traces.ts';

export type { Sink };

export interface IngestDeps {
  logger: Logger;
  metrics: IngestMetrics;
  limits: BodyLimits;
  remoteWrite?: Partial<RemoteWriteLimits>;
  spans: Sink<ResourceSpans[]>;
  samples?: Sink<MetricsBatch>;
  ready(): Promise<void>;
}

export function createIngestApp(deps: IngestDeps): Hono<AppEnv> {
  const { metrics, limits } = deps;
  metrics.queueSources.set('traces', () => deps.spans.queueDepth);
  const app = createBaseApp({
    logger: deps.logger,
    metrics,
    ready: deps.ready,
    renderError: (c, err) => (c.req.path.startsWith('/v1/') ? renderOtlpError(c, err) : c.json({ error: err.message }, err.status as 400)),
  });
  app.route('/', traceRoutes(deps.spans, limits, metrics));
  if (deps.samples) {
    const samples = deps.samples;
    metrics.queueSources.set('metrics', () => samples.queueDepth);
    app.route('/', metricRoutes(samples, limits, deps.remoteWrite ?? {}, metrics));
  }
  return app;
}
