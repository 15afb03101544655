// Background upkeep of the database, in one place: a small typed list of jobs (name, interval, run),
// each run under its own PostgreSQL advisory lock so that, however many ingest and API processes run
// them, a job runs in one process at a time. Today: day partitions ahead, metric chunk compaction and
// retention; later jobs (rollups, conversions, rule evaluation) join the list the same way.
import { createHash } from 'node:crypto';
import type { Database, StoreLogger } from './database.ts';
import { StoreClosedError, type ClassifiedError } from './errors.ts';
import { convertColdPartitions, type ColumnarResult } from './columnar.ts';
import { compactMetricChunks, type CompactionResult } from './metric-compaction.ts';
import { PartitionManager } from './partitions.ts';
import { applyRetention, type RetentionPolicy, type RetentionResult } from './retention.ts';
import { foldServiceGraph, type ServiceGraphFoldResult } from './servicegraph.ts';
import { PARTITIONED_TABLES, SIGNAL_PARTITIONED_TABLES } from './tables.ts';
import { SIGNALS } from '@pivot/model';

export interface JobContext {
  /** When this run started (the Maintenance clock), ms since the epoch. */
  nowMs: number;
  /** Aborted by stop(): a long job stops between steps. */
  signal: AbortSignal;
}

export interface MaintenanceJob<N extends string = string, R = unknown> {
  readonly name: N;
  /** What its log lines call it ("retention failed"). */
  readonly title: string;
  readonly intervalMs: number;
  /** At start(): `wait` runs it before start() resolves, `background` starts it; absent, it first runs after one interval. */
  readonly atStart?: 'wait' | 'background';
  /** The work on the database, under the job's advisory lock. */
  run(ctx: JobContext): Promise<R>;
  /** Bookkeeping of this process that runs on every tick, whether or not the lock was free. */
  local?(ctx: JobContext): void;
  /** What a periodic run logs when it did something; undefined logs nothing. */
  summary?(result: R): { level: 'info' | 'debug'; fields: object; msg: string } | undefined;
}

/** Keeps the job's literal name in its type, so that `runNow('retention')` knows its result type. */
export function defineJob<const N extends string, R>(job: MaintenanceJob<N, R>): MaintenanceJob<N, R> {
  return job;
}

type AnyJob = MaintenanceJob<string, unknown>;
export type JobName<J extends AnyJob> = J['name'];
export type JobResult<J extends AnyJob, N extends string> =
  Extract<J, { name: N }> extends MaintenanceJob<N, infer R> ? R : never;

export interface JobRun<R> {
  job: string;
  result: R;
  ms: number;
}

/** Another process is running the job and did not finish within the wait: try again shortly (HTTP 409). */
export class JobBusyError extends Error implements ClassifiedError {
  override readonly name = 'JobBusyError';
  readonly status = 409;
  readonly retryAfterSeconds = 5;
  readonly expose = true;
  constructor(readonly job: string) {
    super(`maintenance job ${job} is running in another process; try again shortly`);
  }
}

/** The advisory lock key of a job: a stable 64-bit hash of its name, in a namespace of our own. */
export function jobLockKey(name: string): bigint {
  return createHash('sha1').update(`pivot.maintenance:${name}`).digest().readBigInt64BE(0);
}

const BUSY = Symbol('busy');

export interface MaintenanceOptions {
  logger?: StoreLogger;
  now?: () => number;
  /** How long runNow waits for another process's run of the same job (default 30 s). */
  lockWaitMs?: number;
  lockPollMs?: number;
}

export class Maintenance<J extends AnyJob = AnyJob> {
  private readonly timers: NodeJS.Timeout[] = [];
  /** The run in flight per job in this process, periodic or requested. */
  private readonly running = new Map<string, Promise<unknown>>();
  private readonly abort = new AbortController();
  private readonly now: () => number;

  constructor(
    private readonly database: Database,
    readonly jobs: readonly J[],
    private readonly opts: MaintenanceOptions = {},
  ) {
    if (new Set(jobs.map((j) => j.name)).size !== jobs.length) throw new Error('maintenance job names must differ');
    this.now = opts.now ?? Date.now;
  }

  get jobNames(): JobName<J>[] {
    return this.jobs.map((j) => j.name);
  }

