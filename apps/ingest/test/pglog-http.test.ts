// POST /api/v1/logs?format=postgres-jsonlog|postgres-csvlog over a real store (PGlite, and PostgreSQL
// when DATABASE_URL is set), with the server log files captured from a real PostgreSQL 15
// (packages/pglog/src/fixtures): what is stored, what a shipper's retry does, how bad lines are answered.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTraceId } from '@pivot/model';
import type { Database } from '@pivot/store';
import { rowCount, testDatabases } from '@pivot/store/testing';
import { buildLogIngest } from './logs-helpers.ts';

const FIXTURES = new URL('../../../packages/pglog/src/fixtures/', import.meta.url);
const JSONLOG = readFileSync(new URL('pg15.json', FIXTURES));
const CSVLOG = readFileSync(new URL('pg15.csv', FIXTURES));
const TRACE = parseTraceId('4bf92f3577b34da6a3ce929d0e0e4736')!;

const jsonLine = (message: string) =>
  JSON.stringify({ timestamp: '2026-12-03 10:25:36.341 UTC', error_severity: 'LOG', message, pid: 7, line_num: 1 });

for (const tdb of testDatabases()) {
  describe(`PostgreSQL log push on ${tdb.name}`, () => {
    let db: Database;
    let ing: ReturnType<typeof buildLogIngest>;
    const post = (qs: string, body: string | Uint8Array, type = 'text/plain') =>
      ing.app.request(`/api/v1/logs?${qs}`, { method: 'POST', body, headers: { 'content-type': type } });

    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      ing = buildLogIngest(db, { maxLineBytes: 4096 });
    });
    afterAll(async () => {
      await ing?.close();
      await db?.close();
      await tdb.drop();
    });

    it('stores a jsonlog file as postgresql records linked by their sqlcommenter comments', async () => {
      const res = await post('format=postgres-jsonlog', JSONLOG, 'application/x-ndjson');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ accepted: 39, rejectedCount: 0, rejected: [] });
      expect(await rowCount(db, 'logs')).toBe(39);
      const linked = await ing.queries.byTrace(TRACE, { limit: 100 });
      expect(linked.map((l) => [l.service, l.spanId, l.attributes['pg.event'], l.attributes['db.statement']])).toEqual(
        ['parse', 'bind', 'execute', 'plan'].map((_, i) => [
          'postgresql',
          '00f067aa0ba902b7',
          i < 3 ? 'duration' : 'plan',
          'SELECT owner FROM acct WHERE id = $1 AND owner <> ?',
        ]),
      );
      expect(linked[0]!.resource.attributes).toEqual({ 'service.name': 'postgresql', 'db.system': 'postgresql' });
    });

    it('stores nothing twice: a retried push, or the same session shipped as csvlog', async () => {
      expect((await post('format=postgres-jsonlog', JSONLOG)).status).toBe(200);
      const csv = await post('format=postgres-csvlog', CSVLOG, 'text/csv');
      expect(csv.status).toBe(200);
      expect(await csv.json()).toEqual({ accepted: 39, rejectedCount: 0, rejected: [] });
      expect(await rowCount(db, 'logs')).toBe(39);
    });

    it('stores the valid lines of a push and names the others; 400 when none is valid', async () => {
      const body = [jsonLine('kept one'), '{"timestamp": nope', jsonLine('kept two'), '"x"'].join('\n');
      const res = await post('format=postgres-jsonlog&service=pg-replica', body);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        accepted: 2,
        rejectedCount: 2,
        rejected: [
          { line: 2, message: expect.stringMatching(/^invalid JSON/) },
          { line: 4, message: 'expected a JSON object' },
        ],
      });
      const stored = await ing.queries.search({ service: 'pg-replica' }, { limit: 10 });
      expect(stored.logs.map((l) => l.body).sort()).toEqual(['kept one', 'kept two']);
      const none = await post('format=postgres-csvlog', 'a,b\n"c\n', 'text/csv');
      expect(none.status).toBe(400);
      expect(await none.json()).toMatchObject({
        error: 'no line was accepted: line 1: expected at least 23 columns, got 2',
        accepted: 0,
        rejectedCount: 2,
      });
    });

    it('refuses an unknown format and a media type the format cannot come as', async () => {
      const bad = await post('format=postgres-stderr', jsonLine('x'));
      expect([bad.status, await bad.json()]).toEqual([
        400,
        { error: 'format: "postgres-stderr" is not one of ndjson, postgres-jsonlog, postgres-csvlog' },
      ]);
      expect((await post('format=postgres-csvlog', 'x', 'application/x-protobuf')).status).toBe(415);
      expect((await post('', 'a,b', 'text/csv')).status).toBe(415);
    });
  });
}
