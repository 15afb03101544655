// Writes decoded log records. Like spans: on PostgreSQL a group-commit batch is streamed with COPY FROM
// STDIN into the day partitions, resources and scopes deduplicated by content, day partitions ensured
// per batch. The key is (time, content hash): a retried request makes the COPY fail with a unique
// violation, and the batch then takes the idempotent path, one unnest() statement with ON CONFLICT DO
// NOTHING, so nothing is stored twice. PGlite (no COPY FROM STDIN) always takes the unnest() path.
import { sql } from 'drizzle-orm';
import { unixNano, type LogRecord, type ResourceLogs, type UnixNano } from '@pivot/model';
import type { CopyIn, Database } from './database.ts';
import { CopyBuffer, type CopyColumn } from './copy-text.ts';
import { cleanText, spanIdToDb, toJsonText } from './encode.ts';
import { ResourceSet, clampCount } from './resources.ts';
import { QueuedWriter, type WriterOptions } from './group-commit.ts';
import { fingerprint64 } from './log-fingerprint.ts';
import { dayIndexOfNs, type PartitionManager } from './partitions.ts';
import { LOGS_TABLE } from './tables.ts';
import { writeByCopyOrInsert } from './columnar.ts';

const MAX_INT64 = 2n ** 63n - 1n;

/** Column arrays for one insert, in table order. */
export interface LogColumns {
  timeNs: string[];
  fingerprint: string[];
  observedNs: string[];
  traceId: (string | null)[];
  spanId: (string | null)[];
  traceFlags: number[];
  severityNumber: number[];
  severityText: string[];
  serviceName: string[];
  body: string[];
  bodyIsJson: boolean[];
  attributes: string[];
  eventName: string[];
  resourceId: string[];
  scopeId: string[];
  droppedAttributes: number[];
  resources: ResourceSet;
  days: Set<number>;
}

export function logCount(batch: ResourceLogs[]): number {
  let n = 0;
  for (const rl of batch) for (const sl of rl.scopeLogs) n += sl.logRecords.length;
  return n;
}

const validNs = (t: bigint): boolean => t > 0n && t <= MAX_INT64;

/**
 * A string body is stored as is; any other body (map, array, number, bool) as its JSON, flagged, so that
 * it comes back as the same value and full-text search still sees its text.
 */
function bodyText(body: LogRecord['body']): [string, boolean] {
  if (typeof body === 'string') return [cleanText(body), false];
  if (body === null) return ['', false];
  return [toJsonText(body), true];
}

/**
 * Turns decoded batches into column arrays; pure apart from `nowNs`, so the benchmark's ceiling can
 * prepare them up front. A record without a time takes its observed time, and one without either the
 * receive time (`nowNs`), as the OpenTelemetry data model says.
 */
export function toLogColumns(
  batches: ResourceLogs[][],
  nowNs: UnixNano = unixNano(BigInt(Date.now()) * 1_000_000n),
): LogColumns {
  const c: LogColumns = {
    timeNs: [],
    fingerprint: [],
    observedNs: [],
    traceId: [],
    spanId: [],
    traceFlags: [],
    severityNumber: [],
    severityText: [],
    serviceName: [],
    body: [],
    bodyIsJson: [],
    attributes: [],
    eventName: [],
    resourceId: [],
    scopeId: [],
    droppedAttributes: [],
    resources: new ResourceSet(),
    days: new Set(),
  };
  for (const batch of batches) {
    for (const rl of batch) {
      const { id: resourceId, service } = c.resources.resource(rl.resource);
      for (const sl of rl.scopeLogs) {
        const scopeId = c.resources.scope(sl.scope);
        for (const r of sl.logRecords) {
          const observed = validNs(r.observedTimeUnixNano) ? r.observedTimeUnixNano : nowNs;
          const time = validNs(r.timeUnixNano) ? r.timeUnixNano : observed;
          const [body, bodyIsJson] = bodyText(r.body);
          const attributes = toJsonText(r.attributes);
          // Only the W3C trace flags (bits 0-7); OTLP reserves the others.
          const flags = r.flags & 0xff;
          // Severity numbers outside the OpenTelemetry range would not fit the column's meaning.
          const severity =
            Number.isInteger(r.severityNumber) && r.severityNumber >= 0 && r.severityNumber <= 24
              ? r.severityNumber
              : 0;
          const severityText = cleanText(r.severityText);
          const eventName = cleanText(r.eventName);
          const spanId = r.spanId ? spanIdToDb(r.spanId) : null;
          const dropped = clampCount(r.droppedAttributesCount);
          // Everything but the times: the observed time differs between a request and its retry.
          c.fingerprint.push(
            fingerprint64(
              `${resourceId}\u0001${scopeId}\u0001${severity}\u0001${severityText}\u0001${bodyIsJson ? 'j' : 's'}${body}\u0001${attributes}\u0001${r.traceId ?? ''}\u0001${spanId ?? ''}\u0001${flags}\u0001${eventName}\u0001${dropped}`,
            ),
          );
          c.timeNs.push(time.toString());
          c.days.add(dayIndexOfNs(time));
          c.observedNs.push(observed.toString());
          c.traceId.push(r.traceId);
          c.spanId.push(spanId);
          c.traceFlags.push(flags);
          c.severityNumber.push(severity);
          c.severityText.push(severityText);
          c.serviceName.push(service);
          c.body.push(body);
          c.bodyIsJson.push(bodyIsJson);
          c.attributes.push(attributes);
          c.eventName.push(eventName);
          c.resourceId.push(resourceId);
          c.scopeId.push(scopeId);
          c.droppedAttributes.push(dropped);
        }
      }
    }
  }
  return c;
}

