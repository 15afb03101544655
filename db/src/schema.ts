// The drizzle schema: typed table definitions used by the query builder. Partitioning cannot be
// expressed here, so the generated migration is edited to add PARTITION BY (see migrations/).
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  uuid,
} from 'drizzle-orm/pg-core';

/** Resources are deduplicated by a 64-bit hash of their canonical JSON, computed by the writer. */
export const resources = pgTable('resources', {
  id: bigint('id', { mode: 'bigint' }).primaryKey(),
  serviceName: text('service_name').notNull(),
  attributes: jsonb('attributes').notNull(),
  droppedAttributesCount: integer('dropped_attributes_count').notNull().default(0),
});

export const scopes = pgTable('scopes', {
  id: bigint('id', { mode: 'bigint' }).primaryKey(),
  name: text('name').notNull(),
  version: text('version').notNull(),
  attributes: jsonb('attributes').notNull(),
});

/** One row per span, partitioned by day of start time. The key includes the partition column. */
export const spans = pgTable(
  'spans',
  {
    startNs: bigint('start_ns', { mode: 'bigint' }).notNull(),
    traceId: uuid('trace_id').notNull(),
    spanId: bigint('span_id', { mode: 'bigint' }).notNull(),
    parentSpanId: bigint('parent_span_id', { mode: 'bigint' }),
    durationNs: bigint('duration_ns', { mode: 'bigint' }).notNull(),
    serviceName: text('service_name').notNull(),
    name: text('name').notNull(),
    kind: smallint('kind').notNull(),
    statusCode: smallint('status_code').notNull(),
    statusMessage: text('status_message').notNull(),
    traceState: text('trace_state').notNull(),
    flags: integer('flags').notNull(),
    resourceId: bigint('resource_id', { mode: 'bigint' }).notNull(),
    scopeId: bigint('scope_id', { mode: 'bigint' }).notNull(),
    attributes: jsonb('attributes').notNull(),
    events: jsonb('events'),
    links: jsonb('links'),
    droppedAttributesCount: integer('dropped_attributes_count').notNull(),
    droppedEventsCount: integer('dropped_events_count').notNull(),
    droppedLinksCount: integer('dropped_links_count').notNull(),
  },
  // No key or index on the parent: each hot day partition has (trace_id, span_id, start_ns) unique and its
  // secondary indexes (migrations 0003 and 0007, the store's HOT_KEYS and HOT_INDEXES); a cold columnar day none.
);

/** Distinct (service, operation, kind): what the search form offers, without scanning spans. */
export const spanOperations = pgTable(
  'span_operations',
  {
    serviceName: text('service_name').notNull(),
    name: text('name').notNull(),
    kind: smallint('kind').notNull(),
  },
  (t) => [primaryKey({ columns: [t.serviceName, t.name, t.kind] })],
);

/** One row per trace, updated as its spans arrive; search filters and sorts here. */
export const traces = pgTable(
  'traces',
  {
    traceId: uuid('trace_id').primaryKey(),
    startNs: bigint('start_ns', { mode: 'bigint' }).notNull(),
    endNs: bigint('end_ns', { mode: 'bigint' }).notNull(),
    rootService: text('root_service'),
    rootName: text('root_name'),
    spanCount: integer('span_count').notNull(),
    errorCount: integer('error_count').notNull(),
    services: text('services').array().notNull(),
  },
  (t) => [
    index('traces_start_idx').on(t.startNs.desc(), t.traceId),
    index('traces_services_idx').using('gin', t.services),
    index('traces_duration_idx').on(sql`(${t.endNs} - ${t.startNs})`),
  ],
);

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => 'bytea' });
/** A table's oid (log block summaries key on the partition they describe). */
const oid = customType<{ data: number }>({ dataType: () => 'oid' });

