// The shop's real database, when the platform runs on PostgreSQL: the services' statements run on that
// server (node-postgres, one pool per service, `application_name` = the service), in a schema of their
// own (`demo`), so the server itself logs their durations and lock waits. This is the monitored
// application's database client, not pivot's store: the demo only talks to ingest over HTTP.
import pg from 'pg';

/** The schema the shop's tables live in; its sessions' search_path. */
export const DEMO_SCHEMA = 'demo';

/** The shop database's settings for its own sessions (when the role may set them): deadlock_timeout and log_min_duration_statement. */
export const DB_DEADLOCK_TIMEOUT_MS = 100;
export const DB_LOG_MIN_DURATION_MS = 5;

export interface ShopDatabase {
  /** The database's name and host, for the DB spans' db.namespace and server.address. */
  name: string;
  host: string;
  /** Whether the shop's sessions log their statements and lock waits (the role could set it), else the server's own settings decide. */
  sessionLogging: boolean;
  /** Runs `text` as `service`'s session. */
  query(service: string, text: string, values: unknown[]): Promise<void>;
  /**
   * Runs `text` in a transaction of another session of `service`, left open for `ms` and then rolled
   * back (an abandoned attempt's transaction); resolves once the statement ran, so that the same
   * statement sent now waits on its row.
   */
  holdOpen(service: string, text: string, values: unknown[], ms: number): Promise<void>;
  close(): Promise<void>;
}

const SKUS_IN_STOCK = ['sku-espresso', 'sku-grinder', 'sku-kettle', 'sku-beans-1kg', 'sku-filter-pack'];

// The shop's schema, made once by whichever demo gets the lock first.
const SCHEMA = [
  `CREATE SCHEMA IF NOT EXISTS ${DEMO_SCHEMA}`,
  `CREATE TABLE IF NOT EXISTS ${DEMO_SCHEMA}.stock (sku text PRIMARY KEY, quantity int NOT NULL, reserved int NOT NULL DEFAULT 0)`,
  `CREATE TABLE IF NOT EXISTS ${DEMO_SCHEMA}.payments (order_id text PRIMARY KEY, amount_cents int NOT NULL, status text NOT NULL, paid_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE TABLE IF NOT EXISTS ${DEMO_SCHEMA}.shipments (order_id text NOT NULL, sku text NOT NULL, shipped_at timestamptz NOT NULL DEFAULT now())`,
];

export async function openShopDatabase(
  url: string,
  services: readonly string[],
  warn: (msg: string) => void,
): Promise<ShopDatabase> {
  const setup = new pg.Client({ connectionString: url, application_name: 'demo-setup' });
  await setup.connect();
  const settings: string[] = [];
  try {
    await setup.query('BEGIN');
    await setup.query("SELECT pg_advisory_xact_lock(hashtext('pivot-demo-schema'))");
    for (const statement of SCHEMA) await setup.query(statement);
    await setup.query(
      `INSERT INTO ${DEMO_SCHEMA}.stock (sku, quantity) SELECT unnest($1::text[]), 1000000 ON CONFLICT DO NOTHING`,
      [SKUS_IN_STOCK],
    );
    await setup.query('COMMIT');
    // Only the shop's sessions log every statement over 5 ms and their lock waits, not the server's
    // other clients (pivot's own): settings of these sessions, which need superuser (or GRANT SET).
    for (const [name, value] of [
      ['log_min_duration_statement', `${DB_LOG_MIN_DURATION_MS}ms`],
      ['log_lock_waits', 'on'],
      ['deadlock_timeout', `${DB_DEADLOCK_TIMEOUT_MS}ms`],
    ] as const) {
      const ok = await setup.query('SELECT set_config($1, $2, false)', [name, value]).then(
        () => true,
        () => false,
      );
      if (ok) settings.push(`-c ${name}=${value}`);
    }
  } finally {
    await setup.end().catch(() => undefined);
  }
  if (settings.length < 3)
    warn(
      "the demo's database role may not set log_min_duration_statement, log_lock_waits and deadlock_timeout for its sessions: the server logs the shop's statements as its own settings say",
    );
  const options = [`-c search_path=${DEMO_SCHEMA}`, ...settings].join(' ');
  const pools = new Map(
    services.map((s) => [
      s,
      new pg.Pool({ connectionString: url, application_name: s, options, max: 10, idleTimeoutMillis: 10_000 }),
    ]),
  );
  // An idle client's error (the server restarting) is not the shop's to crash on.
  for (const p of pools.values()) p.on('error', () => undefined);
  const pool = (service: string) => {
    const p = pools.get(service);
    if (!p) throw new Error(`no database pool for ${service}`);
    return p;
  };
  const target = new URL(url);
  return {
    name: decodeURIComponent(target.pathname.slice(1)) || 'postgres',
    host: target.hostname,
    sessionLogging: settings.length === 3,
    async query(service, text, values) {
      await pool(service).query(text, values);
    },
    async holdOpen(service, text, values, ms) {
      const client = await pool(service).connect();
      try {
        await client.query('BEGIN');
        await client.query(text, values);
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        client.release();
        throw err;
      }
      setTimeout(() => {
        void client
          .query('ROLLBACK')
          .catch(() => undefined)
          .finally(() => client.release());
      }, ms);
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.end().catch(() => undefined)));
    },
  };
}
