// Test support shared by every package's integration tests: the same suite runs on PGlite and, when
// DATABASE_URL is set, on a real PostgreSQL server in a database of its own, and, when CITUS_URL is set,
// on a Citus cluster (a coordinator and its workers) in a database of its own.
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { SpanId, TraceId } from '@pivot/model';
import { openDatabase, type Database, type QueryOptions } from './database.ts';
import { spanIdFromDb, traceIdFromDb } from './encode.ts';
import { TABLES, type TableName } from './tables.ts';

export interface TestDatabase {
  name: 'pglite' | 'pg' | 'citus';
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

/**
 * A fresh database on a Citus cluster, distributed like production: Citus' metadata is per database, so
 * the database is made on the coordinator at `coordinatorUrl` and on each of its workers, the extension
 * created in each, and the workers registered from the coordinator's new database. Four shards per
 * distributed table (the cluster's default is 32): every multi-shard path still crosses both workers,
 * and a day partition's DDL stays quick.
 */
export async function createCitusScratchDatabase(
  coordinatorUrl: string,
  shardCount = 4,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `pivot_test_${randomBytes(6).toString('hex')}`;
  const at = (base: string, host: string, port: number, db: string) => {
    const u = new URL(base);
    u.hostname = host;
    u.port = String(port);
    u.pathname = `/${db}`;
    return u.toString();
  };
  const exec = async (url: string, statements: string[]) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      for (const s of statements) await c.query(s);
    } finally {
      await c.end();
    }
  };
  const coord = new URL(coordinatorUrl);
  const admin = new pg.Client({ connectionString: coordinatorUrl });
  await admin.connect();
  let workers: { host: string; port: number }[];
  try {
    const r = await admin.query<{ host: string; port: number }>(
      'SELECT nodename AS host, nodeport AS port FROM pg_dist_node WHERE groupid <> 0 AND isactive ORDER BY nodeport',
    );
    workers = r.rows;
  } finally {
    await admin.end();
  }
  if (workers.length === 0) throw new Error(`CITUS_URL ${coordinatorUrl}: the coordinator has no workers`);
  const coordHost = coord.hostname;
  const coordPort = Number(coord.port || 5432);
  const nodes = [{ host: coordHost, port: coordPort }, ...workers];
  await Promise.all(
    nodes.map(async (n) => {
      await exec(at(coordinatorUrl, n.host, n.port, 'postgres'), [`CREATE DATABASE ${name}`]);
      await exec(at(coordinatorUrl, n.host, n.port, name), ['CREATE EXTENSION citus']);
    }),
  );
  const url = at(coordinatorUrl, coordHost, coordPort, name);
  await exec(url, [
    `ALTER DATABASE ${name} SET citus.shard_count = ${Math.trunc(shardCount)}`,
    `SELECT citus_set_coordinator_host('${coordHost}', ${coordPort})`,
    ...workers.map((w) => `SELECT citus_add_node('${w.host}', ${Math.trunc(w.port)})`),
  ]);
  return {
    url,
    async drop() {
      // The coordinator first: its sessions (and the maintenance daemon's) hold connections to the workers.
      for (const n of nodes)
        await exec(at(coordinatorUrl, n.host, n.port, 'postgres'), [`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]);
    },
  };
}

/**
 * The drivers to run a suite on: PGlite always, PostgreSQL when DATABASE_URL is set, a Citus cluster
 * when CITUS_URL is set. TEST_TARGETS (comma-separated names) keeps only those, so that a second run can
 * take the Citus target alone.
 */
export function testDatabases(): TestDatabase[] {
  const out: TestDatabase[] = [
    { name: 'pglite', url: undefined, open: () => openDatabase({ dataDir: 'memory://' }), drop: async () => {} },
  ];
  const server = (name: 'pg' | 'citus', make: () => Promise<{ url: string; drop(): Promise<void> }>) => {
    let scratch: { url: string; drop(): Promise<void> } | undefined;
    const t: TestDatabase = {
      name,
      url: undefined,
      async open() {
        scratch ??= await make();
        t.url = scratch.url;
        return openDatabase({ url: scratch.url });
      },
      async drop() {
        await scratch?.drop();
        scratch = undefined;
      },
    };
    return t;
  };
  const base = process.env.DATABASE_URL;
  if (base) out.push(server('pg', () => createScratchDatabase(base)));
  const citus = process.env.CITUS_URL;
  if (citus) out.push(server('citus', () => createCitusScratchDatabase(citus)));
  const only = process.env.TEST_TARGETS?.split(',').map((s) => s.trim());
  return only?.length ? out.filter((t) => only.includes(t.name)) : out;
}

/**
 * The layouts a store suite runs on: every test database with row partitions, and PostgreSQL once more
 * with its cold days made columnar (`columnar` true: the suite converts after writing).
 */
export function testLayouts(): { tdb: TestDatabase; columnar: boolean; label: string }[] {
  const rows = testDatabases().map((tdb) => ({ tdb, columnar: false, label: tdb.name }));
  const columnar = testDatabases()
    .filter((tdb) => tdb.name === 'pg')
    .map((tdb) => ({ tdb, columnar: true, label: 'pg, cold days columnar' }));
  return [...rows, ...columnar];
}

/** The database the end-to-end suites use: the Citus cluster in the Citus run, the configured server, or PGlite in memory. */
export async function scratchDatabaseUrl(): Promise<{ url: string | undefined; drop(): Promise<void> }> {
  // The Citus run (TEST_TARGETS=citus) puts the whole stack on a Citus coordinator.
  const citus = process.env.CITUS_URL;
  if (citus && process.env.TEST_TARGETS?.split(',').some((t) => t.trim() === 'citus'))
    return createCitusScratchDatabase(citus);
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

// ---------------------------------------------------------------------------------------------------
// Reads and actions that only tests need: exact counts, what is stored more than once, and ways to
// make the database misbehave. Product reads belong to the query classes, not here.

/** The exact number of rows of a registered table (all its partitions). */
export async function rowCount(db: Database, table: TableName): Promise<number> {
  if (!TABLES.some((t) => t.name === table)) throw new Error(`not a table of the store: ${table}`);
  const [r] = await db.query<{ n: string | number }>(sql`SELECT count(*) AS n FROM ${sql.identifier(table)}`);
  return Number(r?.n ?? 0);
}

/** Empties a registered table (all its partitions) at once, as a test that reloads its data needs. */
export async function truncateTable(db: Database, table: TableName): Promise<void> {
  if (!TABLES.some((t) => t.name === table)) throw new Error(`not a table of the store: ${table}`);
  await db.query(sql`TRUNCATE ${sql.identifier(table)}`);
}

/** Every stored span of a service with how many rows it has: exactly-once tests expect 1 each. */
export async function spanCopies(
  db: Database,
  service: string,
): Promise<{ traceId: TraceId; spanId: SpanId; copies: number }[]> {
  const rows = await db.query<{ trace_id: string; span_id: string; n: string | number }>(sql`
    SELECT trace_id, span_id, count(*) AS n FROM spans WHERE service_name = ${service} GROUP BY 1, 2`);
  return rows.map((r) => ({
    traceId: traceIdFromDb(r.trace_id),
    spanId: spanIdFromDb(r.span_id),
    copies: Number(r.n),
  }));
}

/** Every stored log body of a service with how many records carry it. */
export async function logBodyCopies(db: Database, service: string): Promise<{ body: string; copies: number }[]> {
  const rows = await db.query<{ body: string; n: string | number }>(sql`
    SELECT body, count(*) AS n FROM logs WHERE service_name = ${service} GROUP BY body`);
  return rows.map((r) => ({ body: r.body, copies: Number(r.n) }));
}

/** The name of the database a connection is on (a scratch database's, say). */
export async function databaseName(db: Database): Promise<string> {
  const [r] = await db.query<{ d: string }>(sql`SELECT current_database() AS d`);
  return r!.d;
}

/**
 * Ends every other session on `database` from an administrative connection at `adminUrl`, as a server
 * restart would; resolves with how many there were.
 */
export async function terminateConnections(adminUrl: string, database: string): Promise<number> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const r = await admin.query<{ n: string }>(
      'SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    return Number(r.rows[0]?.n ?? 0);
  } finally {
    await admin.end();
  }
}

/**
 * Ends the sessions holding advisory locks on `database` (a replica's lock connection dying, as when
 * its host is cut off); resolves with how many there were.
 */
export async function terminateAdvisoryLockHolders(adminUrl: string, database: string): Promise<number> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const r = await admin.query<{ n: string }>(
      `SELECT count(pg_terminate_backend(l.pid)) AS n FROM pg_locks l
       WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = $1)`,
      [database],
    );
    return Number(r.rows[0]?.n ?? 0);
  } finally {
    await admin.end();
  }
}

/**
 * Holds an ACCESS EXCLUSIVE lock on a registered table from a connection of its own until released, so
 * that every write to it waits: the database is up but not answering in time.
 */
export async function lockTable(url: string, table: TableName): Promise<{ release(): Promise<void> }> {
  if (!TABLES.some((t) => t.name === table)) throw new Error(`not a table of the store: ${table}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('BEGIN');
  await client.query(`LOCK TABLE "${table}" IN ACCESS EXCLUSIVE MODE`);
  return {
    async release() {
      await client.query('ROLLBACK');
      await client.end();
    },
  };
}

/** A statement that runs for `seconds` (pg_sleep), to test cancellation and timeouts. */
export async function sleepInDatabase(db: Database, seconds: number, opts?: QueryOptions): Promise<void> {
  await db.query(sql`SELECT pg_sleep(${seconds})`, opts);
}

/** Every stored API session as its row holds it (sessions.ts), to check what is kept at rest. */
export async function storedSessions(db: Database): Promise<Record<string, unknown>[]> {
  return db.query(sql`SELECT * FROM api_sessions ORDER BY expires_at_ms`);
}

/**
 * The `application_name` of the session holding the session-level advisory lock `key` on `database`
 * (each process under test names its connections in its DATABASE_URL), or null when none holds it.
 */
export async function advisoryLockHolder(adminUrl: string, database: string, key: bigint): Promise<string | null> {
  // A bigint key is stored as two oids: its high and low 32 bits, with objsubid 1.
  const u = BigInt.asUintN(64, key);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const r = await admin.query<{ app: string }>(
      `SELECT a.application_name AS app FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.classid = $2::oid AND l.objid = $3::oid
         AND l.database = (SELECT oid FROM pg_database WHERE datname = $1)`,
      [database, (u >> 32n).toString(), (u & 0xffffffffn).toString()],
    );
    return r.rows[0]?.app ?? null;
  } finally {
    await admin.end();
  }
}

/**
 * Holds row locks on one series' metric chunks from a connection of its own until released: a compaction
 * reaching that series waits, inside its transaction and under its job lock, as a slow run would.
 */
export async function lockSeriesChunks(url: string, seriesId: string): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT 1 FROM metric_chunks WHERE series_id = $1::bigint FOR UPDATE', [seriesId]);
  return {
    async release() {
      await client.query('ROLLBACK');
      await client.end();
    },
  };
}

