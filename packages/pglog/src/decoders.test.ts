// Both decoders over log files captured from a real PostgreSQL 15 (src/fixtures/pg15.{json,csv}, the
// same session written by log_destination = jsonlog,csvlog): statements with sqlcommenter comments,
// an error with its STATEMENT, a lock wait, a deadlock, auto_explain plans in text and JSON, and the
// extended protocol of node-postgres (parse/bind/execute).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { LogRecord } from '@pivot/model';
import { decodeCsvlog, decodeJsonlog, type PgLogResult } from './index.ts';

const JSONLOG = readFileSync(new URL('./fixtures/pg15.json', import.meta.url));
const CSVLOG = readFileSync(new URL('./fixtures/pg15.csv', import.meta.url));
const OBSERVED = 1_796_300_000_000_000_000n;
const enc = new TextEncoder();

const recordsOf = (r: PgLogResult): LogRecord[] =>
  r.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((s) => s.logRecords));
const key = (r: LogRecord) =>
  `${r.attributes['pg.session_id'] as string}#${r.attributes['pg.session_line_num'] as number}`;
const bySessionLine = (r: PgLogResult) => new Map(recordsOf(r).map((x) => [key(x), x]));
const event = (r: PgLogResult, e: string) => recordsOf(r).filter((x) => x.attributes['pg.event'] === e);

