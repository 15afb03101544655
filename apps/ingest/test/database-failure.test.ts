// Needs a PostgreSQL server (DATABASE_URL): PGlite runs in-process and cannot become unreachable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '@pivot/store';
import { createScratchDatabase, startDbProxy } from '@pivot/store/testing';
import { buildIngest, fixture } from './helpers.ts';

const base = process.env.DATABASE_URL;

describe.runIf(base)('ingest while PostgreSQL is unreachable', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let proxy: Awaited<ReturnType<typeof startDbProxy>>;
  let db: Database;
  let ing: ReturnType<typeof buildIngest>;
  beforeAll(async () => {
    scratch = await createScratchDatabase(base!);
    proxy = await startDbProxy(scratch.url);
    db = await openDatabase({ url: proxy.url, connectTimeoutMs: 1000, statementTimeoutMs: 2000 });
    await db.migrate();
    ing = buildIngest(db);
  });
  afterAll(async () => {
    await ing?.spans.close();
    await db?.close();
    await proxy?.close();
    await scratch?.drop();
  });

  const send = () =>
    ing.app.request('/v1/traces', {
      method: 'POST',
      body: fixture('otlp-traces-08.json'),
      headers: { 'content-type': 'application/json' },
    });

  it('answers 503 with Retry-After (never 200, never a hang), then recovers', async () => {
    proxy.cut();
    const t0 = performance.now();
    const down = await send();
    const ms = performance.now() - t0;
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('5');
    expect(((await down.json()) as { message: string }).message).toMatch(/database unavailable/);
    expect(ms).toBeLessThan(10_000);
    expect((await ing.app.request('/readyz')).status).toBe(503);

    proxy.restore();
    const up = await send();
    expect(up.status).toBe(200);
    expect((await ing.queries.search({ limit: 100 })).length).toBe(5);
    expect((await ing.app.request('/readyz')).status).toBe(200);
  });
});
