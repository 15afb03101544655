// The rule manager: loads RULES_DIR, evaluates each group at Prometheus' aligned instants under a
// per-group advisory lock (one replica evaluates a group; when it dies its session ends, the lock goes,
// and another replica takes the group over at its next tick), writes recording-rule and ALERTS series
// into the metric store, keeps the group's state in PostgreSQL and sends alerts to Alertmanager.
// An invalid file is refused with promtool's messages and the last good set stays active.
import { readdir, readFile } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import { join, resolve } from 'node:path';
import { hostname } from 'node:os';
import { extractSelectors, parse, type EngineOptions, type LabelMatcher, type Querier } from '@pivot/promql';
import {
  GroupEvaluator,
  alertPageURL,
  pickExemplarTraces,
  type ExemplarGroup,
  evalTimestamp,
  parseRuleFile,
  type NotifyAlert,
  type OutputSample,
  type RuleGroupSpec,
} from '@pivot/rules';
import type { AdvisoryLock, AlertingState, Database } from '@pivot/store';
import { ruleGroupLockKey } from '@pivot/store';
import type { Labels, MetricsBatch } from '@pivot/model';
import { unixMillis } from '@pivot/model';
import type { Logger } from '@pivot/server-kit';

export interface RuleManagerOptions {
  dir: string;
  database: Database;
  state: AlertingState;
  querier: Querier;
  /** Where recording rules and ALERTS/ALERTS_FOR_STATE series go (the store's MetricWriter). */
  write(batch: MetricsBatch): Promise<void>;
  logger: Logger;
  /** Prometheus' global evaluation_interval, for groups that give none (default 1m). */
  evaluationIntervalMs?: number;
  /** Where generatorURL and pivot_url point (PUBLIC_URL, or the API's own URL). */
  externalURL?: string;
  externalLabels?: Labels;
  resendDelayMs?: number;
  engine?: EngineOptions;
  /** Exemplars of the rule's selectors in an alert's window (MetricQueries.exemplars), for pivot_exemplar_traces. */
  exemplars?: (selectors: LabelMatcher[][], startMs: number, endMs: number) => Promise<ExemplarGroup[]>;
  /** Gets every batch of alerts to send (notify.ts). */
  notify?: (alerts: NotifyAlert[]) => Promise<void>;
  /** This replica's name in the state table. */
  instance?: string;
  now?: () => number;
}

export class RulesLoadError extends Error {
  constructor(readonly errors: string[]) {
    super(errors.join('\n'));
  }
}

interface GroupRun {
  key: string;
  ev: GroupEvaluator;
  lock: AdvisoryLock | null;
  timer: NodeJS.Timeout | null;
  running: Promise<void> | null;
}

const groupKey = (g: RuleGroupSpec) => `${g.file}::${g.name}`;

export class RuleManager {
  private runs = new Map<string, GroupRun>();
  private watcher: FSWatcher | null = null;
  private reloadTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly now: () => number;
  private readonly instance: string;
  /** The last reload's outcome, for /api/v1/status-like answers and logs. */
  lastReload: { ok: boolean; atMs: number; errors: string[] } | null = null;

  constructor(private readonly opts: RuleManagerOptions) {
    this.now = opts.now ?? Date.now;
    this.instance = opts.instance ?? `${hostname()}:${process.pid}`;
  }

  get dir(): string {
    return resolve(this.opts.dir);
  }

  /** Loads the rules (throws RulesLoadError when they are invalid), starts evaluating and watching. */
  async start(): Promise<void> {
    await this.reload();
    try {
      this.watcher = watch(this.dir, () => this.scheduleReload());
      this.watcher.on('error', (err) => this.opts.logger.warn({ err }, 'rules directory watch failed'));
    } catch (err) {
      this.opts.logger.warn({ err, dir: this.dir }, 'cannot watch the rules directory: reload with POST /-/reload');
    }
  }

