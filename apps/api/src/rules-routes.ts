// /api/v1/rules and /api/v1/alerts in Prometheus' shapes (web/api/v1/api.go at v2.42.0: RuleDiscovery,
// AlertDiscovery), which Grafana reads, and POST /-/reload as Prometheus has it.
import { Hono } from 'hono';
import { AlertingRuleRuntime, type Alert, type GroupEvaluator } from '@pivot/rules';
import type { AppEnv } from '@pivot/server-kit';
import { RulesLoadError, type RuleManager } from './rules.ts';

const ZERO_TIME = '0001-01-01T00:00:00Z';
const iso = (ms: number | null) => (ms === null ? ZERO_TIME : new Date(ms).toISOString());

/** strconv.FormatFloat(v, 'e', -1, 64). */
export function formatFloatE(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const [m, e] = v.toExponential().split('e');
  const n = Number(e);
  return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
}

function apiAlert(a: Alert) {
  return {
    labels: a.labels,
    annotations: a.annotations,
    state: a.state,
    activeAt: iso(a.activeAtMs),
    ...(a.keepFiringSinceMs !== null ? { keepFiringSince: iso(a.keepFiringSinceMs) } : {}),
    value: formatFloatE(a.value),
  };
}

function apiGroup(ev: GroupEvaluator, type: string) {
  return {
    name: ev.spec.name,
    file: ev.spec.file,
    rules: ev.rules.flatMap((r) => {
      const common = {
        health: r.health.health,
        ...(r.health.lastError ? { lastError: r.health.lastError } : {}),
        evaluationTime: r.health.evaluationTimeMs / 1000,
        lastEvaluation: iso(r.health.lastEvaluationMs),
      };
      if (r instanceof AlertingRuleRuntime) {
        if (type === 'record') return [];
        return [
          {
            state: r.state(),
            name: r.spec.name,
            query: r.spec.expr,
            duration: r.spec.forMs / 1000,
            keepFiringFor: r.spec.keepFiringForMs / 1000,
            labels: r.spec.labels,
            annotations: r.spec.annotations,
            alerts: r.alerts().map(apiAlert),
            ...common,
            type: 'alerting',
          },
        ];
      }
      if (type === 'alert') return [];
      return [
        {
          name: r.spec.name,
          query: r.spec.expr,
          ...(Object.keys(r.spec.labels).length ? { labels: r.spec.labels } : {}),
          ...common,
          type: 'recording',
        },
      ];
    }),
    interval: ev.intervalMs / 1000,
    limit: ev.spec.limit,
    evaluationTime: ev.evaluationTimeMs / 1000,
    lastEvaluation: iso(ev.lastEvaluationMs),
  };
}

export function ruleRoutes(manager: RuleManager | undefined): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const success = (data: unknown) => ({ status: 'success', data });
  app.get('/api/v1/rules', (c) => {
    const type = (c.req.query('type') ?? '').toLowerCase();
    if (type !== '' && type !== 'alert' && type !== 'record')
      return c.json(
        { status: 'error', errorType: 'bad_data', error: `invalid parameter "type": not supported value "${type}"` },
        400,
      );
    return c.json(success({ groups: (manager?.groups() ?? []).map((g) => apiGroup(g, type)) }));
  });
  app.get('/api/v1/alerts', (c) =>
    c.json(
      success({
        alerts: (manager?.groups() ?? []).flatMap((g) =>
          g.rules.flatMap((r) => (r instanceof AlertingRuleRuntime ? r.alerts().map(apiAlert) : [])),
        ),
      }),
    ),
  );
  app.post('/-/reload', async (c) => {
    if (!manager) return c.text('no RULES_DIR configured\n', 400);
    try {
      await manager.reload();
      return c.text('');
    } catch (err) {
      if (err instanceof RulesLoadError) return c.text(`failed to reload config: ${err.errors.join('\n')}\n`, 400);
      throw err;
    }
  });
  return app;
}
