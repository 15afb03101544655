// `npm run bench:memory`: the ingest service's peak RSS under sustained load of traces and remote-write,
// as its own process (the built entry point), against its RSS when idle after start-up.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { unixMillis, type MetricsBatch } from '@pivot/model';
import { encodeWriteRequest } from '@pivot/remote-write';
import { freshDatabase, payloadDir, report, runLoadClient, SCALE } from './harness.ts';
import { encodeExportTraceRequest } from './otlp-encode.ts';
import { makeRequests } from './payloads.ts';
import { freePort } from './ports.ts';

const rssKb = (pid: number, field: 'VmRSS' | 'VmHWM') =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

const f = await freshDatabase();
if (!f.url) throw new Error('bench:memory runs the ingest service as its own process and needs DATABASE_URL');
const port = await freePort();
const child = spawn(process.execPath, [new URL('../../ingest/dist/main.js', import.meta.url).pathname], {
  env: {
    ...process.env,
    DATABASE_URL: f.url,
    INGEST_PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    GRPC_PORT: '0',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const url = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${url}/readyz`)).ok) break;
  } catch {
    // starting
  }
  if (i > 100) throw new Error('ingest did not start (run npm run build first)');
  await new Promise((r) => setTimeout(r, 200));
}
const idle = rssKb(child.pid!, 'VmRSS');
const traces = payloadDir(
  makeRequests(Math.round(200 * SCALE), 500, BigInt(Date.now()) * 1_000_000n).map(encodeExportTraceRequest),
);
const rw: Uint8Array[] = [];
for (let r = 0; r < Math.round(100 * SCALE); r++) {
  const batch: MetricsBatch = { series: [], metadata: [] };
  for (let s = 0; s < 1000; s++)
    batch.series.push({
      labels: { __name__: 'load_total', instance: `i${s}`, job: 'bench' },
      samples: Array.from({ length: 10 }, (_, i) => ({
        timestampMs: unixMillis(Date.now() - 3_600_000 + (r * 10 + i) * 1000),
        value: r * 10 + i,
      })),
      exemplars: [],
    });
  rw.push(encodeWriteRequest(batch));
}
const metrics = payloadDir(rw);
await Promise.all([
  runLoadClient(traces.dir, `${url}/v1/traces`, 16),
  runLoadClient(metrics.dir, `${url}/api/v1/write`, 1, 'application/x-protobuf', 'snappy'),
]);
const peak = rssKb(child.pid!, 'VmHWM');
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
traces.remove();
metrics.remove();
await f.drop();
report(
  'Ingest memory',
  [
    {
      name: 'ingest peak RSS under load',
      value: peak / 1024,
      unit: 'MiB',
      baseline: idle / 1024,
      baselineName: 'idle after start-up',
      ratio: peak / idle,
      goal: 'bounded by the queue limits',
    },
  ],
  [
    `${Math.round(200 * SCALE) * 500} spans over 16 connections and ${Math.round(100 * SCALE) * 10_000} samples at once, default queue limits.`,
  ],
);
