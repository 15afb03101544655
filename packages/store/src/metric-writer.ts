// Writes Prometheus-style series. Each flush turns the samples of every series into one compressed
// chunk row (per 2-hour window), so a request of 10k samples costs a few hundred rows, not 10k.
// Compaction later merges a series' small chunks of a window into one.
import { sql, type SQL } from 'drizzle-orm';
import type { Labels, MetricsBatch } from '@pivot/model';
import type { Database } from './database.ts';
import { encodeChunk } from './chunk-codec.ts';
import { cleanText, spanIdToDb, toJsonText } from './encode.ts';
import { QueuedWriter, type WriterOptions } from './group-commit.ts';
import { dayIndexOfMs, type PartitionManager } from './partitions.ts';
import { METRIC_CHUNKS_TABLE, METRIC_EXEMPLARS_TABLE } from './tables.ts';
import { SeriesIdCache } from './series-id.ts';

/** Chunks never cross a window boundary, so a query can bound the chunk start by its own start. */
export const CHUNK_WINDOW_MS = 2 * 3_600_000;

export function sampleCount(batch: MetricsBatch): number {
  let n = 0;
  for (const s of batch.series) n += s.samples.length + s.exemplars.length;
  return n + batch.metadata.length;
}

interface SeriesAcc {
  id: string;
  labels: Labels;
  ts: number[];
  /** A typed array, not number[]: V8 may canonicalize NaNs in double arrays and lose stale markers. */
  vs: Float64Array;
}

function pushValue(acc: SeriesAcc, v: number): void {
  const n = acc.ts.length - 1;
  if (n >= acc.vs.length) {
    const next = new Float64Array(acc.vs.length * 2);
    next.set(acc.vs);
    acc.vs = next;
  }
  acc.vs[n] = v;
}

export class MetricWriter extends QueuedWriter<MetricsBatch> {
  /** Series IDs known to be in metric_series: the hot path skips their upsert. Bounded. */
  private readonly knownSeries = new Set<string>();
  private readonly ids = new SeriesIdCache();
  private static readonly KNOWN_MAX = 1_000_000;

  constructor(
    private readonly database: Database,
    private readonly partitions: PartitionManager,
    opts: WriterOptions = {},
  ) {
    // Samples are small: a transaction takes ten times as many of them as of spans.
    super(database, opts, { maxQueuedItems: 1_000_000, maxBatchItems: 50_000, size: sampleCount });
  }

