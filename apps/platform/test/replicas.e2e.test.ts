// Two API replicas behind a round-robin proxy: two API processes (apps/api/dist/main.js, as compose runs
// them) on one PostgreSQL database, and a node:http proxy in this test that sends each request to the
// other replica than the last. A user logs in once through the proxy and stays logged in whichever
// replica answers; a logout answered by one is honoured by the other; a session's expiry holds on both.
// Needs DATABASE_URL: PGlite is one process's embedded database, so two processes cannot share it.
import { createServer, request, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '@pivot/api';
import { scratchDatabaseUrl } from '@pivot/store/testing';
import { ensureBuiltOnce, freePort, startProcess, waitForOk, type RunningProcess } from './start-helpers.ts';

const PASSWORD = 'r3plica-Secret-Pa55';
const TTL_MS = 60_000; // AUTH_SESSION_TTL=1m, its smallest unit

/** Forwards each request to the next upstream in turn; `X-Upstream` on the answer says which one served. */
function roundRobin(upstreams: number[]): { server: Server; served: number[] } {
  const served: number[] = [];
  let next = 0;
  const server = createServer((req, res) => {
    const i = next++ % upstreams.length;
    served.push(i);
    const up = request(
      { host: '127.0.0.1', port: upstreams[i], method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, { ...r.headers, 'x-upstream': String(i) });
        r.pipe(res);
      },
    );
    up.on('error', (err) => {
      res.writeHead(502);
      res.end(err.message);
    });
    req.pipe(up);
  });
  return { server, served };
}

describe.skipIf(!process.env.DATABASE_URL)(
  'two API replicas behind a round-robin proxy (skipped without DATABASE_URL: PGlite is one process)',
  () => {
    let scratch: Awaited<ReturnType<typeof scratchDatabaseUrl>>;
    const replicas: RunningProcess[] = [];
    let proxy: ReturnType<typeof roundRobin>;
    let url: string;

    beforeAll(async () => {
      await ensureBuiltOnce();
      scratch = await scratchDatabaseUrl();
      const users = `alice:admin:${await hashPassword(PASSWORD, { N: 16_384, r: 8, p: 1 })}`;
      const ports: number[] = [];
      for (let i = 0; i < 2; i++) {
        const port = await freePort();
        const p = startProcess(process.execPath, ['apps/api/dist/main.js'], {
          DATABASE_URL: scratch.url!,
          HOST: '127.0.0.1',
          PORT: String(port),
          AUTH_USERS: users,
          AUTH_SESSION_TTL: '1m',
          LOG_LEVEL: 'warn',
        });
        replicas.push(p);
        // One at a time: both would migrate, and the second waits on the first's migration lock anyway.
        await waitForOk(`http://127.0.0.1:${port}/readyz`, p, 90_000);
        ports.push(port);
      }
      proxy = roundRobin(ports);
      await new Promise<void>((r) => proxy.server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(proxy.server.address() as { port: number }).port}`;
    }, 240_000);

    afterAll(async () => {
      proxy?.server.close();
      await Promise.all(replicas.map((p) => p.stop()));
      await scratch?.drop();
    });

    const login = async () => {
      const res = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ user: 'alice', password: PASSWORD }),
      });
      expect(res.status).toBe(200);
      return {
        cookie: /pivot_session=[^;]+/.exec(res.headers.get('set-cookie')!)![0],
        by: res.headers.get('x-upstream'),
      };
    };
    /** One request through the proxy: its status and the replica that answered. */
    const get = async (cookie: string, path = '/api/services') => {
      const res = await fetch(`${url}${path}`, { headers: { Cookie: cookie } });
      await res.arrayBuffer();
      return { status: res.status, by: res.headers.get('x-upstream') };
    };

    it('keeps a user logged in whichever replica answers', async () => {
      const { cookie, by } = await login();
      const answers = [];
      for (let i = 0; i < 8; i++) answers.push(await get(cookie, i % 2 ? '/api/services' : '/api/auth/me'));
      expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
      // Both replicas answered, including the one that did not open the session.
      expect(new Set(answers.map((a) => a.by))).toEqual(new Set(['0', '1']));
      expect(answers.some((a) => a.by !== by)).toBe(true);
      // Without the cookie, either replica refuses.
      const anon = [await get(''), await get('')];
      expect(anon.map((a) => a.status)).toEqual([401, 401]);
      expect(new Set(anon.map((a) => a.by)).size).toBe(2);
    });

    it('honours on one replica a logout answered by the other', async () => {
      const { cookie } = await login();
      const before = [await get(cookie), await get(cookie)];
      expect(before.map((a) => a.status)).toEqual([200, 200]);
      const out = await fetch(`${url}/api/auth/logout`, { method: 'POST', headers: { Cookie: cookie } });
      expect(out.status).toBe(204);
      const loggedOutBy = out.headers.get('x-upstream');
      const after = [await get(cookie), await get(cookie)];
      expect(after.map((a) => a.status)).toEqual([401, 401]);
      expect(after.some((a) => a.by !== loggedOutBy)).toBe(true);
    });

    it(
      'ends a session at its expiry on both replicas',
      async () => {
        const started = Date.now();
        const { cookie } = await login();
        const live = [await get(cookie), await get(cookie)];
        expect(live.map((a) => a.status)).toEqual([200, 200]);
        await new Promise((r) => setTimeout(r, Math.max(0, started + TTL_MS + 1500 - Date.now())));
        const expired = [await get(cookie), await get(cookie)];
        expect(expired.map((a) => a.status)).toEqual([401, 401]);
        expect(new Set(expired.map((a) => a.by)).size).toBe(2);
      },
      TTL_MS + 30_000,
    );
  },
);
