// `npm run bench:citus`: the same ingest and queries on one PostgreSQL (DATABASE_URL, default :5432) and
// on a 3-node Citus cluster (CITUS_URL, default :5433, `db/citus/cluster.sh up`), in the same run on the
// same machine. Span ingest end to end (OTLP protobuf over HTTP from a client process, answered after
// commit), trace by ID p50/p99 (the store's lookup: a single-shard router query on Citus), a trace search,
// logs of one trace, and a PromQL range query over HTTP. Then, on the cluster, how evenly each candidate
// distribution key of logs spreads a fleet-shaped log mix over the shards: the measurement behind
// distributing logs by time_ns. One machine has no more cores for a cluster to use: the point is that it
// works and what it costs per node; README's capacity section projects from it.
import { unixMillis, unixNano, type MetricsBatch } from '@pivot/model';
import { encodeWriteRequest } from '@pivot/remote-write';
import { startApi } from '@pivot/api';
import { startIngest } from '@pivot/ingest';
import { createLogger, loadConfig } from '@pivot/server-kit';
import {
  LOGS_TABLE,
  LogQueries,
  PartitionManager,
  SPANS_TABLE,
  TraceQueries,
  compactMetricChunks,
  dayIndexOfNs,
  explainTraceLookup,
  openDatabase,
} from '@pivot/store';
import {
  LOG_KEY_CANDIDATES,
  generateLogMix,
  logShardSkew,
  loggedTraceIds,
  randomTraceIds,
  vacuum,
} from '@pivot/store/bench';
import { createCitusScratchDatabase, createScratchDatabase, rowCount } from '@pivot/store/testing';
import { REPEAT, SCALE, median, payloadDir, report, runLoadClient, type Figure } from './harness.ts';
import { encodeExportTraceRequest } from './otlp-encode.ts';
import { makeRequests } from './payloads.ts';

const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
// The report's header names the driver from DATABASE_URL: both targets here are servers.
process.env.DATABASE_URL = PG_URL;
const CITUS_URL = process.env.CITUS_URL ?? 'postgres://postgres@127.0.0.1:5433/postgres';
/** Citus' default: shards to move to more workers later, 16 per worker here. */
const SHARDS = Number(process.env.BENCH_CITUS_SHARDS ?? 32);
const SPANS_PER_REQUEST = 500;
const REQUESTS = Math.round(120 * SCALE);
const CLIENTS = 8;
const LOOKUPS = Math.round(400 * Math.min(SCALE, 1));
const RUNS = Math.max(REPEAT, 9);
const LOG_ROWS = Math.round(200_000 * SCALE);

const nowMs = Date.now();
const startNs = BigInt(nowMs - 600_000) * 1_000_000n;
const batches = makeRequests(REQUESTS, SPANS_PER_REQUEST, startNs);
// Three equal slices, ingested one after another: three rates, of which the median is quoted.
const slices = [0, 1, 2].map((k) => payloadDir(batches.filter((_, i) => i % 3 === k).map(encodeExportTraceRequest)));
const totalSpans = REQUESTS * SPANS_PER_REQUEST;

// A small PromQL set: 30 counters over 6 h at 15 s, remote-written chronologically.
const STEP_MS = 15_000;
const POINTS = (6 * 3_600_000) / STEP_MS;
const promEnd = Math.floor(nowMs / STEP_MS) * STEP_MS;
const promStart = promEnd - (POINTS - 1) * STEP_MS;
function promPayloads(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let p0 = 0; p0 < POINTS; p0 += 10) {
    const batch: MetricsBatch = { series: [], metadata: [] };
    for (let s = 0; s < 30; s++)
      batch.series.push({
        labels: { __name__: 'x_count', job: 'bench', route: `/r${s}`, service: `svc-${s % 5}` },
        samples: Array.from({ length: Math.min(10, POINTS - p0) }, (_, i) => ({
          timestampMs: unixMillis(promStart + (p0 + i) * STEP_MS),
          value: (p0 + i) * (3 + (s % 7)),
        })),
        exemplars: [],
      });
    out.push(encodeWriteRequest(batch));
  }
  return out;
}
const prom = payloadDir(promPayloads());
const PROMQL = 'sum by (service) (rate(x_count[5m]))';

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

interface Measured {
  ingest: number;
  traceP50: number;
  traceP99: number;
  search: number;
  logsByTrace: number;
  promql: number;
  skew?: Record<string, number>;
  plan?: string;
}

