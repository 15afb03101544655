// Deterministic test data shaped like real scrapes: jittered 15s intervals, counter resets, a classic
// histogram, gaps longer than the lookback delta, explicit stale markers, NaN and ±Inf samples.
import type { StoredSeries } from '../src/index.ts';
import { writeStaleMarker } from '../src/index.ts';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SCRAPE_MS = 15_000;
export const DURATION_MS = 110 * 60_000;
export const BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];

/** A sample value, or STALE for a stale marker. */
export const STALE = Symbol('stale');
type Point = [number, number | typeof STALE];

function toStored(labels: Record<string, string>, pts: Point[]): StoredSeries {
  const timestamps = new Float64Array(pts.length);
  const values = new Float64Array(pts.length);
  pts.forEach(([t, v], i) => {
    timestamps[i] = t;
    if (v === STALE) writeStaleMarker(values, i);
    else values[i] = v;
  });
  return { labels, timestamps, values };
}

/** Scrape times for a series: a per-series phase plus a few ms of jitter, like real targets. */
function scrapeTimes(rand: () => number, start: number): number[] {
  const phase = Math.floor(rand() * SCRAPE_MS);
  const out: number[] = [];
  for (let t = start + phase; t < start + DURATION_MS; t += SCRAPE_MS) out.push(t + Math.floor(rand() * 40));
  return out;
}

