// Starts the all-in-one platform on free loopback ports over a scratch database, for end-to-end suites.
import { createLogger, loadConfig } from '@pivot/server-kit';
import { scratchDatabaseUrl } from '@pivot/store/testing';
import { startPlatform, type Platform } from '../src/index.ts';

export async function startTestPlatform(env: Record<string, string> = {}): Promise<Platform & { ingestUrl: string; apiUrl: string; stop(): Promise<void> }> {
  const scratch = await scratchDatabaseUrl();
  const config = loadConfig({
    HOST: '127.0.0.1',
    INGEST_PORT: '0',
    PORT: '0',
    DATA_DIR: 'memory://',
    ...(scratch.url ? { DATABASE_URL: scratch.url } : {}),
    ...env,
  });
  const platform = await startPlatform(config, createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'e2e'));
  return {
    ...platform,
    ingestUrl: platform.ingest.http.url,
    apiUrl: platform.api.http.url,
    async stop() {
      await platform.close();
      await scratch.drop();
    },
  };
}
