// Domain types shared by every signal. IDs are lower-case hex strings and times are bigint nanoseconds,
// branded so that a span ID can never be passed where a trace ID is expected.
/** The three signals: each has its own ingest paths, tables, retention and status figures. */
export const SIGNALS = ['traces', 'logs', 'metrics'] as const;
export type Signal = (typeof SIGNALS)[number];

export type Brand<T, B extends string> = T & { readonly __brand: B };

/** 32 lower-case hex characters, never all zeros. */
export type TraceId = Brand<string, 'TraceId'>;
/** 16 lower-case hex characters, never all zeros. */
export type SpanId = Brand<string, 'SpanId'>;
/** Nanoseconds since the Unix epoch; bigint because 2^53 ns is only 104 days. */
export type UnixNano = Brand<bigint, 'UnixNano'>;
/** Milliseconds since the Unix epoch, Prometheus' sample time unit. */
export type UnixMillis = Brand<number, 'UnixMillis'>;

const TRACE_ID_RE = /^[0-9a-f]{32}$/;
const SPAN_ID_RE = /^[0-9a-f]{16}$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** Accepts any case; returns null unless the string is a valid, non-zero trace ID. */
export function parseTraceId(s: string): TraceId | null {
  const v = s.toLowerCase();
  return TRACE_ID_RE.test(v) && v !== ZERO_TRACE ? (v as TraceId) : null;
}
export function parseSpanId(s: string): SpanId | null {
  const v = s.toLowerCase();
  return SPAN_ID_RE.test(v) && v !== ZERO_SPAN ? (v as SpanId) : null;
}
export const unixNano = (n: bigint): UnixNano => n as UnixNano;
export const unixMillis = (n: number): UnixMillis => n as UnixMillis;

/** An OTLP AnyValue in JSON form: bytes become base64 strings, int64 beyond 2^53 become decimal strings. */
export type AttrValue = string | number | boolean | null | AttrValue[] | { [key: string]: AttrValue };
export type Attributes = Record<string, AttrValue>;

export interface Resource {
  attributes: Attributes;
  droppedAttributesCount: number;
}

export interface Scope {
  name: string;
  version: string;
  attributes: Attributes;
}

