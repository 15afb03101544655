// The Prometheus HTTP API (/api/v1/*), with Prometheus' JSON shapes, error types and status codes,
// so Grafana's Prometheus data source works unmodified. Parse errors also come back as data
// ({from, to, message}) for the dashboard's editor to underline.
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Hono, type Context } from 'hono';
import { PromQLError, extractSelectors, instantQuery, parse, rangeQuery, type Querier } from '@pivot/promql';
import { MetricQueries, TooManySamplesError, type LabelMatcher } from '@pivot/store';
import type { AppEnv } from '@pivot/server-kit';

export interface PromqlOptions {
  timeoutMs: number;
  maxSamples: number;
  lookbackDeltaMs?: number;
}

const gzipAsync = promisify(gzip);

type ErrorType = 'bad_data' | 'execution' | 'timeout' | 'canceled' | 'internal' | 'not_found' | 'unavailable';
const STATUS: Record<ErrorType, number> = {
  bad_data: 400,
  execution: 422,
  timeout: 503,
  canceled: 503,
  internal: 500,
  not_found: 404,
  unavailable: 503,
};

export class ApiError extends Error {
  constructor(
    readonly errorType: ErrorType,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const bad = (msg: string, extra?: Record<string, unknown>) => new ApiError('bad_data', msg, extra);

/** Prometheus' parseTime: Unix seconds (with decimals) or RFC 3339. Returns ms. */
export function parseTime(name: string, raw: string | undefined, def: number): number {
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (raw.trim() !== '' && Number.isFinite(n)) return Math.round(n * 1000);
  const ms = Date.parse(raw);
  if (!Number.isNaN(ms)) return ms;
  throw bad(`invalid parameter "${name}": cannot parse "${raw}" to a valid timestamp`);
}

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** Prometheus' parseDuration: float seconds or a duration such as 15s, 1m30s. Returns ms. */
export function parseDurationParam(name: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() !== '' && Number.isFinite(n)) return Math.round(n * 1000);
  const re = /(\d+)(ms|s|m|h|d|w|y)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(raw))) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    consumed = re.lastIndex;
  }
  if (consumed !== raw.length || consumed === 0)
    throw bad(`invalid parameter "${name}": cannot parse "${raw}" to a valid duration`);
  return total;
}

/** GET query string and POST form bodies alike, as Prometheus reads r.Form. */
async function params(c: Context): Promise<URLSearchParams> {
  const p = new URLSearchParams(c.req.url.split('?')[1] ?? '');
  if (c.req.method === 'POST') {
    const type = c.req.header('content-type') ?? '';
    if (type.startsWith('application/x-www-form-urlencoded'))
      for (const [k, v] of new URLSearchParams(await c.req.text())) p.append(k, v);
  }
  return p;
}

function matcherSets(p: URLSearchParams, required: boolean): LabelMatcher[][] {
  const raw = p.getAll('match[]');
  if (required && raw.length === 0) throw bad('no match[] parameter provided');
  return raw.map((m) => {
    const res = parse(m);
    if (!res.ok) throw bad(`invalid parameter "match[]": ${res.errors[0]!.message}`, { errors: res.errors });
    if (res.expr.type !== 'VectorSelector')
      throw bad(`invalid parameter "match[]": expected vector selector, got ${res.expr.type}`);
    return extractSelectors(res.expr)[0] ?? [];
  });
}

