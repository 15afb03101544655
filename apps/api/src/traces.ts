// Trace routes: one trace by ID, search over trace summaries, services and operations.
import { Hono } from 'hono';
import { SPAN_KIND_NAMES, STATUS_CODE_NAMES, parseTraceId } from '@pivot/model';
import type { StoredSpan, TraceQueries, TraceSummary } from '@pivot/store';
import { badRequest, notFound, type AppEnv } from '@pivot/server-kit';
import { parseDurationNs, parseLimit, parseTimeNs } from './params.ts';

const KINDS: readonly string[] = SPAN_KIND_NAMES;
const STATUS: readonly string[] = STATUS_CODE_NAMES;

export function spanJson(s: StoredSpan) {
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
    name: s.name,
    service: s.service,
    kind: KINDS[s.kind] ?? String(s.kind),
    startTimeUnixNano: s.startTimeUnixNano.toString(),
    durationNano: s.durationNano.toString(),
    status: { code: STATUS[s.status.code] ?? String(s.status.code), message: s.status.message },
    traceState: s.traceState,
    flags: s.flags,
    attributes: s.attributes,
    events: s.events,
    links: s.links,
    droppedAttributesCount: s.droppedAttributesCount,
    droppedEventsCount: s.droppedEventsCount,
    droppedLinksCount: s.droppedLinksCount,
    resource: s.resource,
    scope: s.scope,
  };
}

export function summaryJson(t: TraceSummary) {
  return {
    traceId: t.traceId,
    rootService: t.rootService,
    rootName: t.rootName,
    startTimeUnixNano: t.startTimeUnixNano.toString(),
    durationNano: t.durationNano.toString(),
    durationMs: Number(t.durationNano) / 1e6,
    spanCount: t.spanCount,
    errorCount: t.errorCount,
    services: t.services,
  };
}

export function traceRoutes(queries: TraceQueries): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/api/traces/:traceId', async (c) => {
    const raw = c.req.param('traceId');
    const traceId = parseTraceId(raw);
    if (!traceId) throw badRequest(`traceId: "${raw}" is not a trace ID (32 hex characters, not all zero)`);
    const trace = await queries.getTrace(traceId);
    if (!trace) throw notFound(`trace ${traceId} not found`);
    return c.json({
      traceId,
      summary: summaryJson(trace.summary),
      services: trace.summary.services,
      spans: trace.spans.map(spanJson),
    });
  });

  app.get('/api/traces', async (c) => {
    const q = c.req.query();
    const attributes: [string, string][] = [];
    for (const [k, values] of Object.entries(c.req.queries())) {
      if (!k.startsWith('attr.')) continue;
      const key = k.slice(5);
      if (!key) throw badRequest('attr.: attribute filters look like attr.http.route=/checkout');
      for (const v of values) attributes.push([key, v]);
    }
    if (q.status && q.status !== 'error' && q.status !== 'any')
      throw badRequest(`status: expected "error", got "${q.status}"`);
    const traces = await queries.search({
      service: q.service || undefined,
      operation: q.operation || undefined,
      attributes,
      minDurationNs: q.minDuration ? parseDurationNs('minDuration', q.minDuration) : undefined,
      maxDurationNs: q.maxDuration ? parseDurationNs('maxDuration', q.maxDuration) : undefined,
      errorsOnly: q.status === 'error',
      startNs: q.start ? parseTimeNs('start', q.start) : undefined,
      endNs: q.end ? parseTimeNs('end', q.end) : undefined,
      limit: parseLimit(q.limit, 20, 1000),
    });
    return c.json({ traces: traces.map(summaryJson) });
  });

  app.get('/api/services', async (c) => c.json({ services: await queries.services() }));
  app.get('/api/services/:service/operations', async (c) =>
    c.json({
      operations: (await queries.operations(c.req.param('service'))).map((o) => ({
        name: o.name,
        kind: KINDS[o.kind] ?? String(o.kind),
      })),
    }),
  );
  return app;
}
