// Maintenance: the store's jobs run on demand and on a schedule, and each job runs in one process at a
// time however many run it (advisory locks). Several processes are stood for by several Database
// objects: each has its own connections, so its own sessions, as another process would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpanId, parseTraceId, unixNano, type ResourceSpans } from '@pivot/model';
import type { Database } from './database.ts';
import { JobBusyError, Maintenance, createMaintenance, defineJob, jobLockKey } from './maintenance.ts';
import { MS_PER_DAY, PartitionManager } from './partitions.ts';
import type { RetentionResult } from './retention.ts';
import { SpanWriter } from './span-writer.ts';
import { SPANS_TABLE } from './tables.ts';
import { StoreClosedError } from './errors.ts';
import { testDatabases } from './testing.ts';

const NOW = Date.UTC(2026, 2, 10, 12, 0, 0);
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function span(ms: number): ResourceSpans[] {
  return [
    {
      resource: { attributes: { 'service.name': 'm' }, droppedAttributesCount: 0 },
      scopeSpans: [
        {
          scope: { name: 's', version: '', attributes: {} },
          spans: [
            {
              traceId: parseTraceId(ms.toString(16).padStart(32, 'a'))!,
              spanId: parseSpanId('00f067aa0ba902b7')!,
              parentSpanId: null,
              traceState: '',
              flags: 1,
              name: 'GET /',
              kind: 2,
              startTimeUnixNano: unixNano(BigInt(ms) * 1_000_000n),
              endTimeUnixNano: unixNano(BigInt(ms) * 1_000_000n + 1_000_000n),
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

/** A job that records how many of its runs overlap, across every Maintenance that shares the counter. */
function countingJob(counter: { active: number; max: number; runs: number }, ms: number) {
  return defineJob({
    name: 'counting',
    title: 'counting',
    intervalMs: 3_600_000,
    async run() {
      counter.active++;
      counter.max = Math.max(counter.max, counter.active);
      counter.runs++;
      await sleep(ms);
      counter.active--;
      return counter.runs;
    },
  });
}

describe('jobLockKey', () => {
  it('is a stable signed 64-bit key per job name', () => {
    expect(jobLockKey('retention')).toBe(jobLockKey('retention'));
    expect(jobLockKey('retention')).not.toBe(jobLockKey('compaction'));
    expect(BigInt.asIntN(64, jobLockKey('partitions'))).toBe(jobLockKey('partitions'));
  });
});

for (const tdb of testDatabases()) {
  describe(`maintenance on ${tdb.name}`, () => {
    let db: Database;
    /** Other "processes" on the same database; PGlite has no other process, so it shares the one. */
    const others: Database[] = [];
    const other = async (): Promise<Database> => {
      if (tdb.name === 'pglite') return db;
      const d = await tdb.open();
      others.push(d);
      return d;
    };
    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
    });
    afterAll(async () => {
      for (const d of others) await d.close();
      await db?.close();
      await tdb.drop();
    });

    it('runs the store jobs on demand with typed results, the writers’ cache following retention', async () => {
      const partitions = new PartitionManager(db);
      const writer = new SpanWriter(db, partitions);
      const m = createMaintenance(db, {
        partitions,
        retention: { traces: 7 * MS_PER_DAY, logs: 0, metrics: 0 },
        now: () => NOW,
      });
      expect(m.jobNames).toEqual(['partitions', 'compaction', 'retention', 'servicegraph', 'columnar']);
      const prepared = await m.runNow('partitions');
      expect(prepared.result.tables).toEqual([
        'spans',
        'span_metrics',
        'servicegraph_edges',
        'propagation_problems',
        'propagation_spans',
        'propagation_traces',
        'logs',
        'metric_chunks',
        'metric_exemplars',
      ]);
      expect((await partitions.list(SPANS_TABLE)).map((p) => p.name)).toContain(
        `spans_p${dayOf(NOW + 2 * MS_PER_DAY)}`,
      );

      await writer.write(span(NOW - 10 * MS_PER_DAY));
      const run = await m.runNow('retention');
      const result: RetentionResult = run.result;
      expect(result.dropped.traces).toEqual([`spans_p${dayOf(NOW - 10 * MS_PER_DAY)}`]);
      expect(result.tracesDeleted).toBe(1);
      expect((await m.runNow('compaction')).result).toEqual({ groups: 0, rowsBefore: 0, samples: 0 });
      // Only days ahead exist now, none cold: the mode follows the server, nothing is converted.
      const columnar = (await m.runNow('columnar')).result;
      expect(columnar).toMatchObject({ mode: { mode: tdb.name === 'pglite' ? 'row' : 'columnar' }, converted: [] });
      // The dropped day is forgotten: a late write creates its partition again.
      await writer.write(span(NOW - 10 * MS_PER_DAY + 1));
      await writer.close();
      await m.stop();
      await expect(m.runNow('retention')).rejects.toBeInstanceOf(StoreClosedError);
      // Partition upkeep of nine tables and the columnar job's extension, each a distributed DDL on Citus.
    }, 120_000);

    it('runs a job in one process at a time: a second tick skips, runNow waits for the other run', async () => {
      const counter = { active: 0, max: 0, runs: 0 };
      const a = new Maintenance(db, [countingJob(counter, 300)]);
      const b = new Maintenance(await other(), [countingJob(counter, 300)]);
      const c = new Maintenance(await other(), [countingJob(counter, 300)]);
      const first = a.runNow('counting');
      await sleep(50);
      // b's scheduled tick finds the lock taken and skips; c asks to run now and waits its turn.
      await b['tick'](b.jobs[0]!);
      const second = await c.runNow('counting');
      await first;
      expect(counter).toMatchObject({ max: 1, runs: 2, active: 0 });
      expect(second.result).toBe(2);
      await Promise.all([a.stop(), b.stop(), c.stop()]);
    });

    it('starts every process’s schedule at once and still runs each job once at a time', async () => {
      const counter = { active: 0, max: 0, runs: 0 };
      const job = () => ({ ...countingJob(counter, 200), atStart: 'background' as const });
      const ms = [
        new Maintenance(db, [job()]),
        ...(await Promise.all([other(), other()])).map((d) => new Maintenance(d, [job()])),
      ];
      await Promise.all(ms.map((m) => m.start()));
      await sleep(50);
      await Promise.all(ms.map((m) => m.stop()));
      expect(counter.max).toBe(1);
      expect(counter.runs).toBeGreaterThanOrEqual(1);
    });

    it('gives up waiting for another process with JobBusyError, and runs local upkeep regardless', async () => {
      const locals: number[] = [];
      const slow = defineJob({
        name: 'slow',
        title: 'slow',
        intervalMs: 3_600_000,
        run: () => sleep(400).then(() => 'done'),
        local: ({ nowMs }) => void locals.push(nowMs),
      });
      const a = new Maintenance(db, [slow], { now: () => 1 });
      const b = new Maintenance(await other(), [slow], { now: () => 2, lockWaitMs: 100, lockPollMs: 20 });
      const running = a.runNow('slow');
      await sleep(50);
      const busy = await b.runNow('slow').catch((e: unknown) => e);
      expect(busy).toBeInstanceOf(JobBusyError);
      expect(busy).toMatchObject({ status: 409, retryAfterSeconds: 5, expose: true });
      await b['tick'](b.jobs[0]!);
      expect(locals).toContain(2);
      expect((await running).result).toBe('done');
      await Promise.all([a.stop(), b.stop()]);
    });

    it('logs a failed run and keeps going; stop() waits for the run in flight', async () => {
      const warnings: string[] = [];
      const logger = { info() {}, debug() {}, warn: (_o: object, msg: string) => void warnings.push(msg) };
      let finished = false;
      const m = new Maintenance(
        db,
        [
          defineJob({
            name: 'broken',
            title: 'broken job',
            intervalMs: 3_600_000,
            atStart: 'wait',
            run: () => Promise.reject(new Error('nope')),
          }),
          defineJob({
            name: 'long',
            title: 'long job',
            intervalMs: 3_600_000,
            atStart: 'background',
            run: () =>
              sleep(200).then(() => {
                finished = true;
              }),
          }),
        ],
        { logger },
      );
      await m.start();
      expect(warnings).toEqual(['broken job failed']);
      await m.stop();
      expect(finished).toBe(true);
    });
  });
}
