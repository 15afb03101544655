// LogQL over the log tables. Stream labels are a record's resource (service_name and its other
// attributes, dots made underscores as Loki's OTLP ingestion does) plus `level`, the severity band;
// the record's attributes, trace_id and span_id are structured metadata. PostgreSQL narrows the rows
// with exact, index-backed conditions (resource IDs, severity ranges, LIKE for `|=` on the trigram
// index, trace_id on its index); @pivot/logql then runs the whole pipeline on what comes back, so the
// SQL is only ever a superset and the answer is LogQL's.
import { sql, type SQL } from 'drizzle-orm';
import { parseTraceId, unixNano, type UnixNano } from '@pivot/model';
import {
  matchMatcher,
  runPipeline,
  sanitizeLabelName,
  type LabelFilter,
  type Labels,
  type LogQuery,
  type Matcher,
  type Processed,
  type Sample,
  type Stage,
} from '@pivot/logql';
import type { Database } from './database.ts';
import { spanIdFromDb, traceIdFromDb } from './encode.ts';
import { containsPattern } from './log-text.ts';

/** The `level` stream label of each severity band (OpenTelemetry severity numbers 1-24, 0 unknown). */
export const LEVELS = ['unknown', 'trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
const levelOf = (n: number): string => (n >= 1 && n <= 24 ? LEVELS[Math.floor((n - 1) / 4) + 1]! : 'unknown');

/** A query read more rows than allowed before it could answer: narrow it rather than wait. */
export class LogqlTooManyRowsError extends Error {
  constructor(readonly rows: number) {
    super(
      `the query would read more than ${rows} log records; narrow the time range, the stream selector or add a |= line filter`,
    );
    this.name = 'LogqlTooManyRowsError';
  }
}

export interface LogqlEntry {
  timeNs: UnixNano;
  fingerprint: bigint;
  line: string;
  labels: Processed;
}

export interface LogqlRange {
  /** Inclusive. */
  startNs: UnixNano;
  /** Exclusive, as Loki's `end`. */
  endNs: UnixNano;
}

/** One stream (resource and level) with what it holds in a time range: series, stats and volume read it. */
export interface StreamStats {
  labels: Labels;
  entries: number;
  bytes: number;
}

export interface LogqlOptions {
  /** Rows a query may read before it is refused (LogqlTooManyRowsError). */
  maxRows?: number;
}

const big = (v: unknown): bigint => BigInt(v as string);
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
const BATCH = 2000;

function labelValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/** trace_id and span_id are the record's own fields: an attribute spelled so (trace.id) does not stand in for them. */
const RESERVED_METADATA = new Set(['trace_id', 'span_id']);

function attributeLabels(attrs: Record<string, unknown>, out: Labels): Labels {
  for (const [k, v] of Object.entries(attrs)) {
    const name = sanitizeLabelName(k);
    if (!RESERVED_METADATA.has(name)) out[name] = labelValue(v);
  }
  return out;
}

/** A resource's stream labels (without level). */
function resourceLabels(service: string, attrs: Record<string, unknown>): Labels {
  const out: Labels = {};
  for (const [k, v] of Object.entries(attrs)) if (k !== 'service.name') out[sanitizeLabelName(k)] = labelValue(v);
  out.service_name = service;
  return out;
}

interface Selection {
  /** Matching resources and their labels; null: no resource can match, the answer is empty. */
  resources: Map<string, Labels>;
  /** Severity bands (indexes into LEVELS) the level matchers keep. */
  bands: number[];
}

/** SQL condition for severity bands: each band is a range of severity numbers. */
function bandCondition(bands: number[]): SQL {
  const parts = bands.map((b) =>
    b === 0
      ? sql`(l.severity_number < 1 OR l.severity_number > 24)`
      : sql`l.severity_number BETWEEN ${(b - 1) * 4 + 1} AND ${b * 4}`,
  );
  return sql`(${sql.join(parts, sql` OR `)})`;
}

/**
 * Necessary SQL conditions for a label filter to pass, when the filter has one that an index serves:
 * trace_id="…" (the trace-ID index; the body too when a parser could have read trace_id from it) and a
 * label made by label_format's `contains "x" __line__` compared with "true" (the body's trigram index).
 * null: no such condition, the filter is decided on the rows afterwards. These are the two shapes Grafana's
 * trace to logs writes: grafana/grafana public/app/features/explore/TraceView/createSpanLink.tsx
 * (getQueryForLoki) and the newer logsLink.ts beside it (getTraceToLogsQuery).
 */
interface FilterContext {
  parsed: boolean;
  formatted: Map<string, string | null>;
  /** The time bounds, repeated inside each arm of an OR so that every arm prunes partitions. */
  bounds: SQL[];
}

/**
 * Rows matching any of `arms`, each arm its own index scan: PostgreSQL does not combine the partial
 * trace-ID index with the trigram index in one BitmapOr, and would rather read the time range.
 */
function anyOf(arms: SQL[], bounds: SQL[]): SQL {
  const selects = arms.map(
    (a) => sql`SELECT l.time_ns, l.fingerprint FROM logs l WHERE ${sql.join([...bounds, a], sql` AND `)}`,
  );
  return sql`(l.time_ns, l.fingerprint) IN (${sql.join(selects, sql` UNION ALL `)})`;
}

function filterCondition(f: LabelFilter, ctx: FilterContext): SQL | null {
  if (f.kind !== 'compare') {
    const l = filterCondition(f.left, ctx);
    const r = filterCondition(f.right, ctx);
    if (f.kind === 'and') return l && r ? sql`(${l} AND ${r})` : (l ?? r);
    return l && r ? anyOf([l, r], ctx.bounds) : null;
  }
  if (f.numeric || f.op !== '=') return null;
  if (ctx.formatted.has(f.name)) {
    const needle = ctx.formatted.get(f.name);
    return needle != null && f.value === 'true' ? sql`l.body LIKE ${containsPattern(needle)}` : null;
  }
  if (f.name === 'trace_id') {
    // trace_id="" keeps records without one (or, after a parser, whatever the body may hold).
    if (f.value === '') return ctx.parsed ? null : sql`l.trace_id IS NULL`;
    const id = parseTraceId(f.value);
    // A value that is no trace ID in our spelling (upper case, short) can only come from the body.
    const byIndex = id && id === f.value ? sql`l.trace_id = ${id}::uuid` : null;
    if (!ctx.parsed) return byIndex ?? sql`FALSE`;
    const byBody = sql`l.body LIKE ${containsPattern(f.value)}`;
    return byIndex ? anyOf([byIndex, byBody], ctx.bounds) : byBody;
  }
  return null;
}

/** The conditions a pipeline lets PostgreSQL apply: line filters and index-backed label filters. */
export function pipelineConditions(stages: readonly Stage[], bounds: SQL[] = []): { where: SQL[]; traced: boolean } {
  const where: SQL[] = [];
  let traced = false;
  let parsed = false;
  const formatted = new Map<string, string | null>();
  for (const s of stages) {
    if (s.kind === 'line') {
      // |= and != are case-sensitive substrings: LIKE (not ILIKE) is their exact equivalent.
      if (s.op === '|=' && s.value !== '') where.push(sql`l.body LIKE ${containsPattern(s.value)}`);
      else if (s.op === '!=') where.push(sql`l.body NOT LIKE ${containsPattern(s.value)}`);
    } else if (s.kind === 'json' || s.kind === 'logfmt') parsed = true;
    else if (s.kind === 'labelFormat') {
      for (const f of s.formats) {
        const p = f.kind === 'template' && f.parts.length === 1 ? f.parts[0]! : null;
        formatted.set(
          f.name,
          p?.kind === 'contains' && p.needle.kind === 'string' && p.haystack.kind === 'line' ? p.needle.value : null,
        );
        if (f.kind === 'rename') formatted.set(f.source, null);
      }
    } else if (s.kind === 'drop') for (const n of s.names) formatted.set(n, null);
    else if (s.kind === 'labelFilter') {
      const c = filterCondition(s.filter, { parsed, formatted, bounds });
      if (c) {
        where.push(c);
        traced = true;
      }
    }
  }
  return { where, traced };
}

export class LogqlQueries {
  private readonly maxRows: number;
  constructor(
    private readonly database: Database,
    opts: LogqlOptions = {},
  ) {
    this.maxRows = opts.maxRows ?? 1_000_000;
  }

  /** The resources and severity bands a selector's matchers keep. */
  private async select(matchers: readonly Matcher[]): Promise<Selection> {
    const levelMatchers = matchers.filter((m) => m.name === 'level');
    const others = matchers.filter((m) => m.name !== 'level');
    const bands = LEVELS.flatMap((lv, i) => (levelMatchers.every((m) => matchMatcher(m, lv)) ? [i] : []));
    const resources = new Map<string, Labels>();
    if (!bands.length) return { resources, bands };
    const service = others.find((m) => m.name === 'service_name' && m.op === '=');
    const rows = await this.database.query(
      service
        ? sql`SELECT id::text AS id, service_name, attributes FROM resources WHERE service_name = ${service.value}`
        : sql`SELECT id::text AS id, service_name, attributes FROM resources`,
    );
    for (const r of rows) {
      const labels = resourceLabels(r.service_name as string, json<Record<string, unknown>>(r.attributes));
      if (others.every((m) => matchMatcher(m, labels[m.name]))) resources.set(String(r.id), labels);
    }
    return { resources, bands };
  }

  private selectionConditions(sel: Selection, byService = true): SQL[] {
    const ids = [...sel.resources.keys()];
    const services = [...new Set([...sel.resources.values()].map((l) => l.service_name!))];
    const where: SQL[] = [
      // The service name narrows by its index; the resource IDs make it exact.
      byService
        ? sql`l.service_name IN (${sql.join(
            services.map((s) => sql`${s}`),
            sql`, `,
          )})`
        : sql`TRUE`,
      sql`l.resource_id IN (${sql.join(
        ids.map((id) => sql`${id}::bigint`),
        sql`, `,
      )})`,
    ];
    if (sel.bands.length < LEVELS.length) where.push(bandCondition(sel.bands));
    return where;
  }

  private entryOf(r: Record<string, unknown>, stream: Labels): { line: string; stream: Labels; metadata: Labels } {
    const metadata = attributeLabels(json<Record<string, unknown>>(r.attributes), {});
    if (r.trace_id != null) metadata.trace_id = traceIdFromDb(r.trace_id);
    if (r.span_id != null) metadata.span_id = spanIdFromDb(r.span_id);
    return {
      line: r.body as string,
      stream: { ...stream, level: levelOf(Number(r.severity_number)) },
      metadata,
    };
  }

  /**
   * Reads rows matching `where` in key order, in batches, handing each to `visit` until it returns
   * false or the rows run out. More than maxRows read is refused rather than answered slowly.
   */
  private async scan(
    where: SQL[],
    direction: 'forward' | 'backward',
    visit: (r: Record<string, unknown>) => boolean,
    firstBatch = BATCH,
  ): Promise<void> {
    // A log query wanting 100 lines starts with a batch about that size (most filters pass most rows
    // the SQL already narrowed), and batches double up to BATCH when the pipeline drops rows.
    let batch = Math.min(BATCH, Math.max(firstBatch, 16));
    const desc = direction === 'backward';
    const ord = desc ? sql`l.time_ns DESC, l.fingerprint DESC` : sql`l.time_ns ASC, l.fingerprint ASC`;
    let cursor: { t: string; f: string } | null = null;
    let read = 0;
    for (;;) {
      const conds = [...where];
      if (cursor)
        conds.push(
          desc
            ? sql`(l.time_ns, l.fingerprint) < (${cursor.t}::bigint, ${cursor.f}::bigint)`
            : sql`(l.time_ns, l.fingerprint) > (${cursor.t}::bigint, ${cursor.f}::bigint)`,
        );
      const rows = await this.database.query(sql`
        SELECT l.time_ns, l.fingerprint, l.body, l.attributes, l.trace_id, l.span_id, l.severity_number,
          l.resource_id::text AS resource_id
        FROM logs l WHERE ${sql.join(conds, sql` AND `)} ORDER BY ${ord} LIMIT ${batch}`);
      for (const r of rows) if (!visit(r)) return;
      read += rows.length;
      if (rows.length < batch) return;
      batch = Math.min(BATCH, batch * 2);
      if (read >= this.maxRows) throw new LogqlTooManyRowsError(this.maxRows);
      const last = rows[rows.length - 1]!;
      cursor = { t: String(last.time_ns), f: String(last.fingerprint) };
    }
  }

  /** The conditions for a log query over [startNs, endNs), or null when no stream can match. */
  async conditions(query: LogQuery, range: LogqlRange): Promise<{ where: SQL[]; sel: Selection } | null> {
    const sel = await this.select(query.matchers);
    if (!sel.resources.size || !sel.bands.length) return null;
    const bounds = [
      sql`l.time_ns >= ${range.startNs.toString()}::bigint`,
      sql`l.time_ns < ${range.endNs.toString()}::bigint`,
    ];
    const pipeline = pipelineConditions(query.pipeline, bounds);
    return {
      sel,
      where: [
        ...bounds,
        // A trace ID finds a handful of rows through its own index: the service-name index, which a small
        // table's planner may prefer, would read the whole service's range instead.
        ...this.selectionConditions(sel, !pipeline.traced),
        ...pipeline.where,
      ],
    };
  }

  /**
   * The plan of a log query's first batch. With `indexOnly` sequential scans are priced out, so the plan
   * shows which indexes its conditions can use whatever the table size (tests check the trace-ID one).
   */
  async explain(query: LogQuery, range: LogqlRange, opts: { indexOnly?: boolean } = {}): Promise<string> {
    const c = await this.conditions(query, range);
    if (!c) return 'no matching stream';
    const explain = sql`EXPLAIN SELECT l.time_ns FROM logs l WHERE ${sql.join(c.where, sql` AND `)}
      ORDER BY l.time_ns DESC LIMIT ${BATCH}`;
    const rows = await this.database.transaction(async (q) => {
      // On Citus the setting must reach the workers' shards too (propagate_set_commands); elsewhere that
      // name is an inert placeholder setting.
      if (opts.indexOnly) await q(sql`SET LOCAL citus.propagate_set_commands = 'local'`);
      if (opts.indexOnly) await q(sql`SET LOCAL enable_seqscan = off`);
      return q(explain);
    });
    return rows.map((r) => String(Object.values(r)[0])).join('\n');
  }

  /** Up to `limit` entries of a log query, newest first (backward) or oldest first (forward). */
  async logs(
    query: LogQuery,
    range: LogqlRange & { limit: number; direction: 'forward' | 'backward' },
  ): Promise<LogqlEntry[]> {
    const c = await this.conditions(query, range);
    if (!c) return [];
    const out: LogqlEntry[] = [];
    await this.scan(
      c.where,
      range.direction,
      (r) => {
        const entry = this.entryOf(r, c.sel.resources.get(String(r.resource_id))!);
        const labels = runPipeline(query.pipeline, entry);
        if (labels)
          out.push({ timeNs: unixNano(big(r.time_ns)), fingerprint: big(r.fingerprint), line: entry.line, labels });
        return out.length < range.limit;
      },
      range.limit + 1,
    );
    return out;
  }

  /** The entries of a log query with time in (fromNs, toNs], as samples for range functions. */
  async samples(query: LogQuery, fromNs: bigint, toNs: bigint): Promise<Sample[]> {
    const c = await this.conditions(query, { startNs: unixNano(fromNs + 1n), endNs: unixNano(toNs + 1n) });
    if (!c) return [];
    const out: Sample[] = [];
    await this.scan(c.where, 'forward', (r) => {
      const entry = this.entryOf(r, c.sel.resources.get(String(r.resource_id))!);
      const p = runPipeline(query.pipeline, entry);
      if (p)
        out.push({
          timeNs: big(r.time_ns),
          labels: { ...p.stream, ...p.metadata, ...p.parsed },
          bytes: Buffer.byteLength(entry.line),
        });
      return true;
    });
    return out;
  }

  /**
   * The streams (resource × level) with records in [startNs, endNs), with their counts and bytes;
   * only those a selector matches when `matchers` is given. Labels, series, stats and volume read this.
   */
  async streams(range: LogqlRange, matchers?: readonly Matcher[]): Promise<StreamStats[]> {
    const sel = await this.select(matchers ?? []);
    if (!sel.resources.size || !sel.bands.length) return [];
    const where = [
      sql`l.time_ns >= ${range.startNs.toString()}::bigint`,
      sql`l.time_ns < ${range.endNs.toString()}::bigint`,
    ];
    if (matchers?.length) where.push(...this.selectionConditions(sel));
    const rows = await this.database.query(sql`
      SELECT l.resource_id::text AS resource_id,
        CASE WHEN l.severity_number BETWEEN 1 AND 24 THEN (l.severity_number - 1) / 4 + 1 ELSE 0 END AS band,
        count(*) AS n, sum(octet_length(l.body)) AS bytes
      FROM logs l WHERE ${sql.join(where, sql` AND `)} GROUP BY 1, 2`);
    const out: StreamStats[] = [];
    for (const r of rows) {
      const labels = sel.resources.get(String(r.resource_id));
      if (!labels) continue;
      out.push({
        labels: { ...labels, level: LEVELS[Number(r.band)]! },
        entries: Number(r.n),
        bytes: Number(r.bytes),
      });
    }
    return out;
  }
}
