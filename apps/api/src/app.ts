// The query API: traces now, PromQL and logs as they land, and later the dashboard at /.
import type { Hono } from 'hono';
import { compress } from 'hono/compress';
import type {
  FacetQueries,
  InvestigateQueries,
  LogQueries,
  LogqlQueries,
  MetricQueries,
  ServiceGraphQueries,
  ServiceStatsQueries,
  SqlConsole,
  TraceQLQueries,
  TraceQueries,
  TypicalTraceQueries,
} from '@pivot/store';
import { createBaseApp, createHttpMetrics, type AppEnv, type HttpMetrics, type Logger } from '@pivot/server-kit';
import { promqlRoutes, type PromqlOptions } from './promql.ts';
import { traceRoutes } from './traces.ts';
import { traceCompareRoutes } from './trace-compare.ts';
import { TailSlots, logRoutes, type LogRouteOptions } from './logs.ts';
import { lokiRoutes, type LokiRouteOptions } from './loki.ts';
import { tempoRoutes } from './tempo.ts';
import { serviceStatsRoutes } from './service-stats.ts';
import { investigateRoutes } from './investigate.ts';
import { serviceGraphRoutes } from './servicegraph.ts';
import { webRoutes, webScriptHashes } from './web.ts';
import { API_BODY_LIMITS, limitBody, refuseCrossSite, securityHeaders } from './guards.ts';
import type { Auth } from './auth.ts';
import { statusRoutes, type StatusDeps } from './status.ts';
import { sqlRoutes } from './sql.ts';
import { ruleRoutes } from './rules-routes.ts';
import type { RuleManager } from './rules.ts';

export interface ApiDeps {
  logger: Logger;
  httpMetrics?: HttpMetrics;
  traces: TraceQueries;
  /** TraceQL search: `q` on /api/traces and the Tempo API for Grafana under /tempo (tempo.ts). */
  traceql?: TraceQLQueries;
  /** GET /api/traces/{id}/typical, the median peer to compare with (trace-compare.ts). */
  typicalTraces?: TypicalTraceQueries;
  metrics?: { queries: MetricQueries; options: PromqlOptions };
  /** Log search, trace logs, live tail and stats (logs.ts). */
  logs?: { queries: LogQueries; options?: LogRouteOptions };
  /** GET /api/logs/facets and /api/traces/facets (facet sidebars); absent: both answer 404. */
  facets?: FacetQueries;
  /** The Loki HTTP API at /loki/api/v1 (loki.ts), for Grafana's Loki data source. */
  loki?: { queries: LogqlQueries; options?: LokiRouteOptions };
  serviceStats?: ServiceStatsQueries;
  /** POST /api/investigate: cohort against baseline across spans, logs and the critical path (investigate.ts). */
  investigate?: InvestigateQueries;
  /** POST /api/sql, admins only (sql.ts). */
  sql?: SqlConsole;
  /** The service map and propagation health (servicegraph.ts). */
  serviceGraph?: ServiceGraphQueries;
  /** Login, sessions and roles (auth.ts); absent: the API is open. */
  auth?: Auth;
  /** GET /api/status and the admin actions (status.ts). */
  status?: Omit<StatusDeps, 'requireAdmin' | 'logger'>;
  /** Alerting and recording rules (rules.ts); absent: /api/v1/rules and /api/v1/alerts answer empty lists. */
  rules?: RuleManager;
  /** The built dashboard, served at / (see web.ts); absent: API only. */
  webDir?: string | undefined;
  /** PUBLIC_URL: its origin may send state-changing requests, whatever Host the proxy forwards. */
  publicUrl?: string | undefined;
  ready(): Promise<void>;
}

