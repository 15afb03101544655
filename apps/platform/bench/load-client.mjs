// The benchmark's OTLP client, in its own process like a real exporter: posts every payload file
// with a fixed number of requests in flight, retrying on 429/503 as OTLP exporters do.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const [dir, url, concurrencyArg] = process.argv.slice(2);
const files = readdirSync(dir).filter((f) => f.endsWith('.pb')).sort().map((f) => readFileSync(join(dir, f)));
const concurrency = Number(concurrencyArg);
let next = 0;
let retries = 0;
const t0 = performance.now();
async function worker() {
  while (next < files.length) {
    const body = files[next++];
    for (;;) {
      const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } });
      await res.arrayBuffer();
      if (res.status === 200) break;
      if (res.status !== 429 && res.status !== 503) throw new Error(`unexpected status ${res.status}`);
      retries++;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
process.stdout.write(JSON.stringify({ seconds: (performance.now() - t0) / 1000, requests: files.length, retries }) + '\n');
