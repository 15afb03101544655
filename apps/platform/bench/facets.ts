// `npm run bench:facets`: the facet sidebars' queries through the HTTP API, at 1M logs and 1M spans
// (×BENCH_SCALE), generated in SQL. Logs: /api/logs/facets over the two-day corpus (the newest 10,000
// records counted) and with a text filter; traces: /api/traces/facets over 12 h (the newest 1,000
// traces). The baseline is the raw read each one cannot avoid, in the same database: the same rows
// (or the spans of the same traces) fetched without any aggregation.
import { startApi } from '@pivot/api';
import { createLogger, loadConfig } from '@pivot/server-kit';
import {
  BulkSession,
  buildLogCorpus,
  generateTraceCorpus,
  newestLogFacetRows,
  newestTraceSpanAttributes,
} from '@pivot/store/bench';
import { SCALE, freshDatabase, median, report } from './harness.ts';

const LOGS = Math.round(1_000_000 * SCALE);
const SPANS = Math.round(1_000_000 * SCALE);
const RUNS = 15;
const SERVICES = ['frontend', 'checkout', 'cart', 'payment', 'inventory', 'shipping', 'auth', 'search'];
const log = (line: string) => process.stderr.write(`${line}\n`);

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function get(url: string): Promise<void> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

/** Alternates the API call and its baseline RUNS times (after one warm-up each); medians in ms. */
async function compare(api: () => Promise<unknown>, base: () => Promise<unknown>): Promise<[number, number]> {
  await api();
  await base();
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    a.push(await timeIt(api));
    b.push(await timeIt(base));
  }
  return [median(a), median(b)];
}

const config = (url: string | undefined) =>
  loadConfig({ HOST: '127.0.0.1', PORT: '0', GRPC_PORT: '0', ...(url ? { DATABASE_URL: url } : {}) });

// Logs.
const logsDb = await freshDatabase();
const session = await BulkSession.open(logsDb.db, logsDb.url);
const t0 = performance.now();
const { startNs, endNs } = await buildLogCorpus(session, { rows: LOGS, services: SERVICES, progress: log });
await session.close();
log(`${LOGS} logs generated in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
let api = await startApi(config(logsDb.url), logsDb.db, createLogger('warn', 'bench'));
const range = `start=${startNs}&end=${endNs}`;
const [logAll, logAllBase] = await compare(
  () => get(`${api.http.url}/api/logs/facets?${range}`),
  () => newestLogFacetRows(logsDb.db, startNs, endNs, 10_000),
);
const [logText, logTextBase] = await compare(
  () => get(`${api.http.url}/api/logs/facets?${range}&q=declined`),
  () => newestLogFacetRows(logsDb.db, startNs, endNs, 10_000),
);
await api.close();
await logsDb.drop();

// Traces.
const tracesDb = await freshDatabase();
const t1 = performance.now();
await generateTraceCorpus(tracesDb.db, { spans: SPANS, spansPerTrace: 10, nowMs: Date.now() });
log(`${SPANS} spans generated in ${((performance.now() - t1) / 1000).toFixed(0)} s`);
api = await startApi(config(tracesDb.url), tracesDb.db, createLogger('warn', 'bench'));
const [traceAll, traceAllBase] = await compare(
  () => get(`${api.http.url}/api/traces/facets`),
  () => newestTraceSpanAttributes(tracesDb.db, 1_000),
);
await api.close();
await tracesDb.drop();

const fig = (name: string, value: number, baseline: number, baselineName: string) => ({
  name,
  value,
  unit: 'ms',
  baseline,
  baselineName,
  ratio: value / baseline,
  goal: 'interactive (< 1 s)',
});
report(
  'Facets',
  [
    fig(`/api/logs/facets, 2 days, at ${LOGS / 1e6}M logs`, logAll, logAllBase, 'reading the newest 10,000 rows raw'),
    fig(
      `/api/logs/facets?q=declined at ${LOGS / 1e6}M logs`,
      logText,
      logTextBase,
      'reading the newest 10,000 rows raw (no text filter)',
    ),
    fig(
      `/api/traces/facets, 12 h, at ${SPANS / 1e6}M spans`,
      traceAll,
      traceAllBase,
      "reading the newest 1,000 traces' span attributes raw",
    ),
  ],
  [`Medians of ${RUNS} runs each, alternating with the baseline; facets count the newest 10,000 logs / 1,000 traces.`],
  RUNS,
);
