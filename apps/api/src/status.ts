// GET /api/status: what the platform holds and how much disk each signal takes, per table and per day
// partition, with the retention in force. Admins only: POST /api/admin/retention/run applies the
// retention now, and POST /api/admin/maintenance/:job/run runs any maintenance job now; the same jobs
// the ingest service runs on its schedule, under the same locks.
import { Hono, type MiddlewareHandler } from 'hono';
import { SIGNALS } from '@pivot/model';
import {
  StatusQueries,
  createMaintenance,
  formatRetention,
  type Database,
  type Maintenance,
  type RetentionPolicy,
  type StorageStatus,
  type StoreJob,
} from '@pivot/store';
import { notFound, type AppEnv, type Logger } from '@pivot/server-kit';
import pkg from '../package.json' with { type: 'json' };

export interface StatusDeps {
  database: Database;
  retention: RetentionPolicy;
  /** COLD_AFTER: when day partitions become columnar (default 2 h), for the status and the admin runs. */
  coldAfterMs?: number;
  /**
   * The ingest service's maintenance when it runs in this process (one partition cache for its writers).
   * Otherwise one of our own, never scheduled, for the admin runs: the ingest processes then forget the
   * days it dropped at their next retention tick.
   */
  maintenance?: Maintenance<StoreJob>;
  /** Guards admin actions (Auth.requireAdmin); absent: open, as when auth is off. */
  requireAdmin?: MiddlewareHandler<AppEnv>;
  logger?: Logger;
}

export type Status = { version: string; uptimeSeconds: number } & StorageStatus;

const started = Date.now();

/** The store's figures, with this build's version and the process's uptime. */
export async function readStatus(
  queries: StatusQueries,
  retention: RetentionPolicy,
  coldAfterMs?: number,
): Promise<Status> {
  const storage = await queries.storage(retention, coldAfterMs === undefined ? {} : { coldAfterMs });
  return { version: pkg.version, uptimeSeconds: Math.round((Date.now() - started) / 1000), ...storage };
}

export function statusRoutes(deps: StatusDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const queries = new StatusQueries(deps.database);
  app.get('/api/status', async (c) => c.json(await readStatus(queries, deps.retention, deps.coldAfterMs)));

  const admin: MiddlewareHandler<AppEnv> = deps.requireAdmin ?? ((_c, next) => next());
  const maintenance =
    deps.maintenance ??
    createMaintenance(deps.database, {
      retention: deps.retention,
      ...(deps.coldAfterMs === undefined ? {} : { coldAfterMs: deps.coldAfterMs }),
    });
  // The ingest service runs this hourly; an admin can run it now, e.g. after lowering a retention.
  app.post('/api/admin/retention/run', admin, async (c) => {
    const { result } = await maintenance.runNow('retention');
    deps.logger?.info({ ...result, reqId: c.get('requestId') }, 'retention run on request');
    return c.json({
      retention: Object.fromEntries(SIGNALS.map((s) => [s, formatRetention(deps.retention[s])])),
      dropped: result.dropped,
      tracesDeleted: result.tracesDeleted,
    });
  });
  app.post('/api/admin/maintenance/:job/run', admin, async (c) => {
    const name = c.req.param('job');
    if (!maintenance.has(name))
      throw notFound(`no maintenance job "${name}"; jobs: ${maintenance.jobNames.join(', ')}`);
    const run = await maintenance.runNow(name);
    deps.logger?.info({ ...run, reqId: c.get('requestId') }, 'maintenance job run on request');
    return c.json(run);
  });
  return app;
}
