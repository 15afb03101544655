// One rule group's evaluation, following Prometheus' rule manager at v2.42.0: Group.Eval and
// EvalTimestamp (rules/manager.go), AlertingRule.Eval and sendAlerts (rules/alerting.go),
// RecordingRule.Eval (rules/recording.go). Pure: it reads through the Querier it is given and returns
// the samples to write and the alerts to send; the caller stores them and keeps the state durable
// (snapshot/restore), which is how a restart or another replica resumes `for` timers.
import { instantQuery, writeStaleMarker, type EngineOptions, type Querier, type QueryResult } from '@pivot/promql';
import type { Labels } from '@pivot/model';
import { labelsHash, labelsKey } from './hash.ts';
import { parseTemplate, expandParsed, TemplateError } from './template.ts';
import type { AlertingRuleSpec, RecordingRuleSpec, RuleGroupSpec, RuleSpec } from './rulefile.ts';

export type AlertState = 'inactive' | 'pending' | 'firing';

export interface Alert {
  labels: Labels;
  annotations: Labels;
  state: AlertState;
  value: number;
  activeAtMs: number;
  firedAtMs: number | null;
  resolvedAtMs: number | null;
  lastSentAtMs: number | null;
  validUntilMs: number | null;
  keepFiringSinceMs: number | null;
}

export interface OutputSample {
  labels: Labels;
  timestampMs: number;
  /** Prometheus' stale marker when `stale` (its NaN bits kept: never put it in a number[]). */
  value: number;
  stale: boolean;
}

/** What goes to Alertmanager (notifier.Alert), before external labels are added. */
export interface NotifyAlert {
  labels: Labels;
  annotations: Labels;
  startsAtMs: number;
  endsAtMs: number;
  /** The rule's expression, for the generator URL. */
  expr: string;
  /** When the alert became active: its window, for the evidence attached to it. */
  activeAtMs: number;
}

export interface RuleHealth {
  health: 'unknown' | 'ok' | 'err';
  lastError: string;
  lastEvaluationMs: number | null;
  evaluationTimeMs: number;
}

/** Everything a group needs to carry on where another process left off. */
export interface GroupSnapshot {
  lastEvaluationMs: number | null;
  evaluationTimeMs: number;
  rules: { key: string; alerts: Alert[]; seriesReturned: Labels[] }[];
}

export interface GroupOptions {
  /** The group's interval, or the global evaluation interval when the file gives none. */
  intervalMs: number;
  externalLabels?: Labels;
  externalURL?: string;
  engine?: EngineOptions;
  /** Prometheus' --rules.alert.resend-delay (default 1m). */
  resendDelayMs?: number;
}

/** rules/alerting.go: how long a resolved alert is still reported to Alertmanager. */
export const RESOLVED_RETENTION_MS = 15 * 60_000;

const STALE = (() => {
  const a = new Float64Array(1);
  writeStaleMarker(a, 0);
  return a[0]!;
})();

/**
 * Group.EvalTimestamp: the last evaluation instant at or before `nowMs`. Evaluations fall on a grid of
 * the interval shifted by labels.Hash({name, file}) mod the interval (in nanoseconds, as Go computes it),
 * so groups spread over the interval and a restart keeps the same instants.
 */
export function evalTimestamp(group: Pick<RuleGroupSpec, 'name' | 'file'>, intervalMs: number, nowMs: number): number {
  const intervalNs = BigInt(intervalMs) * 1_000_000n;
  const offset = labelsHash({ name: group.name, file: group.file }) % intervalNs;
  // nowMs stands for its whole millisecond: the instant it truncates from may lie anywhere within it, so
  // that evalTimestamp(t) === t for an evaluation instant t as Prometheus records it (truncated to ms).
  const adj = BigInt(Math.floor(nowMs)) * 1_000_000n + 999_999n - offset;
  const base = adj - (((adj % intervalNs) + intervalNs) % intervalNs);
  // timestamp.FromTime truncates to milliseconds.
  return Number((base + offset) / 1_000_000n);
}

/** A rule's identity across reloads and processes: Prometheus' CopyState matches name + labels. */
export function ruleKey(rule: RuleSpec): string {
  return `${rule.kind}:${rule.name}${labelsKey(rule.labels)}`;
}

