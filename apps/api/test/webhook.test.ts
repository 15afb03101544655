// The generic webhook sender against real HTTP servers on loopback that record what arrives: the
// Alertmanager webhook payload shape, and retries with backoff when a receiver fails twice first.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotifyAlert } from '@pivot/rules';
import { createLogger } from '@pivot/server-kit';
import { webhookNotifier } from '../src/notify.ts';

interface Receiver {
  url: string;
  bodies: unknown[];
  hits: number;
  server: Server;
}

async function receiver(failFirst: number, status = 503): Promise<Receiver> {
  const r = { bodies: [] as unknown[], hits: 0 } as Receiver;
  r.server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      r.hits++;
      if (r.hits <= failFirst) {
        res.writeHead(status).end('not now');
        return;
      }
      r.bodies.push(JSON.parse(data));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((ok) => r.server.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${(r.server.address() as { port: number }).port}/hook`;
  return r;
}

const now = Date.now();
const alerts: NotifyAlert[] = [
  {
    labels: { alertname: 'HighErrors', service: 'checkout', severity: 'page' },
    annotations: { summary: 'errors up' },
    startsAtMs: now - 60_000,
    endsAtMs: now + 180_000,
    expr: 'rate(errors[5m]) > 1',
    activeAtMs: now - 120_000,
  },
  {
    labels: { alertname: 'HighErrors', service: 'cart', severity: 'page' },
    annotations: { summary: 'errors up' },
    startsAtMs: now - 600_000,
    endsAtMs: now - 1000,
    expr: 'rate(errors[5m]) > 1',
    activeAtMs: now - 700_000,
  },
];

describe('webhook notifier', () => {
  let ok: Receiver, flaky: Receiver, refusing: Receiver;
  beforeAll(async () => {
    [ok, flaky, refusing] = await Promise.all([receiver(0), receiver(2), receiver(99, 400)]);
  });
  afterAll(async () => {
    await Promise.all([ok, flaky, refusing].map((r) => new Promise((d) => r.server.close(d))));
  });

  it("posts Alertmanager's webhook payload, retries 5xx and drops 4xx", async () => {
    const send = webhookNotifier({
      urls: [ok.url, flaky.url, refusing.url],
      externalURL: 'http://pivot.test',
      externalLabels: { cluster: 'eu1' },
      logger: createLogger('silent', 'webhook-test'),
      baseDelayMs: 20,
    });
    await send(alerts);
    expect(ok.hits).toBe(1);
    expect(flaky.hits).toBe(3);
    expect(refusing.hits).toBe(1);
    expect(flaky.bodies).toEqual(ok.bodies);
    const body = ok.bodies[0] as Record<string, any>;
    expect(body).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'pivot',
      groupLabels: {},
      commonLabels: { alertname: 'HighErrors', severity: 'page', cluster: 'eu1' },
      commonAnnotations: { summary: 'errors up' },
      externalURL: 'http://pivot.test',
    });
    expect(typeof body.groupKey).toBe('string');
    expect(body.alerts.map((a: any) => [a.labels.service, a.status])).toEqual([
      ['checkout', 'firing'],
      ['cart', 'resolved'],
    ]);
    const [a] = body.alerts;
    expect(a.startsAt).toBe(new Date(now - 60_000).toISOString());
    expect(a.endsAt).toBe(new Date(now + 180_000).toISOString());
    expect(a.generatorURL).toBe(`http://pivot.test/metrics?q=${encodeURIComponent('rate(errors[5m]) > 1')}`);
    expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(a.fingerprint).not.toBe(body.alerts[1].fingerprint);
  });
});
