// Remote-write requests that arrive while a commit is in flight share the next transaction. Each must
// still get its own answer: 204 only once its rows are committed, a request the database refuses fails
// alone (the group is written again member by member), and a database outage answers every member 5xx.
// Needs a PostgreSQL server (DATABASE_URL): holding a lock and cutting the link need one.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { unixMillis, type TimeSeries } from '@pivot/model';
import { encodeWriteRequest } from '@pivot/remote-write';
import { createLogger } from '@pivot/server-kit';
import { MetricQueries, MetricWriter, PartitionManager, openDatabase, type Database } from '@pivot/store';
import { createScratchDatabase, lockTable, startDbProxy } from '@pivot/store/testing';
import { createIngestApp, createIngestMetrics } from '../src/index.ts';

const base = process.env.DATABASE_URL;
const T0 = Date.now() - 60_000;

const series = (name: string, samples = 3): TimeSeries => ({
  labels: { __name__: name, job: 'group' },
  samples: Array.from({ length: samples }, (_, i) => ({ timestampMs: unixMillis(T0 + i * 1000), value: i + 1 })),
  exemplars: [],
});

/** A metric name PostgreSQL cannot index (over a B-tree entry's 2704 bytes, and incompressible). */
function unindexableName(): string {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let s = 'x_';
  for (let i = 0; i < 3500; i++) s += letters[Math.floor(Math.random() * letters.length)];
  return s;
}

describe.runIf(base)('remote-write requests grouped into one commit', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let proxy: Awaited<ReturnType<typeof startDbProxy>>;
  let db: Database;
  let writer: MetricWriter;
  let app: ReturnType<typeof createIngestApp>;
  const flushes: { entries: number; ok: boolean }[] = [];
  let held: { release(): Promise<void> } | undefined;

  beforeAll(async () => {
    scratch = await createScratchDatabase(base!);
    proxy = await startDbProxy(scratch.url);
    db = await openDatabase({ url: proxy.url, connectTimeoutMs: 1000, statementTimeoutMs: 5000 });
    await db.migrate();
    writer = new MetricWriter(db, new PartitionManager(db), {
      onFlush: ({ entries, ok }) => flushes.push({ entries, ok }),
    });
    app = createIngestApp({
      logger: createLogger('silent', 'test'),
      metrics: createIngestMetrics(false),
      limits: { maxBodyBytes: 1 << 20, maxDecompressedBytes: 4 << 20 },
      // Metric names past the decoder's own limit (1024 bytes, a 400 before any write), so that what
      // refuses the unindexable one is the database, inside a shared transaction.
      remoteWrite: { maxLabelNameBytes: 8192 },
      spans: { write: () => Promise.resolve(), queueDepth: 0 },
      samples: writer,
      ready: () => db.ping(),
    });
  });
  afterEach(async () => {
    await held?.release();
    held = undefined;
    proxy.restore();
  });
  afterAll(async () => {
    await writer?.close();
    await db?.close();
    await proxy?.close();
    await scratch?.drop();
  });

  const post = async (s: TimeSeries[]) =>
    app.request('/api/v1/write', {
      method: 'POST',
      body: encodeWriteRequest({ series: s, metadata: [] }),
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
    });
  const stored = async (name: string) => {
    const [s] = await new MetricQueries(db).select([{ name: '__name__', type: '=', value: name }], 0, Date.now());
    return s ? Array.from(s.values) : [];
  };
  /** Sends each request at once while metric_chunks is locked, so that they queue behind the first flushes. */
  async function sendGrouped(requests: TimeSeries[][]): Promise<Response[]> {
    held = await lockTable(scratch.url, 'metric_chunks');
    flushes.length = 0;
    const answers = Promise.all(requests.map((r) => post(r)));
    // Every request is decoded and waiting on the writer: in a transaction or in the queue behind them.
    const samples = requests.flat().reduce((n, s) => n + s.samples.length, 0);
    for (let i = 0; i < 200 && writer.queueDepth < samples; i++) await new Promise((r) => setTimeout(r, 10));
    expect(writer.queueDepth).toBe(samples);
    await held.release();
    held = undefined;
    return answers;
  }

  it('answers each request 204 only with its own samples committed, several to one transaction', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `grouped_${i}`);
    const answers = await sendGrouped(names.map((n) => [series(n)]));
    expect(answers.map((a) => a.status)).toEqual(names.map(() => 204));
    for (const n of names) expect(await stored(n)).toEqual([1, 2, 3]);
    // Two transactions in flight when the lock was taken; the six requests queued behind them share one.
    expect(flushes.every((f) => f.ok)).toBe(true);
    expect(flushes.reduce((n, f) => n + f.entries, 0)).toBe(8);
    expect(Math.max(...flushes.map((f) => f.entries))).toBeGreaterThanOrEqual(6);
  });

  it('fails only the request the database refuses; the others of its transaction are stored', async () => {
    const bad = unindexableName();
    const requests = [
      [series('alone_0')],
      [series('alone_1')],
      [series('alone_2')],
      [series('alone_3'), series(bad)],
      [series('alone_4')],
      [series('alone_5')],
    ];
    const answers = await sendGrouped(requests);
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s, i) => i !== 3)).toEqual([204, 204, 204, 204, 204]);
    // Not acknowledged: the shared transaction failed, and the request failed again when written alone.
    expect(statuses[3]).toBeGreaterThanOrEqual(500);
    expect(flushes.some((f) => !f.ok && f.entries > 1)).toBe(true);
    for (const i of [0, 1, 2, 4, 5]) expect(await stored(`alone_${i}`)).toEqual([1, 2, 3]);
    // A request is one statement: its valid series went with the refused one.
    expect(await stored('alone_3')).toEqual([]);
  });

  it('answers every member of a group 503 with Retry-After when the database is unreachable', async () => {
    held = await lockTable(scratch.url, 'metric_chunks');
    flushes.length = 0;
    const names = Array.from({ length: 6 }, (_, i) => `outage_${i}`);
    const answers = Promise.all(names.map((n) => post([series(n)])));
    for (let i = 0; i < 200 && writer.queueDepth < 18; i++) await new Promise((r) => setTimeout(r, 10));
    expect(writer.queueDepth).toBe(18);
    // The link drops with transactions in flight and more queued behind them.
    proxy.cut();
    const res = await answers;
    expect(res.map((r) => r.status)).toEqual(names.map(() => 503));
    for (const r of res) expect(r.headers.get('retry-after')).toBe('5');
    await held.release();
    held = undefined;
    proxy.restore();
    // Once it is back, the retried requests are stored, once: a statement the cut link left waiting on
    // the lock may still have committed after its request was answered 503, and the retry adds nothing.
    const again = await Promise.all(names.map((n) => post([series(n)])));
    expect(again.map((r) => r.status)).toEqual(names.map(() => 204));
    for (const n of names) expect(await stored(n)).toEqual([1, 2, 3]);
  });
});
