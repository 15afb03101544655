// PG_LOG_PATHS=auto: from what the server says of its logging to the globs the tailer reads, or to the
// one reason, said at start-up, why nothing is tailed. The server's answer is read from the real store
// too (PGlite: none; PostgreSQL when DATABASE_URL is set: whatever its settings are).
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readServerLogFiles, type PgServerLogFiles } from '@pivot/store';
import { testDatabases } from '@pivot/store/testing';
import { resolveAutoPaths } from '../src/pg-tail.ts';

const dir = mkdtempSync(join(tmpdir(), 'pivot-pg-auto-'));
mkdirSync(join(dir, 'data', 'log'), { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const server = (over: Partial<PgServerLogFiles>): PgServerLogFiles => ({
  loggingCollector: true,
  destinations: ['stderr', 'jsonlog'],
  dataDirectory: join(dir, 'data'),
  jsonlog: 'log/postgresql-20261203_120000.json',
  csvlog: null,
  denied: null,
  logTimezone: 'Europe/Paris',
  ...over,
});

describe('PG_LOG_PATHS=auto', () => {
  it("tails every jsonlog file of the server's log directory, relative to data_directory", async () => {
    expect(await resolveAutoPaths(server({}))).toEqual({
      paths: [join(dir, 'data', 'log', '*.json')],
      timeZone: 'Europe/Paris',
      problem: null,
    });
    // An absolute log_directory is taken as it is; csvlog when jsonlog is not logged.
    expect(
      await resolveAutoPaths(
        server({ destinations: ['csvlog'], jsonlog: null, csvlog: join(dir, 'data', 'log', 'pg.csv') }),
      ),
    ).toEqual({ paths: [join(dir, 'data', 'log', '*.csv')], timeZone: 'Europe/Paris', problem: null });
  });

  it('says why nothing is tailed, and tails nothing', async () => {
    const problem = async (files: PgServerLogFiles | null) => {
      const auto = await resolveAutoPaths(files);
      expect(auto.paths).toEqual([]);
      return auto.problem;
    };
    expect(await problem(null)).toMatch(/^PG_LOG_PATHS=auto needs PostgreSQL \(DATABASE_URL\)/);
    expect(await problem(server({ loggingCollector: false }))).toMatch(/^logging_collector is off/);
    expect(await problem(server({ destinations: ['stderr'] }))).toBe(
      "log_destination is 'stderr': add jsonlog (or csvlog) for the server's lines to be read",
    );
    expect(
      await problem(server({ dataDirectory: null, jsonlog: null, denied: 'permission denied for function x' })),
    ).toMatch(/superuser or pg_monitor.*permission denied for function x; set PG_LOG_PATHS/);
    expect(await problem(server({ jsonlog: null }))).toBe(
      'the server names no current jsonlog file (pg_current_logfile)',
    );
    // The server on another host: its log directory is not here.
    expect(await problem(server({ jsonlog: join(dir, 'elsewhere', 'x.json') }))).toMatch(
      new RegExp(`^the server logs to ${join(dir, 'elsewhere')}, which cannot be read here`),
    );
  });

  it.runIf(process.getuid?.() !== 0)('refuses a log directory this process may not read', async () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o000);
    const auto = await resolveAutoPaths(server({ jsonlog: join(locked, 'x.json') }));
    chmodSync(locked, 0o700);
    expect(auto.paths).toEqual([]);
  });

  for (const t of testDatabases()) {
    it(`reads the server's answer from the store (${t.name})`, async () => {
      const db = await t.open();
      try {
        const files = await readServerLogFiles(db);
        if (db.kind === 'pglite') expect(files).toBeNull();
        else {
          expect(typeof files!.loggingCollector).toBe('boolean');
          expect(files!.destinations.length).toBeGreaterThan(0);
          expect(files!.logTimezone).not.toBe('');
          // Either there is a directory to tail, or a reason why not: never both, never neither.
          const auto = await resolveAutoPaths(files);
          expect(auto.paths.length === 0).toBe(auto.problem !== null);
        }
      } finally {
        await db.close();
        await t.drop();
      }
    }, 120_000);
  }
});
