// The benchmark's OTLP client, in its own process like a real exporter: posts every payload file
// with a fixed number of requests in flight, retrying on 429/5xx as OTLP exporters and Prometheus do.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const [dir, url, concurrencyArg, contentType = 'application/x-protobuf', contentEncoding = ''] = process.argv.slice(2);
const headers = {
  'content-type': contentType,
  ...(contentEncoding ? { 'content-encoding': contentEncoding, 'x-prometheus-remote-write-version': '0.1.0' } : {}),
};
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bin'))
  .sort()
  .map((f) => readFileSync(join(dir, f)));
const concurrency = Number(concurrencyArg);
let retries = 0;
let resets = 0; // connection errors retried, bounded so a dead server ends the run
const t0 = performance.now();
// Request i goes to worker i mod concurrency, as Prometheus shards series over its connections:
// payloads that must stay in order (the same series over time) then never overtake each other.
async function worker(w) {
  for (let i = w; i < files.length; i += concurrency) {
    const body = files[i];
    for (;;) {
      let res;
      let text;
      try {
        res = await fetch(url, { method: 'POST', body, headers });
        text = await res.text();
      } catch (err) {
        if (++resets > 100) throw err;
        // A connection reset (a keep-alive socket the server closed, on a loaded machine) is retried as
        // exporters retry it; the answer may have been lost after a commit, so this also tests idempotence.
        retries++;
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      if (res.status === 200 || res.status === 204) break;
      if (res.status !== 429 && res.status < 500)
        throw new Error(`unexpected status ${res.status}: ${text.slice(0, 300)}`);
      retries++;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
const cpu = process.cpuUsage();
process.stdout.write(
  JSON.stringify({
    seconds: (performance.now() - t0) / 1000,
    requests: files.length,
    retries,
    // The client's own CPU, so a benchmark can say what each process took of the shared cores.
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  }) + '\n',
);
