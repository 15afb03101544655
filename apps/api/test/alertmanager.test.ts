// Alerts reach a real Alertmanager (Debian's prometheus-alertmanager 0.25) through its v2 API, and its
// webhook receiver (a server in this test) records what arrives: labels, templated annotations, the
// exemplar traces and pivot links, the generator URL; Alertmanagers named in RULES_DIR/alerting.yml
// (Prometheus' format), reloaded with the rules. Skipped without the binary.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTraceId, unixMillis, type MetricsBatch } from '@pivot/model';
import type { Querier } from '@pivot/promql';
import { createLogger } from '@pivot/server-kit';
import { AlertingState, MetricQueries, MetricWriter, PartitionManager, type Database } from '@pivot/store';
import { testDatabases } from '@pivot/store/testing';
import { alertmanagerNotifier } from '../src/notify.ts';
import { RuleManager, RulesLoadError } from '../src/rules.ts';

const AM = '/usr/bin/prometheus-alertmanager';
const TRACES = [
  '4bf92f3577b34da6a3ce929d0e0e4736',
  '5bf92f3577b34da6a3ce929d0e0e4737',
  '6bf92f3577b34da6a3ce929d0e0e4738',
];

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

interface WebhookAlert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generatorURL: string;
}

describe.skipIf(!existsSync(AM))('alerts to Alertmanager 0.25', () => {
  const tdb = testDatabases().at(-1)!;
  let db: Database;
  let dir: string;
  let am: ChildProcess;
  let amURL: string;
  let hook: Server;
  const received: WebhookAlert[] = [];
  // Near the real clock: Alertmanager judges startsAt/endsAt by its own.
  const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 3 * 60_000;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pivot-am-'));
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(...(JSON.parse(body) as { alerts: WebhookAlert[] }).alerts);
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const hookPort = (hook.address() as { port: number }).port;
    await writeFile(
      join(dir, 'am.yml'),
      `route:
  receiver: hook
  group_by: ['alertname']
  group_wait: 0s
  group_interval: 1s
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:${hookPort}/
`,
    );
    const port = await freePort();
    amURL = `http://127.0.0.1:${port}`;
    am = spawn(
      AM,
      [
        `--config.file=${join(dir, 'am.yml')}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
      ],
      { stdio: 'ignore' },
    );
    // Alertmanager takes a few seconds to start on a loaded machine: wait up to 30 s, and say so if not.
    let ready = false;
    for (let i = 0; i < 300 && !ready; i++) {
      ready = await fetch(`${amURL}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    if (!ready) throw new Error(`Alertmanager did not become ready on ${amURL} within 30 s`);
    db = await tdb.open();
    await db.migrate();
  });
  afterAll(async () => {
    am?.kill();
    await new Promise((r) => hook?.close(r));
    await db?.close();
    await tdb.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers a firing alert with its annotations, exemplar traces and links', async () => {
    const writer = new MetricWriter(db, new PartitionManager(db));
    const at = (i: number) => unixMillis(T0 - 5 * 60_000 + i * 15_000);
    const batch: MetricsBatch = {
      series: ['checkout', 'payment'].map((service) => ({
        labels: { __name__: 'http_server_duration_seconds_max', service },
        samples: Array.from({ length: 40 }, (_, i) => ({
          timestampMs: at(i),
          value: service === 'payment' ? 2.5 : 0.1,
        })),
        exemplars:
          service === 'payment'
            ? TRACES.map((t, i) => ({
                labels: {},
                value: 2 + i,
                // Before the first evaluation: the group's evaluation offset is hashed from its file's (temporary)
                // path, so the alert's window can end anywhere in (T0, T0 + 1m]; these stay inside it.
                timestampMs: at(10 + i),
                traceId: parseTraceId(t)!,
                spanId: null,
              }))
            : [
                {
                  labels: {},
                  value: 0.1,
                  timestampMs: at(21),
                  traceId: parseTraceId('7bf92f3577b34da6a3ce929d0e0e4739')!,
                  spanId: null,
                },
              ],
      })),
      metadata: [],
    };
    await writer.write(batch);
    const metrics = new MetricQueries(db);
    const querier: Querier = { select: (m, a, b, signal) => metrics.select(m, a, b, { signal }) };
    const rulesDir = join(dir, 'rules');
    await mkdir(rulesDir);
    await writeFile(
      join(rulesDir, 'slow.yml'),
      `groups:
  - name: latency
    rules:
      - alert: SlowService
        expr: http_server_duration_seconds_max > 1
        for: 1m
        labels:
          severity: ticket
        annotations:
          summary: "{{ $labels.service }} is slow: {{ $value | humanizeDuration }}"
`,
    );
    const logger = createLogger('silent', 'test');
    let clock = T0;
    const m = new RuleManager({
      dir: rulesDir,
      database: db,
      state: new AlertingState(db),
      querier,
      write: (b) => writer.write(b),
      logger,
      externalURL: 'http://pivot.test',
      now: () => clock,
      exemplars: (sets, s, e) => metrics.exemplars(sets, s, e),
      notify: alertmanagerNotifier({ urls: [amURL], externalURL: 'http://pivot.test', logger }),
    });
    await m.start();
    try {
      await m.evaluateAll();
      clock = T0 + 60_000;
      await m.evaluateAll();
      for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(received).toHaveLength(1);
      const [a] = received;
      expect(a!.status).toBe('firing');
      expect(a!.labels).toEqual({ alertname: 'SlowService', service: 'payment', severity: 'ticket' });
      expect(a!.annotations.summary).toBe('payment is slow: 2.5s');
      // The payment series' exemplars, slowest first; checkout's trace is not this alert's.
      expect(a!.annotations.pivot_exemplar_traces).toBe([...TRACES].reverse().join(','));
      expect(a!.annotations.pivot_url).toMatch(
        /^http:\/\/pivot\.test\/metrics\?q=http_server_duration_seconds_max\+%3E\+1&from=/,
      );
      expect(a!.generatorURL).toBe('http://pivot.test/metrics?q=http_server_duration_seconds_max%20%3E%201');
      // Alertmanager's own view agrees.
      const listed = (await (await fetch(`${amURL}/api/v2/alerts`)).json()) as { labels: Record<string, string> }[];
      expect(listed.map((x) => x.labels.alertname)).toEqual(['SlowService']);
    } finally {
      await m.stop();
      await writer.close();
    }
  });

  it('sends to the Alertmanagers of RULES_DIR/alerting.yml, reloaded on change, keeping the last good file', async () => {
    const writer = new MetricWriter(db, new PartitionManager(db));
    const at = (i: number) => unixMillis(T0 - 5 * 60_000 + i * 15_000);
    await writer.write({
      series: [
        {
          labels: { __name__: 'queue_depth', queue: 'orders' },
          samples: Array.from({ length: 40 }, (_, i) => ({ timestampMs: at(i), value: 120 })),
          exemplars: [],
        },
      ],
      metadata: [],
    });
    const metrics = new MetricQueries(db);
    const querier: Querier = { select: (m, a, b, signal) => metrics.select(m, a, b, { signal }) };
    const rulesDir = join(dir, 'rules-am');
    await mkdir(rulesDir);
    await writeFile(
      join(rulesDir, 'queue.yml'),
      'groups:\n  - name: queues\n    rules:\n      - alert: QueueBacklog\n        expr: queue_depth > 100\n',
    );
    const logger = createLogger('silent', 'test');
    // Within a minute of the real clock: Alertmanager drops a firing alert whose endsAt (four resend
    // delays after the evaluation) it already sees as past.
    const clock = T0 + 2 * 60_000;
    const m: RuleManager = new RuleManager({
      dir: rulesDir,
      database: db,
      state: new AlertingState(db),
      querier,
      write: (b) => writer.write(b),
      logger,
      externalURL: 'http://pivot.test',
      now: () => clock,
      notify: alertmanagerNotifier({
        urls: [],
        targets: () => m.alertmanagers,
        externalURL: 'http://pivot.test',
        logger,
      }),
    });
    await m.start();
    try {
      expect(m.alertmanagers).toEqual([]);
      // Written after the start: the directory watch reloads it.
      const hostPort = amURL.replace('http://', '');
      await writeFile(
        join(rulesDir, 'alerting.yml'),
        `alerting:\n  alertmanagers:\n    - timeout: 5s\n      static_configs:\n        - targets: ['${hostPort}']\n`,
      );
      await expect.poll(() => m.alertmanagers, { timeout: 10_000 }).toEqual([{ url: amURL, timeoutMs: 5000 }]);

      // An invalid file is refused by name; the last good Alertmanagers stay and still get the alert.
      await writeFile(
        join(rulesDir, 'alerting.yml'),
        `alerting:\n  alertmanagers:\n    - scheme: ftp\n      static_configs:\n        - targets: ['${hostPort}']\n`,
      );
      const refused = await m.reload().catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(RulesLoadError);
      expect((refused as RulesLoadError).errors).toEqual([
        `${join(rulesDir, 'alerting.yml')}: alerting.alertmanagers[0].scheme must be http or https, got "ftp"`,
      ]);
      expect(m.alertmanagers).toEqual([{ url: amURL, timeoutMs: 5000 }]);
      await m.evaluateAll();
      const mine = () => received.filter((a) => a.labels.alertname === 'QueueBacklog');
      for (let i = 0; i < 100 && mine().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(mine()).toEqual([
        expect.objectContaining({ status: 'firing', labels: { alertname: 'QueueBacklog', queue: 'orders' } }),
      ]);
    } finally {
      await m.stop();
      await writer.close();
    }
  });
});
