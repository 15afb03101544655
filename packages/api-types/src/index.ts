// The JSON shapes of the query API, as apps/api writes them and the browser receives them. Times are
// Unix nanoseconds as decimal strings (a double cannot hold them), IDs lower-case hex. Type-only: the
// dashboard imports it, so it must hold nothing that survives type erasure.
import type { SpanKindName, StatusCodeName } from '@pivot/model';

export type AttrValue = string | number | boolean | null | AttrValue[] | { [k: string]: AttrValue };
export type Attributes = Record<string, AttrValue>;

export type SpanKind = SpanKindName;
export type StatusCode = StatusCodeName;

export interface ApiSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  service: string;
  kind: SpanKind;
  startTimeUnixNano: string;
  durationNano: string;
  status: { code: StatusCode; message: string };
  traceState?: string;
  attributes: Attributes;
  events: { timeUnixNano: string; name: string; attributes: Attributes }[];
  links: { traceId: string; spanId: string; attributes: Attributes }[];
  resource: { attributes: Attributes };
  scope: { name: string; version: string };
}

export interface TraceSummary {
  traceId: string;
  rootService: string | null;
  rootName: string | null;
  startTimeUnixNano: string;
  durationNano: string;
  durationMs: number;
  spanCount: number;
  errorCount: number;
  services: string[];
}

export interface TraceResponse {
  traceId: string;
  services: string[];
  summary: TraceSummary;
  spans: ApiSpan[];
}

/**
 * GET /api/traces/{id}?format=columns, what the dashboard reads: the same trace, compact. One array
 * per span field (spans by start time), starts as offsets from `summary.startTimeUnixNano` in ns,
 * and resources and scopes listed once, referenced by index.
 */
export interface TraceColumnsResponse {
  traceId: string;
  services: string[];
  summary: TraceSummary;
  spans: {
    spanId: string[];
    parentSpanId: (string | null)[];
    name: string[];
    service: string[];
    kind: SpanKind[];
    startOffsetNano: number[];
    durationNano: number[];
    statusCode: StatusCode[];
    statusMessage: string[];
    traceState: string[];
    flags: number[];
    attributes: Attributes[];
    events: (ApiSpan['events'] | null)[];
    links: (ApiSpan['links'] | null)[];
    droppedAttributesCount: number[];
    droppedEventsCount: number[];
    droppedLinksCount: number[];
    resource: number[];
    scope: number[];
  };
  resources: { attributes: Attributes; droppedAttributesCount: number }[];
  scopes: { name: string; version: string; attributes: Attributes }[];
}

export interface LogRecord {
  /** The record's key, for /api/logs/context (absent from older servers). */
  id?: string;
  timeUnixNano: string;
  observedTimeUnixNano?: string;
  severityNumber: number;
  severityText: string;
  body: string | AttrValue;
  attributes: Attributes;
  traceId: string | null;
  spanId: string | null;
  traceFlags?: number;
  service: string;
  resource?: { attributes: Attributes } | Attributes;
  scope?: { name: string; version?: string };
  /**
   * On a database server log line in the logs of a trace (GET /api/traces/{id}/logs): how it was tied to
   * its span. `sqlcommenter`: the statement's traceparent comment; `inferred`: the session's
   * application_name and the span's time window, with no other span able to claim it.
   */
  link?: 'sqlcommenter' | 'inferred';
}

export interface LogsResponse {
  logs: LogRecord[];
  nextCursor?: string | null;
}

export interface PromSeries {
  metric: Record<string, string>;
  values?: [number, string][];
  value?: [number, string];
}

export interface PromExemplarGroup {
  seriesLabels: Record<string, string>;
  exemplars: { labels: Record<string, string>; value: string; timestamp: number }[];
}

export interface StatsRow {
  /** The service, or the operation on a service's page. */
  name: string;
  requests: number;
  errors: number;
  /** Requests per second over the time the data covers: from the first request in the range to its end (or now). */
  rate: number;
  errorRate: number;
  /** Latency percentiles, interpolated within the span-metrics latency buckets (as histogram_quantile). */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** Requests per bucket. */
  sparkline: number[];
  errorSparkline: number[];
  /** P99 per bucket in ms (null where a bucket had no request). */
  p99Sparkline: (number | null)[];
}

interface StatsWindowJson {
  start: string;
  end: string;
  stepMs: number;
  /** Bucket starts, Unix ms. */
  buckets: number[];
  total: StatsRow | null;
}

export interface ServiceStatsResponse extends StatsWindowJson {
  services: StatsRow[];
}

export interface OperationStatsResponse extends StatsWindowJson {
  service: string;
  operations: StatsRow[];
  histogram: { fromMs: number; toMs: number; count: number }[];
}

/**
 * A node of the service graph. Instrumented services are `service`; the peers of CLIENT/PRODUCER spans
 * that sent no spans themselves are virtual nodes, typed by what named them (`db.system`,
 * `messaging.system`, `peer.service` or `server.address`).
 */
