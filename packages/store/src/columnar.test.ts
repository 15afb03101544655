import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { parseSpanId, unixNano, type ResourceLogs, type ResourceSpans, type TraceId } from '@pivot/model';
import {
  LOGS_TABLE,
  applyRetention,
  LogQueries,
  LogWriter,
  PartitionManager,
  SpanWriter,
  TraceQueries,
  convertColdPartitions,
  readStorageMode,
  type Database,
} from './index.ts';
import { testDatabases } from './testing.ts';
import { isColumnarConflictError } from './columnar.ts';

const DAY_NS = 86_400_000_000_000n;
// A past day, cold under the default COLD_AFTER: 2025-11-24.
const BASE = 1_764_000_000_123_456_789n;
const COLD_AFTER = 2 * 3_600_000;
const traceId = (n: number) => n.toString(16).padStart(32, '0') as TraceId;
const spanId = (n: number) => parseSpanId(n.toString(16).padStart(16, '0'))!;

function spans(service: string, trace: number, n: number, off = 0n): ResourceSpans[] {
  return [
    {
      resource: { attributes: { 'service.name': service }, droppedAttributesCount: 0 },
      scopeSpans: [
        {
          scope: { name: 's', version: '1', attributes: {} },
          spans: Array.from({ length: n }, (_, i) => ({
            traceId: traceId(trace),
            spanId: spanId(trace * 1000 + i + 1),
            parentSpanId: i ? spanId(trace * 1000 + 1) : null,
            traceState: '',
            flags: 1,
            name: i ? `db ${i % 3}` : 'GET /',
            kind: i ? 3 : 2,
            startTimeUnixNano: unixNano(BASE + off + BigInt(trace) * 1_000_000n + BigInt(i)),
            endTimeUnixNano: unixNano(BASE + off + BigInt(trace) * 1_000_000n + BigInt(i) + 5_000_000n),
            attributes: { 'http.route': `/r${trace % 4}`, i },
            droppedAttributesCount: 0,
            events: [],
            droppedEventsCount: 0,
            links: [],
            droppedLinksCount: 0,
            status: { code: i === 2 ? 2 : 0, message: '' },
          })),
        },
      ],
    },
  ];
}

function logs(service: string, trace: number, n: number, off = 0n): ResourceLogs[] {
  return [
    {
      resource: { attributes: { 'service.name': service }, droppedAttributesCount: 0 },
      scopeLogs: [
        {
          scope: { name: 'l', version: '1', attributes: {} },
          logRecords: Array.from({ length: n }, (_, i) => ({
            timeUnixNano: unixNano(BASE + off + BigInt(trace) * 1_000_000n + BigInt(i)),
            observedTimeUnixNano: unixNano(BASE + off + BigInt(trace) * 1_000_000n + BigInt(i) + 5n),
            severityNumber: i % 5 === 0 ? 17 : 9,
            severityText: i % 5 === 0 ? 'ERROR' : 'INFO',
            body: `order ord-${trace}-${i} ${i % 5 === 0 ? 'failed' : 'placed'}`,
            attributes: { i },
            droppedAttributesCount: 0,
            flags: 1,
            traceId: traceId(trace),
            spanId: spanId(trace * 1000 + 1),
            eventName: '',
          })),
        },
      ],
    },
  ];
}

/** Every row of a table as text, in key order: what the conversion must keep exactly. */
async function dump(db: Database, table: 'spans' | 'logs'): Promise<string[]> {
  const order = table === 'spans' ? 'trace_id, span_id, start_ns' : 'time_ns, fingerprint';
  const rows = await db.query<{ r: string }>(sql.raw(`SELECT t::text AS r FROM ${table} t ORDER BY ${order}`));
  return rows.map((r) => r.r);
}

async function accessMethods(db: Database, table: string): Promise<string[]> {
  const rows = await db.query<{ am: string }>(sql`
    SELECT coalesce(a.amname, 'heap') AS am FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    LEFT JOIN pg_am a ON a.oid = c.relam WHERE i.inhparent = ${table}::regclass AND c.relname LIKE ${`${table}_p2025%`}`);
  return rows.map((r) => r.am);
}