export function createApiApp(deps: ApiDeps): Hono<AppEnv> {
  const app = createBaseApp({
    logger: deps.logger,
    metrics: deps.httpMetrics ?? createHttpMetrics('pivot_api'),
    ready: () => deps.ready(),
    htmlAtMetricsPath: Boolean(deps.webDir),
    first: [securityHeaders(deps.webDir ? webScriptHashes(deps.webDir) : [])],
  });
  app.use('/api/*', refuseCrossSite(deps.publicUrl));
  const loginLimit = limitBody(API_BODY_LIMITS.login, 'login');
  const promqlLimit = limitBody(API_BODY_LIMITS.promql, 'PromQL request');
  // Every /api route but those two, which have their own.
  const defaultLimit = limitBody(
    API_BODY_LIMITS.default,
    'API request',
    (path) => path === '/api/auth/login' || path.startsWith('/api/v1/'),
  );
  app.use('/api/auth/login', loginLimit);
  app.use('/api/v1/*', promqlLimit);
  app.use('/api/*', defaultLimit);
  // Trace JSON repeats resources and attribute keys; gzip shrinks it several-fold.
  app.use('/api/*', compress());
  // The Loki API answers Grafana's server-side requests: same body limit, compression and login as /api.
  app.use(
    '/loki/*',
    refuseCrossSite(deps.publicUrl),
    limitBody(API_BODY_LIMITS.default, 'Loki API request'),
    compress(),
  );
  app.use('/tempo/*', compress());
  // Before every other /api route: login is open, the rest needs a session (or Basic auth).
  if (deps.auth) {
    app.route('/', deps.auth.routes());
    app.use('/api/*', deps.auth.middleware());
    app.use('/loki/*', deps.auth.middleware());
    // Grafana's Tempo data source sends the same Basic credentials as its Prometheus one.
    app.use('/tempo/*', deps.auth.middleware());
  }
  if (deps.status)
    app.route(
      '/',
      statusRoutes({
        ...deps.status,
        logger: deps.logger,
        ...(deps.auth ? { requireAdmin: deps.auth.requireAdmin() } : {}),
      }),
    );
  app.route('/', traceRoutes(deps.traces, deps.traceql, deps.facets));
  app.route('/', traceCompareRoutes(deps.traces, deps.typicalTraces));
  if (deps.traceql) app.route('/tempo', tempoRoutes({ traces: deps.traces, traceql: deps.traceql }));
  // Reloading rules is an admin action, as Prometheus guards it behind --web.enable-lifecycle.
  if (deps.auth) app.use('/-/reload', deps.auth.middleware(), deps.auth.requireAdmin());
  app.route('/', ruleRoutes(deps.rules));
  if (deps.metrics) app.route('/', promqlRoutes(deps.metrics.queries, deps.metrics.options));
  // One set of live-tail slots for both kinds of tail: each polls the database, whatever carries it.
  const tailSlots = new TailSlots(
    deps.loki?.options?.maxTails ?? deps.logs?.options?.maxTails,
    deps.loki?.options?.maxTailsPerUser ?? deps.logs?.options?.maxTailsPerUser,
  );
  if (deps.logs)
    app.route(
      '/',
      logRoutes(deps.logs.queries, {
        tailSlots,
        logger: deps.logger,
        ...(deps.auth
          ? { session: { stillValid: (c) => deps.auth!.stillValid(c), owner: (c) => deps.auth!.principal(c).user } }
          : {}),
        ...(deps.facets ? { facets: deps.facets } : {}),
        ...deps.logs.options,
      }),
    );
  if (deps.serviceStats) app.route('/', serviceStatsRoutes(deps.serviceStats));
  if (deps.investigate) app.route('/', investigateRoutes(deps.investigate));
  if (deps.sql) app.route('/', sqlRoutes(deps.sql, deps.auth?.requireAdmin()));
  if (deps.serviceGraph) app.route('/', serviceGraphRoutes(deps.serviceGraph));
  if (deps.loki)
    app.route(
      '/',
      lokiRoutes(deps.loki.queries, {
        tailSlots,
        logger: deps.logger,
        ...(deps.auth
          ? { session: { stillValid: (c) => deps.auth!.stillValid(c), owner: (c) => deps.auth!.principal(c).user } }
          : {}),
        ...deps.loki.options,
      }),
    );
  // Last: the dashboard answers whatever no API route did.
  if (deps.webDir) app.route('/', webRoutes(deps.webDir));
  return app;
}
