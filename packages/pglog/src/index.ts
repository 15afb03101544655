export { decodeJsonlog } from './jsonlog.ts';
export { decodeCsvlog } from './csvlog.ts';
export {
  DEFAULT_MAX_LINE_BYTES,
  DEFAULT_SERVICE,
  type PgLogOptions,
  type PgLogResult,
  type PgLogError,
} from './records.ts';
export { interpretEntry, type PgLogEntry, type PgEvent, type InterpretedEntry } from './interpret.ts';
export { maskSql, readSqlText, type SqlText } from './sql-text.ts';
export { sqlTraceLink, parseSqlCommenterPairs, type SqlTraceLink } from './sqlcommenter.ts';
export { pgSeverity, type Severity } from './severity.ts';
export { parsePgTimestamp } from './timestamp.ts';

/** The formats a shipper names in `format=`, and the decoder of each. */
export const PG_LOG_FORMATS = ['postgres-jsonlog', 'postgres-csvlog'] as const;
export type PgLogFormat = (typeof PG_LOG_FORMATS)[number];
