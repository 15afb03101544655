// A harness that runs `promtool test rules` unit-test files through pivot's evaluator, following
// cmd/promtool/unittest.go at v2.42.0: input series in the promql test notation at `interval`, every
// group evaluated at each evaluation_interval from 0 to the largest eval_time, firing alerts compared
// at each alert_rule_test's eval_time, promql_expr_test queries over inputs and recorded series.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { extractSelectors, instantQuery, parse, writeStaleMarker, type StoredSeries } from '@pivot/promql';
import { MemoryQuerier } from '@pivot/promql';
import type { Labels } from '@pivot/model';
import { AlertingRuleRuntime, GroupEvaluator, labelsKey, parsePromDuration, parseRuleFile } from '../src/index.ts';

interface UnitFile {
  rule_files: string[];
  evaluation_interval?: string;
  group_eval_order?: string[];
  tests: {
    name?: string;
    interval?: string;
    input_series?: { series: string; values: string }[];
    alert_rule_test?: {
      eval_time: string;
      alertname: string;
      exp_alerts?: { exp_labels?: Labels; exp_annotations?: Labels }[];
    }[];
    promql_expr_test?: { expr: string; eval_time: string; exp_samples?: { labels: string; value: number }[] }[];
  }[];
}

type Point = { t: number; v: number; stale: boolean };

function seriesLabels(text: string): Labels {
  // promtool writes a sample without labels (a scalar-like result) as `{}`, which is no valid selector.
  if (text.trim() === '{}') return {};
  const res = parse(text);
  if (!res.ok || res.expr.type !== 'VectorSelector') throw new Error(`not a series: ${text}`);
  const labels: Labels = {};
  for (const m of extractSelectors(res.expr)[0] ?? []) labels[m.name] = m.value;
  return labels;
}

/** The promql test notation: `1+2x3`, `5x2`, `-1-1x3`, `_`, `_x3`, `stale`. */
export function expandValues(text: string): (number | null | 'stale')[] {
  const out: (number | null | 'stale')[] = [];
  for (const tok of text.trim().split(/\s+/).filter(Boolean)) {
    let m: RegExpExecArray | null;
    if (tok === '_') out.push(null);
    else if (tok === 'stale') out.push('stale');
    else if ((m = /^_x(\d+)$/.exec(tok))) for (let i = 0; i < Number(m[1]); i++) out.push(null);
    else if ((m = /^([-+]?[^-+x]+(?:e[-+]?\d+)?)([-+][^x]+)x(\d+)$/.exec(tok))) {
      const [start, step, n] = [Number(m[1]), Number(m[2]), Number(m[3])];
      for (let i = 0; i <= n; i++) out.push(start + i * step);
    } else if ((m = /^([-+]?[^x]+)x(\d+)$/.exec(tok))) for (let i = 0; i <= Number(m[2]); i++) out.push(Number(m[1]));
    else out.push(Number(tok));
  }
  return out;
}

const dur = (s: string | undefined, def: number) => (s === undefined ? def : parsePromDuration(s)!);

function toStored(all: Map<string, { labels: Labels; points: Point[] }>): StoredSeries[] {
  return [...all.values()].map(({ labels, points }) => {
    const sorted = [...points].sort((a, b) => a.t - b.t);
    const values = new Float64Array(sorted.length);
    sorted.forEach((p, i) => (p.stale ? writeStaleMarker(values, i) : (values[i] = p.v)));
    return { labels, timestamps: Float64Array.from(sorted.map((p) => p.t)), values };
  });
}

