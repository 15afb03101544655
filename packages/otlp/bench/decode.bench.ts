// Decoding throughput on the captured fixtures, repeated into large requests. Run with
//   npx tsx packages/otlp/bench/decode.bench.ts [repeat]
// or, for figures that stay comparable on a busy machine (GC work counted on the measured thread),
//   node --single-threaded-gc --import tsx packages/otlp/bench/decode.bench.ts [repeat]
// Baseline: JSON.parse alone of the equivalent OTLP/JSON body, i.e. what any JSON receiver pays before
// it has built a single model object.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import {
  decodeExportLogsRequest,
  decodeExportMetricsRequest,
  decodeExportTraceRequest,
  decodeExportTraceRequestJson,
  otlpMetricsToPrometheus,
} from '../src/index.ts';

const dir = new URL('../test/fixtures/', import.meta.url);
const load = (name: string): Uint8Array => {
  const raw = readFileSync(new URL(name, dir));
  return new Uint8Array(name.endsWith('.gzip') ? gunzipSync(raw) : raw);
};

/** Concatenated protobuf messages merge, so N copies of a request is one request with N× the items. */
function repeatPb(parts: Uint8Array[], times: number): Uint8Array {
  const one = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(one * times);
  let at = 0;
  for (let i = 0; i < times; i++)
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
  return out;
}

function repeatJson(files: string[], key: string, times: number): string {
  const items = files.flatMap(
    (f) => (JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as Record<string, unknown[]>)[key]!,
  );
  return JSON.stringify({ [key]: Array.from({ length: times }, () => items).flat() });
}

/**
 * Median items per CPU-second over `rounds` runs after warm-up. CPU time (user + system, GC threads
 * included) rather than wall time, so that a machine shared with other work still gives a stable figure.
 */
function rate(items: number, run: () => unknown, rounds = 15): number {
  for (let i = 0; i < 3; i++) run();
  const per: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const c = process.cpuUsage();
    run();
    const d = process.cpuUsage(c);
    per.push((d.user + d.system) / 1e6);
  }
  per.sort((a, b) => a - b);
  return items / per[per.length >> 1]!;
}

const fmt = (n: number) => `${(n / 1e6).toFixed(2)} M/cpu-s`.padStart(15);
const repeat = Number(process.argv[2] ?? 100);
const rows: [string, string, number, string][] = [];

// Traces: both services' captures (70 spans per copy).
const tracesPb = repeatPb([load('otlp-traces-02.pb'), load('otlp-traces-03.pb')], repeat);
const spans = decodeExportTraceRequest(tracesPb).accepted;
const tracesJson = repeatJson(['otlp-traces-07.json', 'otlp-traces-08.json'], 'resourceSpans', repeat);
const jsonSpans = decodeExportTraceRequestJson(tracesJson).accepted;
rows.push([
  'traces protobuf → model',
  `${spans} spans, ${(tracesPb.length / 1024).toFixed(0)} KiB`,
  rate(spans, () => decodeExportTraceRequest(tracesPb)),
  'spans',
]);
rows.push([
  'traces OTLP/JSON → model',
  `${jsonSpans} spans, ${(tracesJson.length / 1024).toFixed(0)} KiB`,
  rate(jsonSpans, () => decodeExportTraceRequestJson(tracesJson)),
  'spans',
]);
rows.push(['baseline: JSON.parse only', 'same JSON body', rate(jsonSpans, () => JSON.parse(tracesJson)), 'spans']);

const logsPb = repeatPb([load('otlp-logs-04.pb')], repeat * 10);
const logs = decodeExportLogsRequest(logsPb).accepted;
rows.push(['logs protobuf → model', `${logs} records`, rate(logs, () => decodeExportLogsRequest(logsPb)), 'records']);

const metricsPb = repeatPb([load('otlp-metrics-00.pb')], repeat * 10);
const decodedMetrics = decodeExportMetricsRequest(metricsPb);
const points = decodedMetrics.accepted;
rows.push([
  'metrics protobuf → model',
  `${points} points`,
  rate(points, () => decodeExportMetricsRequest(metricsPb)),
  'points',
]);
rows.push([
  'metrics model → Prometheus',
  `${points} points`,
  rate(points, () => otlpMetricsToPrometheus(decodedMetrics.resourceMetrics)),
  'points',
]);

console.log(`@pivot/otlp decode benchmark (node ${process.version}, repeat=${repeat})`);
for (const [what, size, r, unit] of rows) console.log(`${what.padEnd(28)} ${size.padEnd(24)} ${fmt(r)} ${unit}`);
const [pb, js, parse] = [rows[0]![2], rows[1]![2], rows[2]![2]];
console.log(
  `protobuf decode is ${(pb / parse).toFixed(1)}× JSON.parse alone; JSON decode runs at ${((100 * js) / parse).toFixed(0)}% of JSON.parse alone.`,
);
