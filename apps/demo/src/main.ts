// The demo shop alone, for the compose `demo` profile: exports to the ingest service named by the
// standard OTEL_EXPORTER_OTLP_ENDPOINT, with INGEST_TOKEN when ingest requires one.
import { startDemo } from './demo.ts';

const env = process.env;
const ingestUrl = env.OTEL_EXPORTER_OTLP_ENDPOINT || 'http://127.0.0.1:4318';
const rate = Number(env.DEMO_REQUESTS_PER_SECOND || 2);
if (!/^https?:\/\//.test(ingestUrl))
  throw new Error(`OTEL_EXPORTER_OTLP_ENDPOINT: expected an http(s) URL, got "${ingestUrl}"`);
if (!(rate > 0 && rate <= 100))
  throw new Error(`DEMO_REQUESTS_PER_SECOND: expected a number from 0 to 100, got "${env.DEMO_REQUESTS_PER_SECOND}"`);

const log = (level: string, obj: object, msg: string) =>
  process.stdout.write(`${JSON.stringify({ level, time: Date.now(), name: 'demo', msg, ...obj })}\n`);
const demo = await startDemo({
  ingestUrl,
  token: env.INGEST_TOKEN || undefined,
  requestsPerSecond: rate,
  // The shop's own PostgreSQL (schema `demo`); unset, the demo sends the database's log lines itself.
  databaseUrl: env.DEMO_DATABASE_URL || undefined,
  logger: { info: (o, m) => log('info', o, m), warn: (o, m) => log('warn', o, m) },
});

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    log('info', { signal }, 'demo stopping: flushing spans, logs and metrics');
    demo.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
