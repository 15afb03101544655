export {
  openDatabase,
  openStore,
  type Database,
  type DatabaseOptions,
  type StoreOptions,
  type StoreLogger,
  type AdvisoryLock,
  type QueryOptions,
  type Row,
  type CopyIn,
} from './database.ts';
export {
  DatabaseUnavailableError,
  QueueFullError,
  StoreClosedError,
  QueryError,
  InvalidInputError,
  isTransientDbError,
  type ClassifiedError,
} from './errors.ts';
export { GroupCommitQueue, QueuedWriter, type GroupCommitOptions } from './group-commit.ts';
export {
  PartitionManager,
  PartitionUnavailableError,
  NS_PER_DAY,
  MS_PER_DAY,
  dayIndexOfNs,
  dayIndexOfMs,
  type PartitionNeeds,
} from './partitions.ts';
export {
  TABLES,
  PARTITIONED_TABLES,
  SIGNAL_TABLES,
  SIGNAL_PARTITIONED_TABLES,
  SPANS_TABLE,
  LOGS_TABLE,
  METRIC_CHUNKS_TABLE,
  METRIC_EXEMPLARS_TABLE,
  SPAN_METRICS_TABLE,
  SERVICEGRAPH_EDGES_TABLE,
  PROPAGATION_PROBLEMS_TABLE,
  PROPAGATION_SPANS_TABLE,
  PROPAGATION_TRACES_TABLE,
  type TableName,
  type TableOwner,
  type PartitionedTable,
  type PartitionedTableName,
  type PartitionUnit,
} from './tables.ts';
export {
  SpanWriter,
  toSpanColumns,
  insertSpanColumns,
  writeSpanColumns,
  spanCount,
  type WriterOptions,
} from './span-writer.ts';
export { AlertEvidenceQueries, type SpanTraceFilter, type LogTraceFilter } from './alert-evidence.ts';
export { TraceQueries, type StoredSpan, type TraceSummary, type TraceSearch } from './trace-queries.ts';
export { TypicalTraceQueries, type TypicalTraceQuery, type TypicalTraceResult } from './typical-trace.ts';
export {
  TraceQLQueries,
  traceqlCondition,
  narrowsInPostgres,
  INTRINSIC_TAGS,
  type TraceQLSearch,
  type TraceQLMatch,
  type MatchedSpan,
  type RegexSets,
} from './traceql-queries.ts';
export { spanIdFromDb, traceIdFromDb, spanIdToDb } from './encode.ts';
export { PgLogOffsets, readServerLogFiles, type PgLogFileOffset, type PgServerLogFiles } from './pg-log-offsets.ts';
export { DbSessionStore, type SessionStore, type StoredSession } from './sessions.ts';
export { LogWriter, toLogColumns, insertLogColumns, writeLogColumns, logCount, type LogColumns } from './log-writer.ts';
export {
  LogQueries,
  SEVERITY_BANDS,
  type StoredLog,
  type InferredServerLog,
  type LogFilter,
  type LogCursor,
  type LogPage,
  type LogBucket,
  type SeverityBand,
} from './log-queries.ts';
export {
  LogqlQueries,
  LogqlTooManyRowsError,
  LEVELS,
  pipelineConditions,
  type LogqlEntry,
  type LogqlRange,
  type LogqlOptions,
  type StreamStats,
} from './logql-queries.ts';
export { POSTGRES_LOG_SERVICE, INFER_SLACK_NS, type InferOptions } from './db-log-link.ts';
export { parseLogText, containsPattern, type LogText } from './log-text.ts';
export { MetricWriter, CHUNK_WINDOW_MS, sampleCount } from './metric-writer.ts';
export {
  MetricQueries,
  TooManySamplesError,
  type ExemplarThinning,
  type LabelMatcher,
  type MatchType,
  type ReadOptions,
  type SeriesSamples,
  type StoredExemplar,
} from './metric-queries.ts';
export { regexPrefilter, type Prefilter } from './label-prefilter.ts';
export {
  SqlConsole,
  SqlConsoleError,
  SQL_READER_ROLE,
  toCsv,
  type SqlConsoleOptions,
  type SqlConsoleResult,
} from './sql-console.ts';
export { compactMetricChunks, type CompactionResult } from './metric-compaction.ts';
export {
  convertColdPartitions,
  readStorageMode,
  type ColumnarOptions,
  type ColumnarResult,
  type StorageMode,
} from './columnar.ts';
export { applyRetention, formatRetention, type RetentionPolicy, type RetentionResult } from './retention.ts';
export { encodeChunk, decodeChunk, mergeChunks, ChunkDecodeError } from './chunk-codec.ts';
export { seriesId } from './series-id.ts';
export {
  ServiceStatsQueries,
  type StatsWindow,
  type StatsRow,
  type StatsTable,
  type HistogramBucket,
} from './service-stats.ts';
export {
  Maintenance,
  JobBusyError,
  createMaintenance,
  defineJob,
  jobLockKey,
  storeJobs,
  type MaintenanceJob,
  type MaintenanceOptions,
  type StoreMaintenanceOptions,
  type StoreJob,
  type StoreJobName,
  type JobContext,
  type JobName,
  type JobResult,
  type JobRun,
} from './maintenance.ts';
export {
  foldServiceGraph,
  bucketIndex,
  LATENCY_BUCKETS_NS,
  LATENCY_BUCKET_LE,
  SPAN_KIND_LABELS,
  STATUS_CODE_LABELS,
  SQLCOMMENTER_DB_SYSTEMS,
  type PropagationProblem,
  type ServiceGraphFoldOptions,
  type ServiceGraphFoldResult,
} from './servicegraph.ts';
export {
  ServiceGraphQueries,
  quantileFromBuckets,
  type GraphWindow,
  type GraphNode,
  type GraphEdge,
  type PropagationRow,
  type PropagationReport,
} from './servicegraph-queries.ts';
export { StatusQueries, type StorageStatus, type SignalStatus, type TableStatus } from './status.ts';
export {
  CITUS_EXTENSION,
  CITUS_PLACEMENT,
  citusTableKinds,
  distributeOnCitus,
  explainTraceLookup,
  isCitus,
  type CitusPlacement,
} from './citus.ts';
export { AlertingState, ruleGroupLockKey, type StoredAlert, type StoredGroupState } from './alerting-state.ts';
export {
  InvestigateQueries,
  INVESTIGATE_SAMPLE,
  type CohortFilter,
  type InvestigateRequest,
  type InvestigateResult,
} from './investigate-queries.ts';
export {
  logPattern,
  rankDimensions,
  criticalSelfTime,
  MIN_SUPPORT_SHARE,
  MIN_SUPPORT_TRACES,
  type Dimension,
  type DimensionSource,
} from './investigate.ts';
export {
  FacetQueries,
  DEFAULT_LOG_FACET_LIMIT,
  DEFAULT_TRACE_FACET_LIMIT,
  type Facet,
  type FacetValue,
  type FacetResult,
  type FacetOptions,
} from './facet-queries.ts';
export { buildLogBlocks, forgetLogBlocks, logBlockBytes } from './log-blocks.ts';
