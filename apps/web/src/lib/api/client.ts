// One fetch wrapper for every call: typed results, one error type that keeps what the server said
// (our `{error}` bodies and Prometheus' `{status:"error", error, errors:[{from,to,message}]}`), and
// aborts, so a newer request always wins over a slower older one.
import type {
  EdgeTracesResponse,
  FacetResult,
  InvestigateResponse,
  LogRecord,
  LogsResponse,
  OperationStatsResponse,
  PromExemplarGroup,
  PromSeries,
  PropagationResponse,
  ServiceGraphResponse,
  ServiceStatsResponse,
  TraceColumnsResponse,
  TracePropagationResponse,
  TraceResponse,
  TraceSummary,
  TypicalTraceResponse,
} from '@pivot/api-types';

export interface ParseDiagnostic {
  from: number;
  to: number;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly path: string,
    readonly diagnostics: ParseDiagnostic[] = [],
  ) {
    super(message);
  }
  /** The endpoint is not there (yet): an older server, or an API still being built. */
  get missing(): boolean {
    return this.status === 404 && /no route for/.test(this.message);
  }
}

export const isAbort = (e: unknown): boolean => e instanceof DOMException && e.name === 'AbortError';

type Params = Record<string, string | number | undefined | null | (string | undefined)[]>;

export function query(params: Params): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) {
      for (const x of v) if (x !== undefined) p.append(k, x);
    } else p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** Called when the API answers 401 (a session expired): the layout shows the login form. */
let onUnauthorized: (() => void) | undefined;
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

/** A request app.html started before the app loaded (a trace page's data), taken once. */
function early(path: string): Promise<Response> | undefined {
  const pending = (globalThis as { __pivotEarly?: Record<string, Promise<Response> | undefined> }).__pivotEarly;
  const p = pending?.[path];
  if (pending && p) pending[path] = undefined;
  return p;
}

export async function getJson<T>(path: string, signal?: AbortSignal, init: RequestInit = {}): Promise<T> {
  let res: Response | undefined;
  try {
    // Only a successful early answer is used: a 401 before signing in, say, is asked again.
    const pre = await early(path)?.catch(() => undefined);
    res = pre?.ok
      ? pre
      : await fetch(path, {
          signal,
          ...init,
          headers: { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) },
        });
  } catch (e) {
    if (isAbort(e)) throw e;
    throw new ApiError(0, 'the server did not answer: is pivot running?', path);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('/api/auth/')) onUnauthorized?.();
    const b = (body ?? {}) as { error?: string; errors?: ParseDiagnostic[] };
    throw new ApiError(
      res.status,
      b.error ?? (text.slice(0, 200) || res.statusText),
      path,
      Array.isArray(b.errors) ? b.errors : [],
    );
  }
  if (body === undefined) {
    if (res.status === 204) return undefined as T;
    throw new ApiError(res.status, 'the server answered with something that is not JSON', path);
  }
  return body as T;
}

interface PromEnvelope<T> {
  status: 'success' | 'error';
  data: T;
}

async function prom<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await getJson<PromEnvelope<T>>(path, signal)).data;
}

