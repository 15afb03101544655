// The SQL narrowing of TraceQL regexes: for the patterns narrowsInPostgres lets through, PostgreSQL's
// `~` must accept at least every string RE2 (re2js, as matchesSpan uses) accepts, on both drivers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { compileRegex } from '@pivot/traceql';
import { narrowsInPostgres, type Database } from './index.ts';
import { testDatabases } from './testing.ts';

const SAFE = [
  'GET|POST',
  'api/.*',
  '/api/(7|13)',
  'svc-[0-9]+',
  'a.c',
  '(ab)+c?',
  'x*|y+',
  'it\'s "q"',
  'a|',
  '[a-cx]z',
];
const UNSAFE = ['\\d+', 'a{2}', '^a$', '(?i)get', '[[:alpha:]]', '[^a]', 'é+'];
const STRINGS = [
  'GET',
  'POST',
  'GETPOST',
  'get',
  'api/x',
  '/api/7',
  '/api/13',
  '/api/713',
  'svc-12',
  'svc-',
  'abc',
  'a\nc',
  'ababc',
  'ab',
  '',
  'x',
  'yyy',
  'it\'s "q"',
  'a',
  'bz',
  'dz',
  'xz',
];

describe('narrowsInPostgres', () => {
  it('lets through only plain syntax', () => {
    for (const p of SAFE) expect(narrowsInPostgres(p), p).toBe(true);
    for (const p of UNSAFE) expect(narrowsInPostgres(p), p).toBe(false);
  });
});

for (const tdb of testDatabases()) {
  describe(`PostgreSQL regexes as a superset of RE2 on ${tdb.name}`, () => {
    let db: Database;
    beforeAll(async () => {
      db = await tdb.open();
    });
    afterAll(async () => {
      await db?.close();
      await tdb.drop();
    });

    it.each(SAFE)('%s', async (pattern) => {
      const re = compileRegex(pattern);
      const rows = await db.query<{ s: string; m: boolean }>(
        sql`SELECT s, s ~ ${`^(?:${pattern})$`} AS m FROM unnest(${sql.param(STRINGS)}::text[]) s`,
      );
      for (const r of rows) {
        // Equal on these, but for `.` and a newline, which only PostgreSQL matches.
        if (r.s.includes('\n')) expect(r.m || !re.matches(r.s), JSON.stringify(r.s)).toBe(true);
        else expect(r.m, `${pattern} on ${JSON.stringify(r.s)}`).toBe(re.matches(r.s));
      }
    });
  });
}