export function generate(start: number, seed = 42): StoredSeries[] {
  const rand = mulberry32(seed);
  const series: StoredSeries[] = [];

  // Counters with occasional resets.
  for (const job of ['api', 'web']) {
    for (const instance of ['i1', 'i2']) {
      for (const method of ['GET', 'POST']) {
        const times = scrapeTimes(rand, start);
        let v = Math.floor(rand() * 1000);
        const pts: Point[] = times.map((t) => {
          if (rand() < 0.01) v = Math.floor(rand() * 5);
          else v += Math.floor(rand() * 20) + (method === 'GET' ? 3 : 0);
          return [t, v];
        });
        series.push(toStored({ __name__: 'http_requests_total', job, instance, method }, pts));
      }
    }
  }
  // A fractional counter (bytes) for one job, to exercise non-integer increments.
  for (const instance of ['i1', 'i2', 'i3']) {
    const times = scrapeTimes(rand, start);
    let v = rand() * 1e6;
    series.push(
      toStored(
        { __name__: 'bytes_sent_total', job: 'edge', instance },
        times.map((t) => [t, (v += rand() * 12345.678)]),
      ),
    );
  }

  // Gauges, one with negative values.
  for (const instance of ['i1', 'i2', 'i3']) {
    const times = scrapeTimes(rand, start);
    const base = rand() * 40 - 10;
    series.push(
      toStored(
        { __name__: 'node_temperature_celsius', job: 'node', instance },
        times.map((t, i) => [t, Math.round((base + 15 * Math.sin(i / 37) + rand() * 3) * 100) / 100]),
      ),
    );
    series.push(
      toStored(
        { __name__: 'up', job: 'node', instance },
        times.map((t, i) => [t, instance === 'i3' && i % 50 > 40 ? 0 : 1]),
      ),
    );
    series.push(
      toStored(
        {
          __name__: 'node_info',
          job: 'node',
          instance,
          version: instance === 'i3' ? '1.1' : '1.0',
          zone: `z${instance.slice(1)}`,
        },
        times.map((t) => [t, 1]),
      ),
    );
  }

  // A classic histogram for three label combinations; one of them resets midway.
  const combos = [
    { instance: 'i1', handler: '/a' },
    { instance: 'i1', handler: '/b' },
    { instance: 'i2', handler: '/a' },
  ];
  for (const combo of combos) {
    const times = scrapeTimes(rand, start);
    const counts = new Array<number>(BUCKETS.length).fill(0);
    let sum = 0;
    const perBucket: Point[][] = BUCKETS.map(() => []);
    const sums: Point[] = [];
    const scale = combo.handler === '/a' ? 0.2 : 1.5;
    times.forEach((t, i) => {
      if (combo.instance === 'i2' && i === Math.floor(times.length / 2)) {
        counts.fill(0);
        sum = 0;
      }
      const obs = Math.floor(rand() * 30);
      for (let k = 0; k < obs; k++) {
        const x = -Math.log(1 - rand()) * scale;
        sum += x;
        BUCKETS.forEach((b, bi) => {
          if (x <= Number(b === '+Inf' ? Infinity : b)) counts[bi]!++;
        });
      }
      BUCKETS.forEach((_, bi) => perBucket[bi]!.push([t, counts[bi]!]));
      sums.push([t, sum]);
    });
    BUCKETS.forEach((le, bi) =>
      series.push(toStored({ __name__: 'request_duration_seconds_bucket', job: 'api', ...combo, le }, perBucket[bi]!)),
    );
    series.push(toStored({ __name__: 'request_duration_seconds_sum', job: 'api', ...combo }, sums));
    series.push(
      toStored({ __name__: 'request_duration_seconds_count', job: 'api', ...combo }, perBucket[BUCKETS.length - 1]!),
    );
  }

  // Gaps longer than the 5m lookback.
  {
    const times = scrapeTimes(rand, start).filter((t) => {
      const m = (t - start) / 60_000;
      return !(m > 30 && m < 42) && !(m > 70 && m < 73);
    });
    series.push(
      toStored(
        { __name__: 'gappy_gauge', job: 'gap' },
        times.map((t, i) => [t, (i * 7) % 23]),
      ),
    );
  }

  // Explicit stale markers: a series that ends, and one that ends and comes back.
  {
    const times = scrapeTimes(rand, start);
    const pts: Point[] = [];
    for (const t of times) {
      const m = (t - start) / 60_000;
      if (m < 50) pts.push([t, m]);
      else if (pts.length && pts[pts.length - 1]![1] !== STALE && m < 51) pts.push([t, STALE]);
      else if (m > 80) pts.push([t, m * 2]);
    }
    series.push(toStored({ __name__: 'flappy', job: 'stale', instance: 'i1' }, pts));
    const ends: Point[] = times.filter((t) => t - start < 90 * 60_000).map((t) => [t, 5]);
    ends.push([ends[ends.length - 1]![0] + SCRAPE_MS, STALE]);
    series.push(toStored({ __name__: 'flappy', job: 'stale', instance: 'i2' }, ends));
  }

  // NaN and infinities as ordinary values.
  {
    const times = scrapeTimes(rand, start);
    series.push(
      toStored(
        { __name__: 'special_values', kind: 'nan' },
        times.map((t, i) => [t, i % 17 === 3 ? NaN : i % 5]),
      ),
    );
    series.push(
      toStored(
        { __name__: 'special_values', kind: 'inf' },
        times.map((t, i) => [t, i % 13 === 0 ? Infinity : i % 29 === 0 ? -Infinity : i]),
      ),
    );
  }

  // Two metrics that collide once their names are dropped.
  for (const name of ['collide_a', 'collide_b']) {
    const times = scrapeTimes(rand, start);
    series.push(
      toStored(
        { __name__: name, l: '1' },
        times.map((t, i) => [t, i]),
      ),
    );
  }

  // Exactly aligned timestamps, so windows and the lookback boundary land on samples.
  {
    const counter: Point[] = [];
    for (let k = 0; k * SCRAPE_MS < DURATION_MS; k++)
      counter.push([start + k * SCRAPE_MS, k < 200 ? k * 3 : (k - 200) * 2]);
    series.push(toStored({ __name__: 'aligned_counter', job: 'aligned' }, counter));
    const gauge: Point[] = [];
    for (let k = 0; k * 60_000 < DURATION_MS; k++) gauge.push([start + k * 60_000, k % 7]);
    series.push(toStored({ __name__: 'aligned_gauge', job: 'aligned' }, gauge));
    const sparse: Point[] = [];
    for (let k = 0; k * 300_000 < DURATION_MS; k++) sparse.push([start + k * 300_000, k]);
    series.push(toStored({ __name__: 'aligned_sparse', job: 'aligned' }, sparse));
  }

  return series;
}