function parseValue(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

/** EngineQueryFunc: a vector as it is, a scalar as a one-sample vector without labels. */
function asVector(res: QueryResult): { metric: Labels; value: number }[] {
  if (res.resultType === 'vector') return res.result.map((s) => ({ metric: s.metric, value: parseValue(s.value[1]) }));
  if (res.resultType === 'scalar') return [{ metric: {}, value: parseValue(res.result[1]) }];
  throw new Error('rule result is not a vector or scalar');
}

/** labels.Builder.Set: an empty value deletes the label. */
function setLabel(l: Labels, name: string, value: string): void {
  if (value === '') delete l[name];
  else l[name] = value;
}

abstract class RuleRuntime {
  health: RuleHealth = { health: 'unknown', lastError: '', lastEvaluationMs: null, evaluationTimeMs: 0 };
  /** Series written at the last evaluation: those missing from the next one get a stale marker. */
  seriesReturned = new Map<string, Labels>();
  abstract readonly spec: RuleSpec;
  get key(): string {
    return ruleKey(this.spec);
  }
}

export class RecordingRuleRuntime extends RuleRuntime {
  constructor(readonly spec: RecordingRuleSpec) {
    super();
  }

  eval(vector: { metric: Labels; value: number }[], limit: number): { labels: Labels; value: number }[] {
    const out = vector.map((s) => {
      const l: Labels = { ...s.metric, __name__: this.spec.name };
      for (const [k, v] of Object.entries(this.spec.labels)) setLabel(l, k, v);
      return { labels: l, value: s.value };
    });
    const seen = new Set<string>();
    for (const s of out) {
      const k = labelsKey(s.labels);
      if (seen.has(k)) throw new Error('vector contains metrics with the same labelset after applying rule labels');
      seen.add(k);
    }
    if (limit > 0 && out.length > limit) throw new Error(`exceeded limit of ${limit} with ${out.length} series`);
    return out;
  }
}

type Parsed = ReturnType<typeof parseTemplate>;

export class AlertingRuleRuntime extends RuleRuntime {
  /** Keyed by the alert's label set (Prometheus keys by its hash). */
  active = new Map<string, Alert>();
  private readonly labelTemplates: [string, Parsed][];
  private readonly annotationTemplates: [string, Parsed][];

  constructor(readonly spec: AlertingRuleSpec) {
    super();
    const name = `__alert_${spec.name}`;
    // Validated at load (parseRuleFile), so parsing cannot fail here.
    this.labelTemplates = Object.entries(spec.labels).map(([k, v]) => [k, parseTemplate(v, name)]);
    this.annotationTemplates = Object.entries(spec.annotations)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [k, parseTemplate(v, name)]);
  }

  /** The alerts worth showing: pending and firing (resolved ones are kept only to notify). */
  alerts(): Alert[] {
    return [...this.active.values()].filter((a) => a.state !== 'inactive');
  }

  state(): AlertState {
    let s: AlertState = 'inactive';
    for (const a of this.active.values()) {
      if (a.state === 'firing') return 'firing';
      if (a.state === 'pending') s = 'pending';
    }
    return s;
  }

  eval(
    vector: { metric: Labels; value: number }[],
    ts: number,
    limit: number,
    opts: GroupOptions,
  ): { labels: Labels; value: number }[] {
    const name = `__alert_${this.spec.name}`;
    const fresh = new Map<string, Alert>();
    for (const s of vector) {
      const data = {
        labels: s.metric,
        externalLabels: opts.externalLabels ?? {},
        externalURL: opts.externalURL ?? '',
        value: s.value,
      };
      const expand = (p: Parsed) => {
        try {
          return expandParsed(p, data, name);
        } catch (e) {
          if (e instanceof TemplateError) return `<error expanding template: ${e.message}>`;
          throw e;
        }
      };
      const l: Labels = { ...s.metric };
      delete l.__name__;
      for (const [k, p] of this.labelTemplates) setLabel(l, k, expand(p));
      l.alertname = this.spec.name;
      const annotations: Labels = {};
      for (const [k, p] of this.annotationTemplates) annotations[k] = expand(p);
      const key = labelsKey(l);
      if (fresh.has(key)) throw new Error('vector contains metrics with the same labelset after applying alert labels');
      fresh.set(key, {
        labels: l,
        annotations,
        state: 'pending',
        value: s.value,
        activeAtMs: ts,
        firedAtMs: null,
        resolvedAtMs: null,
        lastSentAtMs: null,
        validUntilMs: null,
        keepFiringSinceMs: null,
      });
    }
    for (const [k, a] of fresh) {
      const old = this.active.get(k);
      if (old && old.state !== 'inactive') {
        old.value = a.value;
        old.annotations = a.annotations;
        continue;
      }
      this.active.set(k, a);
    }
    const out: { labels: Labels; value: number }[] = [];
    let numActivePending = 0;
    for (const [k, a] of this.active) {
      if (!fresh.has(k)) {
        let keepFiring = false;
        if (a.state === 'firing' && this.spec.keepFiringForMs > 0) {
          a.keepFiringSinceMs ??= ts;
          if (ts - a.keepFiringSinceMs < this.spec.keepFiringForMs) keepFiring = true;
        }
        if (a.state === 'pending' || (a.resolvedAtMs !== null && ts - a.resolvedAtMs > RESOLVED_RETENTION_MS))
          this.active.delete(k);
        if (a.state !== 'inactive' && !keepFiring) {
          a.state = 'inactive';
          a.resolvedAtMs = ts;
        }
        if (!keepFiring) continue;
      } else a.keepFiringSinceMs = null;
      numActivePending++;
      if (a.state === 'pending' && ts - a.activeAtMs >= this.spec.forMs) {
        a.state = 'firing';
        a.firedAtMs = ts;
      }
      out.push({ labels: { ...a.labels, __name__: 'ALERTS', alertstate: a.state }, value: 1 });
      out.push({ labels: { ...a.labels, __name__: 'ALERTS_FOR_STATE' }, value: Math.floor(a.activeAtMs / 1000) });
    }
    if (limit > 0 && numActivePending > limit) {
      this.active = new Map();
      throw new Error(`exceeded limit of ${limit} with ${numActivePending} alerts`);
    }
    return out;
  }

  /** AlertingRule.sendAlerts with Alert.needsSending; marks what it returns as sent at `ts`. */
  toSend(ts: number, resendDelayMs: number, intervalMs: number): NotifyAlert[] {
    const out: NotifyAlert[] = [];
    for (const a of this.active.values()) {
      if (a.state === 'pending') continue;
      const resolvedSinceSent = a.resolvedAtMs !== null && (a.lastSentAtMs === null || a.resolvedAtMs > a.lastSentAtMs);
      if (!resolvedSinceSent && !(a.lastSentAtMs === null || a.lastSentAtMs + resendDelayMs < ts)) continue;
      a.lastSentAtMs = ts;
      // Allow for two evaluation or Alertmanager send failures.
      a.validUntilMs = ts + 4 * Math.max(resendDelayMs, intervalMs);
      out.push({
        labels: { ...a.labels },
        annotations: { ...a.annotations },
        startsAtMs: a.firedAtMs ?? a.activeAtMs,
        endsAtMs: a.resolvedAtMs ?? a.validUntilMs,
        expr: this.spec.expr,
        activeAtMs: a.activeAtMs,
      });
    }
    return out;
  }
}