export interface ServiceGraphNode {
  /** Unique in the graph: the service name, or the virtual peer's name. */
  id: string;
  type: 'service' | 'database' | 'messaging' | 'external';
  /** Requests per second the node served (server/consumer side), over the time covered by data. */
  requestRate: number;
  /** Failed share of those requests, 0..1. */
  errorRate: number;
  p99Ms: number | null;
  requests: number;
  errors: number;
}

/** One client → server edge, keyed as Tempo's metrics-generator keys it. */
export interface ServiceGraphEdge {
  client: string;
  server: string;
  /** Tempo's `connection_type`: '' for a direct call, `messaging_system`, `database` or `virtual_node`. */
  connectionType: string;
  requestRate: number;
  errorRate: number;
  /** Latency as the server saw it when the server is instrumented, else as the client saw it. */
  p99Ms: number | null;
  requests: number;
  errors: number;
}

/** GET /api/servicegraph?start&end (Unix ms or RFC 3339; default the last hour). */
export interface ServiceGraphResponse {
  start: string;
  end: string;
  nodes: ServiceGraphNode[];
  edges: ServiceGraphEdge[];
}

/** GET /api/servicegraph/edge/traces?client&server&start&end&limit: the slowest traces across one edge. */
export interface EdgeTracesResponse {
  client: string;
  server: string;
  traces: (TraceSummary & { clientSpanId: string; edgeDurationMs: number })[];
}

export type PropagationProblem =
  /** A span whose parent span never arrived within the pairing wait. */
  | 'orphan'
  /** A CLIENT/PRODUCER span calling an instrumented service, with no SERVER/CONSUMER child. */
  | 'client-without-server'
  /** A SERVER/CONSUMER span called by an instrumented service, whose trace context was lost on the way. */
  | 'context-lost'
  /** A root span of kind INTERNAL or CLIENT: not an entry point. */
  | 'root-not-entry'
  /**
   * A DB CLIENT span to a SQL database whose statement carries no sqlcommenter traceparent comment: the
   * database's own log lines cannot name the trace. Counted as a broken hop; the trace still counts as complete.
   */
  | 'db-without-traceparent';

export interface PropagationExample {
  traceId: string;
  spanId: string;
}

export interface PropagationServiceRow {
  service: string;
  spans: number;
  orphans: number;
  brokenHops: number;
  nonEntryRoots: number;
  /** Each problem found, with why in words and example spans that open in the trace view. */
  problems: { problem: PropagationProblem; count: number; why: string; examples: PropagationExample[] }[];
}

/** GET /api/propagation?start&end: the services that break traces most, first. */
export interface PropagationResponse {
  start: string;
  end: string;
  traces: { total: number; complete: number; completeShare: number };
  services: PropagationServiceRow[];
  /**
   * Database server log lines (service `postgresql`) in the window per `pg.application_name`: all, and
   * those that name no trace; most unlinked first. Absent from servers before issue 21.
   */
  serverLogs?: { application: string; lines: number; unlinked: number }[];
}

/** GET /api/traces/{id}/propagation: the spans of one trace the propagation check flags. */
export interface TracePropagationResponse {
  traceId: string;
  flagged: { spanId: string; problem: PropagationProblem; why: string }[];
}

/** POST /api/sql (admins): one statement over the pivot.* views. */
export interface SqlRequest {
  sql: string;
  format?: 'json' | 'csv';
}

export interface SqlResponse {
  /** From the first row: a result without rows has no column names. */
  columns: string[];
  /** JSON values; integers beyond 2^53, timestamps and bytea come as strings. */
  rows: unknown[][];
  /** The statement had more rows than `rowLimit`. */
  truncated: boolean;
  rowLimit: number;
  elapsedMs: number;
}

/** A facet of `GET /api/logs/facets` and `GET /api/traces/facets`: a key's most frequent values. */
export interface FacetValue {
  value: string;
  count: number;
}
export interface Facet {
  key: string;
  kind: 'field' | 'attribute';
  values: FacetValue[];
  total: number;
  distinct: number;
}
export interface FacetResult {
  facets: Facet[];
  counted: number;
  sampled: boolean;
  limit: number;
}

/** `GET /api/traces/{id}/typical`: the median-duration trace of the same root operation around it. */
export interface TypicalTraceResponse {
  traceId: string;
  durationNs: string;
  durationMs: number;
  /** Peers the median was taken over (the trace itself excluded). */
  sample: number;
  rootService: string;
  rootName: string;
  window: { start: string; end: string };
}

/** One side of `POST /api/investigate`. Times are Unix nanoseconds as strings. */
export interface InvestigateCohort {
  service: string;
  operation?: string | undefined;
  minDuration?: string | undefined;
  maxDuration?: string | undefined;
  status?: 'error' | 'ok' | undefined;
  start: string;
  end: string;
}
export interface InvestigateRow {
  source: 'span' | 'resource' | 'log' | 'path';
  key: string;
  value: string;
  attribute: boolean;
  cohort: number;
  baseline: number;
  score: number;
  same?: { key: string; value: string; attribute: boolean }[];
}
export interface InvestigateResponse {
  dimensions: InvestigateRow[];
  sample: { cohort: number; baseline: number };
  matched: { cohort: number; baseline: number };
}
