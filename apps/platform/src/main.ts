// `npm start`: everything in one process, on PGlite under ./data unless DATABASE_URL is set.
import { createLogger, loadConfig, onShutdownSignal } from '@pivot/server-kit';
import { startPlatform } from './platform.ts';

const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL, 'pivot');
const platform = await startPlatform(config, logger);
const banner = [
  '',
  `  pivot is running (${platform.database.kind === 'pglite' ? `embedded PGlite in ${config.DATA_DIR}` : 'PostgreSQL'})`,
  `  Dashboard and query API:  ${platform.api.http.url}`,
  `  OTLP/HTTP endpoint:       ${platform.ingest.http.url}  (exporters: OTEL_EXPORTER_OTLP_ENDPOINT=${platform.ingest.http.url})`,
  `  Trace lookup:             ${platform.api.http.url}/api/traces/<traceId>`,
  '',
].join('\n');
process.stdout.write(banner + '\n');
onShutdownSignal(logger, () => platform.close(), config.SHUTDOWN_TIMEOUT_MS);
