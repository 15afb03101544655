// Facets for the log and trace searches: the top values of service, severity band (logs) or status
// (traces), and of the most common attributes, each counted over the search's own result. Counts are
// over the newest matching rows up to a bound (logs: records, traces: traces), so a facet costs at most
// that many rows whatever the window; the answer says when the result was larger than the bound.
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from './database.ts';
import { LOG_BAND_SQL, SEVERITY_BANDS, blockFilter, logConditions, type LogFilter } from './log-queries.ts';
import { coldBlockSource } from './log-blocks.ts';
import { traceSearchConditions, type TraceSearch } from './trace-queries.ts';

export interface FacetValue {
  value: string;
  count: number;
}

export interface Facet {
  /** `service`, `severity` or `status`, or an attribute key. */
  key: string;
  kind: 'field' | 'attribute';
  values: FacetValue[];
  /** Rows (records or traces) of the sample that have a value for this key. */
  total: number;
  /** Distinct values of this key in the sample (more than `values` shows when the list is cut). */
  distinct: number;
}

export interface FacetResult {
  facets: Facet[];
  /** Rows counted: all the matching rows, or the newest `limit` of them when `sampled`. */
  counted: number;
  /** True when more rows matched than were counted. */
  sampled: boolean;
  limit: number;
}

export interface FacetOptions {
  /** Rows counted at most (the newest of the result). */
  limit: number;
  /** Attribute keys shown (the ones most rows carry). */
  maxKeys?: number;
  /** Values shown per key (the most frequent). */
  maxValues?: number;
}

export const DEFAULT_LOG_FACET_LIMIT = 10_000;
export const DEFAULT_TRACE_FACET_LIMIT = 1_000;
const DEFAULT_MAX_KEYS = 8;
const DEFAULT_MAX_VALUES = 6;

const whereClause = (conds: SQL[]): SQL => (conds.length ? sql`WHERE ${sql.join(conds, sql` AND `)}` : sql``);

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Rows of (kind, key, value, n, distinct_n, key_n) as facets: the fields first in the order given,
 * then the attribute keys most rows carry (ties by key), each with its most frequent values (ties by
 * value). Attribute rows come cut to their top values, with the key's totals (key_n, distinct_n).
 */
function toFacets(rows: Record<string, unknown>[], fields: string[], maxKeys: number, maxValues: number): Facet[] {
  const byKey = new Map<string, Facet>();
  for (const r of rows) {
    const kind = r.kind === 'field' ? 'field' : 'attribute';
    const id = `${kind}\u0000${r.key as string}`;
    let f = byKey.get(id);
    if (!f) byKey.set(id, (f = { key: r.key as string, kind, values: [], total: 0, distinct: 0 }));
    f.values.push({ value: r.value as string, count: Number(r.n) });
    if (kind === 'attribute') {
      f.total = Number(r.key_n);
      f.distinct = Number(r.distinct_n);
    } else {
      f.total += Number(r.n);
      f.distinct++;
    }
  }
  for (const f of byKey.values()) {
    f.values.sort((a, b) => b.count - a.count || byText(a.value, b.value));
    f.values = f.values.slice(0, maxValues);
  }
  const out = fields.map(
    (k) => byKey.get(`field\u0000${k}`) ?? { key: k, kind: 'field' as const, values: [], total: 0, distinct: 0 },
  );
  const attrs = [...byKey.values()]
    .filter((f) => f.kind === 'attribute')
    .sort((a, b) => b.total - a.total || byText(a.key, b.key));
  return [...out, ...attrs.slice(0, maxKeys)];
}

/**
 * Attribute values as facet text: strings as they are, numbers and booleans as JSON writes them
 * (so `attr.k=<value>` finds them again); arrays and maps are not facets.
 */
const SCALAR = sql`jsonb_typeof(a.value) IN ('string', 'number', 'boolean')`;

export class FacetQueries {
  constructor(private readonly database: Database) {}

