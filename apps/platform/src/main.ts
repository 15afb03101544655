// `npm start`: everything in one process, on PGlite under ./data unless DATABASE_URL is set.
import { authOptionsFromConfig } from '@pivot/api';
import { startDemo, type Demo } from '@pivot/demo';
import { createLogger, loadConfig, onShutdownSignal } from '@pivot/server-kit';
import { startPlatform } from './platform.ts';

const loaded = loadConfig();
// The demo on PostgreSQL runs its SQL on that server, whose own log is then tailed unless told otherwise.
const config =
  loaded.DEMO && loaded.DATABASE_URL && loaded.PG_LOG_PATHS.length === 0
    ? { ...loaded, PG_LOG_PATHS: ['auto'] }
    : loaded;
const logger = createLogger(config.LOG_LEVEL, 'pivot');
// An open API on a public address fails here, before anything listens.
const auth = authOptionsFromConfig(config);
const platform = await startPlatform(config, logger);
// DEMO=1 (`npm run demo`): the demo shop exports to this process's own ingest port.
let demo: Demo | undefined;
if (config.DEMO)
  demo = await startDemo({
    ingestUrl: platform.ingest.http.url,
    token: config.INGEST_TOKEN?.[0],
    logger: logger.child({ svc: 'demo' }),
    databaseUrl: platform.database.kind === 'pg' ? config.DATABASE_URL : undefined,
  });
const banner = [
  '',
  `  pivot is running (${platform.database.kind === 'pglite' ? `embedded PGlite in ${config.DATA_DIR}` : 'PostgreSQL'})`,
  `  Dashboard and query API:  ${platform.api.http.url}`,
  `  OTLP/HTTP endpoint:       ${platform.ingest.http.url}  (exporters: OTEL_EXPORTER_OTLP_ENDPOINT=${platform.ingest.http.url})`,
  `  OTLP/gRPC endpoint:       ${platform.ingest.grpc.url}  (exporters: OTEL_EXPORTER_OTLP_PROTOCOL=grpc OTEL_EXPORTER_OTLP_ENDPOINT=${platform.ingest.grpc.url})`,
  `  Prometheus remote_write:  ${platform.ingest.http.url}/api/v1/write  (send_exemplars: true)`,
  `  Loki push (Promtail/Alloy): ${platform.ingest.http.url}/loki/api/v1/push`,
  `  Trace lookup:             ${platform.api.http.url}/api/traces/<traceId>`,
  `  Login:                    ${auth.enabled ? `required (${auth.users.length} user(s) in AUTH_USERS)` : 'none (loopback only; set AUTH_USERS to require one)'}`,
  ...(demo
    ? [
        `  Demo shop:                running (frontend → checkout → inventory, pricing, payment); a P99 spike shows within a minute`,
      ]
    : []),
  '',
].join('\n');
process.stdout.write(banner + '\n');
onShutdownSignal(
  logger,
  async () => {
    // The demo first, so its last spans, logs and metrics reach ingest before ingest stops.
    await demo?.stop();
    await platform.close();
  },
  config.SHUTDOWN_TIMEOUT_MS,
);