export type RuleRuntimeOf = RecordingRuleRuntime | AlertingRuleRuntime;

export interface GroupEvalResult {
  samples: OutputSample[];
  notify: NotifyAlert[];
}

export class GroupEvaluator {
  readonly rules: RuleRuntimeOf[];
  lastEvaluationMs: number | null = null;
  evaluationTimeMs = 0;

  constructor(
    readonly spec: RuleGroupSpec,
    readonly opts: GroupOptions,
  ) {
    this.rules = spec.rules.map((r) =>
      r.kind === 'alerting' ? new AlertingRuleRuntime(r) : new RecordingRuleRuntime(r),
    );
  }

  get intervalMs(): number {
    return this.opts.intervalMs;
  }

  /** Group.Eval at `ts`: every rule in order (a rule may read what the previous one recorded). */
  async eval(querier: Querier, ts: number): Promise<GroupEvalResult> {
    const started = performance.now();
    const samples: OutputSample[] = [];
    const notify: NotifyAlert[] = [];
    const engine: EngineOptions = { defaultSubqueryStepMs: this.opts.intervalMs, ...this.opts.engine };
    // Samples recorded by an earlier rule of this group at `ts` must be visible to later ones, as they are
    // in Prometheus' TSDB: the querier is overlaid with what this evaluation has produced so far.
    const overlay = new OverlayQuerier(querier);
    for (const rule of this.rules) {
      const t0 = performance.now();
      try {
        const vector = asVector(await instantQuery(overlay, rule.spec.expr, ts, engine));
        const limit = this.spec.limit;
        const out =
          rule instanceof AlertingRuleRuntime ? rule.eval(vector, ts, limit, this.opts) : rule.eval(vector, limit);
        const now = new Map<string, Labels>();
        for (const s of out) {
          now.set(labelsKey(s.labels), s.labels);
          samples.push({ labels: s.labels, timestampMs: ts, value: s.value, stale: false });
        }
        const ended: Labels[] = [];
        for (const [k, l] of rule.seriesReturned)
          if (!now.has(k)) {
            samples.push({ labels: l, timestampMs: ts, value: STALE, stale: true });
            ended.push(l);
          }
        // As Prometheus appends and commits each rule's output, stale markers included, before the next
        // rule runs: a later rule must not see an ended series through the lookback.
        overlay.add(out, ts);
        overlay.addStale(ended, ts);
        rule.seriesReturned = now;
        rule.health = { health: 'ok', lastError: '', lastEvaluationMs: ts, evaluationTimeMs: performance.now() - t0 };
        if (rule instanceof AlertingRuleRuntime)
          notify.push(...rule.toSend(ts, this.opts.resendDelayMs ?? 60_000, this.opts.intervalMs));
      } catch (e) {
        rule.health = {
          health: 'err',
          lastError: e instanceof Error ? e.message : String(e),
          lastEvaluationMs: ts,
          evaluationTimeMs: performance.now() - t0,
        };
      }
    }
    this.lastEvaluationMs = ts;
    this.evaluationTimeMs = performance.now() - started;
    return { samples, notify };
  }

