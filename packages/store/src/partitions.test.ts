// The writers' partition cache against another process's retention. Two Database objects on one
// PostgreSQL database stand for two processes (each has its own pool); PGlite cannot be opened twice on
// one data directory, so there the "other process" is a second PartitionManager on the same database:
// the writers' cache goes stale exactly the same way, through a drop it did not make.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import {
  parseSpanId,
  parseTraceId,
  unixMillis,
  unixNano,
  type MetricsBatch,
  type ResourceLogs,
  type ResourceSpans,
} from '@pivot/model';
import { openDatabase, type Database } from './database.ts';
import { LogWriter } from './log-writer.ts';
import { MetricWriter } from './metric-writer.ts';
import { MS_PER_DAY, PartitionManager, PartitionUnavailableError } from './partitions.ts';
import { applyRetention } from './retention.ts';
import { SpanWriter } from './span-writer.ts';
import { LOGS_TABLE, METRIC_CHUNKS_TABLE, SPANS_TABLE } from './tables.ts';
import { createScratchDatabase, rowCount, testDatabases } from './testing.ts';

const DAY = MS_PER_DAY;
const D1 = Date.UTC(2026, 2, 1, 12); // the day the other process drops
const D2 = Date.UTC(2026, 2, 3, 12); // dropped, then left behind as a stray table of the same name
const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
const ns = (ms: number) => BigInt(ms) * 1_000_000n;

function spans(ms: number, id: number): ResourceSpans[] {
  return [
    {
      resource: { attributes: { 'service.name': 'p' }, droppedAttributesCount: 0 },
      scopeSpans: [
        {
          scope: { name: 's', version: '', attributes: {} },
          spans: [
            {
              traceId: parseTraceId(id.toString(16).padStart(32, 'c'))!,
              spanId: parseSpanId('00f067aa0ba902b7')!,
              parentSpanId: null,
              traceState: '',
              flags: 1,
              name: 'GET /',
              kind: 2,
              startTimeUnixNano: unixNano(ns(ms)),
              endTimeUnixNano: unixNano(ns(ms) + 1_000_000n),
              attributes: {},
              droppedAttributesCount: 0,
              events: [],
              droppedEventsCount: 0,
              links: [],
              droppedLinksCount: 0,
              status: { code: 0, message: '' },
            },
          ],
        },
      ],
    },
  ];
}

function logs(ms: number, body: string): ResourceLogs[] {
  return [
    {
      resource: { attributes: { 'service.name': 'p' }, droppedAttributesCount: 0 },
      scopeLogs: [
        {
          scope: { name: 'l', version: '', attributes: {} },
          logRecords: [
            {
              timeUnixNano: unixNano(ns(ms)),
              observedTimeUnixNano: unixNano(ns(ms)),
              severityNumber: 9,
              severityText: 'INFO',
              body,
              attributes: {},
              droppedAttributesCount: 0,
              flags: 0,
              traceId: null,
              spanId: null,
              eventName: '',
            },
          ],
        },
      ],
    },
  ];
}

function samples(ms: number, value: number): MetricsBatch {
  return {
    series: [
      { labels: { __name__: 'up', job: 'p' }, samples: [{ timestampMs: unixMillis(ms), value }], exemplars: [] },
    ],
    metadata: [],
  };
}

for (const tdb of testDatabases()) {
  describe(`partition cache against another process's retention on ${tdb.name}`, () => {
    let a: Database; // the "API process": runs retention
    let b: Database; // the "ingest process": writes through a cache of existing days
    let other: PartitionManager;
    let cache: PartitionManager;
    let spanWriter: SpanWriter;
    let logWriter: LogWriter;
    let metricWriter: MetricWriter;
    const writeAll = async (ms: number, n: number) => {
      await spanWriter.write(spans(ms + n, n));
      await logWriter.write(logs(ms + n, `line ${n}`));
      await metricWriter.write(samples(ms + n, n));
    };
    const counts = async () => [
      await rowCount(b, 'spans'),
      await rowCount(b, 'logs'),
      await rowCount(b, 'metric_chunks'),
    ];
    /** The other process keeps 1 day, as of `days` after `ms`: every day up to ms's is dropped. */
    const otherRetention = (ms: number) =>
      applyRetention(a, other, { traces: DAY, logs: DAY, metrics: DAY }, ms + 2 * DAY);

    beforeAll(async () => {
      a = await tdb.open();
      await a.migrate();
      b = tdb.name === 'pg' ? await tdb.open() : a;
      other = new PartitionManager(a);
      cache = new PartitionManager(b);
      spanWriter = new SpanWriter(b, cache);
      logWriter = new LogWriter(b, cache);
      metricWriter = new MetricWriter(b, cache);
    });
    afterAll(async () => {
      await Promise.all([spanWriter?.close(), logWriter?.close(), metricWriter?.close()]);
      if (b !== a) await b?.close();
      await a?.close();
      await tdb.drop();
    });

    it('writes into a day another process dropped, creating it again, and acknowledges only what is stored', async () => {
      await writeAll(D1, 1);
      expect(await counts()).toEqual([1, 1, 1]);
      const r = await otherRetention(D1);
      expect(r.dropped.logs).toEqual([`logs_p${ymd(D1)}`]);
      expect(await counts()).toEqual([0, 0, 0]);

      // The writers' cache still lists D1; each write is answered only after its rows are committed.
      await writeAll(D1, 2);
      expect(await counts()).toEqual([1, 1, 1]);
      expect((await other.list(SPANS_TABLE)).map((p) => p.name)).toEqual([`spans_p${ymd(D1)}`]);
      expect((await other.list(METRIC_CHUNKS_TABLE)).map((p) => p.name)).toEqual([`metric_chunks_p${ymd(D1)}`]);
    });

    it('writes after another process dropped a day and recreated it itself', async () => {
      await otherRetention(D1);
      await new LogWriter(a, other).write(logs(D1 + 10, 'from the other process'));
      await logWriter.write(logs(D1 + 11, 'from the writer'));
      const rows = await b.query<{ body: string }>(sql`SELECT body FROM logs ORDER BY time_ns`);
      expect(rows.map((r) => r.body)).toEqual(['from the other process', 'from the writer']);
    });

    it('answers 503 when the day cannot be created (a stray table holds its name), until retention clears it', async () => {
      await logWriter.write(logs(D2, 'cached'));
      await otherRetention(D2);
      // What an interrupted drop leaves: the day's table, no longer a partition of logs.
      const stray = `logs_p${ymd(D2)}`;
      await a.query(sql.raw(`CREATE TABLE "${stray}" (LIKE logs)`));
      const before = await rowCount(b, 'logs');
      const err = await logWriter.write(logs(D2 + 1, 'refused')).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PartitionUnavailableError);
      expect(err).toMatchObject({ status: 503, retryAfterSeconds: 1, expose: true });
      expect(await rowCount(b, 'logs')).toBe(before);

      // The next retention run drops the stray table too; the same write then succeeds.
      expect((await otherRetention(D2)).dropped.logs).toEqual([stray]);
      await logWriter.write(logs(D2 + 1, 'accepted'));
      expect(await rowCount(b, 'logs')).toBe(before + 1);
      expect((await other.list(LOGS_TABLE)).map((p) => p.name)).toContain(stray);
    });
  });
}

