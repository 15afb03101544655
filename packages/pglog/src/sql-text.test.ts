import { describe, expect, it } from 'vitest';
import { maskSql, readSqlText } from './sql-text.ts';

describe('maskSql', () => {
  it.each([
    ["SELECT * FROM t WHERE a = 'x' AND b > 10", 'SELECT * FROM t WHERE a = ? AND b > ?'],
    ["SELECT 'it''s', E'a\\'b', 1.5e-3, .5, 0x1F, -7", 'SELECT ?, ?, ?, ?, ?, -?'],
    ['SELECT $1, $2::int FROM t2 WHERE c IN (1, 2)', 'SELECT $1, $2::int FROM t2 WHERE c IN (?, ?)'],
    ['SELECT "col 1", "a""b", t1.x3 FROM "T"', 'SELECT "col 1", "a""b", t1.x3 FROM "T"'],
    ["SELECT $$body's$$, $fn$x$fn$, B'101', X'ff', N'n'", 'SELECT ?, ?, ?, ?, ?'],
    ['SELECT 1 -- trailing 42\n  ,  2 /* a /* nested */ b */ FROM t', 'SELECT ? , ? FROM t'],
    [
      "UPDATE acct\n\tSET owner = 'bob'\nWHERE id = 1 /*traceparent='00-ab-cd-01'*/",
      'UPDATE acct SET owner = ? WHERE id = ?',
    ],
  ])('%j → %j', (input, masked) => {
    expect(maskSql(input)).toBe(masked);
  });

  it('returns the outer comments, and never a comment inside a string', () => {
    expect(readSqlText("SELECT '/*no*/' /*a /*b*/ c*/ -- d\n/*e*/").comments).toEqual(['a /*b*/ c', 'e']);
  });

  it('masks an unterminated string or dollar body to the end', () => {
    expect(maskSql("SELECT 'abc")).toBe('SELECT ?');
    expect(maskSql('SELECT $x$abc')).toBe('SELECT ?');
    expect(maskSql('SELECT a$b, $ FROM t')).toBe('SELECT a$b, $ FROM t');
  });
});
