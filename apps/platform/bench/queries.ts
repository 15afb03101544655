// `npm run bench:queries`: trace lookups at 1M spans (×BENCH_SCALE), generated in SQL: trace by ID and
// trace search through the HTTP API, p50 and p99 over repeated runs; the baseline is the same lookup
// as one SQL statement in the same database, so the ratio is what the API adds.
import { startApi } from '@pivot/api';
import { createLogger, loadConfig } from '@pivot/server-kit';
import { generateTraceCorpus, randomTraceIds, spanRowsOfTrace, traceIdsByServiceAndDuration } from '@pivot/store/bench';
import { SCALE, freshDatabase, report } from './harness.ts';

const SPANS = Math.round(1_000_000 * SCALE);
const SPANS_PER_TRACE = 10;
const TRACES = SPANS / SPANS_PER_TRACE;
const RUNS = 200;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

const f = await freshDatabase();
const now = Date.now();
const t0 = performance.now();
// Trace i has 10 spans over the last 12 h; 1% of traces have an error; services rotate over 8 names.
await generateTraceCorpus(f.db, { spans: SPANS, spansPerTrace: SPANS_PER_TRACE, nowMs: now });
process.stderr.write(
  `${SPANS} spans in ${TRACES} traces generated in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`,
);

const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', GRPC_PORT: '0', ...(f.url ? { DATABASE_URL: f.url } : {}) });
const api = await startApi(config, f.db, createLogger('warn', 'bench'));
const ids = await randomTraceIds(f.db, RUNS);

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const byIdApi: number[] = [];
const byIdSql: number[] = [];
for (const id of ids) {
  byIdApi.push(
    await timeIt(async () => {
      const res = await fetch(`${api.http.url}/api/traces/${id}`);
      if (res.status !== 200) throw new Error(`trace ${id}: ${res.status}`);
      await res.arrayBuffer();
    }),
  );
  byIdSql.push(await timeIt(() => spanRowsOfTrace(f.db, id)));
}
const searchApi: number[] = [];
const searchSql: number[] = [];
for (let i = 0; i < 50; i++) {
  const svc = `svc-${i % 8}`;
  searchApi.push(
    await timeIt(async () => {
      const res = await fetch(`${api.http.url}/api/traces?service=${svc}&minDuration=400ms&limit=20`);
      await res.arrayBuffer();
    }),
  );
  searchSql.push(await timeIt(() => traceIdsByServiceAndDuration(f.db, svc, 400_000_000n, 20)));
}
await api.close();
await f.drop();

const fig = (name: string, api: number[], base: number[], q: number, goal: string) => ({
  name,
  value: quantile(api, q),
  unit: 'ms',
  baseline: quantile(base, q),
  baselineName: 'the same lookup in SQL',
  ratio: quantile(api, q) / quantile(base, q),
  goal,
});
report(
  'Trace queries',
  [
    fig(`trace by ID p50 at ${SPANS / 1e6}M spans`, byIdApi, byIdSql, 0.5, 'p99 < 50 ms at 10M'),
    fig(`trace by ID p99 at ${SPANS / 1e6}M spans`, byIdApi, byIdSql, 0.99, 'p99 < 50 ms at 10M'),
    fig(`trace search p50 at ${SPANS / 1e6}M spans`, searchApi, searchSql, 0.5, 'interactive'),
    fig(`trace search p99 at ${SPANS / 1e6}M spans`, searchApi, searchSql, 0.99, 'interactive'),
  ],
  [
    `${RUNS} random trace IDs (10 spans each, fetched as full JSON over HTTP) and 50 searches (service + minDuration over 12 h, limit 20).`,
  ],
);
