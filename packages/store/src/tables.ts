// The table registry: every table the migrations create, the signal whose data it holds, and, for the
// tables partitioned by day, the unit of their range key. Writers, partition upkeep, retention and the
// status figures all read it from here; tables.test.ts checks it against the migrated database.
import { SIGNALS, type Signal } from '@pivot/model';

/** The unit of a partitioned table's range key: nanoseconds (spans, logs) or milliseconds (metrics). */
export type PartitionUnit = 'ns' | 'ms';

/** A table's owner: one signal, or `shared` for the rows every signal references (resources, scopes). */
export type TableOwner = Signal | 'shared';

/** In the order the status page lists them: per signal, the partitioned tables first. */
export const TABLES = [
  { name: 'spans', signal: 'traces', partitionUnit: 'ns' },
  { name: 'traces', signal: 'traces' },
  { name: 'span_operations', signal: 'traces' },
  // The service graph's minute rollups (servicegraph.ts): derived from spans, dropped with them.
  { name: 'span_metrics', signal: 'traces', partitionUnit: 'ms' },
  { name: 'servicegraph_edges', signal: 'traces', partitionUnit: 'ms' },
  { name: 'propagation_problems', signal: 'traces', partitionUnit: 'ms' },
  { name: 'propagation_spans', signal: 'traces', partitionUnit: 'ms' },
  { name: 'propagation_traces', signal: 'traces', partitionUnit: 'ms' },
  { name: 'servicegraph_watermark', signal: 'traces' },
  { name: 'servicegraph_counters', signal: 'traces' },
  { name: 'logs', signal: 'logs', partitionUnit: 'ns' },
  // How far each tailed PostgreSQL log file was read (pg-log-offsets.ts).
  { name: 'pg_log_offsets', signal: 'logs' },
  { name: 'metric_chunks', signal: 'metrics', partitionUnit: 'ms' },
  { name: 'metric_exemplars', signal: 'metrics', partitionUnit: 'ms' },
  { name: 'metric_series', signal: 'metrics' },
  { name: 'metric_metadata', signal: 'metrics' },
  // The rule manager's state (alerting-state.ts): rules read metrics and write them back.
  { name: 'alerting_groups', signal: 'metrics' },
  { name: 'alerting_alerts', signal: 'metrics' },
  { name: 'resources', signal: 'shared' },
  { name: 'scopes', signal: 'shared' },
  // The API's login sessions (sessions.ts), shared by its replicas; no signal's data.
  { name: 'api_sessions', signal: 'shared' },
] as const satisfies readonly { name: string; signal: TableOwner; partitionUnit?: PartitionUnit }[];

export type TableName = (typeof TABLES)[number]['name'];
export type PartitionedTableName = Extract<(typeof TABLES)[number], { partitionUnit: PartitionUnit }>['name'];

/** A table partitioned by day on its range key. */
export interface PartitionedTable {
  readonly name: PartitionedTableName;
  readonly unit: PartitionUnit;
  readonly signal: Signal;
}

/** Every day-partitioned table: what partition upkeep prepares ahead and retention drops by day. */
export const PARTITIONED_TABLES: readonly PartitionedTable[] = TABLES.flatMap((t) =>
  'partitionUnit' in t ? [{ name: t.name, unit: t.partitionUnit, signal: t.signal }] : [],
);

const partitioned = (name: PartitionedTableName): PartitionedTable => PARTITIONED_TABLES.find((p) => p.name === name)!;

export const SPANS_TABLE = partitioned('spans');
export const LOGS_TABLE = partitioned('logs');
export const METRIC_CHUNKS_TABLE = partitioned('metric_chunks');
export const METRIC_EXEMPLARS_TABLE = partitioned('metric_exemplars');
export const SPAN_METRICS_TABLE = partitioned('span_metrics');
export const SERVICEGRAPH_EDGES_TABLE = partitioned('servicegraph_edges');
export const PROPAGATION_PROBLEMS_TABLE = partitioned('propagation_problems');
export const PROPAGATION_SPANS_TABLE = partitioned('propagation_spans');
export const PROPAGATION_TRACES_TABLE = partitioned('propagation_traces');

/** Every table of each signal, partitioned or not, in registry order; `shared` tables serve every signal. */
export const SIGNAL_TABLES: Readonly<Record<TableOwner, readonly TableName[]>> = Object.fromEntries(
  [...SIGNALS, 'shared' as const].map((owner) => [owner, TABLES.filter((t) => t.signal === owner).map((t) => t.name)]),
) as Record<TableOwner, TableName[]>;

/** The partitioned tables that hold each signal's data, dropped by day. */
export const SIGNAL_PARTITIONED_TABLES: Readonly<Record<Signal, readonly PartitionedTable[]>> = Object.fromEntries(
  SIGNALS.map((signal) => [signal, PARTITIONED_TABLES.filter((p) => p.signal === signal)]),
) as Record<Signal, PartitionedTable[]>;
