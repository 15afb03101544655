// Reads for PromQL and the Prometheus HTTP API. Label matchers and the time range are pushed down to
// SQL: matchers select series through the GIN index on labels, and only the chunks overlapping the
// range are read and decoded.
import { sql, type SQL } from 'drizzle-orm';
import type { Labels, SpanId, TraceId } from '@pivot/model';
import { matchesAll, type LabelMatcher, type MatchType } from '@pivot/matchers';
import type { Database } from './database.ts';
import { decodeChunk, mergeChunks, type DecodedChunk } from './chunk-codec.ts';
import { spanIdFromDb, traceIdFromDb } from './encode.ts';
import { CHUNK_WINDOW_MS } from './metric-writer.ts';
import { regexPrefilter } from './label-prefilter.ts';

export type { LabelMatcher, MatchType };

export interface SeriesSamples {
  labels: Labels;
  timestamps: Float64Array;
  values: Float64Array;
}

export interface StoredExemplar {
  labels: Labels;
  value: number;
  timestampMs: number;
  traceId: TraceId | null;
  spanId: SpanId | null;
}

/** Keep, per series and per `stepMs`-wide bucket, the `perStep` highest exemplars (see MetricQueries.exemplars). */
export interface ExemplarThinning {
  stepMs: number;
  perStep: number;
}

export class TooManySamplesError extends Error {
  override readonly name = 'TooManySamplesError';
  constructor(readonly limit: number) {
    super('query processing would load too many samples into memory in query execution');
  }
}

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

/** One matcher in SQL, and whether SQL's answer is the final one (see label-prefilter.ts). */
function matcherSql(m: LabelMatcher): { sql: SQL | undefined; exact: boolean } {
  const col = m.name === '__name__' ? sql`s.metric_name` : sql`coalesce(s.labels->>${m.name}, '')`;
  switch (m.type) {
    case '=':
      if (m.name === '__name__') return { sql: sql`s.metric_name = ${m.value}`, exact: true };
      // Containment uses the GIN index; an empty value means "label absent".
      return {
        sql:
          m.value === ''
            ? sql`NOT (s.labels ? ${m.name})`
            : sql`s.labels @> ${JSON.stringify({ [m.name]: m.value })}::jsonb`,
        exact: true,
      };
    case '!=':
      return { sql: sql`${col} <> ${m.value}`, exact: true };
    case '=~':
    case '!~': {
      const negated = m.type === '!~';
      const f = regexPrefilter(m.value, negated);
      if (f.kind === 'none') return { sql: undefined, exact: false };
      if (f.kind === 'in') {
        const list = sql.param(f.values);
        return { sql: negated ? sql`${col} <> ALL(${list}::text[])` : sql`${col} = ANY(${list}::text[])`, exact: true };
      }
      return { sql: negated ? sql`${col} !~ ${f.pattern}` : sql`${col} ~ ${f.pattern}`, exact: f.exact };
    }
  }
}

function inRange(startMs: number | undefined, endMs: number | undefined): SQL | undefined {
  if (startMs === undefined && endMs === undefined) return undefined;
  const lo = startMs ?? 0;
  const hi = endMs ?? Number.MAX_SAFE_INTEGER;
  return sql`EXISTS (SELECT 1 FROM metric_chunks c WHERE c.series_id = s.id AND c.start_ms <= ${hi}
    AND c.end_ms >= ${lo} AND c.start_ms >= ${Math.floor(lo / CHUNK_WINDOW_MS) * CHUNK_WINDOW_MS})`;
}

/**
 * The series condition for matcher sets (any set, all of its matchers), and whether SQL decides it alone.
 * When it does not, the rows are a superset and `accepts` makes the final, Go RE2, decision.
 */
function whereFor(sets: LabelMatcher[][], startMs?: number, endMs?: number): { where: SQL; exact: boolean } {
  let exact = true;
  const alternatives = sets.map((ms) => {
    const parts: SQL[] = [];
    for (const m of ms) {
      const one = matcherSql(m);
      if (one.sql) parts.push(one.sql);
      exact &&= one.exact;
    }
    return parts.length ? sql`(${sql.join(parts, sql` AND `)})` : sql`TRUE`;
  });
  const parts: SQL[] = [alternatives.length ? sql`(${sql.join(alternatives, sql` OR `)})` : sql`TRUE`];
  const range = inRange(startMs, endMs);
  if (range) parts.push(range);
  return { where: sql.join(parts, sql` AND `), exact };
}

const accepts = (sets: LabelMatcher[][], labels: Labels): boolean =>
  sets.length === 0 || sets.some((ms) => matchesAll(ms, labels));

/** Series per chunk-reading statement: PGlite cannot interrupt a statement, so a query stops between them. */
const SERIES_PER_STATEMENT = 2000;

