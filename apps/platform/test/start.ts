// Starts the all-in-one platform on free loopback ports over a scratch database, for end-to-end suites.
import { createLogger, loadConfig } from '@pivot/server-kit';
import { scratchDatabaseUrl, startDbProxy } from '@pivot/store/testing';
import { startPlatform, type Platform } from '../src/index.ts';

type DbProxy = Awaited<ReturnType<typeof startDbProxy>>;

/**
 * `viaProxy` puts a cuttable TCP proxy between the platform and PostgreSQL (DATABASE_URL only), so a
 * test can make the database unreachable and bring it back.
 */
export async function startTestPlatform(
  env: Record<string, string> = {},
  opts: { viaProxy?: boolean } = {},
): Promise<
  Platform & { ingestUrl: string; grpcUrl: string; apiUrl: string; proxy: DbProxy | undefined; stop(): Promise<void> }
> {
  const scratch = await scratchDatabaseUrl();
  const proxy = opts.viaProxy && scratch.url ? await startDbProxy(scratch.url) : undefined;
  const dbUrl = proxy?.url ?? scratch.url;
  const config = loadConfig({
    HOST: '127.0.0.1',
    INGEST_PORT: '0',
    GRPC_PORT: '0',
    PORT: '0',
    DATA_DIR: 'memory://',
    ...(dbUrl ? { DATABASE_URL: dbUrl, DB_STATEMENT_TIMEOUT_MS: '3000' } : {}),
    ...env,
  });
  const platform = await startPlatform(config, createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'e2e'));
  return {
    ...platform,
    ingestUrl: platform.ingest.http.url,
    grpcUrl: platform.ingest.grpc.url,
    apiUrl: platform.api.http.url,
    proxy,
    async stop() {
      proxy?.restore();
      await platform.close();
      await proxy?.close();
      await scratch.drop();
    },
  };
}
