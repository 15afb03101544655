// The service map and propagation health routes (issue 17): the store's ServiceGraphQueries read the
// rollups the `servicegraph` maintenance job folds; here only the window is parsed and the answer
// shaped as packages/api-types says (ServiceGraphResponse, EdgeTracesResponse, PropagationResponse,
// TracePropagationResponse).
import { Hono } from 'hono';
import { unixNano } from '@pivot/model';
import type {
  EdgeTracesResponse,
  PropagationResponse,
  ServiceGraphResponse,
  TracePropagationResponse,
} from '@pivot/api-types';
import type { GraphWindow, ServiceGraphQueries } from '@pivot/store';
import { badRequest, type AppEnv } from '@pivot/server-kit';
import { parseLimit, parseTimeNs, traceIdParam } from './params.ts';
import { summaryJson } from './traces.ts';

/** start/end (Unix s/ms/µs/ns or RFC 3339); default the last hour. */
export function parseGraphWindow(q: Record<string, string>, nowNs = BigInt(Date.now()) * 1_000_000n): GraphWindow {
  const endNs = q.end ? parseTimeNs('end', q.end) : unixNano(nowNs);
  const startNs = q.start ? parseTimeNs('start', q.start) : unixNano(endNs - 3_600_000_000_000n);
  if (startNs >= endNs) throw badRequest('start: must be before end');
  return { startNs, endNs };
}

export function serviceGraphRoutes(queries: ServiceGraphQueries): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/api/servicegraph', async (c) => {
    const w = parseGraphWindow(c.req.query());
    const g = await queries.graph(w);
    return c.json({ start: w.startNs.toString(), end: w.endNs.toString(), ...g } satisfies ServiceGraphResponse);
  });
  app.get('/api/servicegraph/edge/traces', async (c) => {
    const q = c.req.query();
    if (!q.client) throw badRequest('client: required (the calling node of the edge)');
    if (!q.server) throw badRequest('server: required (the called node of the edge)');
    const w = parseGraphWindow(q);
    const rows = await queries.edgeTraces(q.client, q.server, w, parseLimit(q.limit, 20, 200));
    return c.json({
      client: q.client,
      server: q.server,
      traces: rows.map((r) => ({
        ...summaryJson(r),
        clientSpanId: r.clientSpanId,
        edgeDurationMs: Number(r.edgeDurationNs) / 1e6,
      })),
    } satisfies EdgeTracesResponse);
  });
  app.get('/api/propagation', async (c) => {
    const w = parseGraphWindow(c.req.query());
    const r = await queries.propagation(w);
    return c.json({ start: w.startNs.toString(), end: w.endNs.toString(), ...r } satisfies PropagationResponse);
  });
  app.get('/api/traces/:traceId/propagation', async (c) => {
    const traceId = traceIdParam(c.req.param('traceId'));
    return c.json({ traceId, flagged: await queries.traceFlags(traceId) } satisfies TracePropagationResponse);
  });
  return app;
}