/** Runs a unit-test file; returns promtool-like failure messages (empty: every test passed). */
export async function runRuleUnitTests(path: string): Promise<string[]> {
  const file = parseYaml(readFileSync(path, 'utf8')) as UnitFile;
  const evalInterval = dur(file.evaluation_interval, 60_000);
  const specs = file.rule_files.flatMap((f) => {
    const full = resolve(dirname(path), f);
    const res = parseRuleFile(readFileSync(full, 'utf8'), full);
    if (!res.ok) throw new Error(res.errors.join('\n'));
    return res.groups;
  });
  const errs: string[] = [];
  for (const tg of file.tests) {
    const interval = dur(tg.interval, 60_000);
    const data = new Map<string, { labels: Labels; points: Point[] }>();
    for (const is of tg.input_series ?? []) {
      const labels = seriesLabels(is.series);
      const points: Point[] = [];
      expandValues(is.values).forEach((v, i) => {
        if (v !== null) points.push({ t: i * interval, v: v === 'stale' ? NaN : v, stale: v === 'stale' });
      });
      data.set(labelsKey(labels), { labels, points });
    }
    const groups = specs.map((s) => new GroupEvaluator(s, { intervalMs: s.intervalMs ?? interval }));
    const alertTests = tg.alert_rule_test ?? [];
    const exprTests = tg.promql_expr_test ?? [];
    const maxt = Math.max(
      0,
      ...alertTests.map((a) => dur(a.eval_time, 0)),
      ...exprTests.map((e) => dur(e.eval_time, 0)),
    );
    for (let ts = 0; ts <= maxt; ts += evalInterval) {
      for (const g of groups) {
        const res = await g.eval(new MemoryQuerier(toStored(data)), ts);
        for (const s of res.samples) {
          const k = labelsKey(s.labels);
          const entry = data.get(k) ?? { labels: s.labels, points: [] };
          entry.points.push({ t: s.timestampMs, v: s.value, stale: s.stale });
          data.set(k, entry);
        }
        for (const r of g.rules)
          if (r.health.health === 'err')
            errs.push(`    rule: ${r.spec.name}, time: ${ts}ms, err: ${r.health.lastError}`);
      }
      for (const at of alertTests) {
        const t = dur(at.eval_time, 0);
        if (!(ts <= t && t < ts + evalInterval)) continue;
        const norm = (xs: { labels: Labels; annotations: Labels }[]) =>
          xs.map((x) => JSON.stringify([labelsKey(x.labels), labelsKey(x.annotations)])).sort();
        const got = groups.flatMap((g) =>
          g.rules.flatMap((r) =>
            r instanceof AlertingRuleRuntime && r.spec.name === at.alertname
              ? r.alerts().filter((a) => a.state === 'firing')
              : [],
          ),
        );
        const exp = (at.exp_alerts ?? []).map((a) => ({
          labels: { ...(a.exp_labels ?? {}), alertname: at.alertname },
          annotations: a.exp_annotations ?? {},
        }));
        if (JSON.stringify(norm(got)) !== JSON.stringify(norm(exp)))
          errs.push(
            `    alertname: ${at.alertname}, time: ${at.eval_time},\n        exp: ${norm(exp).join(' ')},\n        got: ${norm(got).join(' ')}`,
          );
      }
    }
    for (const et of exprTests) {
      const t = dur(et.eval_time, 0);
      const res = await instantQuery(new MemoryQuerier(toStored(data)), et.expr, t, {
        defaultSubqueryStepMs: evalInterval,
      });
      const got =
        res.resultType === 'vector'
          ? res.result.map((s) => `${labelsKey(s.metric)}=${Number(s.value[1])}`).sort()
          : res.resultType === 'scalar'
            ? [`${labelsKey({})}=${Number(res.result[1])}`]
            : [];
      const exp = (et.exp_samples ?? []).map((s) => `${labelsKey(seriesLabels(s.labels))}=${Number(s.value)}`).sort();
      if (JSON.stringify(got) !== JSON.stringify(exp))
        errs.push(
          `    expr: ${JSON.stringify(et.expr)}, time: ${et.eval_time},\n        exp: ${exp.join(' ')}\n        got: ${got.join(' ')}`,
        );
    }
  }
  return errs;
}