// A plain DROP of a partition takes an ACCESS EXCLUSIVE lock on the parent: while one query holds the
// old day open, the DROP waits, and every insert into today's partition queues behind it.
describe.runIf(process.env.DATABASE_URL)('retention beside a long query on PostgreSQL', () => {
  const NOW = Date.now();
  const OLD = NOW - 10 * DAY;
  const policy = { traces: 0, logs: 7 * DAY, metrics: 0 };
  let scratch: { url: string; drop(): Promise<void> };
  let db: Database;
  let partitions: PartitionManager;
  let writer: LogWriter;
  const sessions: pg.Client[] = [];
  /** Another session that has read the old day and keeps its transaction open. */
  const reader = async () => {
    const c = new pg.Client({ connectionString: scratch.url });
    sessions.push(c);
    await c.connect();
    await c.query('BEGIN');
    await c.query('SELECT count(*) FROM logs WHERE time_ns < $1', [ns(OLD + DAY).toString()]);
    return c;
  };
  const within = <T>(p: Promise<T>, ms: number) =>
    Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);

  beforeAll(async () => {
    scratch = await createScratchDatabase(process.env.DATABASE_URL!);
    db = await openDatabase({ url: scratch.url });
    await db.migrate();
    partitions = new PartitionManager(db);
    writer = new LogWriter(db, partitions);
  });
  afterAll(async () => {
    for (const c of sessions) await c.end().catch(() => {});
    await writer?.close();
    await db?.close();
    await scratch?.drop();
  });

  it("lets inserts into today's partition through while the drop of an old day waits for a reader", async () => {
    await writer.write(logs(OLD, 'old'));
    await writer.write(logs(NOW, 'today'));
    const held = await reader();
    let settled = false;
    const run = applyRetention(db, partitions, policy, NOW).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 300));

    const t0 = performance.now();
    expect(await within(writer.write(logs(NOW + 1, 'during the drop')), 1000)).toBeUndefined();
    process.stdout.write(`insert during a waiting drop: ${Math.round(performance.now() - t0)} ms\n`);
    // The old day still reads for the one who held it; the drop waits for it, blocking no one.
    expect(settled).toBe(false);

    await held.query('COMMIT');
    expect((await run).dropped.logs).toEqual([`logs_p${ymd(OLD)}`]);
    expect((await partitions.list(LOGS_TABLE)).map((p) => p.name)).toEqual([`logs_p${ymd(NOW)}`]);
    expect(await rowCount(db, 'logs')).toBe(2);
  });

  it('finalizes a detach that an earlier run left pending, then drops the day', async () => {
    await writer.write(logs(OLD, 'old again'));
    const name = `logs_p${ymd(OLD)}`;
    // An earlier run cut short (its statement timeout) while waiting for a reader: the partition is
    // left "pending detach", and PostgreSQL refuses any other concurrent detach on logs until finalized.
    const held = await reader();
    const cut = new pg.Client({ connectionString: scratch.url });
    sessions.push(cut);
    await cut.connect();
    await cut.query('SET statement_timeout = 300');
    await expect(cut.query(`ALTER TABLE logs DETACH PARTITION "${name}" CONCURRENTLY`)).rejects.toThrow(/timeout/);
    await held.query('COMMIT');
    const pending = await db.query<{ p: boolean }>(
      sql`SELECT inhdetachpending AS p FROM pg_inherits WHERE inhrelid = ${name}::regclass`,
    );
    expect(pending).toEqual([{ p: true }]);

    expect((await applyRetention(db, partitions, policy, NOW)).dropped.logs).toEqual([name]);
    expect((await partitions.list(LOGS_TABLE)).map((p) => p.name)).toEqual([`logs_p${ymd(NOW)}`]);
    expect(await db.query(sql`SELECT to_regclass(${name}) AS t`)).toEqual([{ t: null }]);
  });
});
