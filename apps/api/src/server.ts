// Wires the query API to a database.
import { MetricQueries, TraceQueries, type Database } from '@pivot/store';
import { listen, type Config, type Listening, type Logger } from '@pivot/server-kit';
import { createApiApp } from './app.ts';

export interface ApiService {
  http: Listening;
  close(): Promise<void>;
}

export async function startApi(config: Config, database: Database, logger: Logger): Promise<ApiService> {
  const app = createApiApp({
    logger,
    traces: new TraceQueries(database),
    metrics: { queries: new MetricQueries(database), options: { timeoutMs: config.QUERY_TIMEOUT_MS, maxSamples: config.QUERY_MAX_SAMPLES } },
    ready: () => database.ping(),
  });
  const http = await listen(app.fetch, config.HOST, config.PORT);
  logger.info({ url: http.url }, 'query API listening');
  return { http, close: () => http.close() };
}
