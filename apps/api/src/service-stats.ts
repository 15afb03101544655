// The Services pages' routes: request rate, error rate and latency percentiles per service and per
// operation (ServiceStatsQueries in the store reads them from the service-graph rollups, and the
// not-yet-folded tail from the spans); here only the window is parsed and the answer shaped.
import { Hono } from 'hono';
import { unixNano } from '@pivot/model';
import type { ServiceStatsQueries, StatsTable, StatsWindow } from '@pivot/store';
import { badRequest, type AppEnv } from '@pivot/server-kit';
import { parseDurationNs, parseTimeNs } from './params.ts';

const MAX_BUCKETS = 1000;
const DEFAULT_BUCKETS = 30;

/** start/end (defaults: the last hour) and step (default: 30 buckets), as the trace API reads them. */
export function parseStatsWindow(q: Record<string, string>, nowNs = BigInt(Date.now()) * 1_000_000n): StatsWindow {
  const endNs = q.end ? parseTimeNs('end', q.end) : unixNano(nowNs);
  const startNs = q.start ? parseTimeNs('start', q.start) : unixNano(endNs - 3_600_000_000_000n);
  if (startNs >= endNs) throw badRequest('start: must be before end');
  const stepNs = q.step
    ? parseDurationNs('step', q.step)
    : (endNs - startNs + BigInt(DEFAULT_BUCKETS) - 1n) / BigInt(DEFAULT_BUCKETS);
  if (stepNs <= 0n) throw badRequest('step: must be positive');
  if ((endNs - startNs) / stepNs > BigInt(MAX_BUCKETS))
    throw badRequest(`step: at most ${MAX_BUCKETS} buckets per request; use a larger step`);
  return { startNs, endNs, stepNs };
}

function tableJson(t: StatsTable) {
  return { start: t.startNs.toString(), end: t.endNs.toString(), stepMs: Number(t.stepNs) / 1e6, buckets: t.buckets };
}

export function serviceStatsRoutes(queries: ServiceStatsQueries): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/api/services/stats', async (c) => {
    const t = await queries.services(parseStatsWindow(c.req.query()));
    return c.json({ ...tableJson(t), total: t.total, services: t.rows });
  });
  app.get('/api/services/:service/stats', async (c) => {
    const service = c.req.param('service');
    const w = parseStatsWindow(c.req.query());
    const operation = c.req.query('operation') || undefined;
    const [t, histogram] = await Promise.all([
      queries.operations(service, w),
      queries.histogram(service, w, operation),
    ]);
    return c.json({ ...tableJson(t), service, total: t.total, operations: t.rows, histogram });
  });
  return app;
}
