// Benchmarks the engine on a classic histogram: 100 series × 10 buckets, 24h at a 15s scrape interval,
// queried over 24h at a 60s step. Run: npx tsx packages/promql/bench/engine.bench.ts [--prometheus]
// With --prometheus (and /usr/bin/prometheus present) the same data is pushed into a throwaway Prometheus
// and the same queries are timed there over HTTP, for a side-by-side ratio.
import { MemoryQuerier, rangeQuery, type StoredSeries } from '../src/index.ts';
import { mulberry32 } from '../test/fixture.ts';

const SERIES = 100;
const BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
const BOUNDS = BUCKETS.map((b) => (b === '+Inf' ? Infinity : Number(b)));
const SCRAPE_MS = 15_000;
const DAY_MS = 24 * 3600_000;
const RUNS = 7;

const QUERIES = [
  'histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))',
  'sum by (service) (rate(x_count[1m]))',
  'topk(5, sum by (instance) (rate(x_count[5m])))',
];

function build(end: number): StoredSeries[] {
  const rand = mulberry32(7);
  const start = end - DAY_MS;
  const n = Math.floor(DAY_MS / SCRAPE_MS);
  const out: StoredSeries[] = [];
  for (let s = 0; s < SERIES; s++) {
    const labels = { service: `svc${s % 10}`, instance: `inst${s}`, job: 'bench' };
    const timestamps = new Float64Array(n);
    for (let i = 0; i < n; i++) timestamps[i] = start + i * SCRAPE_MS + Math.floor(rand() * 50);
    const cum = BUCKETS.map(() => new Float64Array(n));
    const counts = new Array<number>(BUCKETS.length).fill(0);
    for (let i = 0; i < n; i++) {
      const obs = Math.floor(rand() * 40);
      for (let k = 0; k < obs; k++) {
        const x = -Math.log(1 - rand()) * 0.3;
        for (let b = 0; b < BOUNDS.length; b++) if (x <= BOUNDS[b]!) counts[b]!++;
      }
      for (let b = 0; b < BUCKETS.length; b++) cum[b]![i] = counts[b]!;
    }
    BUCKETS.forEach((le, b) =>
      out.push({ labels: { __name__: 'x_bucket', ...labels, le }, timestamps, values: cum[b]! }),
    );
    out.push({ labels: { __name__: 'x_count', ...labels }, timestamps, values: cum[BUCKETS.length - 1]! });
  }
  return out;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function timeIt(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const end = Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000;
  const start = end - DAY_MS;
  const t0 = performance.now();
  const series = build(end);
  const samples = series.reduce((a, s) => a + s.timestamps.length, 0);
  console.log(
    `built ${series.length} series, ${(samples / 1e6).toFixed(2)}M samples in ${(performance.now() - t0).toFixed(0)} ms`,
  );
  const q = new MemoryQuerier(series);

  let prom: { url: string; stop(): Promise<void> } | null = null;
  if (process.argv.includes('--prometheus')) {
    const { prometheusAvailable, startPrometheus } = await import('../test/prometheus.ts');
    if (!prometheusAvailable()) console.log('prometheus not found, skipping the comparison');
    else {
      prom = await startPrometheus();
      await pushChronologically(prom.url, series, start, end);
    }
  }

  for (const query of QUERIES) {
    const ours: number[] = [];
    for (let i = 0; i < RUNS + 1; i++) {
      const ms = await timeIt(() => rangeQuery(q, query, start, end, 60_000));
      if (i > 0) ours.push(ms); // the first run warms up the JIT
    }
    let line = `${query}\n  pivot:      median ${median(ours).toFixed(1)} ms  (runs: ${ours.map((x) => x.toFixed(0)).join(', ')})`;
    if (prom) {
      const theirs: number[] = [];
      const url = `${prom.url}/api/v1/query_range?${new URLSearchParams({ query, start: String(start / 1000), end: String(end / 1000), step: '60' }).toString()}`;
      for (let i = 0; i < RUNS + 1; i++) {
        const ms = await timeIt(async () => {
          const r = (await (await fetch(url)).json()) as { status: string };
          if (r.status !== 'success') throw new Error(JSON.stringify(r));
        });
        if (i > 0) theirs.push(ms);
      }
      line += `\n  prometheus: median ${median(theirs).toFixed(1)} ms  → ratio ${(median(ours) / median(theirs)).toFixed(2)}×`;
    }
    console.log(line);
  }
  await prom?.stop();
}

/** Prometheus 2.42's head refuses samples older than (newest − 1h), so data goes in time order, in slices. */
async function pushChronologically(url: string, series: StoredSeries[], start: number, end: number): Promise<void> {
  const { remoteWrite } = await import('../test/remote-write.ts');
  const slice = 20 * 60_000;
  for (let from = start; from <= end; from += slice) {
    const part = series.map((s) => {
      let lo = 0;
      while (lo < s.timestamps.length && s.timestamps[lo]! < from) lo++;
      let hi = lo;
      while (hi < s.timestamps.length && s.timestamps[hi]! < from + slice) hi++;
      return { labels: s.labels, timestamps: s.timestamps.subarray(lo, hi), values: s.values.subarray(lo, hi) };
    });
    await remoteWrite(
      url,
      part.filter((p) => p.timestamps.length > 0),
    );
  }
}

await main();
