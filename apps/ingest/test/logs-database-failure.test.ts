// Needs a PostgreSQL server (DATABASE_URL): PGlite runs in-process and cannot become unreachable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '@pivot/store';
import { createScratchDatabase, startDbProxy } from '@pivot/store/testing';
import { fixture } from './helpers.ts';
import { buildLogIngest, lokiPushProtobuf, snappyLiterals } from './logs-helpers.ts';

const base = process.env.DATABASE_URL;

describe.runIf(base)('log ingest while PostgreSQL is unreachable', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let proxy: Awaited<ReturnType<typeof startDbProxy>>;
  let db: Database;
  let ing: ReturnType<typeof buildLogIngest>;
  beforeAll(async () => {
    scratch = await createScratchDatabase(base!);
    proxy = await startDbProxy(scratch.url);
    db = await openDatabase({ url: proxy.url, connectTimeoutMs: 1000, statementTimeoutMs: 2000 });
    await db.migrate();
    ing = buildLogIngest(db);
  });
  afterAll(async () => {
    await ing?.close();
    await db?.close();
    await proxy?.close();
    await scratch?.drop();
  });

  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const requests: [string, () => Response | Promise<Response>][] = [
    [
      'OTLP',
      () =>
        ing.app.request('/v1/logs', {
          method: 'POST',
          body: fixture('otlp-logs-09.json'),
          headers: { 'content-type': 'application/json' },
        }),
    ],
    [
      'NDJSON',
      () =>
        ing.app.request('/api/v1/logs?service=outage', {
          method: 'POST',
          body: '{"msg":"during the outage","time":1795554618170}',
          headers: { 'content-type': 'application/x-ndjson' },
        }),
    ],
    [
      'Loki',
      () =>
        ing.app.request('/loki/api/v1/push', {
          method: 'POST',
          body: snappyLiterals(
            lokiPushProtobuf([
              { labels: '{app="outage"}', entries: [{ ns: nowNs, line: 'pushed during the outage' }] },
            ]),
          ),
          headers: { 'content-type': 'application/x-protobuf' },
        }),
    ],
  ];

  it.each(requests)(
    '%s answers 503 with Retry-After (never 2xx, never a hang), then stores the retry',
    async (_name, send) => {
      proxy.cut();
      const t0 = performance.now();
      const down = await send();
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe('5');
      expect(JSON.stringify(await down.json())).toMatch(/database unavailable/);
      expect(performance.now() - t0).toBeLessThan(10_000);

      proxy.restore();
      const up = await send();
      expect(up.status).toBeLessThan(300);
    },
  );

  it('stored every retried request once', async () => {
    const { logs } = await ing.queries.search({}, { limit: 100 });
    expect(logs.filter((l) => l.service === 'checkout-api')).toHaveLength(5);
    expect(
      logs
        .filter((l) => l.service === 'outage')
        .map((l) => l.body)
        .sort(),
    ).toEqual(['during the outage', 'pushed during the outage']);
  });
});
