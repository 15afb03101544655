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
import type { ServiceTelemetry } from './telemetry.ts';

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

/** A database call as a CLIENT span with the db.* semantic attributes. */
export async function dbQuery(
  t: ServiceTelemetry,
  ctx: Context,
  operation: string,
  table: string,
  statement: string,
  ms: number,
): Promise<void> {
  const span = t.tracer.startSpan(
    `${operation} ${table}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'db.system.name': 'postgresql',
        'db.namespace': 'shop',
        'db.operation.name': operation,
        'db.collection.name': table,
        'db.query.text': statement,
        'server.address': 'db.demo.internal',
      },
    },
    ctx,
  );
  await sleep(ms);
  span.end();
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
