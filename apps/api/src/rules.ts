// The rule manager: loads RULES_DIR, evaluates each group at Prometheus' aligned instants under a
// per-group advisory lock (one replica evaluates a group; when it dies its session ends, the lock goes,
// and another replica takes the group over at its next tick), writes recording-rule and ALERTS series
// into the metric store, keeps the group's state in PostgreSQL and sends alerts to Alertmanager.
// An invalid file is refused with promtool's messages and the last good set stays active. The
// directory's alerting.yml (Prometheus' `alerting.alertmanagers`) is read with the rules, under the same rule.
import { readdir, readFile } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import { join, resolve } from 'node:path';
import { hostname } from 'node:os';
import { extractSelectors, parse, type EngineOptions, type LabelMatcher, type Querier } from '@pivot/promql';
import {
  GroupEvaluator,
  alertPageURL,
  pickExemplarTraces,
  traceEvidenceQuery,
  type ExemplarGroup,
  type TraceEvidenceQuery,
  evalTimestamp,
  parseAlertingFile,
  parseRuleFile,
  type AlertmanagerTarget,
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
  /**
   * Trace IDs from span or log data (AlertEvidenceQueries), for firing alerts whose series have no
   * exemplars in the window.
   */
  traceEvidence?: (query: TraceEvidenceQuery, startMs: number, endMs: number) => Promise<string[]>;
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

function selectorsOf(expr: string): LabelMatcher[][] {
  const parsed = parse(expr);
  return parsed.ok ? extractSelectors(parsed.expr) : [];
}

/** Prometheus' `alerting:` section lives in this file of RULES_DIR; it is not a rule file. */
export const ALERTING_FILE = 'alerting.yml';

const groupKey = (g: RuleGroupSpec) => `${g.file}::${g.name}`;

export class RuleManager {
  private runs = new Map<string, GroupRun>();
  private watcher: FSWatcher | null = null;
  private reloadTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly now: () => number;
  private readonly instance: string;
  /** Alertmanagers from RULES_DIR/alerting.yml as last loaded (the notifier adds ALERTMANAGER_URLS). */
  alertmanagers: AlertmanagerTarget[] = [];
  /** Recording rules' expressions by the name they record, as last loaded (for an alert's evidence). */
  private recordedExprs = new Map<string, string[]>();
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

  /**
   * Reads every *.yml / *.yaml file of the directory, and alerting.yml for the Alertmanagers; nothing
   * changes unless all of them are valid.
   */
  async loadFiles(): Promise<{ groups: RuleGroupSpec[]; alertmanagers: AlertmanagerTarget[] }> {
    const all = await readdir(this.dir);
    const names = all.filter((n) => /\.ya?ml$/.test(n) && n !== ALERTING_FILE).sort();
    const groups: RuleGroupSpec[] = [];
    const errors: string[] = [];
    let alertmanagers: AlertmanagerTarget[] = [];
    if (all.includes(ALERTING_FILE)) {
      const file = join(this.dir, ALERTING_FILE);
      const res = parseAlertingFile(await readFile(file, 'utf8'), file);
      if (res.ok) alertmanagers = res.targets;
      else errors.push(...res.errors);
    }
    for (const name of names) {
      const file = join(this.dir, name);
      const res = parseRuleFile(await readFile(file, 'utf8'), file);
      if (res.ok) groups.push(...res.groups);
      else errors.push(...res.errors.map((e) => `${file}: ${e}`));
    }
    if (errors.length) throw new RulesLoadError(errors);
    return { groups, alertmanagers };
  }

  async reload(): Promise<void> {
    let specs: RuleGroupSpec[];
    let alertmanagers: AlertmanagerTarget[];
    try {
      ({ groups: specs, alertmanagers } = await this.loadFiles());
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
    this.recordedExprs = new Map();
    for (const spec of specs)
      for (const r of spec.rules)
        if (r.kind === 'recording') this.recordedExprs.set(r.name, [...(this.recordedExprs.get(r.name) ?? []), r.expr]);
    this.alertmanagers = alertmanagers;
    this.lastReload = { ok: true, atMs: this.now(), errors: [] };
    this.opts.logger.info(
      { groups: specs.length, alertmanagers: alertmanagers.map((t) => t.url), dir: this.dir },
      'rules loaded',
    );
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
   * ActiveAt, since a rate over [5m] that crossed the threshold was fed by the samples before it. The
   * traces come from the exemplars of the expression's series; without any, from the spans or logs that
   * the alert's labels point at (traceEvidenceQuery).
   */
  private async withEvidence(alerts: NotifyAlert[], ts: number): Promise<NotifyAlert[]> {
    const base = this.opts.externalURL ?? '';
    return Promise.all(
      alerts.map(async (a) => {
        const resolved = a.endsAtMs <= ts;
        const from = a.activeAtMs - 5 * 60_000;
        const to = resolved ? a.endsAtMs : ts;
        const annotations: Labels = { ...a.annotations, pivot_url: alertPageURL(base, a.expr, from, to) };
        if (!resolved) {
          try {
            const traces = await this.evidenceTraces(a, from, to);
            if (traces.length) annotations.pivot_exemplar_traces = traces.join(',');
          } catch (err) {
            // Evidence is a bonus: the alert goes out without it rather than not at all.
            this.opts.logger.warn({ err }, 'trace lookup for an alert failed');
          }
        }
        return { ...a, annotations };
      }),
    );
  }

  private async evidenceTraces(a: NotifyAlert, from: number, to: number): Promise<string[]> {
    const selectors = selectorsOf(a.expr);
    if (this.opts.exemplars && selectors.length) {
      const traces = pickExemplarTraces(await this.opts.exemplars(selectors, from, to), a.labels);
      if (traces.length) return traces;
    }
    if (!this.opts.traceEvidence) return [];
    const query = traceEvidenceQuery(a.labels, this.metricNamesOf(selectors));
    return query ? (await this.opts.traceEvidence(query, from, to + 1)).slice(0, 5) : [];
  }

  /** The metric names the selectors read, looking through the recording rules of the loaded groups. */
  private metricNamesOf(selectors: LabelMatcher[][]): string[] {
    const names = new Set<string>();
    const visit = (sets: LabelMatcher[][], depth: number): void => {
      for (const set of sets) {
        const name = set.find((m) => m.name === '__name__' && m.type === '=')?.value;
        if (name === undefined || names.has(name)) continue;
        names.add(name);
        if (depth < 8) for (const inner of this.recordedExprs.get(name) ?? []) visit(selectorsOf(inner), depth + 1);
      }
    };
    visit(selectors, 0);
    return [...names];
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