/** Metric chunks per series and 2-hour window, with their samples (to check compaction's result). */
export async function chunkGroups(
  db: Database,
): Promise<{ series: string; window: number; chunks: number; samples: number }[]> {
  const rows = await db.query<{ series: string; w: string; chunks: string; samples: string }>(sql`
    SELECT series_id::text AS series, (start_ms / 7200000)::text AS w, count(*)::text AS chunks, sum(samples)::text AS samples
    FROM metric_chunks GROUP BY 1, 2 ORDER BY 1, 2`);
  return rows.map((r) => ({
    series: r.series,
    window: Number(r.w),
    chunks: Number(r.chunks),
    samples: Number(r.samples),
  }));
}

/** What the service-graph fold has counted: edge requests and span-metric calls, summed over all rollups. */
export async function serviceGraphTotals(db: Database): Promise<{ requests: number; calls: number }> {
  const [e] = await db.query<{ n: string | null }>(sql`SELECT sum(requests)::text AS n FROM servicegraph_edges`);
  const [m] = await db.query<{ n: string | null }>(sql`SELECT sum(calls)::text AS n FROM span_metrics`);
  return { requests: Number(e?.n ?? 0), calls: Number(m?.n ?? 0) };
}

/** Each day partition of a registered table with its access method (`heap`, or `columnar` once converted). */
export async function partitionAccessMethods(db: Database, table: TableName): Promise<Record<string, string>> {
  if (!TABLES.some((t) => t.name === table)) throw new Error(`not a table of the store: ${table}`);
  const rows = await db.query<{ name: string; am: string }>(sql`
    SELECT c.relname AS name, a.amname AS am FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent JOIN pg_am a ON a.oid = c.relam
    WHERE p.relname = ${table} ORDER BY c.relname`);
  return Object.fromEntries(rows.map((r) => [r.name, r.am]));
}

