// Wires the query API to a database.
import {
  AlertEvidenceQueries,
  AlertingState,
  DbSessionStore,
  FacetQueries,
  LogQueries,
  LogqlQueries,
  MetricWriter,
  PartitionManager,
  MetricQueries,
  ServiceGraphQueries,
  ServiceStatsQueries,
  InvestigateQueries,
  SqlConsole,
  TraceQLQueries,
  TypicalTraceQueries,
  TraceQueries,
  type Database,
  type Maintenance,
  type StoreJob,
} from '@pivot/store';
import { WebSocketServer } from 'ws';
import { listen, type Config, type Listening, type Logger } from '@pivot/server-kit';
import { createApiApp } from './app.ts';
import { resolveWebDir } from './web.ts';
import { Auth, authOptionsFromConfig } from './auth.ts';
import { RuleManager } from './rules.ts';
import { alertmanagerNotifier, allNotifiers, webhookNotifier } from './notify.ts';
import type { Querier } from '@pivot/promql';

export interface ApiService {
  http: Listening;
  close(): Promise<void>;
}

/**
 * `maintenance`: the ingest service's when both run in one process, so that an admin run here goes
 * through its writers' partition cache; absent, the admin routes run the jobs through one of their own.
 */
export async function startApi(
  config: Config,
  database: Database,
  logger: Logger,
  opts: { maintenance?: Maintenance<StoreJob> } = {},
): Promise<ApiService> {
  const webDir = resolveWebDir(config.WEB_DIR);
  if (!webDir) logger.warn('dashboard not built (apps/web/build missing): serving the API only; run `npm run build`');
  // Refuses to start an open API on a non-loopback HOST (names AUTH_USERS).
  // Sessions in the database: every API replica on this database honours a login, logout and expiry.
  const auth = new Auth({ ...authOptionsFromConfig(config, logger), sessions: new DbSessionStore(database) });
  logger.info(
    { auth: auth.enabled },
    auth.enabled ? 'API login required (AUTH_USERS)' : 'API open without login (loopback HOST or AUTH_DISABLED)',
  );
  const metricQueries = new MetricQueries(database);
  const rules = config.RULES_DIR ? startRules(config, database, logger, metricQueries) : undefined;
  if (rules) await rules.manager.start();
  const app = createApiApp({
    ...(rules ? { rules: rules.manager } : {}),
    logger,
    auth,
    status: {
      database,
      retention: { traces: config.RETENTION_TRACES, logs: config.RETENTION_LOGS, metrics: config.RETENTION_METRICS },
      coldAfterMs: config.COLD_AFTER,
      ...(opts.maintenance ? { maintenance: opts.maintenance } : {}),
    },
    traces: new TraceQueries(database),
    traceql: new TraceQLQueries(database),
    typicalTraces: new TypicalTraceQueries(database),
    metrics: {
      queries: metricQueries,
      options: { timeoutMs: config.QUERY_TIMEOUT_MS, maxSamples: config.QUERY_MAX_SAMPLES },
    },
    serviceStats: new ServiceStatsQueries(database),
    investigate: new InvestigateQueries(database),
    sql: new SqlConsole(database, { rowLimit: config.SQL_ROW_LIMIT, timeoutMs: config.SQL_TIMEOUT_MS }),
    serviceGraph: new ServiceGraphQueries(database),
    logs: { queries: new LogQueries(database) },
    facets: new FacetQueries(database),
    loki: { queries: new LogqlQueries(database) },
    webDir,
    ready: () => database.ping(),
  });
  // The Loki live tail is a WebSocket; ws only handles upgrades the app's routes accept.
  const websocket = new WebSocketServer({ noServer: true });
  const http = await listen(app.fetch, config.HOST, config.PORT, { websocket });
  logger.info({ url: http.url }, 'query API listening');
  return {
    http,
    close: async () => {
      for (const ws of websocket.clients) ws.terminate();
      websocket.close();
      await http.close();
      await rules?.manager.stop();
      await rules?.writer.close();
    },
  };
}

function startRules(config: Config, database: Database, logger: Logger, metrics: MetricQueries) {
  const writer = new MetricWriter(database, new PartitionManager(database));
  const querier: Querier = {
    select: (matchers, minMs, maxMs, signal) =>
      metrics.select(matchers, minMs, maxMs, { maxSamples: config.QUERY_MAX_SAMPLES, signal }),
  };
  const evidence = new AlertEvidenceQueries(database);
  const externalURL = (config.PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`).replace(/\/+$/, '');
  // Always there: RULES_DIR/alerting.yml may name Alertmanagers at any reload.
  const notify = allNotifiers([
    alertmanagerNotifier({
      urls: config.ALERTMANAGER_URLS,
      targets: () => manager.alertmanagers,
      externalURL,
      logger,
    }),
    ...(config.ALERT_WEBHOOK_URLS.length
      ? [webhookNotifier({ urls: config.ALERT_WEBHOOK_URLS, externalURL, logger })]
      : []),
  ]);
  const manager = new RuleManager({
    dir: config.RULES_DIR!,
    database,
    state: new AlertingState(database),
    querier,
    write: (batch) => writer.write(batch),
    logger: logger.child({ component: 'rules' }),
    evaluationIntervalMs: config.RULES_EVALUATION_INTERVAL_MS,
    externalURL,
    resendDelayMs: config.ALERT_RESEND_DELAY_MS,
    engine: { timeoutMs: config.QUERY_TIMEOUT_MS, maxSamples: config.QUERY_MAX_SAMPLES },
    exemplars: (sets, startMs, endMs) => metrics.exemplars(sets, startMs, endMs, 1000),
    traceEvidence: (q, startMs, endMs) =>
      q.kind === 'spans' ? evidence.slowestTraces(q, startMs, endMs) : evidence.logTraces(q, startMs, endMs),
    ...(notify ? { notify } : {}),
  });
  return { manager, writer };
}
