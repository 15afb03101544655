// The compose `migrate` job: applies the committed migrations once, then exits 0, so that ingest and
// api (MIGRATE=false there) start only on a migrated schema. Safe to run again: applied migrations
// are skipped, and concurrent runs serialise on an advisory lock.
import { createLogger, databaseOptions, loadConfig } from '@pivot/server-kit';
import { openStore } from '@pivot/store';

const config = { ...loadConfig(), MIGRATE: true };
const logger = createLogger(config.LOG_LEVEL, 'migrate');
const database = await openStore(databaseOptions(config), logger);
await database.close();
logger.info('schema is up to date');