/** What the other sessions on `database` are running, with the `application_name` of each. */
export async function runningStatements(
  adminUrl: string,
  database: string,
): Promise<{ app: string; query: string; waiting: boolean }[]> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const r = await admin.query<{ app: string; query: string; waiting: boolean }>(
      `SELECT application_name AS app, query, wait_event_type = 'Lock' AS waiting FROM pg_stat_activity
       WHERE datname = $1 AND pid <> pg_backend_pid() AND state = 'active'`,
      [database],
    );
    return r.rows;
  } finally {
    await admin.end();
  }
}

/**
 * Holds a read transaction on a registered table from a connection of its own until released, as a long
 * query would: a concurrent detach of one of its partitions waits for it in its second phase.
 */
export async function holdReadTransaction(url: string, table: TableName): Promise<{ release(): Promise<void> }> {
  if (!TABLES.some((t) => t.name === table)) throw new Error(`not a table of the store: ${table}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('BEGIN');
  await client.query(`SELECT 1 FROM "${table}" LIMIT 0`);
  return {
    async release() {
      await client.query('ROLLBACK');
      await client.end();
    },
  };
}

/** Every table named as one of a table's days, in any state: partitions, columnar copies, retired ones. */
export async function dayTableNames(db: Database, table: TableName): Promise<string[]> {
  if (!TABLES.some((t) => t.name === table)) throw new Error(`not a table of the store: ${table}`);
  const rows = await db.query<{ name: string }>(sql`
    SELECT relname AS name FROM pg_class WHERE relkind = 'r' AND relname ~ ${`^${table}_[pcr][0-9]{8}$`} ORDER BY 1`);
  return rows.map((r) => r.name);
}
