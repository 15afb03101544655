export { openDatabase, type Database, type DatabaseOptions, type Row } from './database.ts';
export { DatabaseUnavailableError, QueueFullError, StoreClosedError, QueryError, isTransientDbError } from './errors.ts';
export { GroupCommitQueue, type GroupCommitOptions } from './group-commit.ts';
export { PartitionManager, NS_PER_DAY, MS_PER_DAY, dayIndexOfNs, dayIndexOfMs, type PartitionedTable } from './partitions.ts';
export { SpanWriter, SPANS_TABLE, toSpanColumns, insertSpanColumns, spanCount, type WriterOptions } from './span-writer.ts';
export { TraceQueries, type StoredSpan, type TraceSummary, type TraceSearch } from './trace-queries.ts';
export { spanIdFromDb, traceIdFromDb, spanIdToDb } from './encode.ts';
