// The ingest service: where every signal enters. Built by a factory so tests call app.request().
import type { Hono } from 'hono';
import type { MetricsBatch, ResourceLogs, ResourceSpans } from '@pivot/model';
import type { RemoteWriteLimits } from '@pivot/remote-write';
import { createBaseApp, type AppEnv, type BodyLimits, type Logger } from '@pivot/server-kit';
import { ingestAuth } from './auth.ts';
import { inflightMiddleware, type InflightBudget } from './inflight.ts';
import type { IngestMetrics } from './metrics.ts';
import { renderOtlpError } from './otlp-http.ts';
import type { LogLimits, Sink } from './pipeline.ts';
import { logRoutes } from './routes/logs.ts';
import { metricRoutes } from './routes/metrics.ts';
import { traceRoutes } from './routes/traces.ts';

export type { LogLimits, Sink };

export interface IngestDeps {
  logger: Logger;
  metrics: IngestMetrics;
  limits: BodyLimits;
  remoteWrite?: Partial<RemoteWriteLimits>;
  spans: Sink<ResourceSpans[]>;
  samples?: Sink<MetricsBatch>;
  logs?: Sink<ResourceLogs[]>;
  logLimits?: LogLimits;
  /**
   * The bytes all requests may hold at once (INGEST_MAX_INFLIGHT_BYTES), one budget for HTTP and gRPC;
   * absent: unbounded.
   */
  inflight?: InflightBudget;
  /** Accepted bearer tokens (INGEST_TOKEN); none or empty: ingest is open. */
  ingestTokens?: readonly string[];
  ready(): Promise<void>;
}

export function createIngestApp(deps: IngestDeps): Hono<AppEnv> {
  const { metrics, limits } = deps;
  metrics.queueSources.set('traces', () => deps.spans.queueDepth);
  const app = createBaseApp({
    logger: deps.logger,
    metrics,
    ready: () => deps.ready(),
    renderError: (c, err) =>
      c.req.path.startsWith('/v1/') ? renderOtlpError(c, err) : c.json({ error: err.message }, err.status as 400),
  });
  // After the base app's /healthz, /readyz and /metrics, before every ingest route.
  if (deps.ingestTokens?.length) app.use(ingestAuth(deps.ingestTokens));
  // After auth (a caller without a token holds no bytes), before any body is read.
  if (deps.inflight) app.use(inflightMiddleware(deps.inflight, limits.maxBodyBytes));
  app.route('/', traceRoutes(deps.spans, limits, metrics));
  if (deps.samples) {
    const samples = deps.samples;
    metrics.queueSources.set('metrics', () => samples.queueDepth);
    app.route('/', metricRoutes(samples, limits, deps.remoteWrite ?? {}, metrics));
  }
  if (deps.logs) {
    const logs = deps.logs;
    metrics.queueSources.set('logs', () => logs.queueDepth);
    app.route('/', logRoutes(logs, limits, deps.logLimits ?? {}, metrics));
  }
  return app;
}
