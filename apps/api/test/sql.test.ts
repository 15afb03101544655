// POST /api/sql: admins only, JSON or CSV, the database's own message for a statement it refuses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@pivot/server-kit';
import { SqlConsole, TraceQueries, type Database } from '@pivot/store';
import { testDatabases } from '@pivot/store/testing';
import { createApiApp } from '../src/app.ts';
import { Auth, hashPassword } from '../src/auth.ts';

const FAST = { N: 1024, r: 8, p: 1 };

for (const tdb of testDatabases()) {
  describe(`POST /api/sql on ${tdb.name}`, () => {
    let db: Database;
    let app: ReturnType<typeof createApiApp>;
    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      const users = [
        { name: 'alice', role: 'admin' as const, hash: await hashPassword('alice-password', FAST) },
        { name: 'bob', role: 'viewer' as const, hash: await hashPassword('bob-password', FAST) },
      ];
      app = createApiApp({
        logger: createLogger('silent', 'test'),
        traces: new TraceQueries(db),
        auth: new Auth({ enabled: true, users, sessionTtlMs: 3_600_000 }),
        sql: new SqlConsole(db, { rowLimit: 2, timeoutMs: 1000 }),
        ready: () => db.ping(),
      });
    });
    afterAll(async () => {
      await db?.close();
      await tdb.drop();
    });

    const basic = (user: string) => `Basic ${Buffer.from(`${user}:${user}-password`).toString('base64')}`;
    const post = (user: string, body: unknown, headers: Record<string, string> = {}) =>
      app.request('/api/sql', {
        method: 'POST',
        headers: { authorization: basic(user), 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });

    it('answers an admin with columns, rows and whether the row limit cut them', async () => {
      const res = await post('alice', { sql: "SELECT g AS n, 'x' || g AS s FROM generate_series(1, 3) g ORDER BY g;" });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        columns: ['n', 's'],
        rows: [
          [1, 'x1'],
          [2, 'x2'],
        ],
        truncated: true,
        rowLimit: 2,
      });
    });

    it('gives CSV on request', async () => {
      const res = await post('alice', { sql: 'SELECT 1 AS a, 2 AS b', format: 'csv' });
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(await res.text()).toBe('a,b\r\n1,2\r\n');
      const accepted = await post('alice', { sql: 'SELECT 3 AS c' }, { accept: 'text/csv' });
      expect(await accepted.text()).toBe('c\r\n3\r\n');
    });

    it('refuses viewers, and anyone without a session', async () => {
      expect((await post('bob', { sql: 'SELECT 1' })).status).toBe(403);
      const anon = await app.request('/api/sql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"sql":"SELECT 1"}',
      });
      expect(anon.status).toBe(401);
    });

    it('answers 400 with the database message for a statement it refuses, and for a bad body', async () => {
      const denied = await post('alice', { sql: 'SELECT * FROM public.spans' });
      expect(denied.status).toBe(400);
      expect(((await denied.json()) as { error: string }).error).toMatch(/permission denied for table spans/);
      const syntax = await post('alice', { sql: 'SELEC 1' });
      expect(syntax.status).toBe(400);
      expect(((await syntax.json()) as { error: string }).error).toMatch(/syntax error/);
      expect((await post('alice', { query: 'SELECT 1' })).status).toBe(400);
      expect((await post('alice', 'not json')).status).toBe(400);
      expect((await post('alice', { sql: 'SELECT 1' }, { 'content-type': 'text/plain' })).status).toBe(415);
    });
  });
}