/** One row per log record, partitioned by day of its timestamp. */
export const logs = pgTable(
  'logs',
  {
    timeNs: bigint('time_ns', { mode: 'bigint' }).notNull(),
    /** Content hash: with time_ns it makes a retried request idempotent, as Loki drops exact duplicates. */
    fingerprint: bigint('fingerprint', { mode: 'bigint' }).notNull(),
    observedNs: bigint('observed_ns', { mode: 'bigint' }).notNull(),
    traceId: uuid('trace_id'),
    spanId: bigint('span_id', { mode: 'bigint' }),
    traceFlags: integer('trace_flags').notNull(),
    severityNumber: smallint('severity_number').notNull(),
    severityText: text('severity_text').notNull(),
    serviceName: text('service_name').notNull(),
    /** The body as text (structured bodies as their JSON), for full-text search and display. */
    body: text('body').notNull(),
    bodyIsJson: boolean('body_is_json').notNull(),
    attributes: jsonb('attributes').notNull(),
    eventName: text('event_name').notNull(),
    resourceId: bigint('resource_id', { mode: 'bigint' }).notNull(),
    scopeId: bigint('scope_id', { mode: 'bigint' }).notNull(),
    droppedAttributesCount: integer('dropped_attributes_count').notNull(),
  },
  // No key or index on the parent: each hot day partition has (time_ns, fingerprint) unique and its
  // secondary indexes (migrations 0003 and 0007, the store's HOT_KEYS and HOT_INDEXES); a cold columnar day none.
);

/** A metric series: its label set (with __name__) and a stable 64-bit fingerprint as ID. */
export const metricSeries = pgTable(
  'metric_series',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey(),
    metricName: text('metric_name').notNull(),
    labels: jsonb('labels').notNull(),
  },
  (t) => [
    index('metric_series_name_idx').on(t.metricName),
    index('metric_series_labels_idx').using('gin', sql`${t.labels} jsonb_path_ops`),
  ],
);

/**
 * Samples in per-series chunks (compressed timestamps and values), partitioned by day of the chunk
 * start. Ingest writes small chunks; compaction merges them into large ones in one transaction.
 */
export const metricChunks = pgTable(
  'metric_chunks',
  {
    seriesId: bigint('series_id', { mode: 'bigint' }).notNull(),
    startMs: bigint('start_ms', { mode: 'number' }).notNull(),
    endMs: bigint('end_ms', { mode: 'number' }).notNull(),
    samples: integer('samples').notNull(),
    data: bytea('data').notNull(),
  },
  (t) => [index('metric_chunks_series_idx').on(t.seriesId, t.startMs)],
);

/** Every exemplar, kept as long as the samples, findable by series and time and by trace ID. */
export const metricExemplars = pgTable(
  'metric_exemplars',
  {
    seriesId: bigint('series_id', { mode: 'bigint' }).notNull(),
    tsMs: bigint('ts_ms', { mode: 'number' }).notNull(),
    value: doublePrecision('value').notNull(),
    traceId: uuid('trace_id'),
    spanId: bigint('span_id', { mode: 'bigint' }),
    labels: jsonb('labels').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.seriesId, t.tsMs] }),
    index('metric_exemplars_trace_idx')
      .on(t.traceId)
      .where(sql`${t.traceId} IS NOT NULL`),
  ],
);

export const metricMetadata = pgTable('metric_metadata', {
  metricFamilyName: text('metric_family_name').primaryKey(),
  type: text('type').notNull(),
  help: text('help').notNull(),
  unit: text('unit').notNull(),
});

// Service graph, span metrics and propagation health (issue 17): minute rollups the `servicegraph`
// maintenance job folds from spans, partitioned by day of `minute_ms` so retention drops them with the
// spans. Histograms are per-bucket (not cumulative) counts over fixed buckets, 2 ms doubling to 16.384 s
// and +Inf, Tempo's metrics-generator default.
/** Per (service, span name, kind, status) and minute of span end: calls, latency histogram, one exemplar. */
export const spanMetrics = pgTable(
  'span_metrics',
  {
    minuteMs: bigint('minute_ms', { mode: 'number' }).notNull(),
    service: text('service').notNull(),
    spanName: text('span_name').notNull(),
    spanKind: smallint('span_kind').notNull(),
    statusCode: smallint('status_code').notNull(),
    calls: bigint('calls', { mode: 'number' }).notNull(),
    buckets: bigint('buckets', { mode: 'number' }).array().notNull(),
    sumNs: bigint('sum_ns', { mode: 'number' }).notNull(),
    exemplarTraceId: uuid('exemplar_trace_id'),
    exemplarSpanId: bigint('exemplar_span_id', { mode: 'bigint' }),
    exemplarNs: bigint('exemplar_ns', { mode: 'number' }),
  },
  (t) => [primaryKey({ columns: [t.minuteMs, t.service, t.spanName, t.spanKind, t.statusCode] })],
);

