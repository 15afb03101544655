// Entry point of the ingest service alone (compose, scale-out).
import { createLogger, databaseOptions, loadConfig, onShutdownSignal } from '@pivot/server-kit';
import { openStore } from '@pivot/store';
import { startIngest } from './server.ts';

const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL, 'ingest');
const database = await openStore(databaseOptions(config), logger);
const ingest = await startIngest(config, database, logger);
onShutdownSignal(
  logger,
  async () => {
    await ingest.close();
    await database.close();
  },
  config.SHUTDOWN_TIMEOUT_MS,
);
