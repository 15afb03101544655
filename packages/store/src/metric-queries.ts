// Reads for PromQL and the Prometheus HTTP API. Label matchers and the time range are pushed down to
// SQL: matchers select series through the GIN index on labels, and only the chunks overlapping the
// range are read and decoded.
import { sql, type SQL } from 'drizzle-orm';
import type { Labels, SpanId, TraceId } from '@pivot/model';
import type { Database } from './database.ts';
import { decodeChunk, mergeChunks, type DecodedChunk } from './chunk-codec.ts';
import { spanIdFromDb, traceIdFromDb } from './encode.ts';
import { CHUNK_WINDOW_MS } from './metric-writer.ts';

export type MatchType = '=' | '!=' | '=~' | '!~';
export interface LabelMatcher {
  name: string;
  type: MatchType;
  value: string;
}

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

export class TooManySamplesError extends Error {
  override readonly name = 'TooManySamplesError';
  constructor(readonly limit: number) {
    super('query processing would load too many samples into memory in query execution');
  }
}

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

/**
 * A Go RE2 pattern, fully anchored as Prometheus anchors label regexes, in PostgreSQL's syntax.
 * A leading (?i) must stay first for PostgreSQL to read it as an option.
 */
export function anchoredRegex(pattern: string): string {
  const m = /^\(\?([a-zA-Z]+)\)/.exec(pattern);
  if (m) return `(?${m[1]})^(?:${pattern.slice(m[0].length)})$`;
  return `^(?:${pattern})$`;
}

function matcherSql(m: LabelMatcher): SQL {
  const col = m.name === '__name__' ? sql`s.metric_name` : sql`coalesce(s.labels->>${m.name}, '')`;
  switch (m.type) {
    case '=':
      if (m.name === '__name__') return sql`s.metric_name = ${m.value}`;
      // Containment uses the GIN index; an empty value means "label absent".
      return m.value === ''
        ? sql`NOT (s.labels ? ${m.name})`
        : sql`s.labels @> ${JSON.stringify({ [m.name]: m.value })}::jsonb`;
    case '!=':
      return sql`${col} <> ${m.value}`;
    case '=~':
      return sql`${col} ~ ${anchoredRegex(m.value)}`;
    case '!~':
      return sql`${col} !~ ${anchoredRegex(m.value)}`;
  }
}

function inRange(startMs: number | undefined, endMs: number | undefined): SQL | undefined {
  if (startMs === undefined && endMs === undefined) return undefined;
  const lo = startMs ?? 0;
  const hi = endMs ?? Number.MAX_SAFE_INTEGER;
  return sql`EXISTS (SELECT 1 FROM metric_chunks c WHERE c.series_id = s.id AND c.start_ms <= ${hi}
    AND c.end_ms >= ${lo} AND c.start_ms >= ${Math.floor(lo / CHUNK_WINDOW_MS) * CHUNK_WINDOW_MS})`;
}

function whereFor(sets: LabelMatcher[][], startMs?: number, endMs?: number): SQL {
  const alternatives = sets.map((ms) => (ms.length ? sql`(${sql.join(ms.map(matcherSql), sql` AND `)})` : sql`TRUE`));
  const parts: SQL[] = [alternatives.length ? sql`(${sql.join(alternatives, sql` OR `)})` : sql`TRUE`];
  const range = inRange(startMs, endMs);
  if (range) parts.push(range);
  return sql.join(parts, sql` AND `);
}

export class MetricQueries {
  constructor(private readonly database: Database) {}

  async seriesIds(
    matchers: LabelMatcher[][],
    startMs?: number,
    endMs?: number,
    limit?: number,
  ): Promise<{ id: string; labels: Labels }[]> {
    const rows = await this.database.query(sql`
      SELECT s.id::text AS id, s.labels FROM metric_series s WHERE ${whereFor(matchers, startMs, endMs)}
      ORDER BY s.id ${limit ? sql`LIMIT ${limit}` : sql``}`);
    return rows.map((r) => ({ id: r.id as string, labels: json<Labels>(r.labels) }));
  }

  /** The samples of every series matching all matchers, within [minMs, maxMs], ascending and deduplicated. */
  async select(
    matchers: LabelMatcher[],
    minMs: number,
    maxMs: number,
    opts: { maxSamples?: number } = {},
  ): Promise<SeriesSamples[]> {
    const series = await this.seriesIds([matchers], minMs, maxMs);
    if (series.length === 0) return [];
    const ids = series.map((s) => s.id);
    const rows = await this.database.query(sql`
      SELECT c.series_id::text AS id, c.samples, c.data FROM metric_chunks c
      WHERE c.series_id = ANY(${sql.param(ids)}::bigint[]) AND c.start_ms <= ${maxMs} AND c.end_ms >= ${minMs}
        AND c.start_ms >= ${Math.floor(minMs / CHUNK_WINDOW_MS) * CHUNK_WINDOW_MS}
      ORDER BY c.series_id, c.start_ms`);
    const limit = opts.maxSamples ?? Infinity;
    let loaded = 0;
    const chunks = new Map<string, DecodedChunk[]>();
    for (const r of rows) {
      loaded += Number(r.samples);
      if (loaded > limit) throw new TooManySamplesError(limit);
      const list = chunks.get(r.id as string) ?? [];
      list.push(decodeChunk(r.data as Uint8Array));
      chunks.set(r.id as string, list);
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
    const rows = await this.database.query<{ k: string }>(sql`
      SELECT DISTINCT jsonb_object_keys(s.labels) AS k FROM metric_series s WHERE ${whereFor(matchers.length ? matchers : [[]], startMs, endMs)} ORDER BY 1`);
    return rows.map((r) => r.k);
  }

  async labelValues(name: string, matchers: LabelMatcher[][], startMs?: number, endMs?: number): Promise<string[]> {
    const rows = await this.database.query<{ v: string }>(sql`
      SELECT DISTINCT s.labels->>${name} AS v FROM metric_series s
      WHERE s.labels ? ${name} AND ${whereFor(matchers.length ? matchers : [[]], startMs, endMs)} ORDER BY 1`);
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

  /** Exemplars of the series matching any matcher set, in [startMs, endMs], grouped by series. */
  async exemplars(
    matchers: LabelMatcher[][],
    startMs: number,
    endMs: number,
    limit = 10_000,
  ): Promise<{ seriesLabels: Labels; exemplars: StoredExemplar[] }[]> {
    const rows = await this.database.query(sql`
      SELECT s.id::text AS id, s.labels AS series_labels, e.ts_ms, e.value, e.trace_id, e.span_id, e.labels
      FROM metric_series s JOIN metric_exemplars e ON e.series_id = s.id
      WHERE ${whereFor(matchers)} AND e.ts_ms >= ${startMs} AND e.ts_ms <= ${endMs}
      ORDER BY s.id, e.ts_ms LIMIT ${limit}`);
    const groups = new Map<string, { seriesLabels: Labels; exemplars: StoredExemplar[] }>();
    for (const r of rows) {
      let g = groups.get(r.id as string);
      if (!g) groups.set(r.id as string, (g = { seriesLabels: json<Labels>(r.series_labels), exemplars: [] }));
      g.exemplars.push(exemplarFromRow(r));
    }
    return [...groups.values()];
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