async function measure(target: 'pg' | 'citus'): Promise<Measured> {
  const scratch =
    target === 'pg' ? await createScratchDatabase(PG_URL) : await createCitusScratchDatabase(CITUS_URL, SHARDS);
  const db = await openDatabase({ url: scratch.url, statementTimeoutMs: 600_000 });
  await db.migrate();
  const config = loadConfig({
    HOST: '127.0.0.1',
    INGEST_PORT: '0',
    PORT: '0',
    GRPC_PORT: '0',
    COMPACTION_INTERVAL_MS: '3600000',
    DATABASE_URL: scratch.url,
  });
  const logger = createLogger('warn', 'bench');
  const ingest = await startIngest(config, db, logger);
  const api = await startApi(config, db, logger);
  try {
    const day = dayIndexOfNs(startNs);
    await new PartitionManager(db).ensure(SPANS_TABLE, [day, day + 1]);
    await new PartitionManager(db).ensure(LOGS_TABLE, [day, day + 1]);
    const rates: number[] = [];
    for (const s of slices) {
      const { seconds } = await runLoadClient(s.dir, `${ingest.http.url}/v1/traces`, CLIENTS);
      rates.push(totalSpans / 3 / seconds);
    }
    if ((await rowCount(db, 'spans')) !== totalSpans) throw new Error(`${target}: spans lost`);
    await vacuum(db, 'spans', 'analyze');
    await vacuum(db, 'traces', 'analyze');

    const traces = new TraceQueries(db);
    const ids = await randomTraceIds(db, LOOKUPS);
    for (const id of ids.slice(0, 20)) await traces.getTrace(id);
    const lookups: number[] = [];
    for (const id of ids) {
      const t0 = performance.now();
      const got = await traces.getTrace(id);
      lookups.push(performance.now() - t0);
      if (!got?.spans.length) throw new Error(`${target}: trace ${id} not found`);
    }

    const searches: number[] = [];
    const window = { startNs: unixNano(startNs), endNs: unixNano(BigInt(nowMs) * 1_000_000n) };
    for (let i = 0; i < RUNS + 1; i++) {
      const t0 = performance.now();
      const found = await traces.search({ service: 'checkout', minDurationNs: 8_000_000n, limit: 20, ...window });
      if (i > 0) searches.push(performance.now() - t0);
      if (found.length === 0)
        throw new Error(`${target}: the search found nothing (${await rowCount(db, 'traces')} traces)`);
    }

    await generateLogMix(db, { rows: LOG_ROWS, nowMs });
    const logs = new LogQueries(db);
    const logged = await loggedTraceIds(db, 200);
    const byTrace: number[] = [];
    for (const id of logged) {
      const t0 = performance.now();
      const got = await logs.byTrace(id, { limit: 100 });
      byTrace.push(performance.now() - t0);
      if (got.length === 0) throw new Error(`${target}: no logs for ${id}`);
    }

    await runLoadClient(prom.dir, `${ingest.http.url}/api/v1/write`, 1, 'application/x-protobuf', 'snappy');
    while ((await compactMetricChunks(db, nowMs + 86_400_000, { minChunksOpenWindow: 2 })).groups > 0);
    const qs = new URLSearchParams({
      query: PROMQL,
      start: String(promStart / 1000),
      end: String(promEnd / 1000),
      step: '60',
    });
    const promql: number[] = [];
    for (let i = 0; i < RUNS + 1; i++) {
      const t0 = performance.now();
      const res = await fetch(`${api.http.url}/api/v1/query_range?${qs.toString()}`);
      const body = (await res.json()) as { status: string; data?: { result: unknown[] } };
      if (i > 0) promql.push(performance.now() - t0);
      if (body.status !== 'success' || body.data?.result.length !== 5) throw new Error(`${target}: PromQL failed`);
    }

    return {
      ingest: median(rates),
      traceP50: percentile(lookups, 50),
      traceP99: percentile(lookups, 99),
      search: median(searches),
      logsByTrace: median(byTrace),
      promql: median(promql),
      ...(target === 'citus'
        ? { skew: await logShardSkew(db, SHARDS), plan: await explainTraceLookup(db, ids[0]!) }
        : {}),
    };
  } finally {
    await api.close();
    await ingest.close();
    await db.close();
    await scratch.drop();
  }
}

process.stderr.write(
  `${totalSpans} spans in ${REQUESTS} requests, ${LOG_ROWS} logs, 30 series × ${POINTS} samples; Citus: ${SHARDS} shards\n`,
);
try {
  const pg = await measure('pg');
  process.stderr.write(`PostgreSQL: ${JSON.stringify(pg)}\n`);
  const ci = await measure('citus');
  process.stderr.write(`Citus: ${JSON.stringify({ ...ci, plan: undefined })}\n`);
  const fig = (name: string, c: number, p: number, unit: string, goal: string): Figure => ({
    name,
    value: c,
    unit,
    baseline: p,
    baselineName: 'one PostgreSQL',
    ratio: c / p,
    goal,
  });
  const figures: Figure[] = [
    fig('span ingest (OTLP/HTTP, end to end)', ci.ingest, pg.ingest, 'spans/s', 'works; no speed-up on one machine'),
    fig('trace by ID p50', ci.traceP50, pg.traceP50, 'ms', '—'),
    fig('trace by ID p99', ci.traceP99, pg.traceP99, 'ms', '≤ 2× one PostgreSQL'),
    fig('trace search (service, min duration, 20 newest)', ci.search, pg.search, 'ms', '—'),
    fig('logs of one trace, p50', ci.logsByTrace, pg.logsByTrace, 'ms', '—'),
    fig(`PromQL ${PROMQL} over 6 h at 60 s`, ci.promql, pg.promql, 'ms', '—'),
  ];
  const skew = ci.skew!;
  report('Citus cluster against one PostgreSQL', figures, [
    `Same run, same 2-core machine: one PostgreSQL 15 (${new URL(PG_URL).port || 5432}) and Citus 13.2.2 with a coordinator and two workers (PostgreSQL 15 each, ${SHARDS} shards per distributed table). ${totalSpans} spans ingested in three slices (median rate), ${LOOKUPS} trace lookups through the store (p50/p99), searches and PromQL medians of ${RUNS} runs after one warm-up, ${LOG_ROWS} logs.`,
    `Log distribution key, fullest shard over the mean with ${SHARDS} shards (1.00 = even), on a fleet-shaped mix (40% of lines without a trace, one service writing half, 30 body templates, millisecond times): ${LOG_KEY_CANDIDATES.map((k) => `${k} ${skew[k]!.toFixed(2)}`).join(', ')}.`,
    'Trace lookup plan on the cluster (EXPLAIN of the store statement):',
    '',
    '```',
    ...ci.plan!.split('\n').slice(0, 8),
    '```',
  ]);
} finally {
  for (const s of slices) s.remove();
  prom.remove();
}
