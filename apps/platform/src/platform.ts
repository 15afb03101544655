// The all-in-one platform: ingest and the query API in one process over one database.
import { startApi, type ApiService } from '@pivot/api';
import { startIngest, type IngestService } from '@pivot/ingest';
import { databaseOptions, type Config, type Logger } from '@pivot/server-kit';
import { openStore, type Database } from '@pivot/store';

export interface Platform {
  database: Database;
  ingest: IngestService;
  api: ApiService;
  close(): Promise<void>;
}

export async function startPlatform(config: Config, logger: Logger): Promise<Platform> {
  const database = await openStore(databaseOptions(config), logger);
  const ingest = await startIngest(config, database, logger.child({ svc: 'ingest' }));
  const api = await startApi(config, database, logger.child({ svc: 'api' }), { maintenance: ingest.maintenance });
  return {
    database,
    ingest,
    api,
    async close() {
      // Ingest first: what it acknowledged is flushed while the database is still open.
      await ingest.close();
      await api.close();
      await database.close();
    },
  };
}