  private scheduleReload(): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    // Editors write a file in several steps: reload once they are done.
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null;
      this.reload().catch(() => {});
    }, 300);
  }

  /** Reads every *.yml / *.yaml file of the directory; nothing changes unless all of them are valid. */
  async loadFiles(): Promise<RuleGroupSpec[]> {
    const names = (await readdir(this.dir)).filter((n) => /\.ya?ml$/.test(n) && n !== 'alerting.yml').sort();
    const groups: RuleGroupSpec[] = [];
    const errors: string[] = [];
    for (const name of names) {
      const file = join(this.dir, name);
      const res = parseRuleFile(await readFile(file, 'utf8'), file);
      if (res.ok) groups.push(...res.groups);
      else errors.push(...res.errors.map((e) => `${file}: ${e}`));
    }
    if (errors.length) throw new RulesLoadError(errors);
    return groups;
  }

  async reload(): Promise<void> {
    let specs: RuleGroupSpec[];
    try {
      specs = await this.loadFiles();
    } catch (err) {
      const errors = err instanceof RulesLoadError ? err.errors : [String(err)];
      this.lastReload = { ok: false, atMs: this.now(), errors };
      this.opts.logger.error({ errors }, 'rule files refused: the last good rules stay active');
      throw err instanceof RulesLoadError ? err : new RulesLoadError(errors);
    }
    const next = new Map<string, GroupRun>();
    for (const spec of specs) {
      const key = groupKey(spec);
      const ev = new GroupEvaluator(spec, {
        intervalMs: spec.intervalMs ?? this.opts.evaluationIntervalMs ?? 60_000,
        externalLabels: this.opts.externalLabels ?? {},
        externalURL: this.opts.externalURL ?? '',
        resendDelayMs: this.opts.resendDelayMs ?? 60_000,
        ...(this.opts.engine ? { engine: this.opts.engine } : {}),
      });
      const old = this.runs.get(key);
      if (old) {
        // Group.CopyState: alerts and staleness carry over to the reloaded group.
        await old.running;
        ev.restore(old.ev.snapshot());
        if (old.timer) clearTimeout(old.timer);
        next.set(key, { key, ev, lock: old.lock, timer: null, running: null });
      } else next.set(key, { key, ev, lock: null, timer: null, running: null });
    }
    for (const [key, old] of this.runs) {
      if (next.has(key)) continue;
      if (old.timer) clearTimeout(old.timer);
      await old.running;
      // A removed group's series end, as Prometheus marks them stale when it stops a group.
      if (old.lock) {
        await this.writeSamples(old.ev.staleAll(this.now())).catch(() => {});
        await old.lock.release();
      }
    }
    this.runs = next;
    this.lastReload = { ok: true, atMs: this.now(), errors: [] };
    this.opts.logger.info({ groups: specs.length, dir: this.dir }, 'rules loaded');
    if (!this.stopped) for (const run of next.values()) this.schedule(run);
  }

  private schedule(run: GroupRun): void {
    if (this.stopped) return;
    const interval = run.ev.intervalMs;
    const now = this.now();
    const nextTs = evalTimestamp(run.ev.spec, interval, now) + interval;
    run.timer = setTimeout(
      () => {
        run.timer = null;
        run.running = this.tick(run).finally(() => {
          run.running = null;
          if (this.runs.get(run.key) === run) this.schedule(run);
        });
      },
      Math.max(0, nextTs - now),
    );
  }

  /** One scheduled instant: take (or keep) the group's lock and evaluate, or else show the evaluator's state. */
  async tick(run: GroupRun): Promise<void> {
    const log = this.opts.logger;
    try {
      if (!run.lock) {
        run.lock = await this.opts.database.tryAdvisoryLock(ruleGroupLockKey(run.key));
        const saved = await this.opts.state.load(run.key);
        // Taken over (start, restart, failover): resume from what the last evaluator saved. Held by
        // another replica: mirror its state so that this replica's API shows the same alerts.
        if (saved && (saved.lastEvaluationMs ?? 0) >= (run.ev.lastEvaluationMs ?? 0)) run.ev.restore(saved);
        if (!run.lock) return;
        log.info({ group: run.key }, 'evaluating rule group (lock taken)');
      } else if (!(await run.lock.held())) {
        // Our session died and the server released the lock: another replica may evaluate the group
        // now. Stop here, and try again to take it (with the state saved since) at the next tick.
        log.warn({ group: run.key }, 'rule group lock lost: evaluation left to the replica that holds it');
        run.lock = null;
        return;
      }
      const ts = evalTimestamp(run.ev.spec, run.ev.intervalMs, this.now());
      if (run.ev.lastEvaluationMs !== null && ts <= run.ev.lastEvaluationMs) return;
      const res = await run.ev.eval(this.opts.querier, ts);
      await this.writeSamples(res.samples);
      await this.opts.state.save(run.key, run.ev.snapshot(), this.instance, this.now());
      if (res.notify.length && this.opts.notify) await this.opts.notify(await this.withEvidence(res.notify, ts));
    } catch (err) {
      log.warn({ err, group: run.key }, 'rule group evaluation failed');
    }
  }

  /** Evaluates every group once now (tests, and the first evaluation after a reload). */
  async evaluateAll(): Promise<void> {
    for (const run of this.runs.values()) {
      await run.running;
      await this.tick(run);
    }
  }

  /**
   * Firing alerts gain pivot_exemplar_traces and pivot_url. The window starts one lookback (5m) before
   * ActiveAt, since a rate over [5m] that crossed the threshold was fed by the samples before it.
   */
  private async withEvidence(alerts: NotifyAlert[], ts: number): Promise<NotifyAlert[]> {
    const base = this.opts.externalURL ?? '';
    return Promise.all(
      alerts.map(async (a) => {
        const resolved = a.endsAtMs <= ts;
        const from = a.activeAtMs - 5 * 60_000;
        const to = resolved ? a.endsAtMs : ts;
        const annotations: Labels = { ...a.annotations, pivot_url: alertPageURL(base, a.expr, from, to) };
        if (!resolved && this.opts.exemplars) {
          const parsed = parse(a.expr);
          const selectors = parsed.ok ? extractSelectors(parsed.expr) : [];
          try {
            const traces = selectors.length
              ? pickExemplarTraces(await this.opts.exemplars(selectors, from, to), a.labels)
              : [];
            if (traces.length) annotations.pivot_exemplar_traces = traces.join(',');
          } catch (err) {
            // Evidence is a bonus: the alert goes out without it rather than not at all.
            this.opts.logger.warn({ err }, 'exemplar lookup for an alert failed');
          }
        }
        return { ...a, annotations };
      }),
    );
  }

  private async writeSamples(samples: OutputSample[]): Promise<void> {
    if (!samples.length) return;
    await this.opts.write({
      series: samples.map((s) => ({
        labels: s.labels,
        samples: [{ timestampMs: unixMillis(s.timestampMs), value: s.value }],
        exemplars: [],
      })),
      metadata: [],
    });
  }

  groups(): GroupEvaluator[] {
    return [...this.runs.values()].map((r) => r.ev);
  }

  /** Whether this replica evaluates the group (holds its lock). */
  evaluates(ev: GroupEvaluator): boolean {
    return this.runs.get(groupKey(ev.spec))?.lock != null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    for (const run of this.runs.values()) {
      if (run.timer) clearTimeout(run.timer);
      await run.running;
      await run.lock?.release();
      run.lock = null;
    }
  }
}
