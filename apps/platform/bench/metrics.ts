// `npm run bench:metrics`: remote-write samples/s into our ingest (committed) against Debian's
// Prometheus 2.42 receiving the identical payloads in the same run, plus bytes per sample on disk:
// ours after compaction (table, TOAST and indexes), Prometheus' from a TSDB snapshot of the same data.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { unixMillis, type MetricsBatch } from '@pivot/model';
import { encodeWriteRequest } from '@pivot/remote-write';
import { startIngest } from '@pivot/ingest';
import { createLogger, loadConfig } from '@pivot/server-kit';
import {
  METRIC_CHUNKS_TABLE,
  METRIC_EXEMPLARS_TABLE,
  PartitionManager,
  compactMetricChunks,
  dayIndexOfMs,
} from '@pivot/store';
import { metricStorageBytes, storedSamples, vacuum } from '@pivot/store/bench';
import { rowCount } from '@pivot/store/testing';
import { REPEAT, SCALE, freshDatabase, median, payloadDir, report, runLoadClient } from './harness.ts';
import { startPrometheusReceiver } from './prometheus-server.ts';

const SERIES = 2000; // 200 histograms × 10 series (8 buckets, _sum, _count)
const SERIES_PER_REQUEST = 250;
const SAMPLES_PER_SERIES = 10;
// 50 blocks of 10 samples at 15 s: each series covers 2 h 5 min, a typical Prometheus head block.
const TIME_BLOCKS = Math.round(50 * SCALE);
// As many connections as series blocks, so each block's requests stay in order (see load-client.mjs).
const CLIENTS = SERIES / SERIES_PER_REQUEST;
const STEP_MS = 15_000;

/** Request r carries 10 consecutive samples for one block of 500 series; every series moves forward in time. */
function makePayloads(): { payloads: Uint8Array[]; samples: number } {
  const blocks = SERIES / SERIES_PER_REQUEST;
  const start = Date.now() - TIME_BLOCKS * SAMPLES_PER_SERIES * STEP_MS;
  const payloads: Uint8Array[] = [];
  let samples = 0;
  for (let t = 0; t < TIME_BLOCKS; t++) {
    for (let b = 0; b < blocks; b++) {
      const batch: MetricsBatch = { series: [], metadata: [] };
      for (let k = 0; k < SERIES_PER_REQUEST; k++) {
        const s = b * SERIES_PER_REQUEST + k;
        const h = Math.floor(s / 10);
        const part = s % 10;
        const name =
          part < 8
            ? 'http_server_duration_seconds_bucket'
            : part === 8
              ? 'http_server_duration_seconds_sum'
              : 'http_server_duration_seconds_count';
        const labels: Record<string, string> = {
          __name__: name,
          job: `svc-${h % 20}`,
          instance: `10.0.${h % 256}.${h}:9100`,
          route: `/api/r${h}`,
        };
        if (part < 8) labels.le = ['0.005', '0.01', '0.05', '0.1', '0.5', '1', '5', '+Inf'][part]!;
        const sorted = Object.fromEntries(Object.entries(labels).sort(([a], [c]) => (a < c ? -1 : 1)));
        const base = t * SAMPLES_PER_SERIES;
        batch.series.push({
          labels: sorted,
          samples: Array.from({ length: SAMPLES_PER_SERIES }, (_, i) => ({
            timestampMs: unixMillis(start + (base + i) * STEP_MS),
            // Cumulative counters growing at a rate that varies per series, like real buckets.
            value:
              part === 8 ? (base + i) * ((h % 7) + 1) * 0.137 : Math.floor((base + i) * ((part + 1) * 3 + (h % 5))),
          })),
          exemplars: [],
        });
        samples += SAMPLES_PER_SERIES;
      }
      payloads.push(encodeWriteRequest(batch));
    }
  }
  return { payloads, samples };
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return total;
}

async function prometheusRun(dir: string, samples: number): Promise<{ rate: number; bytesPerSample: number }> {
  const prom = await startPrometheusReceiver();
  try {
    const { seconds } = await runLoadClient(
      dir,
      `${prom.url}/api/v1/write`,
      CLIENTS,
      'application/x-protobuf',
      'snappy',
    );
    // A snapshot writes the head as a persistent block: the on-disk size of exactly these samples.
    const snap = (await (await fetch(`${prom.url}/api/v1/admin/tsdb/snapshot`, { method: 'POST' })).json()) as {
      data: { name: string };
    };
    const bytes = dirBytes(join(prom.dataDir, 'snapshots', snap.data.name));
    return { rate: samples / seconds, bytesPerSample: bytes / samples };
  } finally {
    await prom.stop();
  }
}

