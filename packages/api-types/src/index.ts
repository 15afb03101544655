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
  rate: number;
  errorRate: number;
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