describe.each([
  ['jsonlog', () => decodeJsonlog(JSONLOG, { observedTimeUnixNano: OBSERVED })],
  ['csvlog', () => decodeCsvlog(CSVLOG, { observedTimeUnixNano: OBSERVED })],
])('%s fixture', (_, decode) => {
  const out = decode();
  const recs = bySessionLine(out);

  it('reads every entry into one postgresql resource', () => {
    expect([out.accepted, out.errors]).toEqual([39, []]);
    expect(out.resourceLogs.map((rl) => rl.resource.attributes)).toEqual([
      { 'service.name': 'postgresql', 'db.system': 'postgresql' },
    ]);
    expect(out.consumedBytes).toBe((_ === 'jsonlog' ? JSONLOG : CSVLOG).length);
    expect(new Set(recordsOf(out).map((r) => r.attributes['pg.event']))).toEqual(
      new Set(['duration', 'lock_wait', 'deadlock', 'error', 'plan', 'other']),
    );
  });

  it('links statements with a sqlcommenter comment, and only those', () => {
    const linked = recordsOf(out).filter((r) => r.traceId);
    expect(linked.map((r) => [r.traceId, r.spanId, r.attributes['pg.event'], r.attributes['pg.link']])).toEqual([
      ['5bd66ef5095369c7b0d1f8f4bd33716a', 'c532cb4098ac3dd2', 'plan', 'sqlcommenter'],
      ['5bd66ef5095369c7b0d1f8f4bd33716a', 'c532cb4098ac3dd2', 'duration', 'sqlcommenter'],
      ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', 'plan', 'sqlcommenter'],
      ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', 'duration', 'sqlcommenter'],
      ...['duration', 'duration', 'duration', 'plan'].map((e) => [
        '4bf92f3577b34da6a3ce929d0e0e4736',
        '00f067aa0ba902b7',
        e,
        'sqlcommenter',
      ]),
    ]);
    expect(recordsOf(out).filter((r) => !r.traceId && r.attributes['pg.link'])).toEqual([]);
  });

  it('reads a duration statement', () => {
    expect(recs.get('6b1143a6.3616#2')).toEqual({
      timeUnixNano: 1796293542946000000n,
      observedTimeUnixNano: OBSERVED,
      severityNumber: 9,
      severityText: 'INFO',
      body: 'duration: 2.337 ms  statement: SELECT * FROM acct WHERE owner = ? AND balance > ?',
      attributes: {
        'pg.duration_ms': 2.337,
        'db.statement': 'SELECT * FROM acct WHERE owner = ? AND balance > ?',
        'pg.application_name': 'psql',
        'pg.user': 'postgres',
        'pg.database': 'postgres',
        'pg.pid': 13846,
        'pg.session_id': '6b1143a6.3616',
        'pg.session_line_num': 2,
        'pg.link': 'sqlcommenter',
        'pg.event': 'duration',
      },
      droppedAttributesCount: 0,
      flags: 1,
      traceId: '5bd66ef5095369c7b0d1f8f4bd33716a',
      spanId: 'c532cb4098ac3dd2',
      eventName: '',
    });
  });

  it('reads an error with its STATEMENT, masked', () => {
    const e = recs.get('6b1143a6.3618#1')!;
    expect([
      e.severityText,
      e.body,
      e.attributes['db.statement'],
      e.attributes['pg.sql_state'],
      e.attributes['pg.event'],
    ]).toEqual(['ERROR', 'column "nope" does not exist', 'SELECT nope FROM acct WHERE id = ?', '42703', 'error']);
  });

  it('reads lock waits and the deadlock', () => {
    expect(
      event(out, 'lock_wait').map((r) => [
        r.body,
        r.attributes['pg.wait_event'],
        r.attributes['pg.wait_ms'],
        r.attributes['db.statement'],
      ]),
    ).toEqual([
      [
        'process 13854 still waiting for ShareLock on transaction 725 after 100.139 ms',
        'ShareLock on transaction 725',
        100.139,
        'UPDATE acct SET balance = balance - ? WHERE id = ?',
      ],
      [
        'process 13854 acquired ShareLock on transaction 725 after 352.867 ms',
        'ShareLock on transaction 725',
        352.867,
        'UPDATE acct SET balance = balance - ? WHERE id = ?',
      ],
    ]);
    const d = recs.get('6b1143a8.367e#4')!;
    expect(d.attributes).toMatchObject({
      'pg.event': 'deadlock',
      'pg.sql_state': '40P01',
      'pg.wait_event': 'ShareLock on transaction 728',
      'pg.hint': 'See server log for query details.',
      'db.statement':
        'BEGIN; UPDATE acct SET balance = ? WHERE id = ?; SELECT pg_sleep(?); UPDATE acct SET balance = ? WHERE id = ?; COMMIT;',
    });
    expect(d.attributes['pg.detail']).toBe(
      'Process 13950 waits for ShareLock on transaction 728; blocked by process 13965.\nProcess 13965 waits for ShareLock on transaction 727; blocked by process 13950.\nProcess 13950: BEGIN; UPDATE acct SET balance = ? WHERE id = ?; SELECT pg_sleep(?); UPDATE acct SET balance = ? WHERE id = ?; COMMIT;\nProcess 13965: BEGIN; UPDATE acct SET balance = ? WHERE id = ?; SELECT pg_sleep(?); UPDATE acct SET balance = ? WHERE id = ?; COMMIT;',
    );
    expect(recs.get('6b1143a8.367e#3')!.attributes).toMatchObject({ 'pg.event': 'deadlock', 'pg.wait_ms': 102.96 });
  });

  it('reads auto_explain plans in text and JSON, without the raw query', () => {
    expect(recs.get('6b1143af.3862#4')!.attributes).toMatchObject({
      'pg.event': 'plan',
      'pg.duration_ms': 0.022,
      'pg.plan_format': 'text',
      'pg.plan':
        'Index Scan using acct_pkey on acct  (cost=0.15..8.17 rows=1 width=32)\n  Index Cond: (id = ?)\n  Filter: (owner <> ?::text)',
      'db.statement': 'SELECT owner FROM acct WHERE id = $1 AND owner <> ?',
    });
    const json = recs.get('6b1143a9.36e3#1')!.attributes;
    expect([json['pg.plan_format'], json['pg.duration_ms'], json['db.statement']]).toEqual([
      'json',
      0.014,
      'SET auto_explain.log_format = json; SELECT owner FROM acct WHERE balance < ?',
    ]);
    expect(JSON.parse(json['pg.plan'] as string)).toMatchObject({
      Plan: { 'Node Type': 'Seq Scan', 'Relation Name': 'acct', Filter: '(balance < ?::numeric)' },
    });
    // No literal of the session survives anywhere in a record.
    for (const r of recordsOf(out))
      expect(JSON.stringify([r.body, r.attributes])).not.toMatch(/'alice'|'x'|\b1000\b|= 42\b/);
  });
});

describe('jsonlog and csvlog agree', () => {
  it('give the same records for the same session', () => {
    const j = bySessionLine(decodeJsonlog(JSONLOG, { observedTimeUnixNano: OBSERVED }));
    const c = bySessionLine(decodeCsvlog(CSVLOG, { observedTimeUnixNano: OBSERVED }));
    expect(c).toEqual(j);
  });
});