/** Per client → server edge (Tempo's key) and minute the pair completed: requests, failures, both latencies. */
export const servicegraphEdges = pgTable(
  'servicegraph_edges',
  {
    minuteMs: bigint('minute_ms', { mode: 'number' }).notNull(),
    client: text('client').notNull(),
    server: text('server').notNull(),
    connectionType: text('connection_type').notNull(),
    requests: bigint('requests', { mode: 'number' }).notNull(),
    failed: bigint('failed', { mode: 'number' }).notNull(),
    serverBuckets: bigint('server_buckets', { mode: 'number' }).array().notNull(),
    serverSumNs: bigint('server_sum_ns', { mode: 'number' }).notNull(),
    clientBuckets: bigint('client_buckets', { mode: 'number' }).array().notNull(),
    clientSumNs: bigint('client_sum_ns', { mode: 'number' }).notNull(),
    /** The slowest pair's trace and client span this minute. */
    exemplarTraceId: uuid('exemplar_trace_id'),
    exemplarSpanId: bigint('exemplar_span_id', { mode: 'bigint' }),
    exemplarNs: bigint('exemplar_ns', { mode: 'number' }),
  },
  (t) => [primaryKey({ columns: [t.minuteMs, t.client, t.server, t.connectionType] })],
);

/** Per service, minute and problem: how many spans the propagation check flagged, and a few examples. */
export const propagationProblems = pgTable(
  'propagation_problems',
  {
    minuteMs: bigint('minute_ms', { mode: 'number' }).notNull(),
    service: text('service').notNull(),
    problem: text('problem').notNull(),
    count: bigint('count', { mode: 'number' }).notNull(),
    /** Why, in words, for the first example (names the peer where one is known). */
    why: text('why').notNull(),
    exampleTraceIds: uuid('example_trace_ids').array().notNull(),
    exampleSpanIds: bigint('example_span_ids', { mode: 'bigint' }).array().notNull(),
  },
  (t) => [primaryKey({ columns: [t.minuteMs, t.service, t.problem] })],
);

/** Every flagged span, so that the trace view can mark it: GET /api/traces/{id}/propagation. */
export const propagationSpans = pgTable(
  'propagation_spans',
  {
    minuteMs: bigint('minute_ms', { mode: 'number' }).notNull(),
    traceId: uuid('trace_id').notNull(),
    spanId: bigint('span_id', { mode: 'bigint' }).notNull(),
    service: text('service').notNull(),
    problem: text('problem').notNull(),
    why: text('why').notNull(),
  },
  (t) => [primaryKey({ columns: [t.traceId, t.spanId, t.problem, t.minuteMs] })],
);

/** Per minute a root span ended: traces seen, and those with no flagged span (complete). */
export const propagationTraces = pgTable('propagation_traces', {
  minuteMs: bigint('minute_ms', { mode: 'number' }).primaryKey(),
  traces: bigint('traces', { mode: 'number' }).notNull(),
  complete: bigint('complete', { mode: 'number' }).notNull(),
});

/** The fold's state: spans that ended before `folded_to_ns` are folded. One row. */
export const servicegraphWatermark = pgTable('servicegraph_watermark', {
  id: smallint('id').primaryKey(),
  foldedToNs: bigint('folded_to_ns', { mode: 'bigint' }).notNull(),
});

/**
 * The running totals behind the cumulative counter series the fold writes (traces_service_graph_*,
 * traces_spanmetrics_*, pivot_propagation_*), by metric series ID: rollup partitions are dropped by
 * retention, counters must never go down.
 */
export const servicegraphCounters = pgTable('servicegraph_counters', {
  seriesId: bigint('series_id', { mode: 'bigint' }).primaryKey(),
  value: doublePrecision('value').notNull(),
});

/** Rule groups' evaluation state (issue 19): last evaluation, and the series each rule last wrote (for stale markers). */
export const alertingGroups = pgTable('alerting_groups', {
  groupKey: text('group_key').primaryKey(),
  lastEvaluationMs: bigint('last_evaluation_ms', { mode: 'number' }),
  evaluationTimeMs: doublePrecision('evaluation_time_ms').notNull(),
  seriesReturned: jsonb('series_returned').notNull(),
  evaluatedBy: text('evaluated_by').notNull(),
  updatedAtMs: bigint('updated_at_ms', { mode: 'number' }).notNull(),
});

