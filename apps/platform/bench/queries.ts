// `npm run bench:queries`: trace lookups at 1M spans (×BENCH_SCALE), generated in SQL: trace by ID and
// trace search through the HTTP API, p50 and p99 over repeated runs; the baseline is the same lookup
// as one SQL statement in the same database, so the ratio is what the API adds. On PostgreSQL with
// citus_columnar, the same lookups again after the columnar job converted the corpus's days (cold), with
// the disk per span of both layouts.
import { startApi } from '@pivot/api';
import { createLogger, loadConfig } from '@pivot/server-kit';
import { convertColdPartitions } from '@pivot/store';
import {
  generateTraceCorpus,
  randomTraceIds,
  signalBytes,
  spanRowsOfTrace,
  traceIdsByServiceAndDuration,
  vacuum,
} from '@pivot/store/bench';
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
const genSeconds = (performance.now() - t0) / 1000;
process.stderr.write(`${SPANS} spans in ${TRACES} traces generated in ${genSeconds.toFixed(0)} s\n`);

const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', GRPC_PORT: '0', ...(f.url ? { DATABASE_URL: f.url } : {}) });
const api = await startApi(config, f.db, createLogger('warn', 'bench'));
const ids = await randomTraceIds(f.db, RUNS);

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

// The search covers the last 24 h explicitly (both day partitions of the corpus).
const window = `start=${now - 86_400_000}&end=${now}`;

/** Trace by ID and trace search, each through the API and as its SQL baseline, on the layout in place. */
async function measure(): Promise<{ byIdApi: number[]; byIdSql: number[]; searchApi: number[]; searchSql: number[] }> {
  const m = { byIdApi: [] as number[], byIdSql: [] as number[], searchApi: [] as number[], searchSql: [] as number[] };
  for (const id of ids) {
    m.byIdApi.push(
      await timeIt(async () => {
        const res = await fetch(`${api.http.url}/api/traces/${id}`);
        if (res.status !== 200) throw new Error(`trace ${id}: ${res.status}`);
        await res.arrayBuffer();
      }),
    );
    m.byIdSql.push(await timeIt(() => spanRowsOfTrace(f.db, id)));
  }
  for (let i = 0; i < 50; i++) {
    const svc = `svc-${i % 8}`;
    m.searchApi.push(
      await timeIt(async () => {
        const res = await fetch(`${api.http.url}/api/traces?service=${svc}&minDuration=400ms&limit=20&${window}`);
        if (res.status !== 200) throw new Error(`search: ${res.status}`);
        await res.arrayBuffer();
      }),
    );
    m.searchSql.push(await timeIt(() => traceIdsByServiceAndDuration(f.db, svc, 400_000_000n, 20)));
  }
  return m;
}

const hot = await measure();
const hotBytes = (await signalBytes(f.db, 'traces')) / SPANS;
// Cold: the columnar job as COLD_AFTER=0s runs it (a clock 3 days on), then the same lookups again.
const t1 = performance.now();
const conversion = await convertColdPartitions(f.db, { coldAfterMs: 0, nowMs: now + 3 * 86_400_000 });
const columnar = conversion.mode.mode === 'columnar';
let cold: Awaited<ReturnType<typeof measure>> | null = null;
let coldBytes = 0;
if (columnar) {
  process.stderr.write(
    `${conversion.converted.join(', ')} converted in ${((performance.now() - t1) / 1000).toFixed(0)} s\n`,
  );
  await vacuum(f.db, 'spans', 'analyze');
  cold = await measure();
  coldBytes = (await signalBytes(f.db, 'traces')) / SPANS;
  const spansOnly = (await signalBytes(f.db, 'spans only')) / SPANS;
  process.stderr.write(
    `cold: ${coldBytes.toFixed(1)} B/span, of which spans ${spansOnly.toFixed(1)} B, trace summaries and operations ${(coldBytes - spansOnly).toFixed(1)} B\n`,
  );
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
const at = `at ${SPANS / 1e6}M spans`;
const figures = (m: typeof hot, layout: string) => [
  fig(`trace by ID p50 ${at}, ${layout}`, m.byIdApi, m.byIdSql, 0.5, 'p99 ≤ 50 ms at 10M'),
  fig(`trace by ID p99 ${at}, ${layout}`, m.byIdApi, m.byIdSql, 0.99, 'p99 ≤ 50 ms at 10M'),
  fig(`trace search over 24 h p50 ${at}, ${layout}`, m.searchApi, m.searchSql, 0.5, '≤ 1 s at 10M'),
  fig(`trace search over 24 h p99 ${at}, ${layout}`, m.searchApi, m.searchSql, 0.99, '≤ 1 s at 10M'),
];
report(
  'Trace queries',
  [
    ...figures(hot, 'hot (row partitions)'),
    ...(cold ? figures(cold, 'cold (columnar)') : []),
    ...(cold
      ? [
          {
            name: `disk per span ${at}, cold (columnar), everything included`,
            value: coldBytes,
            unit: 'B/span',
            baseline: hotBytes,
            baselineName: 'the same spans hot (row partitions)',
            ratio: coldBytes / hotBytes,
            goal: '≤ 80 B/span',
          },
        ]
      : []),
  ],
  [
    `${RUNS} random trace IDs (10 spans each, fetched as full JSON over HTTP) and 50 searches (service + minDuration over 24 h, limit 20), on the same corpus hot, then after the columnar job (${columnar ? 'citus_columnar' : 'not run: no citus_columnar'}).`,
    `Corpus generated in SQL (INSERT … SELECT generate_series, server-side, not through HTTP) in ${genSeconds.toFixed(0)} s.`,
  ],
  1,
);
