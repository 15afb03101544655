// The database is slowed by a lock held on a table the writer needs: ingest must answer 429 (queue
// full) or 503 (statement timed out) with Retry-After, promptly, never hang and never 200; the queue
// never grows past its limit; once the lock is gone, ingest recovers. Needs PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngestApp, createIngestMetrics } from '@pivot/ingest';
import { createLogger } from '@pivot/server-kit';
import { PartitionManager, SpanWriter, openDatabase, type Database } from '@pivot/store';
import { createScratchDatabase, lockTable } from '@pivot/store/testing';
import { encodeExportTraceRequest } from '../../bench/otlp-encode.ts';
import { makeRequests } from '../../bench/payloads.ts';
import { watchRss } from '../../../../test-memory.ts';

const QUEUE_LIMIT = 2000;

/** Peak RSS growth this file may cause (MiB), about twice what it measures (README, Limits); a queue that grew past its item limit, or kept refused bodies, would cross it. */
const RSS_BOUND_MIB = 128;

describe.runIf(process.env.DATABASE_URL)('ingest under a stalled database', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: Database;
  let spans: SpanWriter;
  let app: ReturnType<typeof createIngestApp>;
  beforeAll(async () => {
    scratch = await createScratchDatabase(process.env.DATABASE_URL!);
    db = await openDatabase({ url: scratch.url, statementTimeoutMs: 1500 });
    await db.migrate();
    spans = new SpanWriter(db, new PartitionManager(db), { maxQueuedItems: QUEUE_LIMIT, maxBatchItems: 1000 });
    app = createIngestApp({
      logger: createLogger('silent', 't'),
      metrics: createIngestMetrics(false),
      limits: { maxBodyBytes: 1 << 24, maxDecompressedBytes: 1 << 25 },
      spans,
      ready: () => db.ping(),
    });
  });
  let rss: ReturnType<typeof watchRss>;
  // After the harness started: what the suite costs, not the database's start-up.
  beforeAll(() => {
    rss = watchRss('overload (stalled database)');
  });
  afterAll(() => {
    expect(rss.stop().growthMiB).toBeLessThan(RSS_BOUND_MIB);
  });
  afterAll(async () => {
    await spans?.close();
    await db?.close();
    await scratch?.drop();
  });

  it('answers 429/503 with Retry-After while locked, keeps the queue bounded, then recovers', async () => {
    const payloads = makeRequests(13, 500, BigInt(Date.now()) * 1_000_000n).map(encodeExportTraceRequest);
    // Partitions first, so the lock below is the only thing in the way.
    const warm = await app.request('/v1/traces', {
      method: 'POST',
      body: payloads[12]!,
      headers: { 'content-type': 'application/x-protobuf' },
    });
    expect(warm.status).toBe(200);

    const lock = await lockTable(scratch.url, 'traces');
    let maxDepth = 0;
    const sampler = setInterval(() => (maxDepth = Math.max(maxDepth, spans.queueDepth)), 5);
    const results = await Promise.all(
      payloads.slice(0, 12).map(async (body) => {
        const t0 = performance.now();
        const res = await app.request('/v1/traces', {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/x-protobuf' },
        });
        await res.arrayBuffer();
        return { status: res.status, retryAfter: res.headers.get('retry-after'), ms: performance.now() - t0 };
      }),
    );
    clearInterval(sampler);
    await lock.release();

    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s !== 429 && s !== 503)).toEqual([]);
    expect(statuses).toContain(429);
    expect(statuses).toContain(503);
    for (const r of results) {
      expect(Number(r.retryAfter)).toBeGreaterThan(0);
      expect(r.ms).toBeLessThan(10_000);
    }
    expect(maxDepth).toBeLessThanOrEqual(QUEUE_LIMIT);

    const after = await app.request('/v1/traces', {
      method: 'POST',
      body: payloads[0]!,
      headers: { 'content-type': 'application/x-protobuf' },
    });
    expect(after.status).toBe(200);
  });
});
