// The rule manager's state in the database (migration 0005): each group's last evaluation and the
// series its rules last wrote, and its active alerts with ActiveAt. The evaluating replica saves it after
// every evaluation; a replica that takes a group over (restart, failover) loads it first, so `for`
// timers resume and resolved alerts are still reported, as Prometheus' for_state restore intends.
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Labels } from '@pivot/model';
import type { Database } from './database.ts';

export interface StoredAlert {
  labels: Labels;
  annotations: Labels;
  state: 'inactive' | 'pending' | 'firing';
  value: number;
  activeAtMs: number;
  firedAtMs: number | null;
  resolvedAtMs: number | null;
  lastSentAtMs: number | null;
  validUntilMs: number | null;
  keepFiringSinceMs: number | null;
}

/** Shaped as @pivot/rules' GroupSnapshot, which the store does not import. */
export interface StoredGroupState {
  lastEvaluationMs: number | null;
  evaluationTimeMs: number;
  rules: { key: string; alerts: StoredAlert[]; seriesReturned: Labels[] }[];
}

/** The advisory lock under which one process at a time evaluates a group. */
export function ruleGroupLockKey(groupKey: string): bigint {
  return createHash('sha1').update(`pivot.rules:${groupKey}`).digest().readBigInt64BE(0);
}

const labelsKey = (l: Labels) =>
  JSON.stringify(
    Object.keys(l)
      .sort()
      .map((k) => [k, l[k]]),
  );

type AlertRow = {
  group_key: string;
  rule_key: string;
  rule_seq: number;
  labels: Labels;
  annotations: Labels;
  state: StoredAlert['state'];
  value: number;
  active_at_ms: number;
  fired_at_ms: number | null;
  resolved_at_ms: number | null;
  last_sent_at_ms: number | null;
  valid_until_ms: number | null;
  keep_firing_since_ms: number | null;
};

export class AlertingState {
  constructor(private readonly database: Database) {}

  /** Saves a group's state whole (one transaction), replacing what was there. */
  async save(groupKey: string, state: StoredGroupState, evaluatedBy: string, nowMs: number): Promise<void> {
    const seq = new Map<string, number>();
    const rows = state.rules.flatMap((r) => {
      const n = seq.get(r.key) ?? 0;
      seq.set(r.key, n + 1);
      return r.alerts.map((a) => ({ ruleKey: r.key, ruleSeq: n, a }));
    });
    const series = state.rules.map((r) => ({ key: r.key, series: r.seriesReturned }));
    await this.database.transaction(async (query) => {
      await query(sql`
        INSERT INTO alerting_groups (group_key, last_evaluation_ms, evaluation_time_ms, series_returned, evaluated_by, updated_at_ms)
        VALUES (${groupKey}, ${state.lastEvaluationMs}, ${state.evaluationTimeMs}, ${JSON.stringify(series)}::jsonb, ${evaluatedBy}, ${nowMs})
        ON CONFLICT (group_key) DO UPDATE SET last_evaluation_ms = EXCLUDED.last_evaluation_ms,
          evaluation_time_ms = EXCLUDED.evaluation_time_ms, series_returned = EXCLUDED.series_returned,
          evaluated_by = EXCLUDED.evaluated_by, updated_at_ms = EXCLUDED.updated_at_ms`);
      await query(sql`DELETE FROM alerting_alerts WHERE group_key = ${groupKey}`);
      if (rows.length === 0) return;
      const values = rows.map(
        ({ ruleKey, ruleSeq, a }) => sql`(${groupKey}, ${ruleKey}, ${ruleSeq}, ${labelsKey(a.labels)},
          ${JSON.stringify(a.labels)}::jsonb, ${JSON.stringify(a.annotations)}::jsonb, ${a.state},
          ${Number.isNaN(a.value) ? 'NaN' : String(a.value)}::float8, ${a.activeAtMs}, ${a.firedAtMs},
          ${a.resolvedAtMs}, ${a.lastSentAtMs}, ${a.validUntilMs}, ${a.keepFiringSinceMs})`,
      );
      await query(sql`
        INSERT INTO alerting_alerts (group_key, rule_key, rule_seq, labels_key, labels, annotations, state, value,
          active_at_ms, fired_at_ms, resolved_at_ms, last_sent_at_ms, valid_until_ms, keep_firing_since_ms)
        VALUES ${sql.join(values, sql`, `)}`);
    });
  }

