// The query API: traces now, PromQL and logs as they land, and later the dashboard at /.
import type { Hono } from 'hono';
import { compress } from 'hono/compress';
import type { MetricQueries, TraceQueries } from '@pivot/store';
import { createBaseApp, createHttpMetrics, type AppEnv, type HttpMetrics, type Logger } from '@pivot/server-kit';
import { promqlRoutes, type PromqlOptions } from './promql.ts';
import { traceRoutes } from './traces.ts';

export interface ApiDeps {
  logger: Logger;
  httpMetrics?: HttpMetrics;
  traces: TraceQueries;
  metrics?: { queries: MetricQueries; options: PromqlOptions };
  ready(): Promise<void>;
}

export function createApiApp(deps: ApiDeps): Hono<AppEnv> {
  const app = createBaseApp({ logger: deps.logger, metrics: deps.httpMetrics ?? createHttpMetrics('pivot_api'), ready: deps.ready });
  // Trace JSON repeats resources and attribute keys; gzip shrinks it several-fold.
  app.use('/api/*', compress());
  app.route('/', traceRoutes(deps.traces));
  if (deps.metrics) app.route('/', promqlRoutes(deps.metrics.queries, deps.metrics.options));
  return app;
}