const p = (v: unknown) => sql.param(v);

// A columnar day refuses ON CONFLICT: rows already stored are skipped by an anti-join (columnar.ts). An
// uncorrelated NOT IN over the batch's times (a hashed subplan; the key's columns are NOT NULL), as Citus
// plans no correlated subquery beside unnest: there it reads the stored keys from those times' shards.
const lateLogs = (times: string[]) => {
  // The batch's time range as well as its times: a cold day is sorted by time, and the range lets
  // citus_columnar skip the chunk groups outside it by their min/max, which it does not do for an
  // `= ANY` of more than 100 values (PostgreSQL's limit for refuting one), so a late batch read two
  // columns of the whole day.
  let lo = BigInt(times[0]!);
  let hi = lo;
  for (const t of times) {
    const v = BigInt(t);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return sql`AS u(time_ns, fingerprint, observed_ns, trace_id, span_id, trace_flags,
        severity_number, severity_text, service_name, body, body_is_json, attributes, event_name, resource_id,
        scope_id, dropped_attributes_count)
      WHERE (u.time_ns, u.fingerprint) NOT IN (SELECT l.time_ns, l.fingerprint FROM logs l
        WHERE l.time_ns >= ${lo.toString()}::bigint AND l.time_ns <= ${hi.toString()}::bigint
          AND l.time_ns = ANY (${p(times)}::bigint[]))`;
};

/** Inserts prepared columns, inside the caller's transaction; returns how many rows were new. */
export async function insertLogColumns(
  query: (q: ReturnType<typeof sql>) => Promise<unknown[]>,
  c: LogColumns,
  late = false,
): Promise<number> {
  await c.resources.insert(query);
  if (!c.timeNs.length) return 0;
  const rows = await query(sql`
    WITH ins AS (
      INSERT INTO logs (time_ns, fingerprint, observed_ns, trace_id, span_id, trace_flags, severity_number,
        severity_text, service_name, body, body_is_json, attributes, event_name, resource_id, scope_id,
        dropped_attributes_count)
      SELECT ${late ? sql`DISTINCT ON (u.time_ns, u.fingerprint) u.*` : sql`*`} FROM unnest(
        ${p(c.timeNs)}::bigint[], ${p(c.fingerprint)}::bigint[], ${p(c.observedNs)}::bigint[], ${p(c.traceId)}::uuid[],
        ${p(c.spanId)}::bigint[], ${p(c.traceFlags)}::int[], ${p(c.severityNumber)}::smallint[], ${p(c.severityText)}::text[],
        ${p(c.serviceName)}::text[], ${p(c.body)}::text[], ${p(c.bodyIsJson)}::boolean[], ${p(c.attributes)}::jsonb[],
        ${p(c.eventName)}::text[], ${p(c.resourceId)}::bigint[], ${p(c.scopeId)}::bigint[], ${p(c.droppedAttributes)}::int[])
      ${late ? lateLogs(c.timeNs) : sql`ON CONFLICT DO NOTHING`}
      RETURNING 1
    )
    SELECT count(*) AS n FROM ins`);
  return Number((rows[0] as { n: unknown } | undefined)?.n ?? 0);
}

/** The logs table's columns, in LogColumns' order. */
const LOG_COLUMN_NAMES = [
  'time_ns',
  'fingerprint',
  'observed_ns',
  'trace_id',
  'span_id',
  'trace_flags',
  'severity_number',
  'severity_text',
  'service_name',
  'body',
  'body_is_json',
  'attributes',
  'event_name',
  'resource_id',
  'scope_id',
  'dropped_attributes_count',
] as const;

/** The log columns of a writer batch in table order, as COPY sends them. */
export function logCopyColumns(c: LogColumns): CopyColumn[] {
  return [
    c.timeNs,
    c.fingerprint,
    c.observedNs,
    c.traceId,
    c.spanId,
    c.traceFlags,
    c.severityNumber,
    c.severityText,
    c.serviceName,
    c.body,
    c.bodyIsJson,
    c.attributes,
    c.eventName,
    c.resourceId,
    c.scopeId,
    c.droppedAttributes,
  ];
}

/**
 * Stores prepared columns with COPY, inside the caller's transaction; returns how many rows were stored
 * (all of them). A record already stored (a retried request) fails it with a unique violation, and the
 * caller takes the idempotent path (insertLogColumns) instead.
 */
export async function copyLogColumns(
  query: (q: ReturnType<typeof sql>) => Promise<unknown[]>,
  copy: CopyIn,
  c: LogColumns,
): Promise<number> {
  await c.resources.insert(query);
  if (!c.timeNs.length) return 0;
  return copy(LOGS_TABLE.name, LOG_COLUMN_NAMES, logCopyBytes(c));
}

/**
 * The batch as COPY text, written straight into bytes as the span writer's is (CopyBuffer). Columns the
 * writer rendered itself (digits, hex, booleans) skip the escape check; every text from the request is
 * escaped.
 */
export function logCopyBytes(c: LogColumns): Uint8Array {
  const n = c.timeNs.length;
  // About what a pino line takes with its attributes, so that a batch rarely grows its buffer.
  const out = new CopyBuffer(n * 384 + 1024);
  for (let i = 0; i < n; i++) {
    out.plain(c.timeNs[i]!);
    out.plain(c.fingerprint[i]!);
    out.plain(c.observedNs[i]!);
    out.plain(c.traceId[i] ?? null);
    out.plain(c.spanId[i] ?? null);
    out.plain(c.traceFlags[i]!);
    out.plain(c.severityNumber[i]!);
    out.text(c.severityText[i]!);
    out.text(c.serviceName[i]!);
    out.text(c.body[i]!);
    out.plain(c.bodyIsJson[i] ? 'true' : 'false');
    out.text(c.attributes[i]!);
    out.text(c.eventName[i]!);
    out.plain(c.resourceId[i]!);
    out.plain(c.scopeId[i]!);
    out.plain(c.droppedAttributes[i]!, true);
  }
  return out.bytes();
}

/**
 * Writes one batch in one transaction: with COPY where the database takes it, else (PGlite, or a
 * batch holding a record already stored) through insertLogColumns, which skips what is stored.
 */
export async function writeLogColumns(database: Database, c: LogColumns): Promise<number> {
  return writeByCopyOrInsert(
    database,
    LOGS_TABLE,
    c.days,
    (query, copy) => copyLogColumns(query, copy, c),
    (query, late) => insertLogColumns(query, c, late),
  );
}

export class LogWriter extends QueuedWriter<ResourceLogs[]> {
  constructor(
    private readonly database: Database,
    private readonly partitions: PartitionManager,
    opts: WriterOptions = {},
  ) {
    super(database, opts, { maxQueuedItems: 100_000, maxBatchItems: 5_000, size: logCount });
  }

  protected async flush(entries: ResourceLogs[][]): Promise<void> {
    const cols = toLogColumns(entries);
    await this.partitions.write([[LOGS_TABLE, cols.days]], () => writeLogColumns(this.database, cols));
  }
}
