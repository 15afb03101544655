// Differential through Alertmanager: the same rule file and the same remote-written samples go to
// Debian's Prometheus 2.42 (remote-write receiver, rules, its own notifier) and to pivot (ingest, RULES_DIR
// with alerting.yml); both send to one Alertmanager 0.25, which routes each sender to its own webhook
// receiver (Prometheus carries the external label sender="prometheus"). The alerts that arrive must match
// in labels, annotations (pivot_* aside), status sequence and the evaluation instants they started and
// resolved at; the recording rule's and ALERTS' series must match at every evaluation, including the
// stale end of a series that stops being written (a stale marker, as a scrape that loses a target sends).
// Skipped without the binaries.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unixMillis, type MetricsBatch } from '@pivot/model';
import { encodeWriteRequest, staleMarker } from '@pivot/remote-write';
import { evalTimestamp, parseRuleFile, type RuleGroupSpec } from '@pivot/rules';
import { freePort } from './start-helpers.ts';
import { startTestPlatform } from './start.ts';

const PROMETHEUS = '/usr/bin/prometheus';
const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
const INTERVAL = 2000;

const RULES = `groups:
  - name: diff
    interval: 2s
    rules:
      - record: service:app_errors:max
        expr: max by (service) (app_errors)
      - alert: HighErrors
        expr: service:app_errors:max > 5
        for: 4s
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.service }} has {{ $value }} errors"
      - alert: AnyErrors
        expr: app_errors > 0
        annotations:
          summary: "{{ $labels.service }}: {{ $value | humanize }}"
      - alert: ServiceErroring
        expr: service:app_errors:max > 0
`;

interface WebhookAlert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
}

interface Transition {
  status: string;
  startsAt: number;
  endsAt: number | null;
  annotations: Record<string, string>;
}

/** Per alert (labels without `sender`), what arrived, consecutive repeats of a status folded. */
function transitions(received: WebhookAlert[]): Record<string, Transition[]> {
  const out: Record<string, Transition[]> = {};
  for (const a of received) {
    const labels = Object.fromEntries(
      Object.entries(a.labels)
        .filter(([k]) => k !== 'sender')
        .sort(),
    );
    const key = JSON.stringify(labels);
    const list = (out[key] ??= []);
    if (list.at(-1)?.status === a.status) continue;
    list.push({
      status: a.status,
      startsAt: Date.parse(a.startsAt),
      endsAt: a.status === 'resolved' ? Date.parse(a.endsAt) : null,
      annotations: Object.fromEntries(Object.entries(a.annotations).filter(([k]) => !k.startsWith('pivot_'))),
    });
  }
  return out;
}

async function waitReady(url: string, proc: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode}`);
    const ok = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not become ready on ${url} within 30 s`);
}

async function push(url: string, batch: MetricsBatch): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-write-version': '0.1.0',
    },
    body: encodeWriteRequest(batch),
  });
  if (!res.ok) throw new Error(`remote write to ${url}: ${res.status} ${await res.text()}`);
}

type Matrix = { metric: Record<string, string>; values: [number, string][] }[];

async function queryRange(base: string, query: string, startMs: number, endMs: number): Promise<Matrix> {
  const q = new URLSearchParams({ query, start: String(startMs / 1000), end: String(endMs / 1000), step: '2' });
  const res = await fetch(`${base}/api/v1/query_range?${q.toString()}`);
  const body = (await res.json()) as { data: { result: Matrix } };
  if (!res.ok) throw new Error(`${base} query_range: ${res.status} ${JSON.stringify(body)}`);
  return body.data.result
    .map((s) => ({ metric: s.metric, values: s.values }))
    .sort((a, b) => JSON.stringify(a.metric).localeCompare(JSON.stringify(b.metric)));
}

const sleepUntil = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms - Date.now())));