  /** Facets of the newest `limit` records matching `filter`: service, severity band, record attributes. */
  async logs(filter: LogFilter, opts: FacetOptions): Promise<FacetResult> {
    const o = { maxKeys: opts.maxKeys ?? DEFAULT_MAX_KEYS, maxValues: opts.maxValues ?? DEFAULT_MAX_VALUES };
    // A value per distinct attribute pair comes back, so high-cardinality keys are cut in SQL: only the
    // most frequent values of each key (a few more than shown, for the distinct count's sake) are sent.
    // On cold days, only the blocks that may match (log-blocks.ts).
    const from = await coldBlockSource(this.database, blockFilter(filter));
    const rows = await this.database.query(sql`
      WITH m AS MATERIALIZED (
        SELECT l.time_ns, l.fingerprint, l.service_name, ${LOG_BAND_SQL} AS band, l.attributes
        FROM ${from} l ${whereClause(logConditions(filter))}
        ORDER BY l.time_ns DESC, l.fingerprint DESC LIMIT ${opts.limit + 1}),
      s AS MATERIALIZED (SELECT * FROM m ORDER BY time_ns DESC, fingerprint DESC LIMIT ${opts.limit}),
      attrs AS (
        SELECT a.key, a.value #>> '{}' AS value, count(*) AS n FROM s, jsonb_each(s.attributes) a
        WHERE ${SCALAR} GROUP BY 1, 2),
      ranked AS (
        SELECT key, value, n, row_number() OVER (PARTITION BY key ORDER BY n DESC, value) AS rn,
          count(*) OVER (PARTITION BY key) AS distinct_n, sum(n) OVER (PARTITION BY key) AS key_n
        FROM attrs)
      SELECT 'count' AS kind, 'matched' AS key, '' AS value, (SELECT count(*) FROM m) AS n, 0 AS distinct_n, 0 AS key_n
      UNION ALL SELECT 'field', 'service', service_name, count(*), 0, 0 FROM s GROUP BY service_name
      UNION ALL SELECT 'field', 'severity', band::text, count(*), 0, 0 FROM s GROUP BY band
      UNION ALL SELECT 'attribute', key, value, n, distinct_n, key_n FROM ranked WHERE rn <= ${o.maxValues}`);
    return this.result(rows, ['service', 'severity'], opts.limit, o, (key, value) =>
      key === 'severity' ? (SEVERITY_BANDS[Number(value)] ?? 'UNSPECIFIED') : value,
    );
  }

  /**
   * Facets of the newest `limit` traces matching `search` (its own limit ignored): service (any span's),
   * status (error when a span failed, else ok), and span attributes, each counted in traces.
   */
  async traces(search: Omit<TraceSearch, 'limit'>, opts: FacetOptions): Promise<FacetResult> {
    const o = { maxKeys: opts.maxKeys ?? DEFAULT_MAX_KEYS, maxValues: opts.maxValues ?? DEFAULT_MAX_VALUES };
    const rows = await this.database.query(sql`
      WITH m AS MATERIALIZED (
        SELECT t.trace_id, t.start_ns, t.end_ns, t.services, t.error_count FROM traces t
        ${whereClause(traceSearchConditions(search))}
        ORDER BY t.start_ns DESC, t.trace_id DESC LIMIT ${opts.limit + 1}),
      s AS MATERIALIZED (SELECT * FROM m ORDER BY start_ns DESC, trace_id DESC LIMIT ${opts.limit}),
      attrs AS (
        SELECT a.key, a.value #>> '{}' AS value, count(DISTINCT s.trace_id) AS n
        FROM s JOIN spans sp ON sp.trace_id = s.trace_id AND sp.start_ns >= s.start_ns AND sp.start_ns <= s.end_ns,
          jsonb_each(sp.attributes) a
        WHERE ${SCALAR} GROUP BY 1, 2),
      ranked AS (
        SELECT key, value, n, row_number() OVER (PARTITION BY key ORDER BY n DESC, value) AS rn,
          count(*) OVER (PARTITION BY key) AS distinct_n, sum(n) OVER (PARTITION BY key) AS key_n
        FROM attrs)
      SELECT 'count' AS kind, 'matched' AS key, '' AS value, (SELECT count(*) FROM m) AS n, 0 AS distinct_n, 0 AS key_n
      UNION ALL SELECT 'field', 'service', svc, count(*), 0, 0 FROM s, unnest(s.services) AS svc GROUP BY svc
      UNION ALL SELECT 'field', 'status', CASE WHEN error_count > 0 THEN 'error' ELSE 'ok' END, count(*), 0, 0
        FROM s GROUP BY 3
      UNION ALL SELECT 'attribute', key, value, n, distinct_n, key_n FROM ranked WHERE rn <= ${o.maxValues}`);
    return this.result(rows, ['service', 'status'], opts.limit, o, (_k, v) => v);
  }

  private result(
    rows: Record<string, unknown>[],
    fields: string[],
    limit: number,
    o: { maxKeys: number; maxValues: number },
    label: (key: string, value: string) => string,
  ): FacetResult {
    const matched = Number(rows.find((r) => r.kind === 'count')?.n ?? 0);
    const counts = rows
      .filter((r) => r.kind !== 'count')
      .map((r) => ({ ...r, value: r.kind === 'field' ? label(r.key as string, String(r.value)) : String(r.value) }));
    const facets = toFacets(counts, fields, o.maxKeys, o.maxValues);
    return { facets, counted: Math.min(matched, limit), sampled: matched > limit, limit };
  }
}
