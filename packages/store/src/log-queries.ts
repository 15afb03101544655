// Reads for the log API. Results are ordered by (time, fingerprint), the primary key, so pages and tails
// are stable: a cursor is the key of the last row seen and every query resumes strictly after it.
import { sql, type SQL } from 'drizzle-orm';
import { unixNano, type AttrValue, type Attributes, type SpanId, type TraceId, type UnixNano } from '@pivot/model';
import type { Database } from './database.ts';
import { spanIdFromDb, spanIdToDb, traceIdFromDb } from './encode.ts';
import { containsPattern } from './log-text.ts';
import { inferServerLogRows, type InferOptions } from './db-log-link.ts';
import { NO_COLD_DAYS, coldBlockSource, coldPlan, type BlockFilter, type ColdPlan } from './log-blocks.ts';
import { NS_PER_DAY } from './partitions.ts';

export interface StoredLog {
  timeUnixNano: UnixNano;
  observedTimeUnixNano: UnixNano;
  /** The content hash that, with the time, identifies the row (and makes cursors). */
  fingerprint: bigint;
  severityNumber: number;
  severityText: string;
  body: AttrValue;
  attributes: Attributes;
  traceId: TraceId | null;
  spanId: SpanId | null;
  traceFlags: number;
  service: string;
  eventName: string;
  droppedAttributesCount: number;
  resource: { attributes: Attributes; droppedAttributesCount: number };
  scope: { name: string; version: string; attributes: Attributes };
}

/** A database server log line linked to a span by inference (db-log-link.ts), not by trace context. */
export interface InferredServerLog {
  /** The database's line, as stored: no trace or span ID of its own. */
  log: StoredLog;
  /** The one DB CLIENT span of the trace that could have issued the statement. */
  spanId: SpanId;
}

export interface LogFilter {
  traceId?: TraceId | undefined;
  /** Only together with traceId: span IDs are not indexed on their own. */
  spanId?: SpanId | undefined;
  service?: string | undefined;
  /** Minimum severity number (1-24). */
  minSeverity?: number | undefined;
  /** Substrings the body must contain (all of them), case-insensitive. */
  include?: string[] | undefined;
  /** Substrings the body must not contain. */
  exclude?: string[] | undefined;
  /** Attribute key=value pairs a record must carry (all of them). */
  attributes?: [string, string][] | undefined;
  /** Attribute key=value pairs a record must not carry (a facet's exclusion). */
  excludeAttributes?: [string, string][] | undefined;
  /** Services a record must not come from. */
  excludeServices?: string[] | undefined;
  /** Severity bands (SEVERITY_BANDS) a record must be in, when given, and must not be in. */
  levels?: SeverityBand[] | undefined;
  excludeLevels?: SeverityBand[] | undefined;
  startNs?: UnixNano | undefined;
  endNs?: UnixNano | undefined;
}

/** The key of a row: pages continue strictly after (newest first: before) it. */
export interface LogCursor {
  timeNs: UnixNano;
  fingerprint: bigint;
}

export interface LogPage {
  logs: StoredLog[];
  /** Where the next page starts; null when this page is the last. */
  next: LogCursor | null;
}