describe.runIf(existsSync(PROMETHEUS) && existsSync(ALERTMANAGER))(
  'alerts through Alertmanager: pivot vs Prometheus',
  () => {
    let dir: string;
    let rulesDir: string;
    let hook: Server;
    let am: ChildProcess;
    let prom: ChildProcess;
    let promURL: string;
    let platform: Awaited<ReturnType<typeof startTestPlatform>>;
    let spec: RuleGroupSpec;
    const received: Record<string, WebhookAlert[]> = { prometheus: [], pivot: [] };

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'pivot-alert-diff-'));
      rulesDir = join(dir, 'rules');
      await mkdir(rulesDir);
      // One file, one path for both: the evaluation offset is hashed from the group's file and name.
      const ruleFile = join(rulesDir, 'diff.yml');
      await writeFile(ruleFile, RULES);
      const parsed = parseRuleFile(RULES, ruleFile);
      if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
      spec = parsed.groups[0]!;

      hook = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          received[req.url === '/prometheus' ? 'prometheus' : 'pivot']!.push(
            ...(JSON.parse(body) as { alerts: WebhookAlert[] }).alerts,
          );
          res.end();
        });
      });
      await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
      const hookURL = `http://127.0.0.1:${(hook.address() as { port: number }).port}`;
      await writeFile(
        join(dir, 'am.yml'),
        `route:
  receiver: pivot
  group_by: ['alertname', 'service']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - matchers: ['sender="prometheus"']
      receiver: prometheus
receivers:
  - name: pivot
    webhook_configs:
      - url: ${hookURL}/pivot
  - name: prometheus
    webhook_configs:
      - url: ${hookURL}/prometheus
`,
      );
      const amPort = await freePort();
      am = spawn(
        ALERTMANAGER,
        [
          `--config.file=${join(dir, 'am.yml')}`,
          `--storage.path=${join(dir, 'am-data')}`,
          `--web.listen-address=127.0.0.1:${amPort}`,
          '--cluster.listen-address=',
        ],
        { stdio: 'ignore' },
      );

      const promPort = await freePort();
      promURL = `http://127.0.0.1:${promPort}`;
      await writeFile(
        join(dir, 'prometheus.yml'),
        `global:
  evaluation_interval: 2s
  external_labels:
    sender: prometheus
rule_files:
  - ${ruleFile}
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:${amPort}']
`,
      );
      prom = spawn(
        PROMETHEUS,
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'prom-data')}`,
          `--web.listen-address=127.0.0.1:${promPort}`,
          '--web.enable-remote-write-receiver',
        ],
        { stdio: ['ignore', 'ignore', process.env.PROMETHEUS_LOG ? 'inherit' : 'ignore'] },
      );
      // pivot reads its Alertmanager from RULES_DIR/alerting.yml, in Prometheus' format.
      await writeFile(
        join(rulesDir, 'alerting.yml'),
        `alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:${amPort}']\n`,
      );
      platform = await startTestPlatform({ RULES_DIR: rulesDir });
      await waitReady(`http://127.0.0.1:${amPort}`, am, 'Alertmanager');
      await waitReady(promURL, prom, 'Prometheus');
      // Prometheus' notifier learns its Alertmanagers from discovery a few seconds after it is ready, and
      // drops what it sends before (the first alerts, in about one run of ten here): wait for it.
      for (let i = 0; ; i++) {
        const res = (await (await fetch(`${promURL}/api/v1/alertmanagers`)).json()) as {
          data: { activeAlertmanagers: unknown[] };
        };
        if (res.data.activeAlertmanagers.length) break;
        if (i === 300) throw new Error('Prometheus did not discover the Alertmanager within 30 s');
        await new Promise((r) => setTimeout(r, 100));
      }
    }, 120_000);

    afterAll(async () => {
      prom?.kill();
      am?.kill();
      await platform?.stop();
      await new Promise((r) => hook?.close(r));
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('delivers the same alerts, transitions and recorded series', { timeout: 90_000 }, async () => {
      // Evaluation k happens at E(k); the samples of step k are stamped (and pushed) 300 ms after E(k),
      // so evaluation k+1 is the first to see them in both, whatever the machine's load.
      const e0 = evalTimestamp(spec, INTERVAL, Date.now()) + 2 * INTERVAL;
      const E = (k: number) => e0 + k * INTERVAL;
      const checkout = (k: number) => (k < 5 ? 9 : 2);
      const STEPS = 8;
      for (let k = 0; k <= STEPS; k++) {
        const ts = E(k) + 300;
        await sleepUntil(ts);
        const series: MetricsBatch['series'] = [
          {
            labels: { __name__: 'app_errors', service: 'checkout' },
            samples: [{ timestampMs: unixMillis(ts), value: checkout(k) }],
            exemplars: [],
          },
        ];
        // payment stops being written at step 6: its last sample is a stale marker.
        if (k <= 6)
          series.push({
            labels: { __name__: 'app_errors', service: 'payment' },
            samples: [{ timestampMs: unixMillis(ts), value: k < 6 ? 1 : staleMarker() }],
            exemplars: [],
          });
        const batch: MetricsBatch = { series, metadata: [] };
        await Promise.all([push(`${promURL}/api/v1/write`, batch), push(`${platform.ingestUrl}/api/v1/write`, batch)]);
      }
      // The last evaluation that matters is E(STEPS + 1); Alertmanager flushes every second after it.
      await sleepUntil(E(STEPS + 1) + 3000);

      const expected: Record<string, Transition[]> = {
        [JSON.stringify({ alertname: 'AnyErrors', service: 'checkout' })]: [
          { status: 'firing', startsAt: E(1), endsAt: null, annotations: { summary: 'checkout: 9' } },
        ],
        [JSON.stringify({ alertname: 'AnyErrors', service: 'payment' })]: [
          { status: 'firing', startsAt: E(1), endsAt: null, annotations: { summary: 'payment: 1' } },
          { status: 'resolved', startsAt: E(1), endsAt: E(7), annotations: { summary: 'payment: 1' } },
        ],
        // Over the recorded series: payment's ends with the stale marker the recording rule writes at E(7),
        // which this rule, later in the same evaluation, must see (not the E(6) value through the lookback).
        [JSON.stringify({ alertname: 'ServiceErroring', service: 'checkout' })]: [
          { status: 'firing', startsAt: E(1), endsAt: null, annotations: {} },
        ],
        [JSON.stringify({ alertname: 'ServiceErroring', service: 'payment' })]: [
          { status: 'firing', startsAt: E(1), endsAt: null, annotations: {} },
          { status: 'resolved', startsAt: E(1), endsAt: E(7), annotations: {} },
        ],
        // Pending at E(1), firing once `for: 4s` has passed (E(3)), resolved when checkout drops (E(6)).
        [JSON.stringify({ alertname: 'HighErrors', service: 'checkout', severity: 'page' })]: [
          { status: 'firing', startsAt: E(3), endsAt: null, annotations: { summary: 'checkout has 9 errors' } },
          { status: 'resolved', startsAt: E(3), endsAt: E(6), annotations: { summary: 'checkout has 9 errors' } },
        ],
      };
      const prometheusSaw = transitions(received.prometheus!);
      const pivotSaw = transitions(received.pivot!);
      expect(prometheusSaw).toEqual(expected);
      expect(pivotSaw).toEqual(prometheusSaw);
      expect(received.prometheus!.every((a) => a.labels.sender === 'prometheus')).toBe(true);
      expect(received.pivot!.every((a) => a.labels.sender === undefined && a.annotations.pivot_url)).toBe(true);

      // The recorded series and ALERTS at every evaluation instant, the stale end of payment's included.
      for (const query of ['service:app_errors:max', 'ALERTS']) {
        const fromProm = await queryRange(promURL, query, E(0), E(STEPS + 1));
        const fromPivot = await queryRange(platform.apiUrl, query, E(0), E(STEPS + 1));
        expect(fromPivot, query).toEqual(fromProm);
        expect(fromProm.length, query).toBeGreaterThan(0);
      }
      const recorded = await queryRange(promURL, 'service:app_errors:max', E(0), E(STEPS + 1));
      expect(
        recorded.map((s) => [s.metric.service, s.values.map(([t]) => Math.round((t * 1000 - E(0)) / INTERVAL))]),
      ).toEqual([
        ['checkout', [1, 2, 3, 4, 5, 6, 7, 8, 9]],
        ['payment', [1, 2, 3, 4, 5, 6]],
      ]);
    });
  },
);
