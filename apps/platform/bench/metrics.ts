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
import { metricStorageBytes, storedSamples } from '@pivot/store/bench';
import { rowCount } from '@pivot/store/testing';
import {
  REPEAT,
  SCALE,
  cpuLine,
  freshDatabase,
  median,
  payloadDir,
  processCpuSeconds,
  report,
  runLoadClient,
  withCpuSplit,
} from './harness.ts';
import { startPrometheusReceiver } from './prometheus-server.ts';

/** A remote-write load: `series` histogram series (8 buckets, _sum, _count per histogram) sent in `blocks` time steps. */
interface Load {
  name: string;
  series: number;
  seriesPerRequest: number;
  samplesPerSeries: number;
  blocks: number;
  /** Connections; each series block's requests stay on one, in order (see load-client.mjs). */
  clients: number;
}

const STEP_MS = 15_000;
const LOADS: Load[] = [
  // The figure the speed goal is set on: 10k series × 10 samples per request, 500 series per request, 4 connections.
  {
    name: 'speed',
    series: 10_000,
    seriesPerRequest: 500,
    samplesPerSeries: 10,
    blocks: Math.round(10 * SCALE),
    clients: 4,
  },
  // The figure the bytes goal is set on: 50 blocks of 10 samples at 15 s, so each series covers 2 h 5 min,
  // a typical Prometheus head block; 200 histograms over 8 connections.
  {
    name: 'bytes',
    series: 2000,
    seriesPerRequest: 250,
    samplesPerSeries: 10,
    blocks: Math.round(50 * SCALE),
    clients: 8,
  },
];

