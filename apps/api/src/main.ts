// Entry point of the query API alone (compose, scale-out).
import { createLogger, databaseOptions, loadConfig, onShutdownSignal } from '@pivot/server-kit';
import { openStore } from '@pivot/store';
import { startApi } from './server.ts';
import { authOptionsFromConfig } from './auth.ts';

const config = loadConfig();
authOptionsFromConfig(config); // an open API on a public address fails here, before touching the database
const logger = createLogger(config.LOG_LEVEL, 'api');
const database = await openStore(databaseOptions(config), logger);
const api = await startApi(config, database, logger);
onShutdownSignal(
  logger,
  async () => {
    await api.close();
    await database.close();
  },
  config.SHUTDOWN_TIMEOUT_MS,
);
