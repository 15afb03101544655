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

/**
 * A TCP proxy in front of PostgreSQL whose link can be cut and restored, to test what clients see
 * when the database becomes unreachable without stopping the shared server.
 */
export async function startDbProxy(
  targetUrl: string,
): Promise<{ url: string; cut(): void; restore(): void; close(): Promise<void> }> {
  const net = await import('node:net');
  const target = new URL(targetUrl);
  const sockets = new Set<import('node:net').Socket>();
  let down = false;
  const server = net.createServer((client) => {
    if (down) return client.destroy();
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as import('node:net').AddressInfo).port;
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    cut() {
      down = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      down = false;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
