// The compose services without Docker: the exact commands deploy/docker-compose.yml gives migrate,
// ingest, api and demo, run as processes with the compose environment adapted to this machine (a
// scratch database on the local PostgreSQL, free loopback ports). Migrate must exit 0, ingest and
// api must pass the compose healthchecks, a real OTLP export must be readable through the API, and
// SIGTERM must stop everything cleanly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '@pivot/api';
import { createScratchDatabase } from '@pivot/store/testing';
import { loadCompose, type ComposeService } from './deploy-compose.ts';
import {
  ensureBuiltOnce,
  exportTrace,
  fetchTrace,
  freePort,
  startProcess,
  type RunningProcess,
} from './start-helpers.ts';

const PASSWORD = 'compose-admin-password';
const TOKEN = 'compose-ingest-token';

describe.runIf(process.env.DATABASE_URL)('compose service commands as processes', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let services: Record<string, ComposeService>;
  let env: Record<string, Record<string, string>>;
  const running: Record<string, RunningProcess> = {};

  /** The service's command and environment, as its container would get them, adapted to local. */
  const start = (name: string) => {
    const command = services[name]!.command as string[];
    return (running[name] = startProcess(
      command[0] === 'node' ? process.execPath : command[0]!,
      command.slice(1),
      env[name]!,
    ));
  };

  /** Runs the service's compose healthcheck (CMD form) in its environment until it passes. */
  const healthy = async (name: string, timeoutMs: number) => {
    const test = services[name]!.healthcheck!.test as string[];
    expect(test[0]).toBe('CMD');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const check = startProcess(test[1] === 'node' ? process.execPath : test[1]!, test.slice(2), env[name]!);
      if ((await check.exited) === 0) return;
      if (running[name]!.proc.exitCode !== null) throw new Error(`${name} exited:\n${running[name]!.output()}`);
      if (Date.now() > deadline)
        throw new Error(`${name} not healthy after ${timeoutMs} ms:\n${running[name]!.output()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  beforeAll(async () => {
    await ensureBuiltOnce();
    scratch = await createScratchDatabase(process.env.DATABASE_URL!);
    // What a user's deploy/.env holds.
    const dotEnv = {
      POSTGRES_PASSWORD: 'unused-here',
      INGEST_TOKEN: TOKEN,
      AUTH_USERS: `admin:admin:${await hashPassword(PASSWORD, { N: 16_384, r: 8, p: 1 })}`,
      LOG_LEVEL: 'info',
    };
    services = loadCompose(dotEnv).services;
    const [ingestPort, grpcPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    // Containers reach each other by service name and listen on every interface; here, loopback.
    const local = (e: Record<string, string> = {}) => ({
      ...dotEnv,
      ...e,
      ...(e.DATABASE_URL ? { DATABASE_URL: scratch.url } : {}),
      ...(e.DEMO_DATABASE_URL ? { DEMO_DATABASE_URL: scratch.url } : {}),
      ...(e.HOST ? { HOST: '127.0.0.1' } : {}),
      ...(e.INGEST_PORT ? { INGEST_PORT: String(ingestPort) } : {}),
      ...(e.GRPC_PORT ? { GRPC_PORT: String(grpcPort) } : {}),
      ...(e.PORT ? { PORT: String(apiPort) } : {}),
      ...(e.OTEL_EXPORTER_OTLP_ENDPOINT ? { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${ingestPort}` } : {}),
    });
    env = Object.fromEntries(Object.entries(services).map(([n, s]) => [n, local(s.environment)]));
  }, 660_000);

  afterAll(async () => {
    await Promise.all(Object.values(running).map((p) => p.stop('SIGKILL')));
    await scratch?.drop();
  });

  it('migrate applies the schema and exits 0, and again on a migrated database', async () => {
    expect(await start('migrate').exited, running.migrate!.output()).toBe(0);
    expect(await start('migrate').exited, running.migrate!.output()).toBe(0);
  }, 120_000);

  it('ingest and api come up healthy, by the compose healthchecks', async () => {
    start('ingest');
    start('api');
    await Promise.all([healthy('ingest', 60_000), healthy('api', 60_000)]);
  }, 120_000);

  it('stores a real OTLP export with the ingest token and serves it to a logged-in user', async () => {
    const ingestUrl = `http://127.0.0.1:${env.ingest!.INGEST_PORT}`;
    const apiUrl = `http://127.0.0.1:${env.api!.PORT}`;
    expect((await exportTrace(ingestUrl, { token: 'wrong' })).ok).toBe(false);
    const { traceId, ok } = await exportTrace(ingestUrl, { token: TOKEN, service: 'compose-check' });
    expect(ok).toBe(true);
    expect((await fetch(`${apiUrl}/api/traces/${traceId}`)).status).toBe(401);
    const basic = { Authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` };
    const trace = await fetchTrace(apiUrl, traceId, basic);
    expect(trace?.spans.map((s) => s.name).sort()).toEqual(['GET /orders', 'SELECT orders']);
    const status = (await (await fetch(`${apiUrl}/api/status`, { headers: basic })).json()) as {
      database: { driver: string };
      signals: { traces: { rows: number } };
    };
    expect(status.database.driver).toBe('pg');
    expect(status.signals.traces.rows).toBeGreaterThan(0);
  });

  it('the demo profile feeds ingest', async () => {
    start('demo');
    const apiUrl = `http://127.0.0.1:${env.api!.PORT}`;
    const basic = { Authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` };
    const deadline = Date.now() + 30_000;
    const expected = ['frontend', 'checkout', 'inventory', 'pricing', 'payment'];
    let services: string[] = [];
    // Until every one has a span stored: the services appear one by one as their first spans commit.
    while (Date.now() < deadline && !expected.every((s) => services.includes(s))) {
      await new Promise((r) => setTimeout(r, 1000));
      services = ((await (await fetch(`${apiUrl}/api/services`, { headers: basic })).json()) as { services: string[] })
        .services;
    }
    expect(services).toEqual(expect.arrayContaining(expected));
  }, 60_000);

  it('every service stops cleanly on SIGTERM (exit 0), in the order compose stops them', async () => {
    // Dependents first: the demo flushes into a running ingest, then ingest and api stop together.
    const demo = await running.demo!.stop('SIGTERM');
    const [ingest, api] = await Promise.all([running.ingest!.stop('SIGTERM'), running.api!.stop('SIGTERM')]);
    expect(
      { demo, ingest, api },
      Object.values(running)
        .map((p) => p.output().slice(-2000))
        .join('\n---\n'),
    ).toEqual({ demo: 0, ingest: 0, api: 0 });
    expect(running.ingest!.output()).toMatch(/shutdown complete/);
  }, 60_000);
});
