// HTTP between the demo services, instrumented by hand as the OpenTelemetry HTTP instrumentation would
// do it: a SERVER span per request from the W3C `traceparent` it carries, a CLIENT span per call that
// injects its own. The context is passed explicitly, so nothing global is registered in the process
// that embeds the demo (the all-in-one platform).
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { DB_DEADLOCK_TIMEOUT_MS, DB_LOG_MIN_DURATION_MS, type ShopDatabase } from './database.ts';
import type { DatabaseServerLog, ServiceTelemetry } from './telemetry.ts';

const propagator = new W3CTraceContextPropagator();

export interface Reply {
  status: number;
  body: unknown;
}

/** A route handler: gets the SERVER span's context, answers with a status and a JSON body. */
export type Handler = (ctx: Context, span: Span, query: URLSearchParams) => Promise<Reply>;

export interface RunningService {
  name: string;
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves `routes` ("METHOD /path") on a loopback port, plus the service's /metrics (OpenMetrics). */
export async function serve(t: ServiceTelemetry, routes: Record<string, Handler>): Promise<RunningService> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/metrics') {
      void t.registry.metrics().then((text) => {
        res.setHeader('Content-Type', t.registry.contentType);
        res.end(text);
      });
      return;
    }
    const route = `${req.method} ${url.pathname}`;
    const handler = routes[route];
    void handle(t, req, route, url, handler).then(({ status, body }) => {
      res.statusCode = status;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    name: t.name,
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(
  t: ServiceTelemetry,
  req: IncomingMessage,
  route: string,
  url: URL,
  handler: Handler | undefined,
): Promise<Reply> {
  const parent = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
  const [method = 'GET', path = '/'] = route.split(' ');
  const span = t.tracer.startSpan(
    route,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': method,
        'http.route': path,
        'url.path': url.pathname,
        'url.scheme': 'http',
        'server.address': '127.0.0.1',
      },
    },
    parent,
  );
  const ctx = trace.setSpan(parent, span);
  const t0 = performance.now();
  // Drain the request body: the demo's calls carry everything in the query string.
  for await (const _ of req) void _;
  let reply: Reply;
  try {
    reply = handler
      ? await handler(ctx, span, url.searchParams)
      : { status: 404, body: { error: `no route ${route}` } };
  } catch (err) {
    span.recordException(err as Error);
    reply = { status: 500, body: { error: (err as Error).message } };
  }
  span.setAttribute('http.response.status_code', reply.status);
  if (reply.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${reply.status}` });
  span.end();
  t.observe(ctx, { method, route: path, status_code: String(reply.status) }, (performance.now() - t0) / 1000);
  return reply;
}

/**
 * Calls another service with a CLIENT span whose context travels in `traceparent`, unless
 * `propagate` is false: then the callee starts a trace of its own, as behind a legacy HTTP client or
 * a proxy that strips the header.
 */
export async function call(
  t: ServiceTelemetry,
  ctx: Context,
  target: RunningService,
  method: string,
  path: string,
  opts: { propagate?: boolean } = {},
): Promise<Reply> {
  const url = new URL(path, target.url);
  const span = t.tracer.startSpan(
    `${method} ${url.pathname}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': method,
        'url.full': url.toString(),
        'server.address': url.hostname,
        'server.port': Number(url.port),
        'peer.service': target.name,
      },
    },
    ctx,
  );
  const headers: Record<string, string> = {};
  if (opts.propagate !== false) propagator.inject(trace.setSpan(ctx, span), headers, defaultTextMapSetter);
  try {
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = httpRequest(url, { method, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // Not JSON: keep the text.
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.on('error', reject);
      req.end();
    });
    span.setAttribute('http.response.status_code', reply.status);
    if (reply.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${reply.status}` });
    return reply;
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
}

/** What the shop database does around one statement, and what it logs about it. */
export interface DbCallOptions {
  /** The real database (the platform on PostgreSQL): the statement runs there, and the server logs it. */
  database?: ShopDatabase | undefined;
  /** Without a real one, the database's log as the demo writes it; absent, the call leaves no server lines. */
  server?: DatabaseServerLog | undefined;
  /** Append a sqlcommenter `traceparent` comment to the statement, as instrumented drivers do (default true). */
  sqlcommenter?: boolean;
  /** The statement first waits this long on a row lock held by another transaction. */
  lockWaitMs?: number;
}

const backendPids = new Map<string, number>();
const sessionStart = Math.floor(Date.now() / 1000).toString(16);
const traceparent = (ctx: Context) => {
  const sc = trace.getSpan(ctx)?.spanContext();
  return sc ? ` /*traceparent='00-${sc.traceId}-${sc.spanId}-01'*/` : '';
};

/**
 * A database call as a CLIENT span with the db.* semantic attributes; the statement carries a
 * sqlcommenter comment naming the span. On the real database the statement runs there (a lock wait:
 * another session of the service holds the row in an open transaction first), and the server logs
 * what it logs; otherwise the demo logs the lock wait (after deadlock_timeout) and the duration
 * (statements over log_min_duration_statement) as PostgreSQL would.
 */
export async function dbQuery(
  t: ServiceTelemetry,
  ctx: Context,
  operation: string,
  table: string,
  statement: string,
  values: unknown[],
  ms: number,
  opts: DbCallOptions = {},
): Promise<void> {
  const span = t.tracer.startSpan(
    `${operation} ${table}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'db.system.name': 'postgresql',
        'db.namespace': opts.database?.name ?? 'shop',
        'db.operation.name': operation,
        'db.collection.name': table,
        'server.address': opts.database?.host ?? 'db.demo.internal',
      },
    },
    ctx,
  );
  const spanCtx = trace.setSpan(ctx, span);
  const commented = opts.sqlcommenter !== false;
  const text = commented ? `${statement}${traceparent(spanCtx)}` : statement;
  span.setAttribute('db.query.text', text);
  if (opts.database) {
    try {
      // The row is held by the charge's earlier attempt, whose transaction is rolled back after lockWaitMs.
      if (opts.lockWaitMs)
        await opts.database.holdOpen(t.name, `${statement}${traceparent(ctx)}`, values, opts.lockWaitMs);
      await opts.database.query(t.name, text, values);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
    return;
  }
  // The server's lines name the span only when the statement's comment did.
  const lineCtx = commented ? spanCtx : undefined;
  let pid = backendPids.get(t.name);
  if (pid === undefined) backendPids.set(t.name, (pid = 4100 + backendPids.size * 17));
  const session = {
    'db.statement': statement,
    'pg.application_name': t.name,
    'pg.user': 'shop',
    'pg.database': 'shop',
    'pg.pid': pid,
    'pg.session_id': `${sessionStart}.${pid.toString(16)}`,
  };
  const started = performance.now();
  if (opts.lockWaitMs && opts.lockWaitMs > DB_DEADLOCK_TIMEOUT_MS) {
    const xid = 700_000 + Math.floor(Math.random() * 100_000);
    const lock = `ShareLock on transaction ${xid}`;
    await sleep(DB_DEADLOCK_TIMEOUT_MS);
    // Node's timers may fire a fraction of a millisecond early; the server reports no less than deadlock_timeout.
    const waited = Math.max(DB_DEADLOCK_TIMEOUT_MS, performance.now() - started);
    opts.server?.line(lineCtx, `process ${pid} still waiting for ${lock} after ${waited.toFixed(3)} ms`, {
      ...session,
      'pg.event': 'lock_wait',
      'pg.wait_event': lock,
      'pg.wait_ms': Number(waited.toFixed(3)),
    });
    await sleep(opts.lockWaitMs - waited);
    const total = performance.now() - started;
    opts.server?.line(lineCtx, `process ${pid} acquired ${lock} after ${total.toFixed(3)} ms`, {
      ...session,
      'pg.event': 'lock_wait',
      'pg.wait_event': lock,
      'pg.wait_ms': Number(total.toFixed(3)),
    });
  }
  await sleep(ms);
  const took = performance.now() - started;
  if (took >= DB_LOG_MIN_DURATION_MS)
    opts.server?.line(lineCtx, `duration: ${took.toFixed(3)} ms  execute <unnamed>: ${statement}`, {
      ...session,
      'pg.event': 'duration',
      'pg.duration_ms': Number(took.toFixed(3)),
    });
  span.end();
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