/** Severity bands of the OpenTelemetry data model, as counted by `stats`. */
export const SEVERITY_BANDS = ['UNSPECIFIED', 'TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
export type SeverityBand = (typeof SEVERITY_BANDS)[number];

export interface LogBucket {
  startNs: UnixNano;
  counts: Partial<Record<SeverityBand, number>>;
  total: number;
}

/**
 * The first window of a newest-first search over cold days, doubled at each step back. A cold day has no
 * index, so without a time bound the newest 100 matches mean reading the whole day; 15 minutes of 10M
 * logs a day is about 100k rows, ten chunk groups.
 */
const FIRST_WINDOW_NS = 900_000_000_000n;

/** How far from a record its context lines are looked for, each way. */
export const CONTEXT_WINDOW_NS = 3_600_000_000_000n;

const big = (v: unknown): bigint => BigInt(v as string);
const nano = (v: unknown): UnixNano => unixNano(big(v));
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

/** An attribute filter value typed as the user probably meant: `500` matches 500 and "500". */
function attrAlternatives(key: string, value: string): string[] {
  const alts: AttrValue[] = [value];
  if (value !== '' && Number.isFinite(Number(value))) alts.push(Number(value));
  if (value === 'true' || value === 'false') alts.push(value === 'true');
  return alts.map((v) => JSON.stringify({ [key]: v }));
}

/** The severity band of a row as an index into SEVERITY_BANDS (0 for a number outside 1-24). */
export const LOG_BAND_SQL = sql`CASE WHEN l.severity_number BETWEEN 1 AND 24 THEN (l.severity_number - 1) / 4 + 1 ELSE 0 END`;
const bandIndexes = (bands: SeverityBand[]): string => `{${bands.map((b) => SEVERITY_BANDS.indexOf(b)).join(',')}}`;

/** The WHERE conditions of a filter, on `logs l`: shared by search, stats, facets and export. */
export function logConditions(f: LogFilter): SQL[] {
  const where: SQL[] = [];
  if (f.startNs !== undefined) where.push(sql`l.time_ns >= ${f.startNs.toString()}::bigint`);
  if (f.endNs !== undefined) where.push(sql`l.time_ns <= ${f.endNs.toString()}::bigint`);
  if (f.traceId) where.push(sql`l.trace_id = ${f.traceId}::uuid`);
  if (f.spanId) where.push(sql`l.span_id = ${spanIdToDb(f.spanId)}::bigint`);
  if (f.service) where.push(sql`l.service_name = ${f.service}`);
  if (f.minSeverity !== undefined) where.push(sql`l.severity_number >= ${f.minSeverity}`);
  for (const t of f.include ?? []) where.push(sql`l.body ILIKE ${containsPattern(t)}`);
  for (const t of f.exclude ?? []) where.push(sql`l.body NOT ILIKE ${containsPattern(t)}`);
  for (const [k, v] of f.attributes ?? []) {
    // One containment test per typing, OR-ed, so that each can use the attributes GIN index.
    const alts = attrAlternatives(k, v).map((j) => sql`l.attributes @> ${j}::jsonb`);
    where.push(alts.length === 1 ? alts[0]! : sql`(${sql.join(alts, sql` OR `)})`);
  }
  for (const [k, v] of f.excludeAttributes ?? []) {
    const alts = attrAlternatives(k, v).map((j) => sql`l.attributes @> ${j}::jsonb`);
    where.push(sql`NOT (${sql.join(alts, sql` OR `)})`);
  }
  if (f.excludeServices?.length)
    where.push(
      sql`l.service_name NOT IN (${sql.join(
        f.excludeServices.map((s) => sql`${s}`),
        sql`, `,
      )})`,
    );
  if (f.levels?.length) where.push(sql`${LOG_BAND_SQL} = ANY (${bandIndexes(f.levels)}::int[])`);
  if (f.excludeLevels?.length) where.push(sql`${LOG_BAND_SQL} <> ALL (${bandIndexes(f.excludeLevels)}::int[])`);
  return where;
}

/**
 * What of a filter the cold days' block summaries can answer (log-blocks.ts); for a trace's logs, its
 * blocks by their trace-ID blooms.
 */
export function blockFilter(f: LogFilter): BlockFilter {
  if (f.traceId) return { traceId: f.traceId, startNs: f.startNs, endNs: f.endNs };
  const bands = (bs: SeverityBand[] | undefined) => bs?.map((b) => SEVERITY_BANDS.indexOf(b));
  return {
    include: f.include,
    service: f.service,
    excludeServices: f.excludeServices,
    minSeverity: f.minSeverity,
    bands: bands(f.levels),
    excludeBands: bands(f.excludeLevels),
    startNs: f.startNs,
    endNs: f.endNs,
  };
}

const whereClause = (conds: SQL[]): SQL => (conds.length ? sql`WHERE ${sql.join(conds, sql` AND `)}` : sql``);

function logFromRow(r: Record<string, unknown>): StoredLog {
  const body = r.body as string;
  return {
    timeUnixNano: nano(r.time_ns),
    observedTimeUnixNano: nano(r.observed_ns),
    fingerprint: big(r.fingerprint),
    severityNumber: Number(r.severity_number),
    severityText: r.severity_text as string,
    body: r.body_is_json ? json<AttrValue>(body) : body,
    attributes: json<Attributes>(r.attributes),
    traceId: r.trace_id == null ? null : traceIdFromDb(r.trace_id),
    spanId: r.span_id == null ? null : spanIdFromDb(r.span_id),
    traceFlags: Number(r.trace_flags),
    service: r.service_name as string,
    eventName: r.event_name as string,
    droppedAttributesCount: Number(r.dropped_attributes_count),
    resource: {
      attributes: r.resource_attributes == null ? {} : json<Attributes>(r.resource_attributes),
      droppedAttributesCount: Number(r.resource_dropped ?? 0),
    },
    scope: {
      name: (r.scope_name as string | null) ?? '',
      version: (r.scope_version as string | null) ?? '',
      attributes: r.scope_attributes == null ? {} : json<Attributes>(r.scope_attributes),
    },
  };
}

export class LogQueries {
  constructor(private readonly database: Database) {}

  /**
   * Rows matching `where`, in `order`, with resource and scope joined after the limit (so the join
   * costs `limit` lookups whatever the table size).
   */
  private async select(where: SQL[], order: 'asc' | 'desc', limit: number, from = sql`logs`): Promise<StoredLog[]> {
    const ord = order === 'desc' ? sql`l.time_ns DESC, l.fingerprint DESC` : sql`l.time_ns ASC, l.fingerprint ASC`;
    const rows = await this.database.query(sql`
      SELECT l.time_ns, l.fingerprint, l.observed_ns, l.trace_id, l.span_id, l.trace_flags, l.severity_number,
        l.severity_text, l.service_name, l.body, l.body_is_json, l.attributes, l.event_name, l.dropped_attributes_count,
        r.attributes AS resource_attributes, r.dropped_attributes_count AS resource_dropped,
        sc.name AS scope_name, sc.version AS scope_version, sc.attributes AS scope_attributes
      FROM (SELECT * FROM ${from} l ${whereClause(where)} ORDER BY ${ord} LIMIT ${limit}) l
      LEFT JOIN resources r ON r.id = l.resource_id
      LEFT JOIN scopes sc ON sc.id = l.scope_id
      ORDER BY ${ord}`);
    return rows.map(logFromRow);
  }

  /**
   * A trace's records bounded by their own first and last time, read first from the two narrow columns
   * (trace ID, time): a cold day's chunk groups of rows without a trace ID have no trace-ID min/max, so
   * only a time bound lets the full read skip them (and the other days' partitions). Null: no record.
   */
  private async withTraceBounds(filter: LogFilter): Promise<LogFilter | null> {
    if (!filter.traceId) return filter;
    // On cold days, only the time ranges of the blocks whose trace-ID bloom may hold it.
    const from = await coldBlockSource(this.database, blockFilter(filter));
    // Without parallel workers: the planner cannot see that the columnar scans skip all but a chunk group
    // or two, and starting workers for them cost more than the scans (cold lookups' p99 on 5M logs: 62 ->
    // 35-41 ms). In a transaction only for SET LOCAL; PGlite accepts the setting and ignores it.
    const [b] = await this.database.transaction(async (query) => {
      await query(sql`SET LOCAL max_parallel_workers_per_gather = 0`);
      return query<{ lo: string | null; hi: string | null }>(
        sql`SELECT min(l.time_ns)::text AS lo, max(l.time_ns)::text AS hi FROM ${from} l ${whereClause(logConditions(filter))}`,
      );
    });
    if (b?.lo == null || b.hi == null) return null;
    return { ...filter, startNs: unixNano(BigInt(b.lo)), endNs: unixNano(BigInt(b.hi)) };
  }

  /** A page of matching records, newest first; `cursor` continues after the previous page. */
  async search(unbounded: LogFilter, opts: { limit: number; cursor?: LogCursor | undefined }): Promise<LogPage> {
    const filter = await this.withTraceBounds(unbounded);
    if (!filter) return { logs: [], next: null };
    const c = opts.cursor;
    const endNs = c && (filter.endNs === undefined || c.timeNs < filter.endNs) ? c.timeNs : filter.endNs;
    const where = logConditions(filter);
    // On cold days, only the blocks that may match (log-blocks.ts); the pages before this one are later.
    // A trace's records are already bounded by their own first and last time: the chunk groups' time
    // min/max skip the rest, and block ranges would only make the statement dearer to plan and run.
    const plan = unbounded.traceId ? NO_COLD_DAYS : await coldPlan(this.database, blockFilter({ ...filter, endNs }));
    if (c) {
      // The row comparison matches the primary key (time_ns, fingerprint), scanned backwards; the plain
      // bound on time_ns lets PostgreSQL skip the partitions of later days.
      where.push(sql`l.time_ns <= ${c.timeNs.toString()}::bigint`);
      where.push(
        sql`(l.time_ns, l.fingerprint) < (${c.timeNs.toString()}::bigint, ${c.fingerprint.toString()}::bigint)`,
      );
    }
    const rows = await this.newest(where, opts.limit + 1, plan, filter.startNs, endNs);
    const logs = rows.slice(0, opts.limit);
    const last = logs.at(-1);
    return {
      logs,
      next: rows.length > opts.limit && last ? { timeNs: last.timeUnixNano, fingerprint: last.fingerprint } : null,
    };
  }

  /**
   * The newest `limit` rows matching `where` (which holds the bounds `startNs` and `endNs`, inclusive).
   * Over cold days, in windows going back from the cold blocks' newest row (not the last day's end, hours
   * ahead of it for most of the day), 15 minutes first and doubling: each reads only its own chunk groups,
   * and it stops once `limit` rows are found. The windows are disjoint and taken newest first, so their
   * rows in order are exactly what one query would return.
   */
  private async newest(
    where: SQL[],
    limit: number,
    { source: from, days: coldDays, newestNs }: ColdPlan,
    startNs: bigint | undefined,
    endNs: bigint | undefined,
  ): Promise<StoredLog[]> {
    const first = coldDays[0];
    const last = coldDays.at(-1);
    if (first === undefined || last === undefined) return this.select(where, 'desc', limit, from);
    // [floor, top): the cold span the windows walk. Rows at or after `top` (the hot days, rows written into
    // a cold day since its blocks were built) are read first, by one bound that skips the rest.
    let top = BigInt(last + 1) * NS_PER_DAY;
    if (newestNs !== null && newestNs < top) top = newestNs + 1n;
    if (endNs !== undefined && endNs < top) top = endNs + 1n;
    const coldStart = BigInt(first) * NS_PER_DAY;
    const floor = startNs !== undefined && startNs > coldStart ? startNs : coldStart;
    if (top - floor <= FIRST_WINDOW_NS * 2n) return this.select(where, 'desc', limit, from);
    const out: StoredLog[] = [];
    const take = async (bounds: SQL[]): Promise<boolean> => {
      out.push(...(await this.select([...where, ...bounds], 'desc', limit - out.length, from)));
      return out.length >= limit;
    };
    const ns = (v: bigint) => sql`${v.toString()}::bigint`;
    if ((endNs === undefined || endNs >= top) && (await take([sql`l.time_ns >= ${ns(top)}`]))) return out;
    for (let w = FIRST_WINDOW_NS; top > floor; w *= 2n) {
      const bottom = top - w > floor ? top - w : floor;
      if (await take([sql`l.time_ns >= ${ns(bottom)}`, sql`l.time_ns < ${ns(top)}`])) return out;
      top = bottom;
    }
    if (startNs === undefined || startNs < floor) await take([sql`l.time_ns < ${ns(floor)}`]);
    return out;
  }

  /** Records strictly after `cursor`, oldest first: what a live tail has not shown yet. */
  async after(unbounded: LogFilter, cursor: LogCursor, limit: number): Promise<StoredLog[]> {
    const filter = await this.withTraceBounds(unbounded);
    if (!filter) return [];
    const startNs = filter.startNs === undefined || cursor.timeNs > filter.startNs ? cursor.timeNs : filter.startNs;
    const where = logConditions(filter);
    const from = unbounded.traceId
      ? sql`logs`
      : await coldBlockSource(this.database, blockFilter({ ...filter, startNs }));
    where.push(sql`l.time_ns >= ${cursor.timeNs.toString()}::bigint`);
    where.push(
      sql`(l.time_ns, l.fingerprint) > (${cursor.timeNs.toString()}::bigint, ${cursor.fingerprint.toString()}::bigint)`,
    );
    return this.select(where, 'asc', limit, from);
  }

  /**
   * All records of one trace, oldest first, at most `limit`. When the trace's summary is known the
   * search is bounded to its time window widened by `marginNs`, so only that day's partitions are read;
   * logs of a trace whose spans never arrived (sampled out) are still found, across all partitions.
   */
  async byTrace(traceId: TraceId, opts: { limit: number; marginNs?: bigint }): Promise<StoredLog[]> {
    const margin = opts.marginNs ?? 300_000_000_000n;
    const rows = await this.database.query(sql`SELECT start_ns, end_ns FROM traces WHERE trace_id = ${traceId}::uuid`);
    const filter: LogFilter = { traceId };
    if (rows[0]) {
      filter.startNs = unixNano(big(rows[0].start_ns) - margin);
      filter.endNs = unixNano(big(rows[0].end_ns) + margin);
    }
    // Bounded first by the records' own first and last time, found from two narrow columns (on cold
    // days within the blocks whose trace-ID bloom may hold it): the full rows are then read from the
    // chunk groups of that range alone.
    const bounded = await this.withTraceBounds(filter);
    if (!bounded) return [];
    return this.select(logConditions(bounded), 'asc', opts.limit);
  }

  /**
   * The lines around one record (its key), as a file shows them around a match: up to `before` older
   * and `after` newer records of the same stream (same service and resource), whatever the search
   * filters were; oldest first, within CONTEXT_WINDOW_NS of it (so only nearby partitions are read).
   * Null when no record has that key.
   */
  async context(
    key: LogCursor,
    opts: { before: number; after: number },
  ): Promise<{ before: StoredLog[]; record: StoredLog; after: StoredLog[] } | null> {
    const t = key.timeNs.toString();
    const fp = key.fingerprint.toString();
    const at = [sql`l.time_ns = ${t}::bigint`, sql`l.fingerprint = ${fp}::bigint`];
    const [record] = await this.select(at, 'asc', 1);
    if (!record) return null;
    const idRows = await this.database.query(
      sql`SELECT l.resource_id FROM logs l WHERE ${sql.join(at, sql` AND `)} LIMIT 1`,
    );
    const stream = [
      sql`l.service_name = ${record.service}`,
      sql`l.resource_id = ${String(idRows[0]!.resource_id)}::bigint`,
    ];
    const [before, after] = await Promise.all([
      opts.before > 0
        ? this.select(
            [
              ...stream,
              sql`l.time_ns >= ${(key.timeNs - CONTEXT_WINDOW_NS).toString()}::bigint`,
              sql`l.time_ns <= ${t}::bigint`,
              sql`(l.time_ns, l.fingerprint) < (${t}::bigint, ${fp}::bigint)`,
            ],
            'desc',
            opts.before,
          )
        : [],
      opts.after > 0
        ? this.select(
            [
              ...stream,
              sql`l.time_ns >= ${t}::bigint`,
              sql`l.time_ns <= ${(key.timeNs + CONTEXT_WINDOW_NS).toString()}::bigint`,
              sql`(l.time_ns, l.fingerprint) > (${t}::bigint, ${fp}::bigint)`,
            ],
            'asc',
            opts.after,
          )
        : [],
    ]);
    return { before: before.reverse(), record, after };
  }

  /**
   * Database server log lines without trace context that one DB CLIENT span of the trace alone could
   * have caused (see db-log-link.ts for the rule), with that span; oldest first.
   */
  async inferredServerLogs(traceId: TraceId, opts?: InferOptions): Promise<InferredServerLog[]> {
    const rows = await inferServerLogRows(this.database, traceId, opts);
    return rows.map((r) => ({ log: logFromRow(r), spanId: spanIdFromDb(r.claimed_by) }));
  }

  /** Matching records counted per time bucket and severity band over [startNs, endNs). */
  async stats(filter: LogFilter, range: { startNs: UnixNano; endNs: UnixNano; stepNs: bigint }): Promise<LogBucket[]> {
    const { startNs, endNs, stepNs } = range;
    const where = logConditions({ ...filter, startNs: undefined, endNs: undefined });
    const from = await coldBlockSource(this.database, blockFilter({ ...filter, startNs, endNs }));
    where.push(sql`l.time_ns >= ${startNs.toString()}::bigint`, sql`l.time_ns < ${endNs.toString()}::bigint`);
    const rows = await this.database.query(sql`
      SELECT (l.time_ns - ${startNs.toString()}::bigint) / ${stepNs.toString()}::bigint AS bucket,
        CASE WHEN l.severity_number BETWEEN 1 AND 24 THEN (l.severity_number - 1) / 4 + 1 ELSE 0 END AS band,
        count(*) AS n
      FROM ${from} l ${whereClause(where)}
      GROUP BY 1, 2`);
    const n = Number((endNs - startNs + stepNs - 1n) / stepNs);
    const buckets: LogBucket[] = Array.from({ length: n }, (_, i) => ({
      startNs: unixNano(startNs + BigInt(i) * stepNs),
      counts: {},
      total: 0,
    }));
    for (const r of rows) {
      const b = buckets[Number(r.bucket)];
      if (!b) continue;
      const band = SEVERITY_BANDS[Number(r.band)] ?? 'UNSPECIFIED';
      const count = Number(r.n);
      b.counts[band] = (b.counts[band] ?? 0) + count;
      b.total += count;
    }
    return buckets;
  }
}
