// Attacks a viewer (or anyone who can reach the port) could make on the API, each reproduced here:
// oversized bodies, password guessing and scrypt floods, tails that outlive their session,
// cross-site posts, missing security headers, unbounded sessions, leaky readiness answers, unsafe
// request IDs and parameters that used to end in a 500.
import { Writable } from 'node:stream';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@pivot/server-kit';
import { LogQueries, MetricQueries, TraceQueries, openDatabase, type Database } from '@pivot/store';
import { createApiApp } from '../src/app.ts';
import { Auth, SCRYPT_DEFAULTS, hashPassword, type AuthOptions } from '../src/auth.ts';

const FAST = { N: 1024, r: 8, p: 1 };

/** A pino logger whose lines the test can read. */
function capturingLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

describe('API hardening', () => {
  let db: Database;
  let users: AuthOptions['users'];
  const captured = capturingLogger();

  beforeAll(async () => {
    db = await openDatabase({ dataDir: 'memory://' });
    await db.migrate();
    users = [
      { name: 'alice', role: 'admin', hash: await hashPassword('alice-password', FAST) },
      { name: 'bob', role: 'viewer', hash: await hashPassword('bob-password', FAST) },
    ];
  });
  afterAll(async () => {
    await db?.close();
  });

  function makeApp(authOpts: Partial<AuthOptions> = {}, extra: { publicUrl?: string; tailIntervalMs?: number } = {}) {
    const auth = new Auth({ enabled: true, users, sessionTtlMs: 3_600_000, logger: captured.logger, ...authOpts });
    const app = createApiApp({
      logger: captured.logger,
      traces: new TraceQueries(db),
      metrics: { queries: new MetricQueries(db), options: { timeoutMs: 5000, maxSamples: 100_000 } },
      logs: { queries: new LogQueries(db), options: { tailIntervalMs: extra.tailIntervalMs ?? 50 } },
      auth,
      publicUrl: extra.publicUrl,
      ready: () => db.ping(),
    });
    return { app, auth };
  }
  const loginBody = (user: string, password: string) => ({
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user, password }),
  });
  const cookieOf = (res: Response) => /pivot_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')![0];

  describe('body limits', () => {
    it('refuses a login body over 4 KiB with 413 from its Content-Length, before reading it', async () => {
      const { app } = makeApp();
      const big = JSON.stringify({ user: 'x'.repeat(100 * 1024 * 1024), password: 'p' });
      const res = await app.request('/api/auth/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': String(big.length) },
        body: big,
      });
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: string }).error).toMatch(/login: request body larger than 4096 bytes/);
    });

    it('refuses a streamed login body without Content-Length once it passes 4 KiB', async () => {
      const { app } = makeApp();
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(ctrl) {
          // An endless body: the server must stop reading, or this test never ends.
          sent += 1024;
          ctrl.enqueue(new Uint8Array(1024).fill(0x61));
        },
      });
      const res = await app.request('/api/auth/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
        duplex: 'half',
      });
      expect(res.status).toBe(413);
      expect(sent).toBeLessThan(64 * 1024);
    });

    it('allows a 200 KiB PromQL form but not a 300 KiB one; other API bodies stop at 64 KiB', async () => {
      const { app } = makeApp({ enabled: false });
      // The query itself is bounded at 64 KiB by the engine; the rest of the form pads the body.
      const form = (bytes: number) => `query=vector(1)&pad=${'x'.repeat(bytes)}`;
      const post = (path: string, body: string) =>
        app.request(path, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body,
        });
      expect((await post('/api/v1/query', form(200 * 1024))).status).toBe(200);
      expect((await post('/api/v1/query', form(300 * 1024))).status).toBe(413);
      expect((await post('/api/admin/retention/run', 'x'.repeat(65 * 1024))).status).toBe(413);
    });

    it('writes a bounded user name into the log, whatever was sent', async () => {
      const { app } = makeApp();
      captured.lines.length = 0;
      const res = await app.request('/api/auth/login', loginBody('m'.repeat(3000), 'wrong'));
      expect(res.status).toBe(401);
      const refused = captured.lines.find((l) => l.includes('login refused'));
      expect(refused).toBeDefined();
      expect(refused!.length).toBeLessThan(600);
      expect(refused).toContain('(3000 chars)');
    });
  });

  describe('login throttling', () => {
    it('answers 429 with Retry-After after 5 misses for a name, even with the right password, and doubles the wait', async () => {
      let now = 1_000_000;
      const { app } = makeApp({ now: () => now });
      for (let i = 0; i < 5; i++)
        expect((await app.request('/api/auth/login', loginBody('bob', 'nope'))).status).toBe(401);
      // The 6th miss is still checked and starts a 1 s wait.
      expect((await app.request('/api/auth/login', loginBody('bob', 'nope'))).status).toBe(401);
      const blocked = await app.request('/api/auth/login', loginBody('bob', 'bob-password'));
      expect(blocked.status).toBe(429);
      expect(blocked.headers.get('retry-after')).toBe('1');
      now += 1_001;
      expect((await app.request('/api/auth/login', loginBody('bob', 'nope'))).status).toBe(401);
      const longer = await app.request('/api/auth/login', loginBody('bob', 'bob-password'));
      expect(longer.status).toBe(429);
      expect(longer.headers.get('retry-after')).toBe('2');
      now += 2_001;
      // A success clears the record.
      expect((await app.request('/api/auth/login', loginBody('bob', 'bob-password'))).status).toBe(200);
      expect((await app.request('/api/auth/login', loginBody('bob', 'nope'))).status).toBe(401);
    });

    it('throttles one client address across many names, and Basic auth shares the throttle', async () => {
      const { app } = makeApp();
      for (let i = 0; i < 6; i++)
        expect((await app.request('/api/auth/login', loginBody(`guess${i}`, 'x'))).status).toBe(401);
      expect((await app.request('/api/auth/login', loginBody('someone-else', 'x'))).status).toBe(429);
      const basic = await app.request('/api/services', {
        headers: { Authorization: `Basic ${Buffer.from('alice:alice-password').toString('base64')}` },
      });
      expect(basic.status).toBe(429);
    });

    it('accepts only application/json at login', async () => {
      const { app } = makeApp();
      const res = await app.request('/api/auth/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'user=alice&password=alice-password',
      });
      expect(res.status).toBe(415);
    });

    it('runs at most 2 password checks at once, off the thread pool gzip uses', async () => {
      // Real-cost hashes: about 100 ms each. Before the pool, 32 of them queued on libuv's 4 threads
      // ahead of any gzip, which then waited for nearly all of them.
      const real = await hashPassword('alice-password', SCRYPT_DEFAULTS);
      const lenient = { freeFailures: 1000, baseDelayMs: 1, maxDelayMs: 1, maxEntries: 100, forgetAfterMs: 1 };
      const { app, auth } = makeApp({ users: [{ name: 'alice', role: 'admin', hash: real }], throttle: lenient });
      let pending = 32;
      const logins = Array.from({ length: 32 }, () =>
        Promise.resolve(app.request('/api/auth/login', loginBody('alice', 'wrong'))).then((r) => {
          pending--;
          return r.status;
        }),
      );
      await new Promise((r) => setTimeout(r, 20));
      await promisify(gzip)(Buffer.alloc(256 * 1024, 7));
      const stillPendingAtGzip = pending;
      expect(await Promise.all(logins)).toEqual(Array(32).fill(401));
      expect(stillPendingAtGzip).toBeGreaterThan(16);
      expect(auth.passwordChecksPeak).toBe(2);
      await auth.close();
    });
  });

  describe('sessions', () => {
    it('keeps at most maxSessions, dropping the ones closest to expiry', async () => {
      const { app, auth } = makeApp({ maxSessions: 3 });
      const cookies: string[] = [];
      for (let i = 0; i < 5; i++)
        cookies.push(cookieOf(await app.request('/api/auth/login', loginBody('alice', 'alice-password'))));
      expect(await auth.sessionCount()).toBe(3);
      expect((await app.request('/api/services', { headers: { cookie: cookies[0]! } })).status).toBe(401);
      expect((await app.request('/api/services', { headers: { cookie: cookies[4]! } })).status).toBe(200);
    });

    it('marks the cookie Secure when PUBLIC_URL is https, even over plain HTTP', async () => {
      const plain = makeApp().app;
      expect(
        (await plain.request('/api/auth/login', loginBody('alice', 'alice-password'))).headers.get('set-cookie'),
      ).not.toMatch(/Secure/);
      const behindTls = makeApp({ publicUrl: 'https://pivot.example.com' }).app;
      expect(
        (await behindTls.request('/api/auth/login', loginBody('alice', 'alice-password'))).headers.get('set-cookie'),
      ).toMatch(/; Secure/);
    });
  });

  describe('live tail', () => {
    it('ends a tail when its session logs out', async () => {
      const { app } = makeApp({}, { tailIntervalMs: 30 });
      const cookie = cookieOf(await app.request('/api/auth/login', loginBody('bob', 'bob-password')));
      const res = await app.request('/api/logs/tail', { headers: { cookie } });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      text += decoder.decode((await reader.read()).value);
      expect(text).toContain('event: ready');
      expect((await app.request('/api/auth/logout', { method: 'POST', headers: { cookie } })).status).toBe(204);
      const deadline = Date.now() + 5000;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value);
        if (Date.now() > deadline) throw new Error(`tail still open after logout:\n${text}`);
      }
      expect(text).toContain('event: end');
      expect(text).toContain('session ended');
    });

    it('caps live tails per user (4) with 429', async () => {
      const { app } = makeApp({}, { tailIntervalMs: 1000 });
      const cookie = cookieOf(await app.request('/api/auth/login', loginBody('bob', 'bob-password')));
      const open = await Promise.all(
        Array.from({ length: 4 }, async () => app.request('/api/logs/tail', { headers: { cookie } })),
      );
      expect(open.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      const fifth = await app.request('/api/logs/tail', { headers: { cookie } });
      expect(fifth.status).toBe(429);
      expect(fifth.headers.get('retry-after')).toBe('10');
      // Another user still has room.
      const other = cookieOf(await app.request('/api/auth/login', loginBody('alice', 'alice-password')));
      const hers = await app.request('/api/logs/tail', { headers: { cookie: other } });
      expect(hers.status).toBe(200);
      for (const r of [...open, hers]) await r.body!.cancel();
      // Closing frees the slots.
      await new Promise((r) => setTimeout(r, 50));
      const again = await app.request('/api/logs/tail', { headers: { cookie } });
      expect(again.status).toBe(200);
      await again.body!.cancel();
    });
  });

  describe('cross-site requests', () => {
    it('refuses unsafe methods a browser marks cross-site, and lets same-origin and server-side clients through', async () => {
      const { app } = makeApp({ enabled: false });
      const post = (headers: Record<string, string>) =>
        app.request('http://pivot.local:8080/api/auth/logout', {
          method: 'POST',
          headers: { host: 'pivot.local:8080', ...headers },
        });
      expect((await post({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
      expect((await post({ 'sec-fetch-site': 'same-site' })).status).toBe(403);
      expect((await post({ origin: 'http://evil.example' })).status).toBe(403);
      expect((await post({ origin: 'null' })).status).toBe(403);
      expect((await post({ 'sec-fetch-site': 'same-origin', origin: 'http://pivot.local:8080' })).status).toBe(204);
      expect((await post({ origin: 'http://pivot.local:8080' })).status).toBe(204);
      // Grafana and curl send neither header.
      expect((await post({})).status).toBe(204);
      // GET stays open to links from anywhere.
      expect((await app.request('/api/services', { headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(200);
    });

    it('accepts the PUBLIC_URL origin when a proxy rewrites Host', async () => {
      const { app } = makeApp({ enabled: false }, { publicUrl: 'https://pivot.example.com' });
      const res = await app.request('http://10.0.0.5:8080/api/auth/logout', {
        method: 'POST',
        headers: { host: '10.0.0.5:8080', origin: 'https://pivot.example.com' },
      });
      expect(res.status).toBe(204);
    });
  });

  describe('headers, readiness, request IDs', () => {
    it('sends security headers on API, health and metrics responses', async () => {
      const { app } = makeApp({ enabled: false });
      for (const path of ['/api/services', '/healthz', '/metrics', '/api/nothing-here']) {
        const res = await app.request(path);
        expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
        expect(res.headers.get('x-frame-options'), path).toBe('DENY');
        expect(res.headers.get('referrer-policy'), path).toBe('same-origin');
        expect(res.headers.get('content-security-policy'), path).toMatch(/frame-ancestors 'none'/);
        expect(res.headers.get('content-security-policy'), path).toMatch(/script-src 'self'/);
      }
    });

    it('says "database unreachable" on /readyz without the driver message', async () => {
      const app = createApiApp({
        logger: createLogger('silent', 'test'),
        traces: new TraceQueries(db),
        ready: () => Promise.reject(new Error('connect ECONNREFUSED 10.9.8.7:5432 (user "secret_admin")')),
      });
      const res = await app.request('/readyz');
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ status: 'not ready', error: 'database unreachable' });
      expect(text).not.toContain('10.9.8.7');
    });

    it('keeps a short safe X-Request-Id and replaces a long or unsafe one', async () => {
      const { app } = makeApp({ enabled: false });
      const idOf = async (id: string) =>
        (await app.request('/healthz', { headers: { 'x-request-id': id } })).headers.get('x-request-id');
      expect(await idOf('abc-123')).toBe('abc-123');
      expect(await idOf('a'.repeat(65))).not.toBe('a'.repeat(65));
      expect(await idOf('x<script>')).not.toBe('x<script>');
    });
  });

  describe('PromQL reads end with the query', () => {
    /** An app whose database waits for each metric read's signal to abort, recording the signals. */
    function stalledApp() {
      const signals: AbortSignal[] = [];
      const stalled: Database = {
        ...db,
        query: async (q, o) => {
          if (!o?.signal) return db.query(q, o);
          signals.push(o.signal);
          await new Promise((resolve) => o.signal!.addEventListener('abort', resolve, { once: true }));
          return db.query(q, o);
        },
      };
      const app = createApiApp({
        logger: captured.logger,
        traces: new TraceQueries(db),
        metrics: { queries: new MetricQueries(stalled), options: { timeoutMs: 60_000, maxSamples: 100_000 } },
        logs: { queries: new LogQueries(db), options: {} },
        auth: new Auth({ enabled: false, users: [], sessionTtlMs: 1000, logger: captured.logger }),
        ready: () => db.ping(),
      });
      return { app, signals };
    }

    it('cancels the database read when the query times out', async () => {
      const { app, signals } = stalledApp();
      const res = await app.request('/api/v1/query?query=up&time=1000&timeout=0.2');
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ errorType: 'timeout' });
      expect(signals).toHaveLength(1);
      expect(signals[0]!.aborted).toBe(true);
    });

    it('cancels the database read when the client goes away', async () => {
      const { app, signals } = stalledApp();
      const client = new AbortController();
      const pending = app.request(new Request('http://x/api/v1/query?query=up&time=1000', { signal: client.signal }));
      await vi.waitFor(() => expect(signals).toHaveLength(1));
      expect(signals[0]!.aborted).toBe(false);
      client.abort();
      expect(await (await pending).json()).toMatchObject({ errorType: 'canceled' });
      expect(signals[0]!.aborted).toBe(true);
    });
  });

  describe('bad parameters answer 400, not 500', () => {
    it('takes Go regex syntax PostgreSQL refuses, in series, labels and queries', async () => {
      const { app } = makeApp({ enabled: false });
      const m = encodeURIComponent('{__name__=~"(?i:PRO).*", job=~"x(?i)y|\\\\d+"}');
      for (const path of [`/api/v1/series?match[]=${m}`, `/api/v1/labels?match[]=${m}`, `/api/v1/query?query=${m}`]) {
        const res = await app.request(path);
        expect(res.status, path).toBe(200);
      }
    });

    it.each([
      ['/api/logs?start=99999999999999999999999', /start: time .* out of range/],
      [`/api/logs?start=1.${'9'.repeat(400)}`, /start: invalid time/],
      [`/api/logs?start=${'9'.repeat(400)}.5`, /start: invalid time/],
      [`/api/traces?minDuration=${'9'.repeat(30)}h`, /minDuration: duration .* too long/],
      [`/api/traces?minDuration=${'9'.repeat(400)}h`, /minDuration: invalid duration/],
      ['/api/traces?start=99999999999999999999999', /start: time .* out of range/],
    ])('%s', async (path, message) => {
      const { app } = makeApp({ enabled: false });
      const res = await app.request(path);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(message);
    });
  });
});