  has(name: string): name is JobName<J> {
    return this.jobs.some((j) => j.name === name);
  }

  /** Schedules every job; resolves once the `wait` jobs have run (their failures are logged, not thrown). */
  async start(): Promise<void> {
    for (const job of this.jobs) {
      if (job.atStart === 'wait') await this.tick(job);
      else if (job.atStart === 'background') void this.tick(job);
      const timer = setInterval(() => void this.tick(job), job.intervalMs);
      timer.unref();
      this.timers.push(timer);
    }
  }

  /** Stops the schedule, asks running jobs to stop, and waits for them. */
  async stop(): Promise<void> {
    for (const t of this.timers.splice(0)) clearInterval(t);
    this.abort.abort();
    await Promise.all([...this.running.values()].map((p) => p.catch(() => {})));
  }

  /**
   * Runs a job now and returns what it did: after the run already in flight in this process, and once
   * another process's run has ended (waiting up to `lockWaitMs`, then JobBusyError).
   */
  async runNow<N extends JobName<J>>(name: N): Promise<JobRun<JobResult<J, N>>> {
    const job = this.jobs.find((j) => j.name === name);
    if (!job) throw new Error(`unknown maintenance job "${name}"`);
    for (;;) {
      if (this.abort.signal.aborted) throw new StoreClosedError();
      const inFlight = this.running.get(name);
      if (!inFlight) break;
      await inFlight.catch(() => {});
    }
    const t0 = performance.now();
    const wait = this.opts.lockWaitMs ?? 30_000;
    const poll = this.opts.lockPollMs ?? 250;
    const run = this.track(job, async () => {
      const deadline = performance.now() + wait;
      for (;;) {
        const r = await this.runLocked(job);
        if (r !== BUSY) return r;
        if (performance.now() >= deadline || this.abort.signal.aborted) throw new JobBusyError(name);
        await new Promise((resolve) => setTimeout(resolve, poll));
      }
    });
    const result = (await run) as JobResult<J, N>;
    return { job: name, result, ms: Math.round(performance.now() - t0) };
  }

  /** A periodic run: skipped when one is in flight here or the lock is held elsewhere; failures are logged. */
  private tick(job: J): Promise<void> {
    const { logger } = this.opts;
    if (this.abort.signal.aborted) return Promise.resolve();
    try {
      job.local?.({ nowMs: this.now(), signal: this.abort.signal });
    } catch (err) {
      logger?.warn({ err, job: job.name }, `${job.title} failed`);
    }
    if (this.running.has(job.name)) return Promise.resolve();
    return this.track(job, () => this.runLocked(job)).then(
      (r) => {
        if (r === BUSY) return logger?.debug({ job: job.name }, 'maintenance job running in another process');
        const line = job.summary?.(r);
        if (line) logger?.[line.level](line.fields, line.msg);
      },
      (err: unknown) => logger?.warn({ err, job: job.name }, `${job.title} failed`),
    );
  }

  private track<T>(job: J, fn: () => Promise<T>): Promise<T> {
    const p = fn();
    const tracked = p.finally(() => {
      if (this.running.get(job.name) === tracked) this.running.delete(job.name);
    });
    this.running.set(job.name, tracked);
    return tracked;
  }

  private async runLocked(job: J): Promise<unknown> {
    const lock = await this.database.tryAdvisoryLock(jobLockKey(job.name));
    if (!lock) return BUSY;
    try {
      return await job.run({ nowMs: this.now(), signal: this.abort.signal });
    } finally {
      await lock.release().catch(() => {});
    }
  }
}

const HOUR_MS = 3_600_000;

export interface StoreMaintenanceOptions extends MaintenanceOptions {
  /** The writers' partition manager, so that its cache follows what the jobs create and drop. */
  partitions?: PartitionManager;
  retention: RetentionPolicy;
  compactionIntervalMs?: number;
  partitionIntervalMs?: number;
  retentionIntervalMs?: number;
  /** Days ahead of today whose partitions exist before their first write. */
  daysAhead?: number;
  /** The service-graph fold (servicegraph.ts): how long spans wait for their peers, and how often it runs. */
  serviceGraph?: { waitMs: number; intervalMs: number };
  /** A day partition becomes columnar this long after its end (default 2 h); 0: any day idle for a minute. */
  coldAfterMs?: number;
  columnarIntervalMs?: number;
}