export const SpanKind = { UNSPECIFIED: 0, INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;
export type SpanKindName = keyof typeof SpanKind;
export type StatusCodeName = keyof typeof StatusCode;
/** Names by number, as the API and dashboard show them (OTLP's enum names without their prefix). */
export const SPAN_KIND_NAMES = Object.keys(SpanKind) as SpanKindName[];
export const STATUS_CODE_NAMES = Object.keys(StatusCode) as StatusCodeName[];

export interface SpanEvent {
  timeUnixNano: UnixNano;
  name: string;
  attributes: Attributes;
  droppedAttributesCount: number;
}

export interface SpanLink {
  traceId: TraceId;
  spanId: SpanId;
  traceState: string;
  attributes: Attributes;
  droppedAttributesCount: number;
  flags: number;
}

export interface Span {
  traceId: TraceId;
  spanId: SpanId;
  parentSpanId: SpanId | null;
  traceState: string;
  flags: number;
  name: string;
  kind: number;
  startTimeUnixNano: UnixNano;
  endTimeUnixNano: UnixNano;
  attributes: Attributes;
  droppedAttributesCount: number;
  events: SpanEvent[];
  droppedEventsCount: number;
  links: SpanLink[];
  droppedLinksCount: number;
  status: { code: number; message: string };
}

export interface ScopeSpans {
  scope: Scope;
  spans: Span[];
}
export interface ResourceSpans {
  resource: Resource;
  scopeSpans: ScopeSpans[];
}

/**
 * Log severity bands of the OpenTelemetry data model: numbers 1–24 in six bands of four (1–4 TRACE,
 * 5–8 DEBUG, 9–12 INFO, 13–16 WARN, 17–20 ERROR, 21–24 FATAL). 0, and anything outside 1–24, is
 * UNSPECIFIED. A band's index here is its number as `(n - 1) / 4 + 1` computes it (0 for UNSPECIFIED).
 */
export const SEVERITY_BANDS = ['UNSPECIFIED', 'TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
export type SeverityBand = (typeof SEVERITY_BANDS)[number];
/** The lowest severity number of each band (the number a bare level name stands for). */
export const SeverityNumber = { UNSPECIFIED: 0, TRACE: 1, DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17, FATAL: 21 } as const;

/** The band of a severity number: 1–4 TRACE … 21–24 FATAL; UNSPECIFIED for 0 and numbers outside 1–24. */
export function severityBand(n: number): SeverityBand {
  return Number.isInteger(n) && n >= 1 && n <= 24 ? SEVERITY_BANDS[((n - 1) >> 2) + 1]! : 'UNSPECIFIED';
}

/** Level names as loggers and syslog spell them, onto the band they mean. */
const SEVERITY_NAMES: Readonly<Record<string, Exclude<SeverityBand, 'UNSPECIFIED'>>> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  information: 'INFO',
  informational: 'INFO',
  notice: 'INFO',
  warn: 'WARN',
  warning: 'WARN',
  error: 'ERROR',
  err: 'ERROR',
  fatal: 'FATAL',
  critical: 'FATAL',
  crit: 'FATAL',
  alert: 'FATAL',
  emerg: 'FATAL',
  emergency: 'FATAL',
  panic: 'FATAL',
};

/** The band a level name means, in any case ("warning", "ERR", "Critical"); undefined for other names. */
export function severityBandOfName(name: string): Exclude<SeverityBand, 'UNSPECIFIED'> | undefined {
  const key = name.toLowerCase();
  return Object.hasOwn(SEVERITY_NAMES, key) ? SEVERITY_NAMES[key] : undefined;
}

export interface LogRecord {
  timeUnixNano: UnixNano;
  observedTimeUnixNano: UnixNano;
  severityNumber: number;
  severityText: string;
  /** A string body stays a string; structured bodies are kept as JSON values. */
  body: AttrValue;
  attributes: Attributes;
  droppedAttributesCount: number;
  flags: number;
  traceId: TraceId | null;
  spanId: SpanId | null;
  eventName: string;
}

export interface ScopeLogs {
  scope: Scope;
  logRecords: LogRecord[];
}
export interface ResourceLogs {
  resource: Resource;
  scopeLogs: ScopeLogs[];
}

/** Prometheus-style labels: name → value. `__name__` holds the metric name. */
export type Labels = Record<string, string>;

export interface Sample {
  timestampMs: UnixMillis;
  /** May be NaN (including Prometheus' stale marker bit pattern) or ±Inf. */
  value: number;
}

export interface Exemplar {
  /** The exemplar's own labels, trace and span IDs included as they arrived. */
  labels: Labels;
  value: number;
  timestampMs: UnixMillis;
  traceId: TraceId | null;
  spanId: SpanId | null;
}

export interface TimeSeries {
  labels: Labels;
  samples: Sample[];
  exemplars: Exemplar[];
}

export type MetricType =
  'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'info' | 'stateset' | 'unknown';

export interface MetricMetadata {
  metricFamilyName: string;
  type: MetricType;
  help: string;
  unit: string;
}

export interface MetricsBatch {
  series: TimeSeries[];
  metadata: MetricMetadata[];
}

/** Resource attribute that names the service, per OpenTelemetry semantic conventions. */
export const SERVICE_NAME = 'service.name';
export function serviceNameOf(resource: Resource): string {
  const v = resource.attributes[SERVICE_NAME];
  return typeof v === 'string' && v !== '' ? v : 'unknown_service';
}

/**
 * The latest time that can be stored: PostgreSQL's bigint holds nanoseconds up to 2^63 - 1 (year 2262),
 * and the day partition holding a time must end within that range too.
 */
export const MAX_STORABLE_TIME_NS = 2n ** 63n - 2n * 86_400_000_000_000n;
export const MAX_STORABLE_TIME_MS = Number(MAX_STORABLE_TIME_NS / 1_000_000n);

/** Why a timestamp cannot be stored, or null. Negative times (before 1970) are refused too. */
export function timeNsProblem(field: string, ns: bigint): string | null {
  if (ns < 0n) return `${field} ${ns} is negative`;
  if (ns > MAX_STORABLE_TIME_NS) return `${field} ${ns} is beyond the latest storable time (year 2262)`;
  return null;
}