/** Active alerts (pending, firing, and resolved ones still being reported), with ActiveAt: what a restart resumes. */
export const alertingAlerts = pgTable(
  'alerting_alerts',
  {
    groupKey: text('group_key').notNull(),
    ruleKey: text('rule_key').notNull(),
    ruleSeq: integer('rule_seq').notNull(),
    labelsKey: text('labels_key').notNull(),
    labels: jsonb('labels').notNull(),
    annotations: jsonb('annotations').notNull(),
    state: text('state').notNull(),
    value: doublePrecision('value').notNull(),
    activeAtMs: bigint('active_at_ms', { mode: 'number' }).notNull(),
    firedAtMs: bigint('fired_at_ms', { mode: 'number' }),
    resolvedAtMs: bigint('resolved_at_ms', { mode: 'number' }),
    lastSentAtMs: bigint('last_sent_at_ms', { mode: 'number' }),
    validUntilMs: bigint('valid_until_ms', { mode: 'number' }),
    keepFiringSinceMs: bigint('keep_firing_since_ms', { mode: 'number' }),
  },
  (t) => [primaryKey({ name: 'alerting_alerts_pk', columns: [t.groupKey, t.ruleKey, t.ruleSeq, t.labelsKey] })],
);

/** Tailed PostgreSQL log files (issue 21): bytes read, written in the transaction of the records read. */
export const pgLogOffsets = pgTable('pg_log_offsets', {
  fileKey: text('file_key').primaryKey(),
  path: text('path').notNull(),
  byteOffset: bigint('byte_offset', { mode: 'number' }).notNull(),
  headHex: text('head_hex').notNull(),
  updatedAtMs: bigint('updated_at_ms', { mode: 'number' }).notNull(),
});

/** Cold log days whose block summaries exist (migration 0008, log-blocks.ts), with the row count they cover. */
export const logBlockDays = pgTable(
  'log_block_days',
  {
    relid: oid('relid').primaryKey(),
    day: integer('day').notNull(),
    rowsHw: bigint('rows_hw', { mode: 'number' }).notNull(),
    blockRows: integer('block_rows').notNull(),
  },
  (t) => [index('log_block_days_day_idx').on(t.day)],
);

/** One chunk group of a cold log day: its key and time ranges, services, severities, 4-gram and trace-ID blooms. */
export const logBlocks = pgTable(
  'log_blocks',
  {
    relid: oid('relid').notNull(),
    block: integer('block').notNull(),
    traceLo: uuid('trace_lo'),
    traceHi: uuid('trace_hi'),
    nullTimeLo: bigint('null_time_lo', { mode: 'bigint' }),
    nullTimeHi: bigint('null_time_hi', { mode: 'bigint' }),
    timeLo: bigint('time_lo', { mode: 'bigint' }).notNull(),
    timeHi: bigint('time_hi', { mode: 'bigint' }).notNull(),
    sevLo: smallint('sev_lo').notNull(),
    sevHi: smallint('sev_hi').notNull(),
    bands: integer('bands').notNull(),
    services: text('services').array().notNull(),
    bloom: bytea('bloom').notNull(),
    /** Bloom filter of the block's trace IDs (migration 0015); null in blocks built before it. */
    traceBloom: bytea('trace_bloom'),
  },
  (t) => [primaryKey({ columns: [t.relid, t.block] })],
);

/** API login sessions, shared by the API replicas (migration 0011): a verifier's hash, never the cookie. */
export const apiSessions = pgTable(
  'api_sessions',
  {
    selector: text('selector').primaryKey(),
    verifierSha256: text('verifier_sha256').notNull(),
    userName: text('user_name').notNull(),
    role: text('role').notNull(),
    createdAtMs: bigint('created_at_ms', { mode: 'number' }).notNull(),
    expiresAtMs: bigint('expires_at_ms', { mode: 'number' }).notNull(),
  },
  (t) => [index('api_sessions_expires_idx').on(t.expiresAtMs)],
);