async function ourRun(
  dir: string,
  samples: number,
): Promise<{ rate: number; bytesPerSample: number; rowsBefore: number }> {
  const f = await freshDatabase();
  const config = loadConfig({
    HOST: '127.0.0.1',
    INGEST_PORT: '0',
    PORT: '0',
    GRPC_PORT: '0',
    COMPACTION_INTERVAL_MS: '3600000',
    ...(f.url ? { DATABASE_URL: f.url } : {}),
  });
  const ingest = await startIngest(config, f.db, createLogger('warn', 'bench'));
  const today = dayIndexOfMs(Date.now());
  await new PartitionManager(f.db).ensure(METRIC_CHUNKS_TABLE, [today - 1, today]);
  await new PartitionManager(f.db).ensure(METRIC_EXEMPLARS_TABLE, [today - 1, today]);
  try {
    const { seconds } = await runLoadClient(
      dir,
      `${ingest.http.url}/api/v1/write`,
      CLIENTS,
      'application/x-protobuf',
      'snappy',
    );
    const rows = () => rowCount(f.db, 'metric_chunks');
    const stored = await storedSamples(f.db);
    if (stored !== samples) throw new Error(`stored ${stored} samples, sent ${samples}`);
    const rowsBefore = await rows();
    // Compact everything, the open window included, as the background job eventually does.
    while ((await compactMetricChunks(f.db, Date.now() + 86_400_000, { minChunksOpenWindow: 2 })).groups > 0);
    if (f.url) await vacuum(f.db, 'metric_chunks', 'full');
    const { chunks: chunkBytes, series: seriesBytes } = await metricStorageBytes(f.db);
    process.stderr.write(
      `  chunks ${(chunkBytes / samples).toFixed(2)} B/sample, series table ${(seriesBytes / SERIES).toFixed(0)} B/series\n`,
    );
    return { rate: samples / seconds, bytesPerSample: (chunkBytes + seriesBytes) / samples, rowsBefore };
  } finally {
    await ingest.close();
    await f.drop();
  }
}

const { payloads, samples } = makePayloads();
const files = payloadDir(payloads);
process.stderr.write(
  `${samples} samples in ${payloads.length} requests of ${SERIES_PER_REQUEST} series × ${SAMPLES_PER_SERIES} samples\n`,
);
const ours: Awaited<ReturnType<typeof ourRun>>[] = [];
const prom: Awaited<ReturnType<typeof prometheusRun>>[] = [];
for (let i = 0; i < REPEAT; i++) {
  prom.push(await prometheusRun(files.dir, samples));
  ours.push(await ourRun(files.dir, samples));
  process.stderr.write(
    `run ${i + 1}: Prometheus ${Math.round(prom[i]!.rate)} samples/s, ours ${Math.round(ours[i]!.rate)} samples/s (${ours[i]!.rowsBefore} chunk rows before compaction)\n`,
  );
}
files.remove();
const ourRate = median(ours.map((r) => r.rate));
const promRate = median(prom.map((r) => r.rate));
const ourBps = median(ours.map((r) => r.bytesPerSample));
const promBps = median(prom.map((r) => r.bytesPerSample));
report(
  'Metrics ingest',
  [
    {
      name: 'remote-write samples/s, committed',
      value: ourRate,
      unit: 'samples/s',
      baseline: promRate,
      baselineName: 'Prometheus 2.42 receiver',
      ratio: ourRate / promRate,
      goal: '≥ 0.5× Prometheus',
    },
    {
      name: 'bytes per sample on disk, after compaction',
      value: ourBps,
      unit: 'B/sample',
      baseline: promBps,
      baselineName: 'Prometheus TSDB snapshot',
      ratio: ourBps / promBps,
      goal: '≤ 4 B/sample',
    },
  ],
  [
    `${samples} samples per run: ${SERIES} series (histograms), ${SAMPLES_PER_SERIES} samples per series per request, ${payloads.length} requests, ${CLIENTS} concurrent connections; bytes include the series table and every index, after VACUUM FULL.`,
  ],
);
