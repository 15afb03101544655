// GET /api/status: what the platform holds and how much disk each signal takes, per table and per day
// partition, with the retention in force. POST /api/admin/retention/run applies the retention now
// (admins only): the same job the ingest service runs hourly.
import { Hono, type MiddlewareHandler } from 'hono';
import { SIGNALS } from '@pivot/model';
import {
  PartitionManager,
  StatusQueries,
  applyRetention,
  formatRetention,
  type Database,
  type RetentionPolicy,
  type StorageStatus,
} from '@pivot/store';
import type { AppEnv, Logger } from '@pivot/server-kit';
import pkg from '../package.json' with { type: 'json' };

export interface StatusDeps {
  database: Database;
  retention: RetentionPolicy;
  /**
   * The ingest writers' partition manager when they run in this process. Otherwise a manager of our
   * own: the ingest process then forgets the dropped days at its next hourly run.
   */
  partitions?: PartitionManager;
  /** Guards admin actions (Auth.requireAdmin); absent: open, as when auth is off. */
  requireAdmin?: MiddlewareHandler<AppEnv>;
  logger?: Logger;
  now?: () => number;
}

export type Status = { version: string; uptimeSeconds: number } & StorageStatus;

const started = Date.now();

/** The store's figures, with this build's version and the process's uptime. */
export async function readStatus(queries: StatusQueries, retention: RetentionPolicy): Promise<Status> {
  const storage = await queries.storage(retention);
  return { version: pkg.version, uptimeSeconds: Math.round((Date.now() - started) / 1000), ...storage };
}

export function statusRoutes(deps: StatusDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const now = deps.now ?? Date.now;
  const queries = new StatusQueries(deps.database);
  app.get('/api/status', async (c) => c.json(await readStatus(queries, deps.retention)));

  const admin: MiddlewareHandler<AppEnv> = deps.requireAdmin ?? ((_c, next) => next());
  const partitions = deps.partitions ?? new PartitionManager(deps.database);
  // The ingest service runs this hourly; an admin can run it now, e.g. after lowering a retention.
  app.post('/api/admin/retention/run', admin, async (c) => {
    const result = await applyRetention(deps.database, partitions, deps.retention, now());
    deps.logger?.info({ ...result, reqId: c.get('requestId') }, 'retention run on request');
    return c.json({
      retention: Object.fromEntries(SIGNALS.map((s) => [s, formatRetention(deps.retention[s])])),
      dropped: result.dropped,
      tracesDeleted: result.tracesDeleted,
    });
  });
  return app;
}
