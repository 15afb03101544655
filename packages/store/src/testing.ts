// Test support shared by every package's integration tests: the same suite runs on PGlite and, when
// DATABASE_URL is set, on a real PostgreSQL server in a database of its own.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from './database.ts';

export interface TestDatabase {
  name: 'pglite' | 'pg';
  url: string | undefined;
  open(): Promise<Database>;
  drop(): Promise<void>;
}

/** A fresh, empty PostgreSQL database on the DATABASE_URL server; its URL is returned. */
export async function createScratchDatabase(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `pivot_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** The drivers to run a suite on: PGlite always, PostgreSQL when DATABASE_URL is set. */
export function testDatabases(): TestDatabase[] {
  const out: TestDatabase[] = [
    { name: 'pglite', url: undefined, open: () => openDatabase({ dataDir: 'memory://' }), drop: async () => {} },
  ];
  const base = process.env.DATABASE_URL;
  if (base) {
    let scratch: { url: string; drop(): Promise<void> } | undefined;
    const t: TestDatabase = {
      name: 'pg',
      url: undefined,
      async open() {
        scratch ??= await createScratchDatabase(base);
        t.url = scratch.url;
        return openDatabase({ url: scratch.url });
      },
      async drop() {
        await scratch?.drop();
        scratch = undefined;
      },
    };
    out.push(t);
  }
  return out;
}

/** The database the end-to-end suites use: the configured server, or PGlite in memory. */
export async function scratchDatabaseUrl(): Promise<{ url: string | undefined; drop(): Promise<void> }> {
  const base = process.env.DATABASE_URL;
  if (!base) return { url: undefined, drop: async () => {} };
  return createScratchDatabase(base);
}