export const api = {
  trace: (id: string, signal?: AbortSignal) => getJson<TraceResponse>(`/api/traces/${encodeURIComponent(id)}`, signal),
  /** The same trace, compact (what the trace view reads: a 10,000-span trace in a third of the bytes). */
  traceColumns: (id: string, signal?: AbortSignal) =>
    getJson<TraceColumnsResponse>(`/api/traces/${encodeURIComponent(id)}?format=columns`, signal),
  /** The median-duration trace of the same root operation around this one (compare with typical). */
  typicalTrace: (id: string, window?: string, signal?: AbortSignal) =>
    getJson<TypicalTraceResponse>(`/api/traces/${encodeURIComponent(id)}/typical${query({ window })}`, signal),
  /** Where the browser downloads the trace as OTLP/JSON (a body POST /v1/traces accepts back). */
  traceOtlpUrl: (id: string) => `/api/traces/${encodeURIComponent(id)}/otlp`,
  searchTraces: (params: Params, signal?: AbortSignal) =>
    getJson<{ traces: TraceSummary[] }>(`/api/traces${query(params)}`, signal),
  services: (signal?: AbortSignal) => getJson<{ services: string[] }>('/api/services', signal),
  operations: (service: string, signal?: AbortSignal) =>
    getJson<{ operations: { name: string; kind: string }[] }>(
      `/api/services/${encodeURIComponent(service)}/operations`,
      signal,
    ),
  serviceStats: (params: Params, signal?: AbortSignal) =>
    getJson<ServiceStatsResponse>(`/api/services/stats${query(params)}`, signal),
  operationStats: (service: string, params: Params, signal?: AbortSignal) =>
    getJson<OperationStatsResponse>(`/api/services/${encodeURIComponent(service)}/stats${query(params)}`, signal),

  traceLogs: (id: string, signal?: AbortSignal, limit?: number) =>
    getJson<LogsResponse & { truncated?: boolean }>(
      `/api/traces/${encodeURIComponent(id)}/logs${query({ limit })}`,
      signal,
    ),
  serviceGraph: (params: Params, signal?: AbortSignal) =>
    getJson<ServiceGraphResponse>(`/api/servicegraph${query(params)}`, signal),
  edgeTraces: (params: Params, signal?: AbortSignal) =>
    getJson<EdgeTracesResponse>(`/api/servicegraph/edge/traces${query(params)}`, signal),
  propagation: (params: Params, signal?: AbortSignal) =>
    getJson<PropagationResponse>(`/api/propagation${query(params)}`, signal),
  tracePropagation: (id: string, signal?: AbortSignal) =>
    getJson<TracePropagationResponse>(`/api/traces/${encodeURIComponent(id)}/propagation`, signal),

  logs: (params: Params, signal?: AbortSignal) => getJson<LogsResponse>(`/api/logs${query(params)}`, signal),
  logStats: (params: Params, signal?: AbortSignal) => getJson<unknown>(`/api/logs/stats${query(params)}`, signal),
  facets: (what: 'logs' | 'traces', params: Params, signal?: AbortSignal) =>
    getJson<FacetResult>(`/api/${what}/facets${query(params)}`, signal),
  /** What separates a cohort of traces from its baseline; `body` is the JSON request. */
  investigate: (body: string, signal?: AbortSignal) =>
    getJson<InvestigateResponse>('/api/investigate', signal, { method: 'POST', body }),
  logContext: (id: string, before: number, after: number, signal?: AbortSignal) =>
    getJson<{ before: LogRecord[]; record: LogRecord; after: LogRecord[] }>(
      `/api/logs/context${query({ id, before, after })}`,
      signal,
    ),

  queryRange: (q: string, startS: number, endS: number, stepS: number, signal?: AbortSignal) =>
    prom<{ resultType: string; result: PromSeries[] }>(
      `/api/v1/query_range${query({ query: q, start: startS, end: endS, step: stepS })}`,
      signal,
    ),
  query: (q: string, timeS: number, signal?: AbortSignal) =>
    prom<{ resultType: string; result: PromSeries[] }>(`/api/v1/query${query({ query: q, time: timeS })}`, signal),
  /** With `thinStepS`, per series and step only the highest exemplar (for a chart); without, every one. */
  exemplars: (q: string, startS: number, endS: number, signal?: AbortSignal, thinStepS?: number) =>
    prom<PromExemplarGroup[]>(
      `/api/v1/query_exemplars${query({ query: q, start: startS, end: endS, step: thinStepS })}`,
      signal,
    ),
  labels: (signal?: AbortSignal) => prom<string[]>('/api/v1/labels', signal),
  labelValues: (name: string, signal?: AbortSignal) =>
    prom<string[]>(`/api/v1/label/${encodeURIComponent(name)}/values`, signal),
  metadata: (signal?: AbortSignal) =>
    prom<Record<string, { type: string; help: string; unit: string }[]>>('/api/v1/metadata', signal),
};