export function promqlRoutes(metrics: MetricQueries, opts: PromqlOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const querier: Querier = {
    // The engine's signal ends on its timeout or the client's disconnect, and cancels the statement.
    select: (matchers, minMs, maxMs, signal) =>
      metrics.select(matchers, minMs, maxMs, { maxSamples: opts.maxSamples, signal }),
  };
  const success = async (c: Context, data: unknown) => {
    const body = JSON.stringify({ status: 'success', data });
    // A large answer (thousands of exemplars: over a megabyte) is compressed here in one call off the
    // event loop, rather than chunk by chunk through the compress middleware's stream, which is slower.
    if (body.length < 64 * 1024 || !/\bgzip\b/.test(c.req.header('accept-encoding') ?? ''))
      return c.body(body, 200, { 'content-type': 'application/json' });
    const gz = await gzipAsync(body, { level: 3 });
    return c.body(new Uint8Array(gz.buffer, gz.byteOffset, gz.byteLength), 200, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      vary: 'Accept-Encoding',
    });
  };

  app.onError((err, c) => {
    let e: ApiError;
    if (err instanceof ApiError) e = err;
    else if (err instanceof PromQLError) e = new ApiError(err.kind, err.message);
    else if (err instanceof TooManySamplesError) e = new ApiError('execution', err.message);
    else throw err;
    return c.json(
      { status: 'error', errorType: e.errorType, error: e.message, ...e.extra },
      STATUS[e.errorType] as 400,
    );
  });

  const engineOpts = (p: URLSearchParams, signal: AbortSignal) => {
    const t = p.get('timeout');
    const timeoutMs = t ? Math.min(parseDurationParam('timeout', t), opts.timeoutMs) : opts.timeoutMs;
    return {
      timeoutMs,
      maxSamples: opts.maxSamples,
      signal,
      ...(opts.lookbackDeltaMs ? { lookbackDeltaMs: opts.lookbackDeltaMs } : {}),
    };
  };
  const checkedQuery = (p: URLSearchParams): string => {
    const q = p.get('query');
    if (q === null) throw bad('invalid parameter "query": query must be set');
    const res = parse(q);
    if (!res.ok) {
      const first = res.errors[0]!;
      throw bad(`invalid parameter "query": ${formatPosition(q, first.from)}: parse error: ${first.message}`, {
        errors: res.errors,
      });
    }
    return q;
  };

  app.on(['GET', 'POST'], '/api/v1/query', async (c) => {
    const p = await params(c);
    const query = checkedQuery(p);
    const time = parseTime('time', p.get('time') ?? undefined, Date.now());
    return success(c, await instantQuery(querier, query, time, engineOpts(p, c.req.raw.signal)));
  });

  app.on(['GET', 'POST'], '/api/v1/query_range', async (c) => {
    const p = await params(c);
    const start = parseTime('start', p.get('start') ?? undefined, NaN);
    const end = parseTime('end', p.get('end') ?? undefined, NaN);
    if (Number.isNaN(start)) throw bad('invalid parameter "start": cannot parse "" to a valid timestamp');
    if (Number.isNaN(end)) throw bad('invalid parameter "end": cannot parse "" to a valid timestamp');
    const stepRaw = p.get('step');
    if (!stepRaw) throw bad('invalid parameter "step": cannot parse "" to a valid duration');
    const step = parseDurationParam('step', stepRaw);
    const query = checkedQuery(p);
    return success(c, await rangeQuery(querier, query, start, end, step, engineOpts(p, c.req.raw.signal)));
  });

  app.on(['GET', 'POST'], '/api/v1/series', async (c) => {
    const p = await params(c);
    const sets = matcherSets(p, true);
    const start = parseTime('start', p.get('start') ?? undefined, 0);
    const end = parseTime('end', p.get('end') ?? undefined, Date.now() + 86_400_000);
    const limit = Number(p.get('limit') ?? 0) || undefined;
    return success(
      c,
      (await metrics.seriesIds(sets, start, end, limit, { signal: c.req.raw.signal })).map((s) => s.labels),
    );
  });

  app.on(['GET', 'POST'], '/api/v1/labels', async (c) => {
    const p = await params(c);
    const sets = matcherSets(p, false);
    const start = p.get('start') ? parseTime('start', p.get('start')!, 0) : undefined;
    const end = p.get('end') ? parseTime('end', p.get('end')!, 0) : undefined;
    return success(c, await metrics.labelNames(sets, start, end));
  });

  app.get('/api/v1/label/:name/values', async (c) => {
    const p = await params(c);
    const sets = matcherSets(p, false);
    const start = p.get('start') ? parseTime('start', p.get('start')!, 0) : undefined;
    const end = p.get('end') ? parseTime('end', p.get('end')!, 0) : undefined;
    return success(c, await metrics.labelValues(c.req.param('name'), sets, start, end));
  });

  app.on(['GET', 'POST'], '/api/v1/query_exemplars', async (c) => {
    const p = await params(c);
    const query = checkedQuery(p);
    const parsed = parse(query);
    const sets = parsed.ok ? extractSelectors(parsed.expr) : [];
    const start = parseTime('start', p.get('start') ?? undefined, 0);
    const end = parseTime('end', p.get('end') ?? undefined, Date.now());
    if (end < start) throw bad('end timestamp must not be before start timestamp');
    // pivot's thinning for charts (not Prometheus'): with `step`, per series and step the `per_step`
    // (default 1) highest exemplars only. Without it, every exemplar, as Prometheus answers.
    const stepRaw = p.get('step');
    const stepMs = stepRaw ? parseDurationParam('step', stepRaw) : undefined;
    if (stepMs !== undefined && stepMs <= 0)
      throw bad('zero or negative query resolution step widths are not accepted. Try a positive integer');
    const perStepRaw = p.get('per_step');
    const perStep = perStepRaw ? Number(perStepRaw) : 1;
    if (!Number.isInteger(perStep) || perStep < 1)
      throw bad(`invalid parameter "per_step": cannot parse "${perStepRaw}" to a positive integer`);
    if (perStepRaw && stepMs === undefined) throw bad('invalid parameter "per_step": needs "step"');
    const groups = sets.length
      ? await metrics.exemplars(sets, start, end, undefined, {
          signal: c.req.raw.signal,
          thin: stepMs === undefined ? undefined : { stepMs, perStep },
        })
      : [];
    return success(
      c,
      groups.map((g) => ({
        seriesLabels: g.seriesLabels,
        exemplars: g.exemplars.map((e) => ({
          labels: e.labels,
          value: String(e.value),
          timestamp: e.timestampMs / 1000,
        })),
      })),
    );
  });

  app.get('/api/v1/metadata', async (c) => {
    const p = await params(c);
    const limit = Number(p.get('limit') ?? 0) || undefined;
    return success(c, await metrics.metadata(p.get('metric') ?? undefined, limit));
  });

  // What Grafana probes: a version that has the features we serve (rules and alerts: rules-routes.ts).
  app.get('/api/v1/status/buildinfo', (c) =>
    success(c, {
      version: '2.42.0',
      revision: 'pivot',
      branch: 'main',
      buildUser: 'pivot',
      buildDate: '',
      goVersion: 'n/a',
    }),
  );
  return app;
}

function formatPosition(query: string, from: number): string {
  const before = query.slice(0, from);
  return `${before.split('\n').length}:${from - before.lastIndexOf('\n')}`;
}