  /** Stale markers for everything this group last wrote: Prometheus writes them when a group is removed. */
  staleAll(ts: number): OutputSample[] {
    const out: OutputSample[] = [];
    for (const r of this.rules)
      for (const l of r.seriesReturned.values()) out.push({ labels: l, timestampMs: ts, value: STALE, stale: true });
    return out;
  }

  snapshot(): GroupSnapshot {
    return {
      lastEvaluationMs: this.lastEvaluationMs,
      evaluationTimeMs: this.evaluationTimeMs,
      rules: this.rules.map((r) => ({
        key: r.key,
        alerts: r instanceof AlertingRuleRuntime ? [...r.active.values()].map((a) => ({ ...a })) : [],
        seriesReturned: [...r.seriesReturned.values()],
      })),
    };
  }

  /**
   * Takes over state from a snapshot (this or another process) or from the group before a reload:
   * rules are matched by name and labels, the first with the first when several share them, as
   * Group.CopyState does.
   */
  restore(snap: GroupSnapshot): void {
    this.lastEvaluationMs = snap.lastEvaluationMs;
    this.evaluationTimeMs = snap.evaluationTimeMs;
    const byKey = new Map<string, GroupSnapshot['rules']>();
    for (const r of snap.rules) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
    for (const rule of this.rules) {
      const from = byKey.get(rule.key)?.shift();
      if (!from) continue;
      rule.seriesReturned = new Map(from.seriesReturned.map((l) => [labelsKey(l), l]));
      if (rule instanceof AlertingRuleRuntime)
        rule.active = new Map(from.alerts.map((a) => [labelsKey(a.labels), { ...a }]));
    }
  }
}

/** Reads through to the store, plus the samples recorded earlier in the same group evaluation. */
class OverlayQuerier implements Querier {
  private readonly extra = new Map<string, { labels: Labels; ts: number[]; vs: number[]; stale: boolean[] }>();
  constructor(private readonly inner: Querier) {}

  add(samples: { labels: Labels; value: number }[], ts: number): void {
    for (const s of samples) this.push(s.labels, ts, s.value, false);
  }

  /** Stale markers (their NaN bits are written into the typed array at read time, never kept in number[]). */
  addStale(labels: Labels[], ts: number): void {
    for (const l of labels) this.push(l, ts, 0, true);
  }

  private push(labels: Labels, ts: number, value: number, stale: boolean): void {
    const k = labelsKey(labels);
    const e = this.extra.get(k) ?? { labels, ts: [], vs: [], stale: [] };
    e.ts.push(ts);
    e.vs.push(value);
    e.stale.push(stale);
    this.extra.set(k, e);
  }

  async select(...args: Parameters<Querier['select']>): ReturnType<Querier['select']> {
    const series = await this.inner.select(...args);
    if (this.extra.size === 0) return series;
    const [, minMs, maxMs] = args;
    const byKey = new Map(series.map((s) => [labelsKey(s.labels), s]));
    for (const [k, e] of this.extra) {
      const ts = e.ts.filter((t) => t >= minMs && t <= maxMs);
      if (!ts.length) continue;
      const base = byKey.get(k);
      // Merged through typed arrays only: a stale marker in the stored values must keep its NaN bits.
      const merged = new Map<number, { from: Float64Array; i: number }>();
      if (base)
        for (let i = 0; i < base.timestamps.length; i++) merged.set(base.timestamps[i]!, { from: base.values, i });
      const mine = Float64Array.from(e.vs);
      e.stale.forEach((st, i) => st && writeStaleMarker(mine, i));
      e.ts.forEach((t, i) => {
        if (t >= minMs && t <= maxMs) merged.set(t, { from: mine, i });
      });
      const sorted = [...merged.keys()].sort((a, b) => a - b);
      const values = new Float64Array(sorted.length);
      sorted.forEach((t, j) => {
        const m = merged.get(t)!;
        values.set(m.from.subarray(m.i, m.i + 1), j);
      });
      byKey.set(k, { labels: e.labels, timestamps: Float64Array.from(sorted), values });
    }
    return [...byKey.values()];
  }
}

/** Exported for tests: the hash that Prometheus' alert map is keyed by. */
export const alertFingerprint = (labels: Labels): bigint => labelsHash(labels);
