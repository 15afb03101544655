// API auth: password hashes, the start-up rule for open APIs, sessions and cookies, roles, HTTP Basic.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createLogger, loadConfig } from '@pivot/server-kit';
import { DbSessionStore, MetricQueries, TraceQueries, openDatabase, type Database } from '@pivot/store';
import { storedSessions, testDatabases } from '@pivot/store/testing';
import { createApiApp } from '../src/app.ts';
import {
  Auth,
  SESSION_COOKIE,
  authOptionsFromConfig,
  hashPassword,
  isLoopback,
  parseHash,
  verifyPassword,
} from '../src/auth.ts';

const FAST = { N: 1024, r: 8, p: 1 }; // tests need no real cost
const HASH_CLI = fileURLToPath(new URL('../bin/hash-password.mjs', import.meta.url));

describe('password hashes', () => {
  it('verifies the password it was made from and nothing else', async () => {
    const hash = await hashPassword('correct horse', FAST);
    expect(hash).toMatch(/^scrypt\.1024\.8\.1\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct horsE', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
    // Two hashes of one password differ (random salt), both verify.
    const again = await hashPassword('correct horse', FAST);
    expect(again).not.toBe(hash);
    expect(await verifyPassword('correct horse', again)).toBe(true);
    // The PHC-like `$` separator is accepted too.
    expect(await verifyPassword('correct horse', hash.replaceAll('.', '$'))).toBe(true);
  });

  it('refuses malformed hashes and absurd costs instead of running them', async () => {
    expect(await verifyPassword('x', 'plaintext')).toBe(false);
    expect(parseHash('scrypt.1000.8.1.c2FsdA.a2V5a2V5a2V5a2V5a2V5')).toBeNull(); // N not a power of two
    expect(parseHash(`scrypt.${2 ** 24}.8.1.c2FsdA.a2V5a2V5a2V5a2V5a2V5`)).toBeNull();
  });

  it('makes hashes with `npm run hash-password` that the API verifies, reading the password from stdin', async () => {
    const run = spawnSync(process.execPath, [HASH_CLI, '--cost', '14', '--user', 'alice', '--role', 'viewer'], {
      input: 's3cret-pass\n',
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    const [name, role, hash] = run.stdout.trim().split(':');
    expect([name, role]).toEqual(['alice', 'viewer']);
    expect(await verifyPassword('s3cret-pass', hash!)).toBe(true);
    expect(run.stdout + run.stderr).not.toContain('s3cret-pass');
    const cfg = loadConfig({ AUTH_USERS: run.stdout.trim() });
    expect(cfg.AUTH_USERS).toEqual([{ name: 'alice', role: 'viewer', hash }]);
    // Short passwords are refused.
    expect(spawnSync(process.execPath, [HASH_CLI], { input: 'short\n', encoding: 'utf8' }).status).toBe(2);
  });
});

describe('auth configuration', () => {
  it('is off by default on a loopback HOST and refuses to start open on any other', () => {
    expect(authOptionsFromConfig(loadConfig({})).enabled).toBe(false);
    expect(authOptionsFromConfig(loadConfig({ HOST: '::1' })).enabled).toBe(false);
    expect(() => authOptionsFromConfig(loadConfig({ HOST: '0.0.0.0' }))).toThrow(ConfigError);
    expect(() => authOptionsFromConfig(loadConfig({ HOST: '0.0.0.0' }))).toThrow(/AUTH_USERS/);
    expect(authOptionsFromConfig(loadConfig({ HOST: '0.0.0.0', AUTH_DISABLED: 'true' })).enabled).toBe(false);
    expect(isLoopback('127.0.0.2')).toBe(true);
    expect(isLoopback('localhost')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
    expect(isLoopback('::')).toBe(false);
  });

  it('is on whenever users are configured, and never echoes a pasted password', async () => {
    const hash = await hashPassword('pw-for-config', FAST);
    expect(authOptionsFromConfig(loadConfig({ AUTH_USERS: `alice:admin:${hash}` })).enabled).toBe(true);
    let message = '';
    try {
      loadConfig({ AUTH_USERS: 'alice:admin:hunter2-plaintext' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/AUTH_USERS/);
    expect(message).not.toContain('hunter2');
    expect(() => authOptionsFromConfig(loadConfig({ AUTH_USERS: `a:admin:${hash},a:viewer:${hash}` }))).toThrow(
      /listed twice/,
    );
    expect(() => authOptionsFromConfig(loadConfig({ AUTH_USERS: 'a:admin:scrypt.3.8.1.c2FsdA.a2V5' }))).toThrow(
      /AUTH_USERS/,
    );
  });
});

describe('API auth over HTTP', () => {
  let db: Database;
  let now = Date.UTC(2026, 0, 1);
  let app: ReturnType<typeof createApiApp>;
  const TTL = 3_600_000;

  beforeAll(async () => {
    db = await openDatabase({ dataDir: 'memory://' });
    await db.migrate();
    const users = [
      { name: 'alice', role: 'admin' as const, hash: await hashPassword('alice-password', FAST) },
      { name: 'bob', role: 'viewer' as const, hash: await hashPassword('bob-password', FAST) },
    ];
    app = createApiApp({
      logger: createLogger('silent', 'test'),
      traces: new TraceQueries(db),
      metrics: { queries: new MetricQueries(db), options: { timeoutMs: 5000, maxSamples: 100_000 } },
      auth: new Auth({ enabled: true, users, sessionTtlMs: TTL, now: () => now }),
      status: { database: db, retention: { traces: 7 * 86_400_000, logs: 0, metrics: 86_400_000 } },
      ready: () => db.ping(),
    });
  });
  afterAll(async () => {
    await db?.close();
  });

  const login = (user: string, password: string, headers: Record<string, string> = {}) =>
    app.request('/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify({ user, password }),
    });
  const cookieOf = (res: Response) => /pivot_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')![0];
  const basic = (user: string, pw: string) => ({
    Authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`,
  });

  it('answers 401 without a session on every API route, and leaves health and metrics open', async () => {
    for (const path of [
      '/api/services',
      '/api/traces?limit=1',
      '/api/status',
      '/api/v1/query?query=up',
      '/api/v1/labels',
    ]) {
      const res = await app.request(path);
      expect(res.status, path).toBe(401);
      expect(((await res.json()) as { error: string }).error).toMatch(/not logged in/);
      // No Basic challenge for a browser's call: it would pop up the browser's own dialog.
      expect(res.headers.get('www-authenticate')).toBeNull();
    }
    expect((await app.request('/api/v1/query', { method: 'POST' })).status).toBe(401);
    expect((await app.request('/api/admin/retention/run', { method: 'POST' })).status).toBe(401);
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await app.request('/readyz')).status).toBe(200);
    expect((await app.request('/metrics')).status).toBe(200);
    expect((await app.request('/api/auth/me')).status).toBe(401);
  });

  it('logs in with a password and sets an HttpOnly, SameSite session cookie', async () => {
    expect((await login('alice', 'wrong')).status).toBe(401);
    expect((await login('mallory', 'alice-password')).status).toBe(401);
    // JSON only (a form post is what a cross-site page can send); malformed JSON is a 400.
    expect((await app.request('/api/auth/login', { method: 'POST', body: 'user=alice' })).status).toBe(415);
    const malformed = { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: 'user=alice' };
    expect((await app.request('/api/auth/login', malformed)).status).toBe(400);

    const res = await login('alice', 'alice-password');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ user: 'alice', role: 'admin', authEnabled: true });
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^pivot_session=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+;/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).toMatch(/Max-Age=3600/);
    expect(setCookie).not.toMatch(/Secure/);
    // Behind a TLS-terminating proxy the cookie is Secure.
    const proxied = await login('alice', 'alice-password', { 'X-Forwarded-Proto': 'https' });
    expect(proxied.headers.get('set-cookie')).toMatch(/; Secure/);

    const cookie = cookieOf(res);
    expect((await app.request('/api/services', { headers: { Cookie: cookie } })).status).toBe(200);
    expect(await (await app.request('/api/auth/me', { headers: { Cookie: cookie } })).json()).toEqual({
      user: 'alice',
      role: 'admin',
      authEnabled: true,
    });
    // A forged or altered cookie is no session.
    expect((await app.request('/api/services', { headers: { Cookie: `${cookie}x` } })).status).toBe(401);
    expect((await app.request('/api/services', { headers: { Cookie: `${SESSION_COOKIE}=abc.def` } })).status).toBe(401);
  });

  it('lets a viewer read but not run admin actions; an admin can', async () => {
    const viewer = cookieOf(await login('bob', 'bob-password'));
    const status = await app.request('/api/status', { headers: { Cookie: viewer } });
    expect(status.status).toBe(200);
    expect(
      (
        await app.request('/api/v1/query', {
          method: 'POST',
          headers: { Cookie: viewer, 'Content-Type': 'application/x-www-form-urlencoded' },
          body: 'query=1',
        })
      ).status,
    ).toBe(200);
    const denied = await app.request('/api/admin/retention/run', { method: 'POST', headers: { Cookie: viewer } });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: string }).error).toMatch(/viewer/);
    expect(
      (await app.request('/api/admin/maintenance/compaction/run', { method: 'POST', headers: { Cookie: viewer } }))
        .status,
    ).toBe(403);

    const admin = cookieOf(await login('alice', 'alice-password'));
    const run = await app.request('/api/admin/retention/run', { method: 'POST', headers: { Cookie: admin } });
    expect(run.status).toBe(200);
    expect(await run.json()).toMatchObject({
      retention: { traces: '7d', logs: '0', metrics: '1d' },
      dropped: { traces: [], logs: [], metrics: [] },
    });
  });

  it('accepts HTTP Basic auth with the same users, as Grafana sends it', async () => {
    expect((await app.request('/api/v1/labels', { headers: basic('bob', 'bob-password') })).status).toBe(200);
    expect((await app.request('/api/v1/labels', { headers: basic('bob', 'bob-password') })).status).toBe(200); // cached
    const wrong = await app.request('/api/v1/labels', { headers: basic('bob', 'nope') });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic realm="pivot"/);
    expect(
      (await app.request('/api/admin/retention/run', { method: 'POST', headers: basic('bob', 'bob-password') })).status,
    ).toBe(403);
    expect(
      (await app.request('/api/admin/retention/run', { method: 'POST', headers: basic('alice', 'alice-password') }))
        .status,
    ).toBe(200);
  });

  it('ends a session on logout and when it expires', async () => {
    const cookie = cookieOf(await login('bob', 'bob-password'));
    const out = await app.request('/api/auth/logout', { method: 'POST', headers: { Cookie: cookie } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/pivot_session=;.*Max-Age=0/);
    expect((await app.request('/api/services', { headers: { Cookie: cookie } })).status).toBe(401);

    const other = cookieOf(await login('bob', 'bob-password'));
    expect((await app.request('/api/services', { headers: { Cookie: other } })).status).toBe(200);
    now += TTL;
    expect((await app.request('/api/services', { headers: { Cookie: other } })).status).toBe(401);
  });

  it('is open, as an admin, when auth is off', async () => {
    const open = createApiApp({
      logger: createLogger('silent', 'test'),
      traces: new TraceQueries(db),
      auth: new Auth({ enabled: false, users: [], sessionTtlMs: TTL }),
      status: { database: db, retention: { traces: 0, logs: 0, metrics: 0 } },
      ready: () => db.ping(),
    });
    expect((await open.request('/api/services')).status).toBe(200);
    expect(await (await open.request('/api/auth/me')).json()).toEqual({
      user: null,
      role: 'admin',
      authEnabled: false,
    });
    expect((await open.request('/api/admin/retention/run', { method: 'POST' })).status).toBe(200);
  });
});

// Sessions in the database, as the API server keeps them: two Auth instances on their own connections
// stand for two API replicas. The processes behind a proxy are in apps/platform/test/replicas.e2e.test.ts.
describe.each(testDatabases())('sessions in the database ($name)', (tdb) => {
  let dbA: Database;
  let dbB: Database;
  let now = Date.UTC(2026, 0, 1);
  const TTL = 3_600_000;
  let users: { name: string; role: 'admin' | 'viewer'; hash: string }[];

  beforeAll(async () => {
    dbA = await tdb.open();
    await dbA.migrate();
    // A second pool on PostgreSQL; PGlite is one process with one connection, so it is shared.
    dbB = tdb.url ? await openDatabase({ url: tdb.url }) : dbA;
    users = [
      { name: 'alice', role: 'admin', hash: await hashPassword('alice-password', FAST) },
      { name: 'bob', role: 'viewer', hash: await hashPassword('bob-password', FAST) },
    ];
  });
  afterAll(async () => {
    if (dbB !== dbA) await dbB?.close();
    await dbA?.close();
    await tdb.drop();
  });

  const appOn = (db: Database, opts: { users?: typeof users; maxSessions?: number } = {}) =>
    createApiApp({
      logger: createLogger('silent', 'test'),
      traces: new TraceQueries(db),
      auth: new Auth({
        enabled: true,
        users: opts.users ?? users,
        sessionTtlMs: TTL,
        now: () => now,
        sessions: new DbSessionStore(db),
        ...(opts.maxSessions ? { maxSessions: opts.maxSessions } : {}),
      }),
      ready: () => db.ping(),
    });
  const login = (app: ReturnType<typeof createApiApp>, user: string, password: string) =>
    app.request('/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user, password }),
    });
  const cookieOf = (res: Response) => /pivot_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')![0];
  const services = (app: ReturnType<typeof createApiApp>, cookie: string) =>
    Promise.resolve(app.request('/api/services', { headers: { Cookie: cookie } })).then((r) => r.status);

  it('serves on one replica a session opened on the other, and honours a logout on either', async () => {
    const a = appOn(dbA);
    const b = appOn(dbB);
    const cookie = cookieOf(await login(a, 'alice', 'alice-password'));
    expect(await services(a, cookie)).toBe(200);
    expect(await services(b, cookie)).toBe(200);
    expect(await (await b.request('/api/auth/me', { headers: { Cookie: cookie } })).json()).toMatchObject({
      user: 'alice',
      role: 'admin',
    });
    expect((await b.request('/api/auth/logout', { method: 'POST', headers: { Cookie: cookie } })).status).toBe(204);
    expect(await services(a, cookie)).toBe(401);
    expect(await services(b, cookie)).toBe(401);
  });

  it('ends a session at its expiry on every replica, and removes expired rows at the next login', async () => {
    const a = appOn(dbA);
    const b = appOn(dbB);
    const cookie = cookieOf(await login(a, 'bob', 'bob-password'));
    expect(await services(b, cookie)).toBe(200);
    now += TTL;
    expect(await services(a, cookie)).toBe(401);
    expect(await services(b, cookie)).toBe(401);
    const expired = async () => (await storedSessions(dbA)).filter((r) => Number(r.expires_at_ms) <= now).length;
    expect(await expired()).toBeGreaterThan(0);
    const fresh = cookieOf(await login(b, 'bob', 'bob-password'));
    expect(await services(a, fresh)).toBe(200);
    expect(await expired()).toBe(0);
  });

  it('keeps only a hash of the cookie, and refuses a cookie whose secret half was altered', async () => {
    const a = appOn(dbA);
    const cookie = cookieOf(await login(a, 'alice', 'alice-password'));
    const [selector, verifier] = cookie.slice('pivot_session='.length).split('.') as [string, string];
    const rows = (await storedSessions(dbA)).filter((r) => r.selector === selector);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(verifier);
    const flipped = `${verifier.slice(0, -2)}${verifier.at(-2) === 'A' ? 'B' : 'A'}${verifier.at(-1)}`;
    expect(await services(a, `pivot_session=${selector}.${flipped}`)).toBe(401);
    expect(await services(a, cookie)).toBe(200);
  });

  it('bounds the table at maxSessions, and logs out a user no longer configured', async () => {
    const a = appOn(dbA, { maxSessions: 3 });
    const cookies: string[] = [];
    for (let i = 0; i < 5; i++) {
      now += 1; // distinct expiries: the oldest go first
      cookies.push(cookieOf(await login(a, 'alice', 'alice-password')));
    }
    expect(await storedSessions(dbA)).toHaveLength(3);
    expect(await services(a, cookies[0]!)).toBe(401);
    expect(await services(a, cookies[4]!)).toBe(200);
    // A replica started without alice (removed from AUTH_USERS) does not honour her stored session.
    const withoutAlice = appOn(dbB, { users: users.filter((u) => u.name !== 'alice') });
    expect(await services(withoutAlice, cookies[4]!)).toBe(401);
  });
});