/** Request r carries consecutive samples for one block of series; every series moves forward in time. */
function makePayloads(load: Load): { payloads: Uint8Array[]; samples: number } {
  const blocks = load.series / load.seriesPerRequest;
  const start = Date.now() - load.blocks * load.samplesPerSeries * STEP_MS;
  const payloads: Uint8Array[] = [];
  let samples = 0;
  for (let t = 0; t < load.blocks; t++) {
    for (let b = 0; b < blocks; b++) {
      const batch: MetricsBatch = { series: [], metadata: [] };
      for (let k = 0; k < load.seriesPerRequest; k++) {
        const s = b * load.seriesPerRequest + k;
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
        const base = t * load.samplesPerSeries;
        batch.series.push({
          labels: sorted,
          samples: Array.from({ length: load.samplesPerSeries }, (_, i) => ({
            timestampMs: unixMillis(start + (base + i) * STEP_MS),
            // Cumulative counters growing at a rate that varies per series, like real buckets.
            value:
              part === 8 ? (base + i) * ((h % 7) + 1) * 0.137 : Math.floor((base + i) * ((part + 1) * 3 + (h % 5))),
          })),
          exemplars: [],
        });
        samples += load.samplesPerSeries;
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

async function prometheusRun(
  load: Load,
  dir: string,
  samples: number,
): Promise<{ rate: number; bytesPerSample: number; cpuPerSample: number }> {
  const prom = await startPrometheusReceiver();
  try {
    const cpu0 = processCpuSeconds([prom.pid]).get(prom.pid)!;
    const { seconds, cpuSeconds } = await runLoadClient(
      dir,
      `${prom.url}/api/v1/write`,
      load.clients,
      'application/x-protobuf',
      'snappy',
    );
    const cpu = processCpuSeconds([prom.pid]).get(prom.pid)! - cpu0 + cpuSeconds;
    // A snapshot writes the head as a persistent block: the on-disk size of exactly these samples.
    const snap = (await (await fetch(`${prom.url}/api/v1/admin/tsdb/snapshot`, { method: 'POST' })).json()) as {
      data: { name: string };
    };
    const bytes = dirBytes(join(prom.dataDir, 'snapshots', snap.data.name));
    return { rate: samples / seconds, bytesPerSample: bytes / samples, cpuPerSample: cpu / samples };
  } finally {
    await prom.stop();
  }
}

async function ourRun(
  load: Load,
  dir: string,
  samples: number,
): Promise<{ rate: number; bytesPerSample: number; cpuPerSample: number; rowsBefore: number; rowsAfter: number }> {
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
    const { seconds, cpu } = await withCpuSplit(f.db, f.url, () =>
      runLoadClient(dir, `${ingest.http.url}/api/v1/write`, load.clients, 'application/x-protobuf', 'snappy'),
    );
    const stored = await storedSamples(f.db);
    if (stored !== samples) throw new Error(`stored ${stored} samples, sent ${samples}`);
    const rowsBefore = await rowCount(f.db, 'metric_chunks');
    // Compact everything, the open window included, as the background job eventually does.
    while ((await compactMetricChunks(f.db, Date.now() + 86_400_000, { minChunksOpenWindow: 2 })).groups > 0);
    // Measured as rewritten (what VACUUM FULL leaves), whatever old snapshot another session holds.
    const { chunks, series, chunkRows } = await metricStorageBytes(f.db, { rewrite: true });
    process.stderr.write(
      `  ${load.name}: chunks ${(chunks / samples).toFixed(2)} B/sample in ${chunkRows} rows, series table ${(series / load.series).toFixed(0)} B/series\n`,
    );
    process.stderr.write(`  ${load.name}: ${cpuLine(cpu, samples, 'sample')}\n`);
    return {
      rate: samples / seconds,
      bytesPerSample: (chunks + series) / samples,
      cpuPerSample: (cpu.ingest + cpu.client + cpu.server) / samples,
      rowsBefore,
      rowsAfter: chunkRows,
    };
  } finally {
    await ingest.close();
    await f.drop();
  }
}

type Result = { ours: Awaited<ReturnType<typeof ourRun>>; prom: Awaited<ReturnType<typeof prometheusRun>> };
const results = new Map<string, Result[]>(LOADS.map((l) => [l.name, []]));
const sent = new Map<string, number>();
for (const load of LOADS) {
  const { payloads, samples } = makePayloads(load);
  sent.set(load.name, samples);
  const files = payloadDir(payloads);
  process.stderr.write(
    `${load.name}: ${samples} samples in ${payloads.length} requests of ${load.seriesPerRequest} series × ${load.samplesPerSeries} samples, ${load.clients} connections\n`,
  );
  for (let i = 0; i < REPEAT; i++) {
    const prom = await prometheusRun(load, files.dir, samples);
    const ours = await ourRun(load, files.dir, samples);
    results.get(load.name)!.push({ prom, ours });
    process.stderr.write(
      `  run ${i + 1}: Prometheus ${Math.round(prom.rate)} samples/s (${(prom.cpuPerSample * 1e6).toFixed(2)} µs CPU per sample with the client), ours ${Math.round(ours.rate)} samples/s (${(ours.cpuPerSample * 1e6).toFixed(2)} µs; ${ours.rowsBefore} chunk rows before compaction)\n`,
    );
  }
  files.remove();
}
const med = (load: string, f: (r: Result) => number) => median(results.get(load)!.map(f));
const speed = LOADS[0]!;
const bytes = LOADS[1]!;
const rate = (l: Load) => ({ ours: med(l.name, (r) => r.ours.rate), prom: med(l.name, (r) => r.prom.rate) });
const bps = {
  ours: med(bytes.name, (r) => r.ours.bytesPerSample),
  prom: med(bytes.name, (r) => r.prom.bytesPerSample),
};
const describe = (l: Load) =>
  `${l.series / 1000}k series, ${l.seriesPerRequest} per request × ${l.samplesPerSeries} samples, ${l.clients} connections`;
report(
  'Metrics ingest',
  [
    ...LOADS.map((l) => ({
      name: `remote-write samples/s, committed (${describe(l)})`,
      value: rate(l).ours,
      unit: 'samples/s',
      baseline: rate(l).prom,
      baselineName: 'Prometheus 2.42 receiver',
      ratio: rate(l).ours / rate(l).prom,
      goal: l === speed ? '≥ 0.8× Prometheus' : '(same, second load)',
    })),
    {
      name: `CPU per sample end to end, every process (ingest, load client, PostgreSQL backends) (${describe(speed)})`,
      value: med(speed.name, (r) => r.ours.cpuPerSample) * 1e6,
      unit: 'µs/sample',
      baseline: med(speed.name, (r) => r.prom.cpuPerSample) * 1e6,
      baselineName: 'Prometheus 2.42 receiver and the same load client',
      ratio: med(speed.name, (r) => r.ours.cpuPerSample) / med(speed.name, (r) => r.prom.cpuPerSample),
      goal: '',
    },
    {
      name: `bytes per sample on disk, after compaction (${describe(bytes)})`,
      value: bps.ours,
      unit: 'B/sample',
      baseline: bps.prom,
      baselineName: 'Prometheus TSDB snapshot',
      ratio: bps.ours / bps.prom,
      goal: '≤ 2.6 B/sample',
    },
  ],
  [
    ...LOADS.map(
      (l) =>
        `${l.name}: ${sent.get(l.name)} samples per run in ${l.blocks} time steps of 15 s × ${l.samplesPerSeries}, ${describe(l)}.`,
    ),
    'Bytes include the series table and every index, after compaction, each chunk partition measured as a fresh copy of its live rows (what a full vacuum leaves).',
  ],
);
