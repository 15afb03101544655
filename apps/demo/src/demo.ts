// startDemo: the shop's six services and its queue, their telemetry, a remote-write agent for their metrics, and a
// load generator standing in for users. Everything listens on loopback ports picked by the system.
import { DEMO_SCHEMA, openShopDatabase } from './database.ts';
import { startRemoteWrite } from './remote-write.ts';
import { Queue } from './queue.ts';
import { DEFAULT_INCIDENTS, SHOP_SERVICES, startShop, type IncidentSchedule, type ShopServices } from './shop.ts';
import { createDatabaseServerLog, createServiceTelemetry, type ServiceTelemetry } from './telemetry.ts';

/** What the demo reports about itself; pino loggers fit. */
export interface DemoLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface DemoOptions {
  /** Ingest base URL: OTLP/HTTP at /v1/traces and /v1/logs, remote-write at /api/v1/write. */
  ingestUrl: string;
  /** INGEST_TOKEN when ingest requires one. */
  token?: string | undefined;
  logger?: DemoLogger | undefined;
  /** Requests the load generator sends to the frontend per second (default 2). */
  requestsPerSecond?: number;
  /** How often metrics are remote-written (default 5 s). */
  metricsIntervalMs?: number;
  incidents?: IncidentSchedule;
  /**
   * A PostgreSQL URL (the platform's own server): the services' statements run there, in the schema
   * `demo`, and that server logs them (tail its log: PG_LOG_PATHS). Absent (PGlite), the demo sends
   * the database's log lines itself.
   */
  databaseUrl?: string | undefined;
}

export interface Demo {
  services: ShopServices;
  /** Sends now what was recorded: spans, logs and a remote-write of the current metrics. */
  flush(): Promise<void>;
  /** Stops the load, waits for requests in flight, flushes everything, closes the services. */
  stop(): Promise<void>;
}

const NAMES = SHOP_SERVICES;
const MAX_IN_FLIGHT = 50;

export async function startDemo(opts: DemoOptions): Promise<Demo> {
  const target = { ingestUrl: opts.ingestUrl.replace(/\/+$/, ''), token: opts.token };
  const tel = Object.fromEntries(NAMES.map((n) => [n, createServiceTelemetry(n, target)])) as Record<
    (typeof NAMES)[number],
    ServiceTelemetry
  >;
  const startedAt = Date.now();
  const queue = new Queue();
  const database = opts.databaseUrl
    ? await openShopDatabase(opts.databaseUrl, NAMES, (msg) => opts.logger?.warn({}, `demo: ${msg}`))
    : undefined;
  const dbServer = database ? undefined : createDatabaseServerLog(target);
  const services = await startShop(
    tel,
    opts.incidents ?? DEFAULT_INCIDENTS,
    startedAt,
    Math.random,
    queue,
    dbServer,
    database,
  );

  // Warn once per kind of failure, not at every push while ingest is away.
  let lastError = '';
  const writer = startRemoteWrite(
    NAMES.map((n) => ({ job: n, instance: new URL(services[n].url).host, registry: tel[n].registry })),
    target,
    opts.metricsIntervalMs ?? 5000,
    (err) => {
      if (err.message !== lastError) opts.logger?.warn({ err: err.message }, 'demo: remote write failed (retrying)');
      lastError = err.message;
    },
  );

  // The users: a few requests a second, most of them checkouts.
  const inFlight = new Set<Promise<unknown>>();
  const load = setInterval(
    () => {
      if (inFlight.size >= MAX_IN_FLIGHT) return;
      const checkout = Math.random() < 0.7;
      const p = fetch(`${services.frontend.url}${checkout ? '/checkout' : '/'}`, { method: checkout ? 'POST' : 'GET' })
        .then((r) => r.arrayBuffer())
        .catch(() => undefined)
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    },
    1000 / (opts.requestsPerSecond ?? 2),
  );

  opts.logger?.info(
    {
      ingest: target.ingestUrl,
      database: database ? `${database.host}/${database.name} (schema ${DEMO_SCHEMA})` : 'simulated',
      services: Object.fromEntries(NAMES.map((n) => [n, services[n].url])),
    },
    'demo shop running: frontend → checkout → inventory, pricing, payment; checkout → queue → shipping → inventory',
  );

  const flush = async () => {
    await queue.drain();
    await Promise.all([...NAMES.map((n) => tel[n].flush()), dbServer?.flush()]);
    await writer.push();
  };
  let stopped: Promise<void> | undefined;
  return {
    services,
    flush,
    stop() {
      stopped ??= (async () => {
        clearInterval(load);
        await Promise.allSettled(inFlight);
        await queue.drain();
        await writer.stop();
        await writer.push().catch(() => {});
        await Promise.all([
          ...NAMES.map((n) => tel[n].shutdown().catch(() => {})),
          dbServer?.shutdown().catch(() => {}),
        ]);
        await Promise.all(NAMES.map((n) => services[n].close()));
        await database?.close();
      })();
      return stopped;
    },
  };
}
