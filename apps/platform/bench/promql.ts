// `npm run bench:promql`: the same data (100 histograms × 10 buckets plus their _count, 24 h at 15 s)
// remote-written into Debian's Prometheus 2.42 and into ours; three queries timed against both over
// HTTP, median of repeated runs, with the ratio.
import { unixMillis, type MetricsBatch } from '@pivot/model';
import { encodeWriteRequest } from '@pivot/remote-write';
import { startApi } from '@pivot/api';
import { startIngest } from '@pivot/ingest';
import { createLogger, loadConfig } from '@pivot/server-kit';
import { compactMetricChunks } from '@pivot/store';
import { vacuum } from '@pivot/store/bench';
import { REPEAT, SCALE, freshDatabase, median, payloadDir, report, runLoadClient } from './harness.ts';
import { startPrometheusReceiver } from './prometheus-server.ts';

const HISTOGRAMS = Math.round(100 * SCALE);
const LES = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
const STEP_MS = 15_000;
const HOURS = 24;
const POINTS = (HOURS * 3_600_000) / STEP_MS;
const PER_REQUEST = 10; // samples per series per request
const RUNS = Math.max(REPEAT, 5);

const end = Math.floor(Date.now() / STEP_MS) * STEP_MS;
const start = end - (POINTS - 1) * STEP_MS;

/** Chronological requests (Prometheus appends in order), each with every series' next 10 samples. */
function makePayloads(): { payloads: Uint8Array[]; samples: number } {
  const payloads: Uint8Array[] = [];
  let samples = 0;
  for (let p0 = 0; p0 < POINTS; p0 += PER_REQUEST) {
    const batch: MetricsBatch = { series: [], metadata: [] };
    const n = Math.min(PER_REQUEST, POINTS - p0);
    for (let h = 0; h < HISTOGRAMS; h++) {
      const base = { job: 'bench', route: `/r${h}`, service: `svc-${h % 10}` };
      // Requests per step vary with time of day and per histogram, so rates and quantiles move.
      const count = (p: number) => Math.floor(p * (5 + (h % 7)) + 40 * Math.sin(p / 240) + 40);
      const fraction = [0.2, 0.35, 0.5, 0.62, 0.75, 0.85, 0.92, 0.97, 0.995, 1];
      LES.forEach((le, b) => {
        batch.series.push({
          labels: { __name__: 'x_bucket', ...base, le },
          samples: Array.from({ length: n }, (_, i) => ({
            timestampMs: unixMillis(start + (p0 + i) * STEP_MS),
            value: Math.floor(count(p0 + i) * fraction[b]!),
          })),
          exemplars: [],
        });
      });
      batch.series.push({
        labels: { __name__: 'x_count', ...base },
        samples: Array.from({ length: n }, (_, i) => ({
          timestampMs: unixMillis(start + (p0 + i) * STEP_MS),
          value: count(p0 + i),
        })),
        exemplars: [],
      });
      samples += n * (LES.length + 1);
    }
    // Remote-write requires sorted label names.
    for (const s of batch.series)
      s.labels = Object.fromEntries(Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : 1)));
    payloads.push(encodeWriteRequest(batch));
  }
  return { payloads, samples };
}

const QUERIES: [string, string][] = [
  ['P99 histogram_quantile over 24 h at 60 s', 'histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))'],
  ['sum by (service) rate over 24 h at 60 s', 'sum by (service) (rate(x_count[1m]))'],
  ['topk over 24 h at 60 s', 'topk(5, sum by (route) (rate(x_count[5m])))'],
];

async function time(url: string, query: string): Promise<number> {
  const qs = new URLSearchParams({ query, start: String(start / 1000), end: String(end / 1000), step: '60' });
  const t0 = performance.now();
  const res = await fetch(`${url}/api/v1/query_range?${qs.toString()}`);
  const body = (await res.json()) as { status: string; data?: { result: unknown[] }; error?: string };
  const ms = performance.now() - t0;
  if (body.status !== 'success' || !body.data?.result.length)
    throw new Error(`${url}: ${query}: ${body.error ?? 'empty result'}`);
  return ms;
}

const { payloads, samples } = makePayloads();
const files = payloadDir(payloads);
process.stderr.write(
  `${samples} samples (${HISTOGRAMS * (LES.length + 1)} series × ${POINTS} points) in ${payloads.length} requests\n`,
);

const prom = await startPrometheusReceiver();
const f = await freshDatabase();
const config = loadConfig({
  HOST: '127.0.0.1',
  INGEST_PORT: '0',
  PORT: '0',
  GRPC_PORT: '0',
  COMPACTION_INTERVAL_MS: '3600000',
  QUERY_MAX_SAMPLES: '100000000',
  ...(f.url ? { DATABASE_URL: f.url } : {}),
});
const logger = createLogger('warn', 'bench');
const ingest = await startIngest(config, f.db, logger);
const api = await startApi(config, f.db, logger);
try {
  await runLoadClient(files.dir, `${prom.url}/api/v1/write`, 1, 'application/x-protobuf', 'snappy');
  await runLoadClient(files.dir, `${ingest.http.url}/api/v1/write`, 1, 'application/x-protobuf', 'snappy');
  while ((await compactMetricChunks(f.db, Date.now() + 86_400_000, { minChunksOpenWindow: 2 })).groups > 0);
  if (f.url) await vacuum(f.db, 'metric_chunks', 'analyze');
  const figures = [];
  for (const [name, q] of QUERIES) {
    // One warm-up each, then alternate so both see the same machine load.
    await time(prom.url, q);
    await time(api.http.url, q);
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      theirs.push(await time(prom.url, q));
      ours.push(await time(api.http.url, q));
    }
    const o = median(ours);
    const p = median(theirs);
    process.stderr.write(`${name}: ours ${o.toFixed(0)} ms, Prometheus ${p.toFixed(0)} ms\n`);
    figures.push({
      name,
      value: o,
      unit: 'ms',
      baseline: p,
      baselineName: 'Prometheus 2.42',
      ratio: o / p,
      goal: '≤ 2× Prometheus',
    });
  }
  report('PromQL latency', figures, [
    `${samples} samples: ${HISTOGRAMS} histograms × ${LES.length} buckets + _count, ${HOURS} h at 15 s; range queries over the full ${HOURS} h at a 60 s step (1441 points), median of ${RUNS} runs after one warm-up, over HTTP.`,
  ]);
} finally {
  await api.close();
  await ingest.close();
  await f.drop();
  await prom.stop();
  files.remove();
}
