// `@pivot/store/bench`: the SQL the benchmarks need beyond the store's public API, so that the
// benchmarks themselves hold none. Corpora generated in SQL (millions of rows in seconds), the
// "same lookup in SQL" baselines the API is compared with, storage figures, and a scratch table for
// the full-text index comparison. Not for product code.
import { sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { unixNano, type TraceId, type UnixNano } from '@pivot/model';
import type { Database } from './database.ts';
import { toQueryError } from './errors.ts';
import { traceIdFromDb } from './encode.ts';
import { PartitionManager, dayIndexOfMs, dayIndexOfNs } from './partitions.ts';
import { LOGS_TABLE, SPANS_TABLE, type TableName } from './tables.ts';
import { copyRows, type CopyColumn } from './copy-text.ts';
import { spanCopyColumns } from './span-writer.ts';
import { logCopyColumns } from './log-writer.ts';

// ---------------------------------------------------------------------------------------------------
// Traces (bench:queries)

/**
 * `spans` spans in traces of `spansPerTrace` over the 12 h before `nowMs`, with their summaries and
 * operations, then ANALYZE: trace i's root is a SERVER span (20-519 ms) with CLIENT children, 1% of
 * traces have an error, services rotate over 8 names.
 */
export async function generateTraceCorpus(
  db: Database,
  opts: { spans: number; spansPerTrace: number; nowMs: number },
): Promise<void> {
  const { nowMs, spansPerTrace } = opts;
  const traces = Math.floor(opts.spans / spansPerTrace);
  await new PartitionManager(db).ensure(SPANS_TABLE, [dayIndexOfMs(nowMs) - 1, dayIndexOfMs(nowMs)]);
  // 100k traces per statement: one statement for 10M spans outlasts any statement timeout.
  for (let from = 0; from < traces; from += 100_000) {
    const to = Math.min(traces, from + 100_000) - 1;
    await db.query(sql`
  INSERT INTO spans (start_ns, trace_id, span_id, parent_span_id, duration_ns, service_name, name, kind, status_code,
    status_message, trace_state, flags, resource_id, scope_id, attributes, events, links,
    dropped_attributes_count, dropped_events_count, dropped_links_count)
  SELECT (${nowMs}::bigint - 43200000 + (t * 43200000::bigint / ${traces})) * 1000000 + s * 1000000,
    md5(t::text)::uuid, t * 16 + s + 1, CASE WHEN s = 0 THEN NULL ELSE t * 16 + 1 END,
    (CASE WHEN s = 0 THEN 20 + (t % 500) ELSE 1 + (t % 17) END) * 1000000,
    'svc-' || ((t + s) % 8), CASE WHEN s = 0 THEN 'GET /api/' || (t % 50) ELSE 'SELECT orders' END,
    CASE WHEN s = 0 THEN 2 ELSE 3 END, CASE WHEN t % 100 = 0 AND s = 1 THEN 2 ELSE 0 END,
    '', '', 1, 1, 1, jsonb_build_object('http.route', '/api/' || (t % 50), 'user.id', t % 1000), NULL, NULL, 0, 0, 0
  FROM generate_series(${from}::int, ${to}::int) t, generate_series(0, ${spansPerTrace - 1}) s`);
  }
  // The summaries in 16 slices of the trace-ID space, for the same reason.
  for (let slice = 0; slice < 16; slice++) {
    const lo = `${slice.toString(16)}0000000-0000-0000-0000-000000000000`;
    const hi =
      slice < 15
        ? sql`AND trace_id < ${`${(slice + 1).toString(16)}0000000-0000-0000-0000-000000000000`}::uuid`
        : sql``;
    await db.query(sql`
  INSERT INTO traces (trace_id, start_ns, end_ns, root_service, root_name, span_count, error_count, services)
  SELECT trace_id, min(start_ns), max(start_ns + duration_ns),
    (array_agg(service_name) FILTER (WHERE parent_span_id IS NULL))[1], (array_agg(name) FILTER (WHERE parent_span_id IS NULL))[1],
    count(*), count(*) FILTER (WHERE status_code = 2), array_agg(DISTINCT service_name)
  FROM spans WHERE trace_id >= ${lo}::uuid ${hi} GROUP BY trace_id`);
  }
  await db.query(
    sql`INSERT INTO span_operations SELECT DISTINCT service_name, name, kind FROM spans ON CONFLICT DO NOTHING`,
  );
  await db.query(sql`ANALYZE`);
}

/** `n` stored trace IDs in random order. */
export async function randomTraceIds(db: Database, n: number): Promise<TraceId[]> {
  const rows = await db.query<{ id: string }>(sql`SELECT trace_id AS id FROM traces ORDER BY random() LIMIT ${n}`);
  return rows.map((r) => traceIdFromDb(r.id));
}

/** About `n` stored trace IDs from a 5% block sample: cheap on a table of millions. */
export async function sampledTraceIds(db: Database, n: number): Promise<TraceId[]> {
  const rows = await db.query<{ id: string }>(sql`SELECT trace_id AS id FROM traces TABLESAMPLE SYSTEM (5) LIMIT ${n}`);
  return rows.map((r) => traceIdFromDb(r.id));
}

/** The baseline of "trace by ID": one statement for the trace's span rows, nothing joined or decoded. */
export async function spanRowsOfTrace(db: Database, traceId: TraceId): Promise<number> {
  return (await db.query(sql`SELECT * FROM spans WHERE trace_id = ${traceId}::uuid`)).length;
}

/** The baseline of trace search: the summary lookup by service and minimum duration, newest first. */
export async function traceIdsByServiceAndDuration(
  db: Database,
  service: string,
  minDurationNs: bigint,
  limit: number,
): Promise<number> {
  return (
    await db.query(
      sql`SELECT trace_id FROM traces WHERE services @> ARRAY[${service}]::text[] AND end_ns - start_ns >= ${minDurationNs.toString()}::bigint ORDER BY start_ns DESC LIMIT ${limit}`,
    )
  ).length;
}

// ---------------------------------------------------------------------------------------------------
// Cohort comparison (bench:investigate)

/**
 * Logs for generateTraceCorpus's traces (same `nowMs`, `spans`, `spansPerTrace`): one INFO line per
 * trace from its root's service, and for the traces whose root took 400 ms or more an ERROR line
 * "upstream timed out for order <hex>" with `retry=true`; plus the resource row the spans point to.
 */
export async function generateTraceLogs(
  db: Database,
  opts: { spans: number; spansPerTrace: number; nowMs: number },
): Promise<void> {
  const { nowMs } = opts;
  const traces = Math.floor(opts.spans / opts.spansPerTrace);
  await new PartitionManager(db).ensure(LOGS_TABLE, [dayIndexOfMs(nowMs) - 1, dayIndexOfMs(nowMs)]);
  await db.query(sql`INSERT INTO resources (id, service_name, attributes)
    VALUES (1, 'svc', '{"service.name": "svc", "host.name": "bench-1"}') ON CONFLICT DO NOTHING`);
  await db.query(sql`
  INSERT INTO logs (time_ns, fingerprint, observed_ns, trace_id, span_id, trace_flags, severity_number, severity_text,
    service_name, body, body_is_json, attributes, event_name, resource_id, scope_id, dropped_attributes_count)
  SELECT (${nowMs}::bigint - 43200000 + (t * 43200000::bigint / ${traces})) * 1000000 + e * 1000 + 5000000,
    t * 2 + e, 0, md5(t::text)::uuid, t * 16 + 1, 1,
    CASE WHEN e = 0 THEN 9 ELSE 17 END, '', 'svc-' || (t % 8),
    CASE WHEN e = 0 THEN 'served GET /api/' || (t % 50) || ' in ' || (20 + t % 500) || ' ms'
      ELSE 'upstream timed out for order ' || left(md5((t * 7)::text), 8) END,
    false, CASE WHEN e = 0 THEN '{}'::jsonb ELSE '{"retry": true}'::jsonb END, '', 1, 1, 0
  FROM generate_series(0, ${traces - 1}) t, generate_series(0, 1) e
  WHERE e = 0 OR 20 + t % 500 >= 400`);
  await db.query(sql`ANALYZE`);
}

/** The baseline of cohort comparison: a raw count of the window's spans, nothing grouped or joined. */
export async function countSpansInWindow(db: Database, startNs: UnixNano, endNs: UnixNano): Promise<number> {
  const [r] = await db.query(sql`SELECT count(*) AS n FROM spans
    WHERE start_ns >= ${startNs.toString()}::bigint AND start_ns <= ${endNs.toString()}::bigint`);
  return Number(r?.n ?? 0);
}

// ---------------------------------------------------------------------------------------------------
// Services overview (bench:servicegraph)

/**
 * The baseline of the services overview: the span scan it ran before it read the service-graph
 * rollups, one statement grouping the window's entry spans per service and per bucket, with exact
 * percentiles (percentile_cont). Returns the total request count, to compare with the overview's.
 */
export async function serviceStatsBySpanScan(
  db: Database,
  w: { startNs: UnixNano; endNs: UnixNano; stepNs: bigint },
): Promise<number> {
  const rows = await db.query<{ g: number; requests: string }>(sql`
    SELECT GROUPING(key) + GROUPING(bucket) AS g, count(*) AS requests,
      count(*) FILTER (WHERE status_code = 2) AS errors, min(start_ns) AS first_ns,
      percentile_cont(ARRAY[0.5, 0.95, 0.99]::float8[]) WITHIN GROUP (ORDER BY duration_ns::float8) AS p
    FROM (
      SELECT s.service_name AS key, (s.start_ns - ${w.startNs.toString()}::bigint) / ${w.stepNs.toString()}::bigint AS bucket,
        s.start_ns, s.duration_ns, s.status_code
      FROM spans s
      WHERE s.start_ns >= ${w.startNs.toString()}::bigint AND s.start_ns < ${w.endNs.toString()}::bigint
        AND (s.kind IN (2, 5) OR s.parent_span_id IS NULL)
    ) e
    GROUP BY GROUPING SETS ((key), (key, bucket), (), (bucket))`);
  return Number(rows.find((r) => Number(r.g) === 2)?.requests ?? 0);
}

// ---------------------------------------------------------------------------------------------------
// Metrics (bench:metrics, bench:promql)

/** Samples stored in metric chunks, all series together. */
export async function storedSamples(db: Database): Promise<number> {
  const [r] = await db.query<{ s: string | null }>(sql`SELECT sum(samples) AS s FROM metric_chunks`);
  return Number(r?.s ?? 0);
}

/**
 * Bytes on disk (table, TOAST and indexes) of the metric chunk partitions and of the series table, and
 * the number of chunk rows. With `rewrite` (PostgreSQL), each chunk partition is measured as a fresh copy
 * of its live rows with the same indexes: what VACUUM FULL leaves, but not held back by another session's
 * old snapshot on a shared server (VACUUM FULL keeps rows any running transaction might still see).
 */
export async function metricStorageBytes(
  db: Database,
  opts: { rewrite?: boolean } = {},
): Promise<{ chunks: number; series: number; chunkRows: number }> {
  const [r] = await db.query<{ chunks: string | null; series: string | null }>(sql`
      SELECT sum(pg_total_relation_size(c.oid)) FILTER (WHERE c.relname LIKE 'metric_chunks_p%') AS chunks,
             sum(pg_total_relation_size(c.oid)) FILTER (WHERE c.relname = 'metric_series') AS series
      FROM pg_class c WHERE c.relkind = 'r'`);
  const [n] = await db.query<{ n: string }>(sql`SELECT count(*)::text AS n FROM metric_chunks`);
  let chunks = Number(r?.chunks ?? 0);
  if (opts.rewrite && db.kind !== 'pglite') {
    const parts = await db.query<{ name: string }>(sql`
      SELECT relname AS name FROM pg_class WHERE relkind = 'r' AND relname ~ '^metric_chunks_p[0-9]{8}$' ORDER BY 1`);
    chunks = 0;
    for (const { name } of parts)
      await db.transaction(async (query) => {
        await query(sql`CREATE TEMP TABLE bench_chunk_copy (LIKE ${sql.identifier(name)} INCLUDING ALL)`);
        await query(sql`INSERT INTO bench_chunk_copy SELECT * FROM ${sql.identifier(name)}`);
        const [c] = await query<{ b: string }>(
          sql`SELECT pg_total_relation_size('bench_chunk_copy'::regclass)::text AS b`,
        );
        chunks += Number(c?.b ?? 0);
        await query(sql`DROP TABLE bench_chunk_copy`);
      });
  }
  return { chunks, series: Number(r?.series ?? 0), chunkRows: Number(n?.n ?? 0) };
}

/** VACUUM FULL (rewrite, to measure size after compaction) or VACUUM ANALYZE a registered table. */
export async function vacuum(db: Database, table: TableName, mode: 'full' | 'analyze'): Promise<void> {
  await db.query(sql`VACUUM ${mode === 'full' ? sql`FULL` : sql`ANALYZE`} ${sql.identifier(table)}`);
}

// ---------------------------------------------------------------------------------------------------
// Logs (bench:logs): a corpus generated in SQL, and a scratch copy for the full-text index choice.

const dialect = new PgDialect();

/**
 * A connection for set-up statements that run far longer than any request may (index builds on 10M
 * rows take minutes): no statement timeout, more maintenance memory. On PGlite, the database itself.
 */
export class BulkSession {
  private constructor(
    readonly db: Database,
    private readonly run: (q: SQL) => Promise<void>,
    private readonly end: () => Promise<void>,
  ) {}

  static async open(db: Database, url: string | undefined): Promise<BulkSession> {
    if (!url)
      return new BulkSession(
        db,
        async (q) => void (await db.query(q)),
        async () => {},
      );
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(
      `SET statement_timeout = 0; SET maintenance_work_mem = '512MB'; SET max_parallel_maintenance_workers = 1`,
    );
    return new BulkSession(
      db,
      async (q) => {
        const { sql: text, params } = dialect.sqlToQuery(q);
        try {
          await client.query(text, params);
        } catch (err) {
          throw toQueryError(err, q);
        }
      },
      () => client.end(),
    );
  }

  /** Runs a set-up statement of this module. */
  exec(q: SQL): Promise<void> {
    return this.run(q);
  }

  close(): Promise<void> {
    return this.end();
  }
}

/**
 * `rows` logs over the two days before now, generated in SQL: the given services, ~10 logs per trace
 * (80% of logs carry one), bodies from request/order/payment/cache/retry templates with hex order IDs, a
 * rare "disk quota" message every 5000 rows. Secondary indexes are dropped for the load and rebuilt
 * after, as a bulk load would; the trace summaries are filled in as the span writer keeps them, so that
 * /api/traces/{id}/logs is bounded to the trace's window. `progress` hears each 500k-row step.
 */
export async function buildLogCorpus(
  session: BulkSession,
  opts: { rows: number; services: readonly string[]; progress?: (line: string) => void },
): Promise<{ startNs: UnixNano; endNs: UnixNano }> {
  const { db } = session;
  const { rows, services, progress = () => {} } = opts;
  const NS_PER_MS = 1_000_000n;
  const DAY_NS = 86_400_000n * NS_PER_MS;
  const endNs = unixNano(BigInt(Date.now()) * NS_PER_MS);
  const startNs = unixNano(endNs - 2n * DAY_NS);
  const stepNs = (endNs - startNs) / BigInt(rows);
  await new PartitionManager(db).ensure(LOGS_TABLE, [
    dayIndexOfNs(startNs),
    dayIndexOfNs(startNs) + 1,
    dayIndexOfNs(endNs),
  ]);
  const resources = sql.join(
    services.map(
      (s, i) => sql`(${i + 1}, ${s}, ${JSON.stringify({ 'service.name': s, 'host.name': `${s}-0` })}::jsonb, 0)`,
    ),
    sql`, `,
  );
  await session.exec(
    sql`INSERT INTO resources (id, service_name, attributes, dropped_attributes_count) VALUES ${resources} ON CONFLICT DO NOTHING`,
  );
  await session.exec(
    sql`INSERT INTO scopes (id, name, version, attributes) VALUES (1, 'app', '1.0.0', '{}') ON CONFLICT DO NOTHING`,
  );
  // The hot indexes live on each partition (HOT_INDEXES): dropped there, rebuilt with their own text.
  const idx = await db.query<{ name: string; def: string }>(sql`
    SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
    WHERE (t.relname = 'logs' OR t.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'logs'::regclass))
      AND NOT i.indisprimary`);
  for (const { name } of idx) await session.exec(sql`DROP INDEX ${sql.identifier(name)}`);
  const t0 = performance.now();
  const CHUNK = 500_000;
  const serviceArray = sql.param([...services]);
  for (let from = 0; from < rows; from += CHUNK) {
    const to = Math.min(rows, from + CHUNK) - 1;
    await session.exec(sql`
      INSERT INTO logs (time_ns, fingerprint, observed_ns, trace_id, span_id, trace_flags, severity_number, severity_text,
        service_name, body, body_is_json, attributes, event_name, resource_id, scope_id, dropped_attributes_count)
      SELECT ${startNs.toString()}::bigint + i::bigint * ${stepNs.toString()}::bigint, ('x' || substr(h, 1, 16))::bit(64)::bigint,
        ${startNs.toString()}::bigint + i::bigint * ${stepNs.toString()}::bigint,
        CASE WHEN i % 5 <> 4 THEN md5('trace' || (i / 10))::uuid END,
        CASE WHEN i % 5 <> 4 THEN ('x' || substr(h, 17, 16))::bit(64)::bigint END,
        1, sev, CASE sev WHEN 5 THEN 'DEBUG' WHEN 9 THEN 'INFO' WHEN 13 THEN 'WARN' ELSE 'ERROR' END,
        (${serviceArray}::text[])[1 + (i / 10) % ${services.length}], body, false,
        jsonb_build_object('http.route', '/api/r' || (i % 8), 'user.id', ('x' || substr(h, 9, 5))::bit(20)::int),
        '', 1 + (i / 10) % ${services.length}, 1, 0
      FROM generate_series(${from}::int, ${to}::int) AS i,
      LATERAL (SELECT md5(i::text) AS h) x,
      LATERAL (SELECT
        CASE WHEN i % 5000 = 1234 THEN 'disk quota exceeded on volume vol-' || substr(h, 3, 6)
        ELSE CASE i % 8
          WHEN 0 THEN 'GET /api/orders/ORD-' || upper(substr(h, 1, 8)) || ' 200 in ' || (i % 900 + 3) || 'ms'
          WHEN 1 THEN 'order ORD-' || upper(substr(h, 1, 8)) || ' placed by user ' || (i % 100000) || ' (' || (i % 7 + 1) || ' items)'
          WHEN 2 THEN 'payment declined for order ORD-' || upper(substr(h, 1, 8)) || ': insufficient funds'
          WHEN 3 THEN 'cache miss for key product:' || (i % 100000) || ', loading from database'
          WHEN 4 THEN 'connection reset by peer while calling inventory-' || (i % 5) || ':8080, retrying (attempt ' || (i % 3 + 1) || ')'
          WHEN 5 THEN 'user ' || (i % 100000) || ' signed in from 10.' || (i % 256) || '.' || (i % 251) || '.7'
          WHEN 6 THEN 'slow query on orders took ' || (i % 900 + 3) || 'ms: SELECT * FROM orders WHERE customer_id = $1'
          ELSE 'shipment SHP-' || substr(h, 20, 6) || ' for order ORD-' || upper(substr(h, 1, 8)) || ' handed to courier'
        END END AS body,
        CASE i % 8 WHEN 3 THEN 5 WHEN 2 THEN 13 WHEN 6 THEN 13 WHEN 4 THEN 17 ELSE 9 END AS sev) b
      ON CONFLICT DO NOTHING`);
    progress(`  corpus: ${to + 1} rows (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const t1 = performance.now();
  // pg_get_indexdef's own text, as the catalog gave it: a partitioned index is rebuilt on every partition.
  for (const { def } of idx) await session.exec(sql.raw(def.replace(' ON ONLY ', ' ON ')));
  progress(`  corpus indexes rebuilt in ${((performance.now() - t1) / 1000).toFixed(0)} s`);
  await session.exec(sql`INSERT INTO traces (trace_id, start_ns, end_ns, root_service, root_name, span_count, error_count, services)
    SELECT trace_id, min(time_ns), max(time_ns), min(service_name), 'GET /api/orders', count(*), 0, array_agg(DISTINCT service_name)
    FROM logs WHERE trace_id IS NOT NULL GROUP BY trace_id ON CONFLICT DO NOTHING`);
  await session.exec(sql`VACUUM ANALYZE logs`);
  await session.exec(sql`ANALYZE traces`);
  return { startNs, endNs };
}

/** Fragments from inside the corpus's order IDs (6 of their 8 hex digits), each matching about one log. */
export async function orderIdFragments(db: Database, corpusRows: number, n: number): Promise<string[]> {
  const rows = await db.query<{ o: string }>(sql`
    SELECT substr(upper(md5(i::text)), 2, 6) AS o FROM generate_series(0, ${corpusRows - 1}, 997) AS i
    WHERE i % 8 IN (0, 1, 2, 7) AND i % 5000 <> 1234 LIMIT ${n}`);
  return rows.map((r) => r.o);
}

/** The two full-text indexes the log search was chosen between. */
export const FULL_TEXT_INDEXES = ['pg_trgm GIN', 'tsvector GIN (simple)'] as const;
export type FullTextIndex = (typeof FULL_TEXT_INDEXES)[number];

/**
 * A scratch copy of the log bodies (with a time index) on which each full-text index is built in turn
 * and queried as the API queries: the newest 100 matches, or a count of all. A word query uses the
 * index's own operator; a substring (an order ID fragment, inside a token) is ILIKE for both, which
 * tsvector cannot serve.
 */
export class FullTextScratch {
  private constructor(private readonly session: BulkSession) {}

  static async create(session: BulkSession): Promise<FullTextScratch> {
    await session.exec(sql`DROP TABLE IF EXISTS fts_scratch`);
    await session.exec(sql`CREATE TABLE fts_scratch AS SELECT time_ns, body FROM logs`);
    await session.exec(sql`CREATE INDEX fts_scratch_time ON fts_scratch (time_ns DESC)`);
    await session.exec(sql`VACUUM ANALYZE fts_scratch`);
    return new FullTextScratch(session);
  }

  async buildIndex(index: FullTextIndex): Promise<void> {
    await this.session.exec(
      index === 'pg_trgm GIN'
        ? sql`CREATE INDEX fts_scratch_idx ON fts_scratch USING gin (body gin_trgm_ops)`
        : sql`CREATE INDEX fts_scratch_idx ON fts_scratch USING gin (to_tsvector('simple', body))`,
    );
    await this.session.exec(sql`ANALYZE fts_scratch`);
  }

  async dropIndex(): Promise<void> {
    await this.session.exec(sql`DROP INDEX fts_scratch_idx`);
  }

  async indexBytes(): Promise<number> {
    const [r] = await this.session.db.query<{ b: string }>(sql`SELECT pg_relation_size('fts_scratch_idx') AS b`);
    return Number(r?.b ?? 0);
  }

  async tableBytes(): Promise<number> {
    const [r] = await this.session.db.query<{ b: string }>(sql`SELECT pg_relation_size('fts_scratch') AS b`);
    return Number(r?.b ?? 0);
  }

  /** Rows matched: up to 100 newest, or all of them counted. */
  async query(
    index: FullTextIndex,
    match: { word: string } | { substring: string },
    mode: 'newest' | 'count',
  ): Promise<number> {
    const cond =
      'word' in match && index === 'tsvector GIN (simple)'
        ? sql`to_tsvector('simple', body) @@ plainto_tsquery('simple', ${match.word})`
        : sql`body ILIKE ${`%${'word' in match ? match.word : match.substring}%`}`;
    if (mode === 'newest')
      return (
        await this.session.db.query(
          sql`SELECT time_ns, body FROM fts_scratch WHERE ${cond} ORDER BY time_ns DESC LIMIT 100`,
        )
      ).length;
    const [r] = await this.session.db.query<{ n: string }>(sql`SELECT count(*) AS n FROM fts_scratch WHERE ${cond}`);
    return Number(r?.n ?? 0);
  }

  async drop(): Promise<void> {
    await this.session.exec(sql`DROP TABLE fts_scratch`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Raw COPY ceilings and bytes per item, hot and cold (bench:traces, bench:logs)

/** Column arrays (in table order, as the writers prepare them) as COPY text batches of `size` rows. */
export function copyBatches(columns: readonly CopyColumn[], size: number): string[] {
  const n = columns[0]?.length ?? 0;
  const out: string[] = [];
  for (let from = 0; from < n; from += size) out.push(copyRows(columns, from, Math.min(n, from + size)));
  return out;
}

export { spanCopyColumns, logCopyColumns, type CopyColumn };
export { HOT_INDEXES, HOT_KEYS } from './partitions.ts';

/** The indexes of the raw ceiling: a trace-ID btree and a (service, time) btree, nothing else. */
const CEILING_INDEXES = {
  spans: ['(trace_id)', '(service_name, start_ns)'],
  logs: ['(trace_id)', '(service_name, time_ns)'],
} as const;

/**
 * Each batch of COPY text into `table` by its own `COPY FROM STDIN`, one after the other: the rows copied
 * and the seconds the COPYs took (the modules are loaded before the clock starts).
 */
async function copyAll(
  client: pg.Client,
  table: string,
  batches: readonly string[],
): Promise<{ rows: number; seconds: number }> {
  const { from: copyFrom } = await import('pg-copy-streams');
  const { pipeline } = await import('node:stream/promises');
  const { Readable } = await import('node:stream');
  let rows = 0;
  const t0 = performance.now();
  for (const batch of batches) {
    const stream = client.query(copyFrom(`COPY ${table} FROM STDIN`));
    await pipeline(Readable.from([batch]), stream);
    rows += stream.rowCount;
  }
  return { rows, seconds: (performance.now() - t0) / 1000 };
}

/**
 * CPU seconds (user + system) the given processes have used so far, from /proc (Linux, same machine):
 * with the PostgreSQL backends' pids, what the server spent on a run. 0 for a pid that is gone.
 */
export function processCpuSeconds(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) start at its closing parenthesis.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, (Number(f[11]) + Number(f[12])) / CLOCK_TICKS);
    } catch {
      out.set(pid, 0);
    }
  }
  return out;
}
const CLOCK_TICKS = 100; // USER_HZ on Linux

const cpuOf = (pid: number): number => processCpuSeconds([pid]).get(pid) ?? 0;

/**
 * The write ceiling of `table`: `COPY … FROM STDIN` of the batches, one after another on one connection,
 * into a plain table of the same columns with only a trace-ID btree and a (service, time) btree. Returns
 * rows per second, its bytes per row (heap, TOAST, the two indexes) and the CPU seconds per row of
 * its backend and of this process sending the prepared text; the table is dropped after.
 * PostgreSQL only (`url`).
 */
export async function copyCeiling(
  url: string,
  table: 'spans' | 'logs',
  batches: readonly string[],
): Promise<{ rowsPerSecond: number; bytesPerRow: number; cpuPerRow: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const scratch = `copy_ceiling_${table}`;
  try {
    await client.query(`DROP TABLE IF EXISTS ${scratch}`);
    await client.query(`CREATE TABLE ${scratch} (LIKE ${table} INCLUDING DEFAULTS)`);
    for (const cols of CEILING_INDEXES[table]) await client.query(`CREATE INDEX ON ${scratch} ${cols}`);
    const pid = Number((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
    const pg0 = cpuOf(pid);
    const own0 = process.cpuUsage();
    const { rows, seconds } = await copyAll(client, scratch, batches);
    const own = process.cpuUsage(own0);
    const cpu = cpuOf(pid) - pg0 + (own.user + own.system) / 1e6;
    const size = await client.query<{ b: string }>(`SELECT pg_total_relation_size('${scratch}')::text AS b`);
    return { rowsPerSecond: rows / seconds, bytesPerRow: Number(size.rows[0]?.b ?? 0) / rows, cpuPerRow: cpu / rows };
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${scratch}`).catch(() => {});
    await client.end();
  }
}

/** One table layout of `indexCosts`: the index definitions (`USING …` clauses) of its scratch table. */
export interface IndexVariant {
  name: string;
  indexes: readonly string[];
  /** After the COPYs, timed apart: its GIN indexes' pending lists cleaned (the deferred part of their upkeep). */
  cleanGin?: boolean;
}

/**
 * What each index costs a COPY: the batches copied into a scratch table of `table`'s columns holding
 * only that variant's indexes, every variant in turn `rounds` times (interleaved, so that the machine's
 * load falls on all alike). Per variant, the median seconds of the COPYs and of its `after` statement,
 * and its index bytes per row (median). PostgreSQL only (`url`).
 */
export async function indexCosts(
  url: string,
  table: 'spans' | 'logs',
  batches: readonly string[],
  variants: readonly IndexVariant[],
  rounds = 3,
): Promise<{ name: string; copySeconds: number; afterSeconds: number; indexBytesPerRow: number }[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const scratch = `index_cost_${table}`;
  const runs = variants.map(() => ({ copy: [] as number[], after: [] as number[], bytes: [] as number[] }));
  const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  try {
    for (let round = 0; round < rounds; round++)
      for (const [i, v] of variants.entries()) {
        await client.query(`DROP TABLE IF EXISTS ${scratch}`);
        await client.query(`CREATE TABLE ${scratch} (LIKE ${table} INCLUDING DEFAULTS)`);
        for (const [j, def] of v.indexes.entries())
          await client.query(`CREATE INDEX ${scratch}_${j} ON ${scratch} USING ${def}`);
        const { rows, seconds } = await copyAll(client, scratch, batches);
        const t1 = performance.now();
        if (v.cleanGin)
          await client.query(`SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
            WHERE i.indrelid = '${scratch}'::regclass AND a.amname = 'gin'`);
        const t2 = performance.now();
        const size = await client.query<{ b: string }>(`SELECT pg_indexes_size('${scratch}')::text AS b`);
        runs[i]!.copy.push(seconds);
        runs[i]!.after.push((t2 - t1) / 1000);
        runs[i]!.bytes.push(Number(size.rows[0]?.b ?? 0) / rows);
      }
    return variants.map((v, i) => ({
      name: v.name,
      copySeconds: mid(runs[i]!.copy),
      afterSeconds: mid(runs[i]!.after),
      indexBytesPerRow: mid(runs[i]!.bytes),
    }));
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${scratch}`).catch(() => {});
    await client.end();
  }
}

/** The pids of the server processes connected to this database: their CPU is what a run cost the server. */
export async function backendPids(db: Database): Promise<number[]> {
  const rows = await db.query<{ pid: number }>(
    sql`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'`,
  );
  return rows.map((r) => Number(r.pid));
}

/**
 * Disk bytes of a signal's tables, everything included (heap, TOAST, indexes, the trace summaries and
 * operations for traces; `spans only` leaves those out), after a checkpoint of the statistics: what one more item costs on disk.
 * Columnar days keep their stripe and chunk metadata (min/max per column and chunk group) in the
 * extension's own catalog tables, outside the table's size: their share of those tables, by row count,
 * is counted too.
 */
export async function signalBytes(db: Database, signal: 'traces' | 'logs' | 'spans only'): Promise<number> {
  const names = { traces: ['spans', 'traces', 'span_operations'], logs: ['logs'], 'spans only': ['spans'] };
  const tables = sql.param(names[signal]);
  const own = sql`SELECT c.oid FROM pg_class c
    WHERE c.relkind = 'r' AND (c.relname = ANY (${tables}::text[])
      OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent IN (SELECT oid FROM pg_class WHERE relname = ANY (${tables}::text[]))))`;
  const [r] = await db.query<{ b: string; columnar: boolean }>(sql`
    SELECT coalesce(sum(pg_total_relation_size(oid)), 0)::text AS b,
      to_regclass('columnar_internal.chunk') IS NOT NULL AS columnar FROM (${own}) o`);
  let bytes = Number(r?.b ?? 0);
  if (r?.columnar) {
    const [m] = await db.query<{ b: string | null }>(sql`
      WITH ids AS (SELECT storage_id FROM columnar.storage WHERE relation::oid IN (${own}))
      SELECT (
        pg_total_relation_size('columnar_internal.chunk') * (SELECT count(*) FILTER (WHERE storage_id IN (SELECT storage_id FROM ids))::float8 / greatest(count(*), 1) FROM columnar_internal.chunk)
        + pg_total_relation_size('columnar_internal.chunk_group') * (SELECT count(*) FILTER (WHERE storage_id IN (SELECT storage_id FROM ids))::float8 / greatest(count(*), 1) FROM columnar_internal.chunk_group)
        + pg_total_relation_size('columnar_internal.stripe') * (SELECT count(*) FILTER (WHERE storage_id IN (SELECT storage_id FROM ids))::float8 / greatest(count(*), 1) FROM columnar_internal.stripe)
      )::bigint::text AS b`);
    bytes += Number(m?.b ?? 0);
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------------
// Facets (bench:facets)

/**
 * The raw read a log facet cannot avoid: the service, severity and attributes of the newest `n`
 * records in [startNs, endNs], fetched without any aggregation.
 */
export async function newestLogFacetRows(db: Database, startNs: UnixNano, endNs: UnixNano, n: number): Promise<number> {
  const rows = await db.query(sql`
    SELECT service_name, severity_number, attributes FROM logs
    WHERE time_ns >= ${startNs.toString()}::bigint AND time_ns <= ${endNs.toString()}::bigint
    ORDER BY time_ns DESC, fingerprint DESC LIMIT ${n}`);
  return rows.length;
}

/** The raw read a trace facet cannot avoid: the attributes of every span of the newest `n` traces. */
export async function newestTraceSpanAttributes(db: Database, n: number): Promise<number> {
  const rows = await db.query(sql`
    SELECT s.attributes FROM (SELECT trace_id, start_ns, end_ns FROM traces ORDER BY start_ns DESC, trace_id DESC LIMIT ${n}) t
    JOIN spans s ON s.trace_id = t.trace_id AND s.start_ns >= t.start_ns AND s.start_ns <= t.end_ns`);
  return rows.length;
}

// ---------------------------------------------------------------------------------------------------
// Citus (bench:citus)

/**
 * `rows` logs over the hour before `nowMs` shaped like a service fleet's: 40% without a trace (start-up,
 * health checks, background jobs), one chatty service writing half the lines, bodies from 30 templates
 * (so identical lines repeat), millisecond timestamps as pino writes them (lines of one millisecond share
 * a time). Each trace has 3 lines. Then ANALYZE.
 */
export async function generateLogMix(db: Database, opts: { rows: number; nowMs: number }): Promise<void> {
  const { nowMs, rows } = opts;
  await new PartitionManager(db).ensure(LOGS_TABLE, [dayIndexOfMs(nowMs - 3_600_000), dayIndexOfMs(nowMs)]);
  await db.query(sql`
  INSERT INTO logs (time_ns, fingerprint, observed_ns, trace_id, span_id, trace_flags, severity_number, severity_text,
    service_name, body, body_is_json, attributes, event_name, resource_id, scope_id, dropped_attributes_count)
  SELECT (${nowMs}::bigint - 3600000 + (i * 3600000::bigint / ${rows})) * 1000000,
    ('x' || left(md5(svc || '|' || body || '|' || coalesce(tid::text, '')), 16))::bit(64)::bigint,
    0, tid, CASE WHEN tid IS NULL THEN NULL ELSE i END, 1, 9, 'INFO', svc, body, false, '{}'::jsonb, '', 1, 1, 0
  FROM (SELECT i,
      CASE WHEN i % 10 < 4 THEN NULL ELSE md5((i / 3)::text)::uuid END AS tid,
      CASE WHEN i % 2 = 0 THEN 'svc-0' ELSE 'svc-' || (1 + i % 7) END AS svc,
      'template ' || (i % 30) || CASE WHEN i % 10 < 4 THEN '' ELSE ' order ' || (i / 3) END AS body
    FROM generate_series(0, ${rows - 1}) i) g
  ON CONFLICT DO NOTHING`);
  await db.query(sql`ANALYZE logs`);
}

/**
 * Disk bytes of a distributed table's day partitions over every shard placement (citus_total_relation_size)
 * and, with `columnar`, the workers' citus_columnar metadata, split between tables by their share of the
 * stripes' bytes (in a scratch database only spans and logs days are columnar). For bench:citus-columnar.
 */
export async function citusDayBytes(db: Database, table: 'spans' | 'logs', columnar: boolean): Promise<number> {
  const [r] = await db.query<{ b: string }>(sql`
    SELECT coalesce(sum(citus_total_relation_size(i.inhrelid)), 0)::text AS b FROM pg_inherits i
    WHERE i.inhparent = ${table}::regclass`);
  let total = Number(r?.b ?? 0);
  if (!columnar) return total;
  const rows = await db.query<{ result: string }>(sql`
    SELECT result FROM run_command_on_workers(format($f$SELECT (pg_total_relation_size('columnar_internal.chunk')
      + pg_total_relation_size('columnar_internal.chunk_group') + pg_total_relation_size('columnar_internal.stripe'))
      * coalesce((SELECT sum(s.data_length) FILTER (WHERE c.relname ~ %L)::float8 / nullif(sum(s.data_length), 0)
        FROM columnar.stripe s JOIN pg_class c ON c.oid = s.relation), 0)$f$, ${`^${table}_p[0-9]{8}_[0-9]+$`}::text))`);
  for (const x of rows) total += Number(x.result);
  return total;
}

/** Candidate distribution keys of logs, as SQL over a row of `logs`. */
export const LOG_KEY_CANDIDATES = ['time_ns', 'trace_id', 'fingerprint', 'service_name'] as const;
export type LogKeyCandidate = (typeof LOG_KEY_CANDIDATES)[number];

/**
 * How evenly each candidate key would spread the stored logs over `shards` hash shards (Citus' own
 * hash, worker_hash, and its even split of the hash range): the fullest shard's rows over the mean.
 * A trace-less line has no trace ID; under that key it would need a sentinel, which hashes to one shard.
 * Needs the citus extension.
 */
export async function logShardSkew(db: Database, shards: number): Promise<Record<LogKeyCandidate, number>> {
  const keys: Record<LogKeyCandidate, SQL> = {
    time_ns: sql`worker_hash(time_ns)`,
    trace_id: sql`worker_hash(coalesce(trace_id, '00000000-0000-0000-0000-000000000000'::uuid))`,
    fingerprint: sql`worker_hash(fingerprint)`,
    service_name: sql`worker_hash(service_name)`,
  };
  const out = {} as Record<LogKeyCandidate, number>;
  for (const k of LOG_KEY_CANDIDATES) {
    const [r] = await db.query<{ skew: number }>(sql`
      SELECT (max(n) / (sum(n)::float8 / ${shards}))::float8 AS skew FROM (
        SELECT ((${keys[k]}::bigint + 2147483648) * ${shards} / 4294967296) AS shard, count(*) AS n
        FROM logs GROUP BY 1) s`);
    out[k] = Number(r?.skew ?? 0);
  }
  return out;
}

/** `n` trace IDs that have logs, in random order. */
export async function loggedTraceIds(db: Database, n: number): Promise<TraceId[]> {
  const rows = await db.query<{ id: string }>(
    sql`SELECT DISTINCT trace_id AS id FROM logs WHERE trace_id IS NOT NULL ORDER BY 1 LIMIT ${n}`,
  );
  return rows.map((r) => traceIdFromDb(r.id));
}