for (const tdb of testDatabases()) {
  describe(`columnar cold partitions on ${tdb.name}`, () => {
    let db: Database;
    let partitions: PartitionManager;
    let spanWriter: SpanWriter;
    let logWriter: LogWriter;
    let traces: TraceQueries;
    let logQueries: LogQueries;
    const now = Number(BASE / 1_000_000n) + 3 * 86_400_000;
    const convert = () => convertColdPartitions(db, { coldAfterMs: COLD_AFTER, nowMs: now });
    // citus_columnar exists on the PostgreSQL server and on the Citus cluster (coordinator and workers).
    const columnar = tdb.name !== 'pglite';

    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      partitions = new PartitionManager(db);
      spanWriter = new SpanWriter(db, partitions);
      logWriter = new LogWriter(db, partitions);
      traces = new TraceQueries(db);
      logQueries = new LogQueries(db);
      for (let t = 1; t <= 40; t++) {
        await spanWriter.write(spans(t % 2 ? 'checkout' : 'payments', t, 12));
        await logWriter.write([logs(t % 2 ? 'checkout' : 'payments', t, 6)[0]!]);
      }
      // The next day too, so two partitions per table are converted.
      await spanWriter.write(spans('checkout', 99, 3, DAY_NS));
      await logWriter.write(logs('checkout', 99, 3, DAY_NS));
    }, 180_000);
    afterAll(async () => {
      await spanWriter?.close();
      await logWriter?.close();
      await db?.close();
      await tdb.drop();
    });

    it('converts cold day partitions where citus_columnar exists, keeping every row and every answer', async () => {
      const before = { spans: await dump(db, 'spans'), logs: await dump(db, 'logs') };
      expect(before.spans).toHaveLength(40 * 12 + 3);
      const trace = await traces.getTrace(traceId(7));
      const search = await traces.search({ service: 'checkout', minDurationNs: 1n, limit: 100 });
      const logsOfTrace = await logQueries.search({ traceId: traceId(8) }, { limit: 100 });
      const words = await logQueries.search({ include: ['failed'] }, { limit: 500 });
      const errorsOnly = await traces.search({ errorsOnly: true, attributes: [['http.route', '/r3']], limit: 100 });

      const r = await convert();
      expect(r.mode.mode).toBe(columnar ? 'columnar' : 'row');
      expect((await readStorageMode(db)).mode).toBe(r.mode.mode);
      if (columnar) {
        expect(r.converted.sort()).toEqual(['logs_p20251124', 'logs_p20251125', 'spans_p20251124', 'spans_p20251125']);
        expect(r.rows.spans_p20251124).toBe(480);
      } else expect(r.converted).toEqual([]);
      expect(await accessMethods(db, 'spans')).toEqual(columnar ? ['columnar', 'columnar'] : ['heap', 'heap']);
      expect(await accessMethods(db, 'logs')).toEqual(columnar ? ['columnar', 'columnar'] : ['heap', 'heap']);

      // A columnar day has no index at all; a row day has its unique key and hot indexes (HOT_KEYS, HOT_INDEXES).
      const indexes = async (rel: string) =>
        (
          await db.query<{ n: string }>(
            sql`SELECT indexrelid::regclass::text AS n FROM pg_index WHERE indrelid = ${rel}::regclass`,
          )
        ).length;
      expect(await indexes('spans_p20251124')).toBe(columnar ? 0 : 3);
      expect(await indexes('logs_p20251124')).toBe(columnar ? 0 : 6);
      expect(await dump(db, 'spans')).toEqual(before.spans);
      expect(await dump(db, 'logs')).toEqual(before.logs);
      expect(await traces.getTrace(traceId(7))).toEqual(trace);
      expect(await traces.search({ service: 'checkout', minDurationNs: 1n, limit: 100 })).toEqual(search);
      expect(await logQueries.search({ traceId: traceId(8) }, { limit: 100 })).toEqual(logsOfTrace);
      expect(await logQueries.search({ include: ['failed'] }, { limit: 500 })).toEqual(words);
      expect(words.logs).toHaveLength(40 * 2 + 1);
      expect(await traces.search({ errorsOnly: true, attributes: [['http.route', '/r3']], limit: 100 })).toEqual(
        errorsOnly,
      );
      // Nothing left to do: a second run converts nothing and leaves no side tables.
      expect((await convert()).converted).toEqual([]);
      const side = await db.query(sql`SELECT relname FROM pg_class WHERE relname ~ '^(spans|logs)_[cr][0-9]{8}$'`);
      expect(side).toEqual([]);
    });

    it('gives row partitions made before migration 0003 their hot indexes at the next partition upkeep', async () => {
      const today = Date.now();
      await partitions.prepareAhead([LOGS_TABLE], today, 0);
      const part = `logs_p${new Date(today).toISOString().slice(0, 10).replaceAll('-', '')}`;
      const names = async () =>
        (
          await db.query<{ n: string }>(
            sql`SELECT c.relname AS n FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid WHERE x.indrelid = ${part}::regclass ORDER BY 1`,
          )
        ).map((r) => r.n);
      const all = await names();
      expect(all).toContain(`${part}_body_trgm_idx`);
      await db.query(sql.raw(`DROP INDEX "${part}_body_trgm_idx"`));
      await db.query(sql.raw(`DROP INDEX "${part}_trace_idx"`));
      expect(await names()).toHaveLength(all.length - 2);
      await partitions.prepareAhead([LOGS_TABLE], today, 0);
      expect(await names()).toEqual(all);
    });

    it('stores late spans and logs of a converted day once, however often they are sent', async () => {
      const late = spans('checkout', 41, 5);
      await spanWriter.write(late);
      await Promise.all([spanWriter.write(late), spanWriter.write(late)]);
      await spanWriter.write(spans('checkout', 7, 12)); // all already stored
      const lateLogs = logs('payments', 41, 4);
      await logWriter.write(lateLogs);
      await Promise.all([logWriter.write(lateLogs), logWriter.write(lateLogs)]);

      const t = await traces.getTrace(traceId(41));
      expect(t!.spans).toHaveLength(5);
      expect(await traces.summary(traceId(41))).toMatchObject({ spanCount: 5, errorCount: 1 });
      expect(await traces.summary(traceId(7))).toMatchObject({ spanCount: 12 });
      expect((await logQueries.search({ traceId: traceId(41) }, { limit: 100 })).logs).toHaveLength(4);
      expect(await dump(db, 'spans')).toHaveLength(40 * 12 + 3 + 5);
      expect(await dump(db, 'logs')).toHaveLength(40 * 6 + 3 + 4);
    });

    it.runIf(tdb.name === 'pg')('finishes or undoes what an interrupted conversion left', async () => {
      // Interrupted while building the copy (its transaction rolled back or not): it is rebuilt.
      await spanWriter.write(spans('checkout', 50, 4, 2n * DAY_NS));
      await db.query(sql.raw(`CREATE TABLE spans_c20251126 (LIKE spans) USING columnar`));
      await db.query(sql.raw(`INSERT INTO spans_c20251126 SELECT * FROM spans_p20251126 LIMIT 1`));
      // Interrupted after the detach, before the copy (or a kill -9 during DETACH CONCURRENTLY).
      await spanWriter.write(spans('checkout', 51, 4, 3n * DAY_NS));
      await db.query(sql.raw(`ALTER TABLE spans DETACH PARTITION spans_p20251127`));
      // Meanwhile writes of that day cannot land (503, retried by the client): nothing is half-stored.
      await expect(spanWriter.write(spans('checkout', 60, 1, 3n * DAY_NS))).rejects.toMatchObject({ status: 503 });
      // Interrupted after the detach with the copy built: the catch-up and the swap finish it.
      await spanWriter.write(spans('checkout', 52, 4, 4n * DAY_NS));
      await db.query(sql.raw(`CREATE TABLE spans_c20251128 (LIKE spans) USING columnar`));
      await db.query(sql.raw(`INSERT INTO spans_c20251128 SELECT * FROM spans_p20251128 LIMIT 2`));
      await db.query(sql.raw(`ALTER TABLE spans DETACH PARTITION spans_p20251128`));
      const seen = await dump(db, 'spans');
      expect(seen).toHaveLength(40 * 12 + 3 + 5 + 4); // days 27 and 28 are invisible while detached

      const r = await convertColdPartitions(db, { coldAfterMs: COLD_AFTER, nowMs: now + 5 * 86_400_000 });
      // Day 28 was finished by the recovery, before the scan for cold days.
      expect(r.converted.filter((n) => n.startsWith('spans')).sort()).toEqual(['spans_p20251126', 'spans_p20251127']);
      expect(await accessMethods(db, 'spans')).toEqual(Array(5).fill('columnar'));
      const after = await dump(db, 'spans');
      expect(after).toHaveLength(40 * 12 + 3 + 5 + 4 * 3);
      expect(after.filter((r) => seen.includes(r))).toHaveLength(seen.length);
      for (const t of [50, 51, 52]) expect((await traces.getTrace(traceId(t)))!.spans).toHaveLength(4);
    });

    it.runIf(tdb.name === 'citus')('finishes what an interrupted conversion left on Citus', async () => {
      const guard = (table: string) =>
        db.transaction(async (query) => {
          await query(sql.raw(`SET LOCAL citus.enable_unsafe_triggers = on`));
          await query(
            sql.raw(
              `CREATE TRIGGER pivot_columnar_day_guard BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION pivot_columnar_day_guard()`,
            ),
          );
        });
      const distributedCopy = (table: string, from: string) =>
        db.transaction(async (query) => {
          await query(sql.raw(`CREATE TABLE ${table} (LIKE spans) USING columnar`));
          await query(sql.raw(`SELECT create_distributed_table('${table}', 'trace_id', colocate_with => 'spans')`));
          if (from) await query(sql.raw(`INSERT INTO ${table} SELECT * FROM ${from}`));
        });
      // Stopped after the guard went on the row day: its writes take the late path, once each.
      await spanWriter.write(spans('checkout', 50, 4, 2n * DAY_NS));
      await guard('spans_p20251126');
      await spanWriter.write(spans('checkout', 60, 2, 2n * DAY_NS));
      await spanWriter.write(spans('checkout', 60, 2, 2n * DAY_NS));
      expect((await traces.getTrace(traceId(60)))!.spans).toHaveLength(2);
      // Stopped after the copy was built; late rows came after it, which the catch-up must add.
      await spanWriter.write(spans('checkout', 51, 4, 3n * DAY_NS));
      await guard('spans_p20251127');
      await distributedCopy('spans_c20251127', 'spans_p20251127');
      await spanWriter.write(spans('checkout', 61, 3, 3n * DAY_NS));
      // Stopped after the swap, before the retired row table was dropped; and a copy whose day retention took.
      await spanWriter.write(spans('checkout', 52, 4, 4n * DAY_NS));
      await distributedCopy('spans_r20251128', 'spans_p20251128');
      await distributedCopy('spans_c20251101', '');
      const seen = await dump(db, 'spans');

      const r = await convertColdPartitions(db, { coldAfterMs: COLD_AFTER, nowMs: now + 5 * 86_400_000 });
      expect(r.converted.filter((n) => n.startsWith('spans')).sort()).toEqual([
        'spans_p20251126',
        'spans_p20251127',
        'spans_p20251128',
      ]);
      expect(r.rows.spans_p20251127).toBe(4 + 3);
      expect(await accessMethods(db, 'spans')).toEqual(Array(5).fill('columnar'));
      expect(await dump(db, 'spans')).toEqual(seen);
      for (const [t, n] of [
        [50, 4],
        [51, 4],
        [52, 4],
        [60, 2],
        [61, 3],
      ] as const)
        expect((await traces.getTrace(traceId(t)))!.spans).toHaveLength(n);
      const side = await db.query(sql`SELECT relname FROM pg_class WHERE relname ~ '^(spans|logs)_[cr][0-9]{8}$'`);
      expect(side).toEqual([]);
      // Every shard of a converted day is columnar, on the workers.
      const shards = await db.query<{ am: string }>(sql`
        SELECT DISTINCT result AS am FROM run_command_on_placements('spans_p20251127',
          $$SELECT amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE c.oid = '%s'::regclass$$)`);
      expect(shards).toEqual([{ am: 'columnar' }]);
    });

    it.runIf(columnar)(
      'keeps late writes to a keyless columnar day exactly once across concurrent writers',
      async () => {
        // The writers' first try (ON CONFLICT DO NOTHING, with no index to arbitrate) is refused by the guard.
        await expect(
          db.query(sql.raw(`INSERT INTO spans SELECT * FROM spans_p20251124 LIMIT 1 ON CONFLICT DO NOTHING`)),
        ).rejects.toSatisfy(isColumnarConflictError);
        await expect(
          db.query(sql.raw(`INSERT INTO logs SELECT * FROM logs_p20251124 LIMIT 1 ON CONFLICT DO NOTHING`)),
        ).rejects.toSatisfy(isColumnarConflictError);
        const spansBefore = (await dump(db, 'spans')).length;
        const logsBefore = (await dump(db, 'logs')).length;
        // Four writers, each its own queue and connection, send the same late batches (new rows mixed with
        // rows stored before the conversion) twice, all at once.
        const spanWriters = Array.from({ length: 4 }, () => new SpanWriter(db, new PartitionManager(db)));
        const logWriters = Array.from({ length: 4 }, () => new LogWriter(db, new PartitionManager(db)));
        const spanBatch = [...spans('payments', 43, 6), ...spans('checkout', 9, 12)];
        const logBatch = [...logs('payments', 43, 5), ...logs('checkout', 9, 6)];
        await Promise.all([
          ...spanWriters.flatMap((w) => [w.write(spanBatch), w.write(spanBatch)]),
          ...logWriters.flatMap((w) => [w.write(logBatch), w.write(logBatch)]),
        ]);
        await Promise.all([...spanWriters, ...logWriters].map((w) => w.close()));
        expect(await dump(db, 'spans')).toHaveLength(spansBefore + 6);
        expect(await dump(db, 'logs')).toHaveLength(logsBefore + 5);
        expect(await traces.summary(traceId(43))).toMatchObject({ spanCount: 6, errorCount: 1 });
        expect(await traces.summary(traceId(9))).toMatchObject({ spanCount: 12 });
        expect((await traces.getTrace(traceId(43)))!.spans).toHaveLength(6);
        // The late rows went to the columnar day, which still has no index.
        const [r] = await db.query<{ n: string; i: string }>(sql`
        SELECT (SELECT count(*) FROM spans_p20251124 WHERE trace_id = ${traceId(43)}::uuid)::text AS n,
          (SELECT count(*) FROM pg_index WHERE indrelid = 'spans_p20251124'::regclass)::text AS i`);
        expect(r).toEqual({ n: '6', i: '0' });
      },
    );

    it.runIf(columnar)('drops a columnar day for retention', async () => {
      await convert();
      expect(await accessMethods(db, 'spans')).toContain('columnar');
      const r = await applyRetention(
        db,
        partitions,
        { traces: 7 * 86_400_000, logs: 0, metrics: 0 },
        now + 30 * 86_400_000,
      );
      expect(r.dropped.traces).toContain('spans_p20251124');
      expect(await accessMethods(db, 'spans')).toEqual([]);
      expect(await dump(db, 'spans')).toEqual([]);
    });
  });
}

