// Message shapes beyond the captured fixtures (src/fixtures, read by the decoder tests).
import { describe, expect, it } from 'vitest';
import { interpretEntry, type PgLogEntry } from './interpret.ts';
import { pgSeverity } from './severity.ts';

const entry = (message: string, more: Partial<PgLogEntry> = {}): PgLogEntry => ({
  timestamp: '2026-12-03 10:25:36.341 UTC',
  errorSeverity: 'LOG',
  message,
  ...more,
});

describe('interpretEntry', () => {
  it('maps every error_severity onto the contract severity', () => {
    const text = (s: string) => pgSeverity(s).text;
    expect(['DEBUG1', 'DEBUG5', 'LOG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'FATAL', 'PANIC'].map(text)).toEqual([
      'DEBUG',
      'DEBUG',
      'INFO',
      'INFO',
      'INFO',
      'WARN',
      'ERROR',
      'FATAL',
      'FATAL',
    ]);
    expect(pgSeverity('STRANGE')).toEqual({ number: 0, text: 'STRANGE' });
  });

  it('reads a bare duration (log_duration) and a log_statement line', () => {
    expect(interpretEntry(entry('duration: 1.5 ms')).attributes).toEqual({
      'pg.duration_ms': 1.5,
      'pg.event': 'duration',
    });
    const st = interpretEntry(entry("statement: SELECT 'secret'"));
    expect([st.event, st.body, st.attributes['db.statement']]).toEqual(['other', 'statement: SELECT ?', 'SELECT ?']);
  });

  it('reads a text plan whose query spans lines, masking the conditions', () => {
    const it = interpretEntry(
      entry(
        "duration: 3.250 ms  plan:\nQuery Text: SELECT *\n  FROM t\n  WHERE name = 'ann' AND n > 3\nSeq Scan on t  (cost=0.00..1.01 rows=1 width=8) (actual time=0.01..0.02 rows=1 loops=1)\n  Filter: ((n > 3) AND (name = 'ann'::text))\n  Rows Removed by Filter: 4",
      ),
    );
    expect(it.attributes).toEqual({
      'pg.duration_ms': 3.25,
      'pg.plan':
        'Seq Scan on t  (cost=0.00..1.01 rows=1 width=8) (actual time=0.01..0.02 rows=1 loops=1)\n  Filter: ((n > ?) AND (name = ?::text))\n  Rows Removed by Filter: 4',
      'pg.plan_format': 'text',
      'db.statement': 'SELECT * FROM t WHERE name = ? AND n > ?',
      'pg.event': 'plan',
    });
    expect(it.body).toBe('duration: 3.250 ms  plan');
  });

  it('classifies lock waits, deadlocks and errors, masking what their detail quotes', () => {
    const relation = interpretEntry(
      entry('process 77 still waiting for AccessExclusiveLock on relation 16384 of database 5 after 1000.072 ms', {
        statement: 'LOCK TABLE t',
      }),
    );
    expect([relation.event, relation.attributes['pg.wait_event'], relation.attributes['pg.wait_ms']]).toEqual([
      'lock_wait',
      'AccessExclusiveLock on relation 16384 of database 5',
      1000.072,
    ]);
    const err = interpretEntry(
      entry('duplicate key value violates unique constraint "t_pkey"', {
        errorSeverity: 'ERROR',
        stateCode: '23505',
        statement:
          "INSERT INTO t VALUES (1, 'x') /*traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00'*/",
      }),
    );
    expect([err.event, err.severity.text, err.traceId, err.spanId, err.flags, err.attributes['db.statement']]).toEqual([
      'error',
      'ERROR',
      '0af7651916cd43dd8448eb211c80319c',
      'b7ad6b7169203331',
      0,
      'INSERT INTO t VALUES (?, ?)',
    ]);
    expect(interpretEntry(entry('terminating connection', { errorSeverity: 'FATAL' })).event).toBe('error');
    expect(interpretEntry(entry('could not serialize', { errorSeverity: 'WARNING' })).event).toBe('other');
    const bind = interpretEntry(
      entry('duration: 0.1 ms  bind S_1: SELECT $1, $2, $3', {
        detail: "parameters: $1 = 'a''b', $2 = NULL, $3 = '7'",
      }),
    );
    expect(bind.attributes['pg.detail']).toBe('parameters: $1 = ?, $2 = ?, $3 = ?');
  });
  it('masks the values a constraint violation quotes in its detail, keeping the column names', () => {
    const detail = (d: string) =>
      interpretEntry(
        entry('duplicate key value violates unique constraint "users_email_key"', {
          errorSeverity: 'ERROR',
          detail: d,
        }),
      ).attributes['pg.detail'];
    expect(detail('Key (email)=(ann@example.com) already exists.')).toBe('Key (email)=(?) already exists.');
    expect(detail('Key (a, b)=(1, x) y)) already exists.')).toBe('Key (a, b)=(?) already exists.');
    expect(detail('Key (customer_id)=(42) is not present in table "customers".')).toBe(
      'Key (customer_id)=(?) is not present in table "customers".',
    );
    expect(detail('Key (id)=(7) is still referenced from table "orders".')).toBe(
      'Key (id)=(?) is still referenced from table "orders".',
    );
    expect(
      detail('Key (during)=([2026-01-01,2026-01-05)) conflicts with existing key (during)=([2026-01-03,2026-01-09)).'),
    ).toBe('Key (during)=(?) conflicts with existing key (during)=(?).');
    expect(detail('Failing row contains (7, ann, null, 555-0100).')).toBe('Failing row contains (?).');
    // Other details are left as they are.
    expect(detail('The transaction might succeed if retried.')).toBe('The transaction might succeed if retried.');
  });
});
