// Routes that take a trace elsewhere: its typical peer (to compare with) and its OTLP/JSON export (to
// re-ingest, attach to a bug, or load into another tool).
import { Hono } from 'hono';
import { tracesDataJson } from '@pivot/otlp';
import type { TraceQueries, TypicalTraceQueries } from '@pivot/store';
import { badRequest, notFound, type AppEnv } from '@pivot/server-kit';
import { parseDurationNs, traceIdParam } from './params.ts';
import { toResourceSpans } from './tempo.ts';

const HOUR_NS = 3_600_000_000_000n;
/** A wider window sorts more traces for little gain: a median over a week is no longer "around" the trace. */
const MAX_WINDOW_NS = 7n * 24n * HOUR_NS;

export function traceCompareRoutes(traces: TraceQueries, typical?: TypicalTraceQueries): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // A body that OTLP/HTTP JSON ingest (POST /v1/traces) accepts back: ExportTraceServiceRequest.
  app.get('/api/traces/:traceId/otlp', async (c) => {
    const traceId = traceIdParam(c.req.param('traceId'));
    const t = await traces.getTrace(traceId);
    if (!t) throw notFound(`trace ${traceId} not found`);
    const body = JSON.stringify({ resourceSpans: tracesDataJson(toResourceSpans(t.spans)) });
    return c.body(body, 200, {
      'content-type': 'application/json; charset=UTF-8',
      'content-disposition': `attachment; filename="trace-${traceId}.otlp.json"`,
    });
  });

  if (typical)
    app.get('/api/traces/:traceId/typical', async (c) => {
      const traceId = traceIdParam(c.req.param('traceId'));
      const raw = c.req.query('window');
      const windowNs = raw ? parseDurationNs('window', raw) : HOUR_NS;
      if (windowNs <= 0n || windowNs > MAX_WINDOW_NS)
        throw badRequest(`window: "${raw}" must be more than 0 and at most 7 days (e.g. 1h, 30m)`);
      const r = await typical.typical({ traceId, windowNs });
      if (r.kind === 'unknown-trace') throw notFound(`trace ${traceId} not found`);
      if (r.kind === 'no-root')
        throw notFound(`trace ${traceId} has no root span yet, so there is no root operation to match`);
      const window = { start: r.windowStartNs.toString(), end: r.windowEndNs.toString() };
      if (r.kind === 'none')
        throw notFound(`no other trace of ${r.rootService} "${r.rootName}" started within the ${raw ?? '1h'} window`);
      return c.json({
        traceId: r.traceId,
        durationNs: r.durationNano.toString(),
        durationMs: Number(r.durationNano) / 1e6,
        sample: r.sample,
        rootService: r.rootService,
        rootName: r.rootName,
        window,
      });
    });

  return app;
}
