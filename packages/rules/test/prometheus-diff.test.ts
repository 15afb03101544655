// Differential against Debian's Prometheus 2.42: the same rule file (same path, so the same evaluation
// instants) and the same remote-written samples. Prometheus evaluates in real time; pivot's evaluator
// then runs at the instants Prometheus used, over the same samples, and the recorded series, ALERTS
// (labels and state at each evaluation) and the firing alert's annotations must match.
// Skipped without /usr/bin/prometheus; takes about 20 s.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unixMillis, type MetricsBatch } from '@pivot/model';
import { MemoryQuerier, type StoredSeries } from '@pivot/promql';
import { encodeWriteRequest } from '@pivot/remote-write';
import { GroupEvaluator, evalTimestamp, labelsKey, parseRuleFile, AlertingRuleRuntime } from '../src/index.ts';

const PROMETHEUS = '/usr/bin/prometheus';

const RULES = `groups:
  - name: diff
    interval: 1s
    rules:
      - record: job:x:sum
        expr: sum by (job) (x)
      - alert: XHigh
        expr: job:x:sum > 5
        for: 3s
        keep_firing_for: 2s
        labels:
          severity: page
          team: "{{ $labels.job }}-team"
        annotations:
          summary: "{{ $labels.job }} at {{ $value }} ({{ $value | humanize }})"
          pct: "{{ printf \\"%.1f\\" $value }} {{ 0.25 | humanizePercentage }}"
`;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

type Matrix = { metric: Record<string, string>; values: [number, string][] }[];

describe.skipIf(!existsSync(PROMETHEUS))('rule evaluation against Prometheus 2.42', () => {
  it('records, alerts and annotates as Prometheus does at each evaluation', { timeout: 90_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pivot-rules-diff-'));
    const rulesPath = join(dir, 'rules.yml');
    await writeFile(rulesPath, RULES);
    await writeFile(join(dir, 'prometheus.yml'), `global:\n  evaluation_interval: 1s\nrule_files:\n  - ${rulesPath}\n`);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-remote-write-receiver',
        '--log.level=warn',
      ],
      { stdio: 'ignore' },
    );
    try {
      for (let i = 0; i < 300; i++) {
        if (
          await fetch(`${url}/-/ready`).then(
            (r) => r.ok,
            () => false,
          )
        )
          break;
        await new Promise((r) => setTimeout(r, 100));
      }
      // Samples from 2 s ahead for 16 s: x{job="a"} is high from 3 s to 9 s, x{job="b"} stays low.
      const start = Math.ceil(Date.now() / 1000) * 1000 + 2000;
      const ts = Array.from({ length: 64 }, (_, i) => start + i * 250);
      const va = ts.map((t) => (t >= start + 3000 && t < start + 9000 ? 10 : 1));
      const batch: MetricsBatch = {
        series: [
          {
            labels: { __name__: 'x', job: 'a', instance: '1' },
            samples: ts.map((t, i) => ({ timestampMs: unixMillis(t), value: va[i]! })),
            exemplars: [],
          },
          {
            labels: { __name__: 'x', job: 'b', instance: '1' },
            samples: ts.map((t) => ({ timestampMs: unixMillis(t), value: 2 })),
            exemplars: [],
          },
        ],
        metadata: [],
      };
      const res = await fetch(`${url}/api/v1/write`, {
        method: 'POST',
        headers: {
          'content-encoding': 'snappy',
          'content-type': 'application/x-protobuf',
          'x-prometheus-remote-write-version': '0.1.0',
        },
        body: encodeWriteRequest(batch),
      });
      expect(res.status).toBeLessThan(300);

      // While Prometheus evaluates, keep the first firing alert it reports (annotations are not series).
      let promFiring:
        | { labels: Record<string, string>; annotations: Record<string, string>; activeAt: string; value: string }
        | undefined;
      const end = start + 15_000;
      while (Date.now() < end + 1500) {
        const alerts = (await (await fetch(`${url}/api/v1/alerts`)).json()) as {
          data: { alerts: (typeof promFiring & { state: string })[] };
        };
        promFiring ??= alerts.data.alerts.find((a) => a.state === 'firing');
        await new Promise((r) => setTimeout(r, 200));
      }
      const matrix = async (q: string) => {
        const r = (await (
          await fetch(
            `${url}/api/v1/query?${new URLSearchParams({ query: `${q}[30s]`, time: String(end / 1000) }).toString()}`,
          )
        ).json()) as { data: { result: Matrix } };
        return r.data.result;
      };
      const recorded = await matrix('job:x:sum');
      const promAlerts = await matrix('ALERTS');
      const instants = [...new Set(recorded.flatMap((s) => s.values.map((v) => Math.round(v[0] * 1000))))].sort(
        (a, b) => a - b,
      );
      expect(instants.length).toBeGreaterThan(10);

      const parsed = parseRuleFile(RULES, rulesPath);
      if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
      const spec = parsed.groups[0]!;
      // The instants Prometheus chose are those pivot computes for the same file and group.
      for (const t of instants) expect(evalTimestamp(spec, 1000, t)).toBe(t);

      const stored: StoredSeries[] = batch.series.map((s) => ({
        labels: s.labels,
        timestamps: Float64Array.from(s.samples.map((p) => p.timestampMs)),
        values: Float64Array.from(s.samples.map((p) => p.value)),
      }));
      const g = new GroupEvaluator(spec, { intervalMs: 1000 });
      const ours = new Map<string, string[]>();
      const theirs = new Map<string, string[]>();
      const put = (m: Map<string, string[]>, t: number, l: Record<string, string>, v: string) =>
        m.set(String(t), [...(m.get(String(t)) ?? []), `${labelsKey(l)}=${v}`].sort());
      let ourFiring:
        { labels: Record<string, string>; annotations: Record<string, string>; activeAtMs: number } | undefined;
      for (const t of instants) {
        const out = await g.eval(new MemoryQuerier(stored), t);
        for (const s of out.samples)
          if (!s.stale && (s.labels.__name__ === 'ALERTS' || s.labels.__name__ === 'job:x:sum'))
            put(ours, t, s.labels, String(s.value));
        ourFiring ??= (g.rules[1] as AlertingRuleRuntime).alerts().find((a) => a.state === 'firing');
      }
      for (const s of [...recorded, ...promAlerts])
        for (const [t, v] of s.values) put(theirs, Math.round(t * 1000), s.metric, v);
      // Prometheus writes ALERTS from its second evaluation on (after restoring for-state): compare from there.
      for (const t of instants.slice(1))
        expect(ours.get(String(t)), `at ${t - start} ms`).toEqual(theirs.get(String(t)));
      expect([...theirs.values()].flat().some((x) => x.includes('"alertstate","firing"'))).toBe(true);

      expect(promFiring).toBeDefined();
      expect(ourFiring).toBeDefined();
      expect(ourFiring!.labels).toEqual(promFiring!.labels);
      expect(ourFiring!.annotations).toEqual(promFiring!.annotations);
      expect(new Date(ourFiring!.activeAtMs).toISOString().replace('.000Z', 'Z')).toBe(
        new Date(Date.parse(promFiring!.activeAt)).toISOString().replace('.000Z', 'Z'),
      );
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
