// Auth of the running platform, as a process: the API needs a login, a viewer cannot run admin
// actions, ingest refuses a wrong token, an open API on a public address refuses to start, and no
// password ever reaches the logs (captured at LOG_LEVEL=trace).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '@pivot/api';
import { exportTrace, fetchTrace, freePort, startProcess, waitForOk, type RunningProcess } from './start-helpers.ts';

const ADMIN_PASSWORD = 'adm1n-Secret-Pa55';
const VIEWER_PASSWORD = 'v1ewer-Secret-Pa55';
const WRONG_PASSWORD = 'wr0ng-Secret-Guess';
const TOKEN = 'ingest-token-123';
const tsx = (entry: string) => ['--import', 'tsx', entry];

describe('auth of the running platform', () => {
  let p: RunningProcess;
  let apiUrl: string;
  let ingestUrl: string;

  beforeAll(async () => {
    const [port, ingestPort, grpcPort] = [await freePort(), await freePort(), await freePort()];
    const fast = { N: 16_384, r: 8, p: 1 };
    const users = `admin:admin:${await hashPassword(ADMIN_PASSWORD, fast)},viewer:viewer:${await hashPassword(VIEWER_PASSWORD, fast)}`;
    p = startProcess(process.execPath, tsx('apps/platform/src/main.ts'), {
      HOST: '127.0.0.1',
      PORT: String(port),
      INGEST_PORT: String(ingestPort),
      GRPC_PORT: String(grpcPort),
      DATA_DIR: 'memory://',
      AUTH_USERS: users,
      INGEST_TOKEN: TOKEN,
      LOG_LEVEL: 'trace',
    });
    apiUrl = `http://127.0.0.1:${port}`;
    ingestUrl = `http://127.0.0.1:${ingestPort}`;
    await waitForOk(`${apiUrl}/readyz`, p, 60_000);
    await waitForOk(`${ingestUrl}/readyz`, p, 10_000);
  }, 90_000);

  afterAll(async () => {
    await p?.stop();
  });

  const login = (user: string, password: string) =>
    fetch(`${apiUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user, password }),
    });
  const cookie = async (user: string, password: string) => {
    const res = await login(user, password);
    expect(res.status).toBe(200);
    return /pivot_session=[^;]+/.exec(res.headers.get('set-cookie')!)![0];
  };

  it('answers 401 without a session, and serves a logged-in user', async () => {
    expect((await fetch(`${apiUrl}/api/services`)).status).toBe(401);
    expect((await fetch(`${apiUrl}/api/status`)).status).toBe(401);
    expect((await fetch(`${apiUrl}/api/v1/query?query=up`)).status).toBe(401);
    expect((await login('admin', WRONG_PASSWORD)).status).toBe(401);
    const admin = await cookie('admin', ADMIN_PASSWORD);
    expect((await fetch(`${apiUrl}/api/services`, { headers: { Cookie: admin } })).status).toBe(200);
  });

  it('lets a viewer read but not run admin actions', async () => {
    const viewer = await cookie('viewer', VIEWER_PASSWORD);
    expect((await fetch(`${apiUrl}/api/status`, { headers: { Cookie: viewer } })).status).toBe(200);
    expect(
      (await fetch(`${apiUrl}/api/admin/retention/run`, { method: 'POST', headers: { Cookie: viewer } })).status,
    ).toBe(403);
    const admin = await cookie('admin', ADMIN_PASSWORD);
    expect(
      (await fetch(`${apiUrl}/api/admin/retention/run`, { method: 'POST', headers: { Cookie: admin } })).status,
    ).toBe(200);
    // Grafana's way in: Basic auth with the same users.
    const basic = `Basic ${Buffer.from(`viewer:${VIEWER_PASSWORD}`).toString('base64')}`;
    expect((await fetch(`${apiUrl}/api/v1/labels`, { headers: { Authorization: basic } })).status).toBe(200);
  });

  it('refuses ingest with a wrong or missing token (401) and stores with the right one', async () => {
    const wrong = await fetch(`${ingestUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer nope' },
      body: '{}',
    });
    expect(wrong.status).toBe(401);
    expect(
      (
        await fetch(`${ingestUrl}/v1/traces`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: '{}',
        })
      ).status,
    ).toBe(401);
    expect((await exportTrace(ingestUrl, { token: 'nope' })).ok).toBe(false);
    const { traceId, ok } = await exportTrace(ingestUrl, { token: TOKEN });
    expect(ok).toBe(true);
    const admin = await cookie('admin', ADMIN_PASSWORD);
    expect((await fetchTrace(apiUrl, traceId, { Cookie: admin }))?.spans).toHaveLength(2);
  });

  it('never logs a password, a token or a session cookie, even at LOG_LEVEL=trace', async () => {
    // Every way a password travels: a good and a bad login, Basic auth, a body that is not JSON.
    await login('admin', ADMIN_PASSWORD);
    await login('nobody', WRONG_PASSWORD);
    await fetch(`${apiUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: `{"user":"admin","password":"${WRONG_PASSWORD}"`,
    });
    await fetch(`${apiUrl}/api/v1/labels`, {
      headers: { Authorization: `Basic ${Buffer.from(`viewer:${WRONG_PASSWORD}`).toString('base64')}` },
    });
    const admin = await cookie('admin', ADMIN_PASSWORD);
    await fetch(`${apiUrl}/api/services`, { headers: { Cookie: admin } });
    await new Promise((r) => setTimeout(r, 300));
    const logs = p.output();
    expect(logs).toMatch(/"msg":"login"/); // the logins were logged…
    expect(logs).toMatch(/"msg":"login refused"/);
    for (const secret of [ADMIN_PASSWORD, VIEWER_PASSWORD, WRONG_PASSWORD, TOKEN, admin.split('=')[1]!])
      expect(logs).not.toContain(secret); // …without secrets
  });
});

describe('start-up without users on a public address', () => {
  it('refuses to serve an open API, naming AUTH_USERS', async () => {
    const p = startProcess(process.execPath, tsx('apps/api/src/main.ts'), {
      HOST: '0.0.0.0',
      PORT: String(await freePort()),
      DATA_DIR: 'memory://',
      LOG_LEVEL: 'info',
    });
    const code = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r('timeout'), 60_000))]);
    if (code === 'timeout') await p.stop('SIGKILL');
    expect(code).not.toBe(0);
    expect(code).not.toBe('timeout');
    expect(p.output()).toMatch(/AUTH_USERS: required when HOST \(0\.0\.0\.0\) is not a loopback address/);
  }, 90_000);
});

describe('ingest start-up without a token on a public address', () => {
  it('refuses to accept open ingest, naming INGEST_TOKEN', async () => {
    const p = startProcess(process.execPath, tsx('apps/ingest/src/main.ts'), {
      HOST: '0.0.0.0',
      INGEST_PORT: String(await freePort()),
      GRPC_PORT: String(await freePort()),
      DATA_DIR: 'memory://',
      LOG_LEVEL: 'info',
    });
    const code = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r('timeout'), 60_000))]);
    if (code === 'timeout') await p.stop('SIGKILL');
    expect(code).not.toBe(0);
    expect(code).not.toBe('timeout');
    expect(p.output()).toMatch(/INGEST_TOKEN: required when HOST \(0\.0\.0\.0\) is not a loopback address/);
  }, 90_000);
});