// A process converting is killed (SIGKILL) at moments spread over the conversion; after each kill the
// day's rows are all in the table that bears the day partition's name (attached, or detached awaiting the
// next run), and a last run leaves them all in a columnar partition.
const servers = testDatabases().filter((t) => t.name !== 'pglite');
for (const tdb of servers) {
  describe(`columnar conversion killed with SIGKILL on ${tdb.name}`, () => {
    let db: Database;
    const N = 40_000;
    const now = Number(BASE / 1_000_000n) + 3 * 86_400_000;
    const index = fileURLToPath(new URL('./index.ts', import.meta.url));

    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      const writer = new SpanWriter(db, new PartitionManager(db));
      for (let t = 0; t < N / 50; t++) await writer.write(spans(`svc-${t % 7}`, t + 1, 50));
      await writer.close();
    }, 300_000);
    afterAll(async () => {
      await db?.close();
      await tdb.drop();
    });

    /** Runs a conversion in a child process, killed after `ms` (or finished first); waits for its server session to end. */
    async function convertKilledAfter(ms: number): Promise<'killed' | 'finished'> {
      const url = new URL(tdb.url!);
      url.searchParams.set('application_name', 'columnar-kill9');
      const code = `import { openDatabase, convertColdPartitions } from ${JSON.stringify(index)};
        const db = await openDatabase({ url: ${JSON.stringify(url.toString())} });
        await convertColdPartitions(db, { coldAfterMs: ${COLD_AFTER}, nowMs: ${now} });
        process.exit(0);`;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
        stdio: 'inherit',
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      const timer = setTimeout(() => child.kill('SIGKILL'), ms);
      const exitCode = await exited;
      clearTimeout(timer);
      // The server finishes the dead client's statement, then rolls its transaction back and exits.
      for (;;) {
        const [r] = await db.query<{ n: string }>(
          sql`SELECT count(*)::text AS n FROM pg_stat_activity WHERE application_name = 'columnar-kill9'`,
        );
        if (r?.n === '0') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return exitCode === 0 ? 'finished' : 'killed';
    }

    it('loses nothing, wherever it is killed, and the next run finishes', { timeout: 180_000 }, async () => {
      const before = await dump(db, 'spans');
      expect(before).toHaveLength(N);
      const outcomes: string[] = [];
      for (const ms of [300, 700, 1200, 1800, 2500, 3500, 5000]) {
        const outcome = await convertKilledAfter(ms);
        outcomes.push(outcome);
        const [r] = await db.query<{ n: string }>(sql.raw(`SELECT count(*)::text AS n FROM spans_p20251124`));
        expect(Number(r!.n)).toBe(N);
        if (outcome === 'finished') break;
      }
      expect(outcomes[0]).toBe('killed');
      await convertColdPartitions(db, { coldAfterMs: COLD_AFTER, nowMs: now });
      expect(await accessMethods(db, 'spans')).toEqual(['columnar']);
      expect(await dump(db, 'spans')).toEqual(before);
      const side = await db.query(sql`SELECT relname FROM pg_class WHERE relname ~ '^spans_[cr][0-9]{8}$'`);
      expect(side).toEqual([]);
    });

    it(
      'keeps ingest and queries working during a conversion; every acknowledged span is stored once',
      {
        timeout: 180_000,
      },
      async () => {
        // Day 2025-11-30 (trace numbers from 5000): written before and all through its conversion.
        const off = 6n * DAY_NS;
        const writer = new SpanWriter(db, new PartitionManager(db));
        const traces = new TraceQueries(db);
        for (let t = 5000; t < 5400; t++) await writer.write(spans('live', t, 50, off));
        const acked: number[] = [];
        let stop = false;
        const ingest = (async () => {
          for (let t = 6000; !stop; t++) {
            for (;;) {
              try {
                await writer.write(spans('live', t, 5, off));
                acked.push(t);
                break;
              } catch (err) {
                // The day is detached for a moment: 503, and the client sends the batch again.
                if ((err as { status?: number }).status !== 503) throw err;
                await new Promise((resolve) => setTimeout(resolve, 20));
              }
            }
          }
        })();
        let reads = 0;
        const reader = (async () => {
          while (!stop) {
            expect((await traces.getTrace(traceId(5001)))?.spans.length ?? 50).toBe(50);
            reads++;
          }
        })();
        const r = await convertColdPartitions(db, { coldAfterMs: 0, nowMs: now + 30 * 86_400_000 });
        await new Promise((resolve) => setTimeout(resolve, 300)); // late writes into the columnar day
        stop = true;
        await Promise.all([ingest, reader]);
        await writer.close();
        expect(r.converted).toContain('spans_p20251130');
        expect(acked.length).toBeGreaterThan(5);
        expect(reads).toBeGreaterThan(0);
        const [row] = await db.query<{ n: string; d: string }>(sql`
        SELECT count(*)::text AS n, count(DISTINCT (trace_id, span_id))::text AS d FROM spans_p20251130`);
        expect(Number(row!.n)).toBe(400 * 50 + acked.length * 5);
        expect(row!.d).toBe(row!.n);
        for (const t of [acked[0]!, acked[acked.length - 1]!])
          expect((await traces.getTrace(traceId(t)))!.spans).toHaveLength(5);
      },
    );
  });
}