  protected async flush(entries: MetricsBatch[]): Promise<void> {
    const series = new Map<string, SeriesAcc>();
    const ex = {
      series: [] as string[],
      ts: [] as number[],
      value: [] as number[],
      trace: [] as (string | null)[],
      span: [] as (string | null)[],
      labels: [] as string[],
    };
    const metadata = new Map<string, { type: string; help: string; unit: string }>();
    const exDays = new Set<number>();
    for (const batch of entries) {
      for (const s of batch.series) {
        const id = this.ids.get(s.labels);
        let acc = series.get(id);
        if (!acc)
          series.set(id, (acc = { id, labels: s.labels, ts: [], vs: new Float64Array(Math.max(4, s.samples.length)) }));
        for (const p of s.samples) {
          acc.ts.push(p.timestampMs);
          pushValue(acc, p.value);
        }
        for (const e of s.exemplars) {
          ex.series.push(id);
          ex.ts.push(e.timestampMs);
          ex.value.push(e.value);
          ex.trace.push(e.traceId);
          ex.span.push(e.spanId ? spanIdToDb(e.spanId) : null);
          ex.labels.push(toJsonText(e.labels));
          exDays.add(dayIndexOfMs(e.timestampMs));
        }
      }
      for (const m of batch.metadata) metadata.set(m.metricFamilyName, { type: m.type, help: m.help, unit: m.unit });
    }

    const ch = {
      series: [] as string[],
      start: [] as number[],
      end: [] as number[],
      n: [] as number[],
      data: [] as Uint8Array[],
    };
    const days = new Set<number>();
    const newSeries: SeriesAcc[] = [];
    for (const acc of series.values()) {
      if (!this.knownSeries.has(acc.id)) newSeries.push(acc);
      if (acc.ts.length === 0) continue;
      for (const part of splitByWindow(acc.ts, acc.vs.subarray(0, acc.ts.length))) {
        ch.series.push(acc.id);
        ch.start.push(part.ts[0]!);
        ch.end.push(part.ts[part.ts.length - 1]!);
        ch.n.push(part.ts.length);
        ch.data.push(encodeChunk(part.ts, part.vs));
        days.add(dayIndexOfMs(part.ts[0]!));
      }
    }
    const p = (v: unknown) => sql.param(v);
    const needs = [
      [METRIC_CHUNKS_TABLE, days],
      [METRIC_EXEMPLARS_TABLE, exDays],
    ] as const;
    // One statement, not a transaction of several: a statement is atomic by itself, and each round trip
    // saved (BEGIN, one per table, COMMIT) is a wait on a loaded server, where remote-write spends its
    // time. The series, exemplars and metadata go in as data-modifying CTEs: different tables, so none
    // needs to see another's rows.
    const ctes: SQL[] = [];
    if (newSeries.length) {
      // Sorted: concurrent flushes take the series' index locks in one order.
      newSeries.sort((a, b) => (a.id < b.id ? -1 : 1));
      ctes.push(sql`s AS (
          INSERT INTO metric_series (id, metric_name, labels)
          SELECT * FROM unnest(${p(newSeries.map((s) => s.id))}::bigint[], ${p(newSeries.map((s) => cleanText(s.labels.__name__ ?? '')))}::text[],
                               ${p(newSeries.map((s) => toJsonText(s.labels)))}::jsonb[])
          ON CONFLICT (id) DO NOTHING)`);
    }
    if (ex.series.length)
      // The same series and time is the same exemplar: a retried request adds nothing.
      ctes.push(sql`e AS (
          INSERT INTO metric_exemplars (series_id, ts_ms, value, trace_id, span_id, labels)
          SELECT DISTINCT ON (1, 2) * FROM unnest(${p(ex.series)}::bigint[], ${p(ex.ts)}::bigint[], ${p(ex.value)}::float8[],
                               ${p(ex.trace)}::uuid[], ${p(ex.span)}::bigint[], ${p(ex.labels)}::jsonb[])
          ON CONFLICT DO NOTHING)`);
    if (metadata.size) {
      const names = [...metadata.keys()].sort();
      ctes.push(sql`m AS (
          INSERT INTO metric_metadata (metric_family_name, type, help, unit)
          SELECT * FROM unnest(${p(names)}::text[], ${p(names.map((n) => metadata.get(n)!.type))}::text[],
                               ${p(names.map((n) => cleanText(metadata.get(n)!.help)))}::text[], ${p(names.map((n) => cleanText(metadata.get(n)!.unit)))}::text[])
          ON CONFLICT (metric_family_name) DO UPDATE SET type = excluded.type, help = excluded.help, unit = excluded.unit
          WHERE (metric_metadata.type, metric_metadata.help, metric_metadata.unit) IS DISTINCT FROM (excluded.type, excluded.help, excluded.unit))`);
    }
    const main = ch.series.length
      ? sql`INSERT INTO metric_chunks (series_id, start_ms, end_ms, samples, data)
          SELECT * FROM unnest(${p(numberArray(ch.series))}::bigint[], ${p(numberArray(ch.start))}::bigint[], ${p(numberArray(ch.end))}::bigint[],
                               ${p(numberArray(ch.n))}::int[], ${p(byteaArray(ch.data))}::bytea[])`
      : sql`SELECT 1`;
    const statement = ctes.length ? sql`WITH ${sql.join(ctes, sql`, `)} ${main}` : main;
    if (ctes.length || ch.series.length) await this.partitions.write(needs, () => this.database.query(statement));
    // Only after commit: a rolled-back series must be inserted again next time.
    if (this.knownSeries.size + newSeries.length > MetricWriter.KNOWN_MAX) this.knownSeries.clear();
    for (const s of newSeries) this.knownSeries.add(s.id);
  }
}

/**
 * An array literal of integers (numbers or decimal strings), built in one join: the driver's generic
 * conversion quotes and regex-escapes every element, which cost more CPU than the rest of the flush.
 */
function numberArray(xs: readonly (number | string)[]): string {
  return `{${xs.join(',')}}`;
}

/** A bytea[] literal of hex elements (`\\x…` unquoted: the array parser reads `\\` as one backslash). */
function byteaArray(xs: readonly Uint8Array[]): string {
  let out = '{';
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    out += (i ? ',\\\\x' : '\\\\x') + Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex');
  }
  return out + '}';
}

/** Sorts a series' samples by time and cuts them at window boundaries (one chunk per window). */
function splitByWindow(ts: number[], vs: Float64Array): { ts: number[]; vs: Float64Array }[] {
  let sorted = true;
  for (let i = 1; i < ts.length; i++) if (ts[i]! < ts[i - 1]!) sorted = false;
  if (!sorted) {
    const order = ts.map((_, i) => i).sort((a, b) => ts[a]! - ts[b]! || a - b);
    const src = new Uint32Array(vs.buffer, vs.byteOffset, vs.length * 2);
    const out = new Float64Array(vs.length);
    const dst = new Uint32Array(out.buffer);
    order.forEach((from, to) => {
      dst[2 * to] = src[2 * from]!;
      dst[2 * to + 1] = src[2 * from + 1]!;
    });
    ts = order.map((i) => ts[i]!);
    vs = out;
  }
  const out: { ts: number[]; vs: Float64Array }[] = [];
  let start = 0;
  for (let i = 1; i <= ts.length; i++) {
    if (i === ts.length || Math.floor(ts[i]! / CHUNK_WINDOW_MS) !== Math.floor(ts[start]! / CHUNK_WINDOW_MS)) {
      out.push({ ts: ts.slice(start, i), vs: vs.subarray(start, i) });
      start = i;
    }
  }
  return out;
}
