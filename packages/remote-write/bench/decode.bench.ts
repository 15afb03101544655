// Decode throughput of remote-write requests, in samples per second. Run: npx tsx bench/decode.bench.ts
// Shapes: Prometheus' default batch (2000 series of one sample), a 100k-series request, and the
// captured Prometheus fixture (histogram buckets with exemplars).
import { readFileSync } from 'node:fs';
import { unixMillis } from '@pivot/model';
import type { TimeSeries } from '@pivot/model';
import { decodeWriteRequest, encodeWriteRequest } from '../src/index.ts';

function nodeExporterLike(n: number, samplesPerSeries: number): Uint8Array {
  const series: TimeSeries[] = Array.from({ length: n }, (_, i) => ({
    labels: {
      __name__: 'node_cpu_seconds_total',
      cpu: String(i % 64),
      instance: `host-${Math.floor(i / 64)}.example.internal:9100`,
      job: 'node',
      mode: ['idle', 'user', 'system', 'iowait'][i % 4]!,
    },
    samples: Array.from({ length: samplesPerSeries }, (_, j) => ({
      timestampMs: unixMillis(1700000000000 + j * 15000),
      value: i * 1.25 + j,
    })),
    exemplars: [],
  }));
  return encodeWriteRequest({ series, metadata: [] });
}

function bench(name: string, body: Uint8Array, minMs = 2000): void {
  const { batch } = decodeWriteRequest(body, { maxDecompressedBytes: 1 << 30 });
  const samples = batch.series.reduce((a, s) => a + s.samples.length + s.exemplars.length, 0);
  for (let i = 0; i < 5; i++) decodeWriteRequest(body, { maxDecompressedBytes: 1 << 30 }); // warm-up
  let runs = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    decodeWriteRequest(body, { maxDecompressedBytes: 1 << 30 });
    runs++;
    elapsed = performance.now() - t0;
  }
  const perRun = elapsed / runs;
  const rate = (samples * runs) / (elapsed / 1000);
  const mbps = (body.length * runs) / (elapsed / 1000) / 1e6;
  console.log(
    `${name.padEnd(40)} ${String(batch.series.length).padStart(7)} series ${String(samples).padStart(7)} samples ` +
      `${perRun.toFixed(2).padStart(8)} ms/req ${(rate / 1e6).toFixed(2).padStart(6)} M samples/s ${mbps.toFixed(1).padStart(6)} MB/s compressed`,
  );
}

bench('2000 series x 1 sample (Prometheus batch)', nodeExporterLike(2000, 1));
bench('2000 series x 10 samples', nodeExporterLike(2000, 10));
bench('100k series x 1 sample', nodeExporterLike(100_000, 1));
bench(
  'fixture prom-remote-write-15 (exemplars)',
  new Uint8Array(readFileSync(new URL('../test/fixtures/prom-remote-write-15.pb.snappy', import.meta.url))),
);