describe('decodeJsonlog on bad and partial input', () => {
  const line = (o: object) => JSON.stringify({ timestamp: '2026-12-03 10:25:36.341 UTC', error_severity: 'LOG', ...o });

  it('reports a malformed line by number and byte offset and keeps the others', () => {
    const body = enc.encode(
      `${line({ message: 'a' })}\n{"timestamp": tru\n[1]\n{"message":"x"}\n\n${line({ message: 'b' })}\r\n`,
    );
    const out = decodeJsonlog(body, { observedTimeUnixNano: OBSERVED, service: 'pg-main' });
    expect(recordsOf(out).map((r) => r.body)).toEqual(['a', 'b']);
    expect(out.resourceLogs[0]!.resource.attributes['service.name']).toBe('pg-main');
    const first = line({ message: 'a' }).length + 1;
    expect(out.errors.map((e) => [e.line, e.offset, e.message.slice(0, 12)])).toEqual([
      [2, first, 'invalid JSON'],
      [3, first + 18, 'expected a J'],
      [4, first + 22, 'not a Postgr'],
    ]);
  });

  it('refuses a line over the limit alone', () => {
    const out = decodeJsonlog(enc.encode(`${line({ message: 'x'.repeat(300) })}\n${line({ message: 'ok' })}`), {
      maxLineBytes: 200,
    });
    expect([out.accepted, out.errors.map((e) => e.line)]).toEqual([1, [1]]);
  });

  it('leaves a last line without its newline for the next read unless final', () => {
    const body = enc.encode(`${line({ message: 'a' })}\n${line({ message: 'b' })}`);
    const partial = decodeJsonlog(body, { final: false });
    expect([partial.accepted, partial.consumedBytes]).toEqual([1, line({ message: 'a' }).length + 1]);
    expect(decodeJsonlog(body).accepted).toBe(2);
  });
});

describe('decodeCsvlog on multi-line, bad and partial input', () => {
  const row = (message: string, query = '') =>
    `2026-12-03 10:25:44.670 UTC,"u","db",42,"127.0.0.1:1",6b1143a8.1,7,"SELECT",2026-12-03 10:25:44 UTC,3/10,0,ERROR,22P02,"${message.replace(/"/g, '""')}",,,,,,"${query.replace(/"/g, '""')}",,,"app","client backend",,0`;

  it('reads quoted fields holding newlines, commas and quotes', () => {
    const out = decodeCsvlog(
      enc.encode(
        `${row('bad "input",\nsecond line', "SELECT 'a,\nb' /*traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'*/")}\n`,
      ),
    );
    expect(out.errors).toEqual([]);
    const [r] = recordsOf(out);
    expect([r!.body, r!.attributes['db.statement'], r!.traceId, r!.attributes['pg.sql_state']]).toEqual([
      'bad "input",\nsecond line',
      'SELECT ?',
      '0af7651916cd43dd8448eb211c80319c',
      '22P02',
    ]);
  });

  it('leaves a record whose closing quote has not arrived, and reads it once it has', () => {
    const whole = enc.encode(`${row('one')}\n${row('two\nlines')}\n`);
    const cut = whole.subarray(0, whole.length - 40);
    const partial = decodeCsvlog(cut, { final: false });
    expect([partial.accepted, partial.consumedBytes]).toEqual([1, row('one').length + 1]);
    const rest = decodeCsvlog(whole.subarray(partial.consumedBytes), { final: false });
    expect([recordsOf(rest).map((r) => r.body), rest.consumedBytes]).toEqual([
      ['two\nlines'],
      whole.length - partial.consumedBytes,
    ]);
  });

  it('reports a malformed record by its first line and keeps the others', () => {
    const out = decodeCsvlog(enc.encode(`${row('a')}\nnot,a,log\n"x"y,1\n${row('multi\nline')}\n${row('b')}\n`));
    expect(recordsOf(out).map((r) => r.body)).toEqual(['a', 'multi\nline', 'b']);
    expect(out.errors.map((e) => [e.line, e.message])).toEqual([
      [2, 'expected at least 23 columns, got 3'],
      [3, 'invalid CSV: unexpected character after quoted field 1'],
    ]);
  });
});