export interface ReadOptions {
  /** Aborting it cancels the statement running on PostgreSQL, and stops between statements on PGlite. */
  signal?: AbortSignal | undefined;
}

export class MetricQueries {
  constructor(private readonly database: Database) {}

  async seriesIds(
    matchers: LabelMatcher[][],
    startMs?: number,
    endMs?: number,
    limit?: number,
    opts: ReadOptions = {},
  ): Promise<{ id: string; labels: Labels }[]> {
    const { where, exact } = whereFor(matchers, startMs, endMs);
    const rows = await this.database.query(
      sql`SELECT s.id::text AS id, s.labels FROM metric_series s WHERE ${where}
      ORDER BY s.id ${limit && exact ? sql`LIMIT ${limit}` : sql``}`,
      opts,
    );
    const out: { id: string; labels: Labels }[] = [];
    for (const r of rows) {
      const labels = json<Labels>(r.labels);
      if (!exact && !accepts(matchers, labels)) continue;
      out.push({ id: r.id as string, labels });
      if (limit && out.length >= limit) break;
    }
    return out;
  }

  /** The samples of every series matching all matchers, within [minMs, maxMs], ascending and deduplicated. */
  async select(
    matchers: LabelMatcher[],
    minMs: number,
    maxMs: number,
    opts: { maxSamples?: number } & ReadOptions = {},
  ): Promise<SeriesSamples[]> {
    const series = await this.seriesIds([matchers], minMs, maxMs, undefined, opts);
    if (series.length === 0) return [];
    const limit = opts.maxSamples ?? Infinity;
    let loaded = 0;
    const chunks = new Map<string, DecodedChunk[]>();
    for (let i = 0; i < series.length; i += SERIES_PER_STATEMENT) {
      opts.signal?.throwIfAborted();
      const ids = series.slice(i, i + SERIES_PER_STATEMENT).map((s) => s.id);
      const rows = await this.database.query(
        sql`
        SELECT c.series_id::text AS id, c.samples, c.data FROM metric_chunks c
        WHERE c.series_id = ANY(${sql.param(ids)}::bigint[]) AND c.start_ms <= ${maxMs} AND c.end_ms >= ${minMs}
          AND c.start_ms >= ${Math.floor(minMs / CHUNK_WINDOW_MS) * CHUNK_WINDOW_MS}
        ORDER BY c.series_id, c.start_ms`,
        opts,
      );
      for (const r of rows) {
        loaded += Number(r.samples);
        if (loaded > limit) throw new TooManySamplesError(limit);
        const list = chunks.get(r.id as string) ?? [];
        list.push(decodeChunk(r.data as Uint8Array));
        chunks.set(r.id as string, list);
      }
    }
    const out: SeriesSamples[] = [];
    for (const s of series) {
      const list = chunks.get(s.id);
      if (!list) continue;
      const merged = mergeChunks(list);
      const { timestamps, values } = trim(merged, minMs, maxMs);
      if (timestamps.length) out.push({ labels: s.labels, timestamps, values });
    }
    return out;
  }

  async labelNames(matchers: LabelMatcher[][], startMs?: number, endMs?: number): Promise<string[]> {
    const { where, exact } = whereFor(matchers.length ? matchers : [[]], startMs, endMs);
    if (!exact) {
      const names = new Set<string>();
      for (const s of await this.seriesIds(matchers, startMs, endMs))
        for (const k of Object.keys(s.labels)) names.add(k);
      return [...names].sort();
    }
    const rows = await this.database.query<{ k: string }>(sql`
      SELECT DISTINCT jsonb_object_keys(s.labels) AS k FROM metric_series s WHERE ${where} ORDER BY 1`);
    return rows.map((r) => r.k);
  }

  async labelValues(name: string, matchers: LabelMatcher[][], startMs?: number, endMs?: number): Promise<string[]> {
    const { where, exact } = whereFor(matchers.length ? matchers : [[]], startMs, endMs);
    if (!exact) {
      const values = new Set<string>();
      for (const s of await this.seriesIds(matchers, startMs, endMs)) {
        const v = s.labels[name];
        if (v !== undefined) values.add(v);
      }
      return [...values].sort();
    }
    const rows = await this.database.query<{ v: string }>(sql`
      SELECT DISTINCT s.labels->>${name} AS v FROM metric_series s
      WHERE s.labels ? ${name} AND ${where} ORDER BY 1`);
    return rows.map((r) => r.v);
  }

  async metadata(
    metric?: string,
    limit?: number,
  ): Promise<Record<string, { type: string; help: string; unit: string }[]>> {
    const rows = await this.database.query(sql`
      SELECT metric_family_name, type, help, unit FROM metric_metadata
      ${metric ? sql`WHERE metric_family_name = ${metric}` : sql``} ORDER BY 1 ${limit ? sql`LIMIT ${limit}` : sql``}`);
    const out: Record<string, { type: string; help: string; unit: string }[]> = {};
    for (const r of rows)
      out[r.metric_family_name as string] = [
        { type: r.type as string, help: r.help as string, unit: r.unit as string },
      ];
    return out;
  }