  /** One group's saved state: what a replica takes over, and what a replica that does not evaluate it shows. */
  async load(groupKey: string): Promise<(StoredGroupState & { evaluatedBy: string; updatedAtMs: number }) | undefined> {
    return (await this.loadAll(groupKey)).get(groupKey);
  }

  /** Every saved group's state (or only `only`'s), by group key. */
  async loadAll(only?: string): Promise<Map<string, StoredGroupState & { evaluatedBy: string; updatedAtMs: number }>> {
    const where = only === undefined ? sql`` : sql`WHERE group_key = ${only}`;
    const groups = await this.database.query<{
      group_key: string;
      last_evaluation_ms: number | null;
      evaluation_time_ms: number;
      series_returned: { key: string; series: Labels[] }[];
      evaluated_by: string;
      updated_at_ms: number;
    }>(sql`
      SELECT group_key, last_evaluation_ms::float8 AS last_evaluation_ms, evaluation_time_ms, series_returned,
        evaluated_by, updated_at_ms::float8 AS updated_at_ms
      FROM alerting_groups ${where}`);
    const alerts = await this.database.query<AlertRow>(sql`
      SELECT group_key, rule_key, rule_seq, labels, annotations, state, value,
        active_at_ms::float8 AS active_at_ms, fired_at_ms::float8 AS fired_at_ms,
        resolved_at_ms::float8 AS resolved_at_ms, last_sent_at_ms::float8 AS last_sent_at_ms,
        valid_until_ms::float8 AS valid_until_ms, keep_firing_since_ms::float8 AS keep_firing_since_ms
      FROM alerting_alerts ${where} ORDER BY group_key, rule_key, rule_seq, labels_key`);
    const out = new Map<string, StoredGroupState & { evaluatedBy: string; updatedAtMs: number }>();
    for (const g of groups) {
      out.set(g.group_key, {
        lastEvaluationMs: g.last_evaluation_ms,
        evaluationTimeMs: g.evaluation_time_ms,
        evaluatedBy: g.evaluated_by,
        updatedAtMs: g.updated_at_ms,
        rules: g.series_returned.map((r) => ({ key: r.key, alerts: [], seriesReturned: r.series })),
      });
    }
    for (const a of alerts) {
      const g = out.get(a.group_key);
      if (!g) continue;
      // The n-th rule with this key (rules sharing name and labels are matched in order).
      const rule = g.rules.filter((r) => r.key === a.rule_key)[a.rule_seq];
      rule?.alerts.push({
        labels: a.labels,
        annotations: a.annotations,
        state: a.state,
        value: Number(a.value),
        activeAtMs: a.active_at_ms,
        firedAtMs: a.fired_at_ms,
        resolvedAtMs: a.resolved_at_ms,
        lastSentAtMs: a.last_sent_at_ms,
        validUntilMs: a.valid_until_ms,
        keepFiringSinceMs: a.keep_firing_since_ms,
      });
    }
    return out;
  }

  /** Forgets groups no longer in any rule file. */
  async removeExcept(groupKeys: readonly string[]): Promise<void> {
    await this.database.transaction(async (query) => {
      await query(sql`DELETE FROM alerting_alerts WHERE NOT (group_key = ANY(${sql.param([...groupKeys])}::text[]))`);
      await query(sql`DELETE FROM alerting_groups WHERE NOT (group_key = ANY(${sql.param([...groupKeys])}::text[]))`);
    });
  }
}
