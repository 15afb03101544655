// The base every Hono app starts from: request IDs, access logs, metrics, health endpoints and the
// single onError that turns any error into an answer.
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { requestId } from 'hono/request-id';
import { routePath } from 'hono/route';
import type { Logger } from 'pino';
import { toHttpError, type HttpError } from './errors.ts';
import type { HttpMetrics } from './observability.ts';

export type AppEnv = { Variables: { requestId: string } };

export interface BaseAppDeps {
  logger: Logger;
  metrics: HttpMetrics;
  /** Resolves when the service can do its job (database reachable, migrations applied). */
  ready(): Promise<void>;
  /** How an error is written for this app's clients (OTLP wants google.rpc.Status, the API JSON). */
  renderError?(c: Context, err: HttpError): Response | Promise<Response>;
  /**
   * A browser page is served at /metrics too (the API's dashboard has its metrics explorer there):
   * requests that accept text/html go on to the app's routes; scrapers never ask for HTML.
   */
  htmlAtMetricsPath?: boolean;
  /** Middleware that must see every request and response, health and metrics included (security headers). */
  first?: MiddlewareHandler<AppEnv>[];
}

/** A client's X-Request-Id is kept only when short and made of safe characters; else a new one is made. */
export const MAX_REQUEST_ID_LENGTH = 64;

export function createBaseApp(deps: BaseAppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { logger, metrics } = deps;

  app.use(requestId({ limitLength: MAX_REQUEST_ID_LENGTH }));
  for (const m of deps.first ?? []) app.use(m);
  app.use(async (c, next) => {
    const t0 = performance.now();
    await next();
    const route = routePath(c) || 'unmatched';
    const seconds = (performance.now() - t0) / 1000;
    metrics.requests.inc({ route, method: c.req.method, status: String(c.res.status) });
    metrics.duration.observe({ route, method: c.req.method }, seconds);
    if (route !== '/metrics' && route !== '/healthz' && route !== '/readyz')
      logger.info(
        {
          reqId: c.get('requestId'),
          method: c.req.method,
          path: c.req.path,
          status: c.res.status,
          ms: Math.round(seconds * 1000),
        },
        'request',
      );
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      await deps.ready();
      return c.json({ status: 'ready' });
    } catch (err) {
      // The driver's message can name hosts, users or paths: it goes to the log, not to the caller.
      logger.warn({ err: (err as Error).message }, 'not ready');
      return c.json({ status: 'not ready', error: 'database unreachable' }, 503);
    }
  });
  app.get('/metrics', async (c, next) => {
    if (deps.htmlAtMetricsPath && c.req.header('accept')?.includes('text/html')) return next();
    c.header('Content-Type', metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });

  app.onError((err, c) => {
    const httpErr = toHttpError(err);
    const reqId = c.get('requestId');
    if (!httpErr) {
      metrics.errors.inc({ kind: 'bug' });
      logger.error({ reqId, err }, 'unhandled error');
      return c.json({ error: 'internal error', requestId: reqId }, 500);
    }
    metrics.errors.inc({ kind: httpErr.status >= 500 ? 'unavailable' : 'expected' });
    if (httpErr.status >= 500) logger.warn({ reqId, err: httpErr.message }, 'service unavailable');
    for (const [k, v] of Object.entries(httpErr.headers)) c.header(k, v);
    if (deps.renderError) return deps.renderError(c, httpErr);
    return c.json({ error: httpErr.message }, httpErr.status as 400);
  });
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));
  return app;
}
