import type { Labels } from '@pivot/model';
import type { EngineOptions, QueryResult, StoredSeries } from '../src/index.ts';
import { MemoryQuerier, instantQuery, rangeQuery, writeStaleMarker } from '../src/index.ts';

export const STALE = 'stale' as const;

/** A series from [ms, value | 'stale'] pairs. */
export function series(labels: Labels, points: [number, number | typeof STALE][]): StoredSeries {
  const timestamps = new Float64Array(points.length);
  const values = new Float64Array(points.length);
  points.forEach(([t, v], i) => {
    timestamps[i] = t;
    if (v === STALE) writeStaleMarker(values, i);
    else values[i] = v;
  });
  return { labels, timestamps, values };
}

/** Samples every `stepS` seconds from 0, with values from f(i). */
export function regular(labels: Labels, count: number, stepS: number, f: (i: number) => number): StoredSeries {
  return series(
    labels,
    Array.from({ length: count }, (_, i) => [i * stepS * 1000, f(i)] as [number, number]),
  );
}

/** Instant query result as {labels-json: value-string}, for compact assertions. */
export async function instant(
  data: StoredSeries[],
  q: string,
  timeS: number,
  opts?: EngineOptions,
): Promise<Record<string, string>> {
  const r = await instantQuery(new MemoryQuerier(data), q, timeS * 1000, opts);
  return flatten(r);
}

export async function range(
  data: StoredSeries[],
  q: string,
  startS: number,
  endS: number,
  stepS: number,
  opts?: EngineOptions,
): Promise<QueryResult> {
  return rangeQuery(new MemoryQuerier(data), q, startS * 1000, endS * 1000, stepS * 1000, opts);
}

export function flatten(r: QueryResult): Record<string, string> {
  const out: Record<string, string> = {};
  switch (r.resultType) {
    case 'vector':
      for (const s of r.result) out[JSON.stringify(s.metric)] = s.value[1];
      break;
    case 'scalar':
    case 'string':
      out['scalar'] = r.result[1];
      break;
    case 'matrix':
      for (const s of r.result) out[JSON.stringify(s.metric)] = s.values.map((v) => `${v[0]}:${v[1]}`).join(' ');
  }
  return out;
}

/** The single value of a one-element vector or a scalar. */
export async function value(data: StoredSeries[], q: string, timeS: number): Promise<string | undefined> {
  const vals = Object.values(await instant(data, q, timeS));
  if (vals.length > 1) throw new Error(`expected one value from ${q}, got ${vals.length}`);
  return vals[0];
}
