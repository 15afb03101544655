// Store errors: every failed statement names its SQL and parameter shapes (never values), with the
// driver error as its cause; answerable errors carry the status an HTTP layer maps them to.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { Database } from './database.ts';
import {
  DatabaseUnavailableError,
  InvalidInputError,
  QueryError,
  QueueFullError,
  StoreClosedError,
  isTransientDbError,
  isUniqueViolation,
  paramShape,
  toQueryError,
} from './errors.ts';
import { testDatabases } from './testing.ts';

describe('store errors', () => {
  it('knows a unique violation in the cause chain, as PostgreSQL and as a Citus COPY report it', () => {
    const pgError = Object.assign(new Error('duplicate key value violates unique constraint "k"'), { code: '23505' });
    const citusCopy = Object.assign(new Error('duplicate key value violates unique constraint "k_102049"'), {
      code: 'XX000',
      routine: 'ReportCopyError',
    });
    const otherInternal = Object.assign(new Error('could not connect to worker'), {
      code: 'XX000',
      routine: 'ReportCopyError',
    });
    expect(isUniqueViolation(new QueryError('q', 'SELECT', [], { cause: pgError }))).toBe(true);
    expect(isUniqueViolation(new QueryError('q', 'COPY', [], { cause: citusCopy }))).toBe(true);
    expect(isUniqueViolation(otherInternal)).toBe(false);
    expect(isUniqueViolation(new Error('duplicate key value violates unique constraint "k"'))).toBe(false);
  });

  it('takes a Citus worker lost mid-statement as transient (503, the client retries), not as a bug', () => {
    // The two reports a coordinator gave while a worker restarted under COPY (see citus-worker-restart.e2e).
    const essential = Object.assign(new Error('failure on connection marked as essential: 127.0.0.1:5435'), {
      code: 'XX000',
    });
    const remote = Object.assign(
      new Error(
        'connection to the remote node postgres@127.0.0.1:5435 failed with the following error: server closed the connection unexpectedly',
      ),
      { code: 'XX000' },
    );
    for (const driver of [essential, remote]) {
      expect(isTransientDbError(driver)).toBe(true);
      expect(toQueryError(driver, sql`SELECT 1`)).toBeInstanceOf(DatabaseUnavailableError);
    }
    // Other internal errors stay bugs.
    const other = Object.assign(new Error('could not find shard placement'), { code: 'XX000' });
    expect(isTransientDbError(other)).toBe(false);
    expect(toQueryError(other, sql`SELECT 1`)).toBeInstanceOf(QueryError);
  });

  it('gives parameter shapes, not values', () => {
    expect(['secret', 42, 7n, true, null, new Uint8Array(3), ['a', 'b'], [null, 1], []].map(paramShape)).toEqual([
      'string',
      'number',
      'bigint',
      'boolean',
      'null',
      'bytes(3)',
      'string[2]',
      'number[2]',
      'null[0]',
    ]);
  });

  it('classifies back-pressure, shutdown and an unreachable database for the HTTP layer', () => {
    expect(new QueueFullError(10, 5)).toMatchObject({ status: 429, retryAfterSeconds: 1, expose: true });
    expect(new StoreClosedError()).toMatchObject({ status: 503, retryAfterSeconds: 5, expose: true });
    expect(new DatabaseUnavailableError('down')).toMatchObject({ status: 503, retryAfterSeconds: 5, expose: true });
    // A failed query is not answerable: it has no status, so the HTTP layer treats it as a bug.
    expect(new QueryError('x', 'select 1', [])).not.toHaveProperty('status');
  });

  it('turns a connection failure during a query into DatabaseUnavailableError, the QueryError as its cause', () => {
    const driver = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const err = toQueryError(driver, sql`SELECT * FROM spans WHERE trace_id = ${'abc'}::uuid`);
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    expect(err.message).toBe('database unavailable: connect ECONNREFUSED 127.0.0.1:1');
    const cause = err.cause as QueryError;
    expect(cause).toBeInstanceOf(QueryError);
    expect(cause.query).toBe('SELECT * FROM spans WHERE trace_id = $1::uuid');
    expect(cause.params).toEqual(['string']);
    expect(cause.cause).toBe(driver);
  });
});

for (const tdb of testDatabases()) {
  describe(`query failures on ${tdb.name}`, () => {
    let db: Database;
    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
    });
    afterAll(async () => {
      await db?.close();
      await tdb.drop();
    });

    it('carry the SQL, the parameter shapes and the SQLSTATE, with the driver error as cause', async () => {
      const err = (await db
        .query(sql`SELECT * FROM no_such_table WHERE a = ${'a secret value'} AND b = ${sql.param([1, 2, 3])}`)
        .catch((e: unknown) => e)) as QueryError;
      expect(err).toBeInstanceOf(QueryError);
      expect(err.query).toBe('SELECT * FROM no_such_table WHERE a = $1 AND b = $2');
      expect(err.params).toEqual(['string', 'number[3]']);
      expect(err.code).toBe('42P01');
      expect(err.message).toMatch(/no_such_table/);
      expect(err.cause).toBeInstanceOf(Error);
      expect(`${err.message} ${JSON.stringify(err)}`).not.toContain('a secret value');
    });

    it('answer 400 for a regular expression the database refuses (SQLSTATE 2201B), not 500', async () => {
      for (const pattern of ['(', '(((a{1,200}){1,200}){1,200}){1,200}']) {
        const err = (await db.query(sql`SELECT 'a' ~ ${pattern} AS m`).catch((e: unknown) => e)) as InvalidInputError;
        expect(err, pattern).toBeInstanceOf(InvalidInputError);
        expect(err).toMatchObject({ status: 400, expose: true });
        expect(err.message).toMatch(/^the database refused a pattern: invalid regular expression/);
        expect((err.cause as QueryError).code).toBe('2201B');
      }
    });

    it('inside a transaction too, and leave errors that are not the database’s alone', async () => {
      const failed = await db
        .transaction((query) => query(sql`INSERT INTO no_such_table VALUES (${1})`))
        .catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(QueryError);
      expect((failed as QueryError).query).toBe('INSERT INTO no_such_table VALUES ($1)');
      const bug = new TypeError('not a database error');
      expect(
        await db
          .transaction(() => {
            throw bug;
          })
          .catch((e: unknown) => e),
      ).toBe(bug);
    });
  });
}