  /**
   * Exemplars of the series matching any matcher set, in [startMs, endMs], grouped by series. One row per
   * series, its exemplars aggregated in SQL: thousands of exemplar rows read one by one cost most of the
   * time on PGlite.
   *
   * With `thin`, only the `perStep` highest exemplars of each series in each `stepMs`-wide bucket (aligned
   * at startMs; ties: the latest) are kept, chosen in SQL: what a chart can draw, and always the slowest
   * requests behind a spike. Without it the answer is exact (every stored exemplar, up to `limit`).
   */
  async exemplars(
    matchers: LabelMatcher[][],
    startMs: number,
    endMs: number,
    limit = 10_000,
    opts: ReadOptions & { thin?: ExemplarThinning | undefined } = {},
  ): Promise<{ seriesLabels: Labels; exemplars: StoredExemplar[] }[]> {
    const series = await this.seriesIds(matchers, undefined, undefined, undefined, opts);
    if (series.length === 0) return [];
    const labelsById = new Map(series.map((s) => [s.id, s.labels]));
    const inRange = sql`e.series_id = ANY(${sql.param(series.map((s) => s.id))}::bigint[])
          AND e.ts_ms >= ${startMs} AND e.ts_ms <= ${endMs}`;
    const thin = opts.thin;
    const picked = thin
      ? sql`(SELECT * FROM (SELECT e.*, row_number() OVER (
              PARTITION BY e.series_id, (e.ts_ms - ${startMs}::bigint) / ${Math.max(1, Math.round(thin.stepMs))}::bigint
              ORDER BY e.value DESC, e.ts_ms DESC) AS rank
            FROM metric_exemplars e WHERE ${inRange}) ranked
          WHERE ranked.rank <= ${Math.max(1, Math.floor(thin.perStep))})`
      : sql`metric_exemplars`;
    const rows = await this.database.query(
      sql`
      SELECT x.series_id::text AS id, json_agg(json_build_array(x.ts_ms, x.value, x.trace_id, x.span_id, x.labels)
        ORDER BY x.ts_ms) AS items
      FROM (SELECT e.series_id, e.ts_ms, e.value::text AS value, e.trace_id, e.span_id::text AS span_id, e.labels
        FROM ${picked} e
        WHERE ${inRange}
        ORDER BY e.series_id, e.ts_ms LIMIT ${limit}) x
      GROUP BY x.series_id ORDER BY x.series_id`,
      opts,
    );
    return rows.map((r) => ({
      seriesLabels: labelsById.get(r.id as string)!,
      exemplars: json<[number | string, string, string | null, string | null, Labels][]>(r.items).map(
        ([ts, value, traceId, spanId, labels]) => ({
          labels,
          value: Number(value),
          timestampMs: Number(ts),
          traceId: traceId == null ? null : traceIdFromDb(traceId),
          spanId: spanId == null ? null : spanIdFromDb(spanId),
        }),
      ),
    }));
  }

  /** Which series point at this trace: the reverse pivot, from a trace to its metrics. */
  async exemplarsByTrace(traceId: TraceId): Promise<{ seriesLabels: Labels; exemplar: StoredExemplar }[]> {
    const rows = await this.database.query(sql`
      SELECT s.labels AS series_labels, e.ts_ms, e.value, e.trace_id, e.span_id, e.labels
      FROM metric_exemplars e JOIN metric_series s ON s.id = e.series_id
      WHERE e.trace_id = ${traceId}::uuid ORDER BY e.ts_ms`);
    return rows.map((r) => ({ seriesLabels: json<Labels>(r.series_labels), exemplar: exemplarFromRow(r) }));
  }
}

function exemplarFromRow(r: Record<string, unknown>): StoredExemplar {
  return {
    labels: json<Labels>(r.labels),
    value: Number(r.value),
    timestampMs: Number(r.ts_ms),
    traceId: r.trace_id == null ? null : traceIdFromDb(r.trace_id),
    spanId: r.span_id == null ? null : spanIdFromDb(r.span_id),
  };
}

function trim(c: DecodedChunk, minMs: number, maxMs: number): DecodedChunk {
  const ts = c.timestamps;
  let lo = 0;
  while (lo < ts.length && ts[lo]! < minMs) lo++;
  let hi = ts.length;
  while (hi > lo && ts[hi - 1]! > maxMs) hi--;
  if (lo === 0 && hi === ts.length) return c;
  return { timestamps: ts.subarray(lo, hi), values: c.values.subarray(lo, hi) };
}