/** The store's jobs: partitions ahead (hourly, and before start() resolves), compaction, retention, the service graph, columnar. */
export function storeJobs(database: Database, opts: StoreMaintenanceOptions) {
  const partitions = opts.partitions ?? new PartitionManager(database);
  const policy = opts.retention;
  const graph = opts.serviceGraph ?? { waitMs: 30_000, intervalMs: 15_000 };
  return [
    defineJob({
      name: 'partitions',
      title: 'partition upkeep',
      intervalMs: opts.partitionIntervalMs ?? HOUR_MS,
      atStart: 'wait',
      // Today's and the next days' partitions exist before their first write; failures only delay that.
      async run({ nowMs }): Promise<{ tables: string[]; daysAhead: number }> {
        const daysAhead = opts.daysAhead ?? 2;
        await partitions.prepareAhead(PARTITIONED_TABLES, nowMs, daysAhead);
        return { tables: PARTITIONED_TABLES.map((t) => t.name), daysAhead };
      },
    }),
    defineJob({
      name: 'compaction',
      title: 'metric compaction',
      intervalMs: opts.compactionIntervalMs ?? 60_000,
      run: ({ nowMs, signal }): Promise<CompactionResult> => compactMetricChunks(database, nowMs, { signal }),
      summary: (r) => (r.groups ? { level: 'debug', fields: r, msg: 'metric chunks compacted' } : undefined),
    }),
    defineJob({
      name: 'retention',
      title: 'retention',
      intervalMs: opts.retentionIntervalMs ?? HOUR_MS,
      atStart: 'background',
      // Through the writers' own partition manager, so that its cache forgets the dropped days.
      run: ({ nowMs }): Promise<RetentionResult> => applyRetention(database, partitions, policy, nowMs),
      // Another process may hold the lock and drop days this process's writers still believe exist.
      local({ nowMs }) {
        for (const signal of SIGNALS)
          if (policy[signal] > 0)
            for (const table of SIGNAL_PARTITIONED_TABLES[signal])
              partitions.forgetOlderThan(table, nowMs - policy[signal]);
      },
      summary(r) {
        const dropped = [...r.dropped.traces, ...r.dropped.logs, ...r.dropped.metrics];
        return dropped.length || r.tracesDeleted
          ? {
              level: 'info',
              fields: { dropped, tracesDeleted: r.tracesDeleted },
              msg: 'retention: old partitions dropped',
            }
          : undefined;
      },
    }),
    defineJob({
      name: 'servicegraph',
      title: 'service graph fold',
      intervalMs: graph.intervalMs,
      // Each window is one transaction under a row lock on the watermark, so a second process that got
      // past the advisory lock would wait, then find the window folded.
      run: ({ nowMs, signal }): Promise<ServiceGraphFoldResult> =>
        foldServiceGraph(database, partitions, nowMs, { waitMs: graph.waitMs, signal }),
      summary: (r) => (r.windows ? { level: 'debug', fields: r, msg: 'service graph folded' } : undefined),
    }),
    defineJob({
      name: 'columnar',
      title: 'columnar conversion',
      intervalMs: opts.columnarIntervalMs ?? 15 * 60_000,
      // Cold days of spans and logs become columnar where the server has citus_columnar (columnar.ts).
      run: ({ nowMs, signal }): Promise<ColumnarResult> =>
        convertColdPartitions(database, { coldAfterMs: opts.coldAfterMs ?? 2 * HOUR_MS, nowMs, signal }),
      summary: (r) =>
        r.converted.length
          ? { level: 'info', fields: { converted: r.converted, rows: r.rows }, msg: 'cold partitions made columnar' }
          : undefined,
    }),
  ] as const;
}

export type StoreJob = ReturnType<typeof storeJobs>[number];
export type StoreJobName = StoreJob['name'];

/** The one maintenance owner of a process: the store's jobs under advisory locks. Call start() to schedule them. */
export function createMaintenance(database: Database, opts: StoreMaintenanceOptions): Maintenance<StoreJob> {
  return new Maintenance(database, storeJobs(database, opts), opts);
}
