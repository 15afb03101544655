// `npm run bench:loki`: the Loki API's latency on a generated corpus (200k logs; BENCH_SCALE multiplies),
// each query shape beside what pivot's own log API answers for the same question in the same run:
// Grafana's two trace-to-logs queries against /api/traces/{id}/logs, a line filter against /api/logs?q=,
// and the logs-volume metric query against /api/logs/stats. Medians (p50) and p99 of in-process requests.
import { createApiApp } from '@pivot/api';
import { createLogger } from '@pivot/server-kit';
import { LogQueries, LogqlQueries, TraceQueries } from '@pivot/store';
import { BulkSession, buildLogCorpus, sampledTraceIds } from '@pivot/store/bench';
import { SCALE, freshDatabase, report, type Figure } from './harness.ts';

const CORPUS_ROWS = Math.round(200_000 * SCALE);
const RUNS = Number(process.env.BENCH_QUERY_RUNS ?? 50);
const SERVICES = ['frontend', 'checkout', 'cart', 'payment', 'inventory', 'shipping', 'auth', 'search'];
const log = (msg: string) => process.stderr.write(`${msg}\n`);

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

async function timeRuns(one: (i: number) => Promise<void>): Promise<{ p50: number; p99: number }> {
  await one(0);
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await one(i + 1);
    ms.push(performance.now() - t0);
  }
  return { p50: percentile(ms, 50), p99: percentile(ms, 99) };
}

const fresh = await freshDatabase();
const session = await BulkSession.open(fresh.db, fresh.url);
try {
  log(`corpus: ${CORPUS_ROWS} logs`);
  const { endNs } = await buildLogCorpus(session, { rows: CORPUS_ROWS, services: SERVICES, progress: log });
  const db = fresh.db;
  const app = createApiApp({
    logger: createLogger('silent', 'bench'),
    traces: new TraceQueries(db),
    logs: { queries: new LogQueries(db) },
    loki: { queries: new LogqlQueries(db) },
    ready: () => db.ping(),
  });
  const traceIds = await sampledTraceIds(db, RUNS + 1);
  const get = async (path: string) => {
    const res = await app.request(path);
    const text = await res.text();
    if (res.status !== 200 || text.length < 60) throw new Error(`${path}: ${res.status} ${text.slice(0, 200)}`);
  };
  const hourAgo = endNs - 3_600_000_000_000n;
  const range = `start=${endNs - 2n * 86_400_000_000_000n}&end=${endNs + 1n}`;
  const q = encodeURIComponent;
  const shapes: [string, (i: number) => string, (i: number) => string][] = [
    [
      'trace to logs, label_format … or trace_id=',
      (i) => {
        const t = traceIds[i % traceIds.length]!;
        return `/loki/api/v1/query_range?query=${q(`{service_name=~".+"} | label_format log_line_contains_trace_id=\`{{ contains "${t}" __line__  }}\` | log_line_contains_trace_id="true" or trace_id="${t}"`)}&${range}&limit=1000`;
      },
      (i) => `/api/traces/${traceIds[i % traceIds.length]}/logs`,
    ],
    [
      'trace to logs, logfmt | json | drop __error__ | trace_id=',
      (i) =>
        `/loki/api/v1/query_range?query=${q(`{service_name=~".+"} | logfmt | json | drop __error__ | trace_id="${traceIds[i % traceIds.length]}"`)}&${range}&limit=1000`,
      (i) => `/api/traces/${traceIds[i % traceIds.length]}/logs`,
    ],
    [
      'line filter {service_name="payment"} |= "declined" (100 lines)',
      () => `/loki/api/v1/query_range?query=${q('{service_name="payment"} |= "declined"')}&${range}&limit=100`,
      () => `/api/logs?service=payment&q=declined&limit=100`,
    ],
    [
      'logs volume sum by (level) (count_over_time(…[1m])), last hour',
      () =>
        `/loki/api/v1/query_range?query=${q('sum by (level) (count_over_time({service_name="checkout"} | drop __error__ [1m]))')}&start=${hourAgo}&end=${endNs}&step=60000ms`,
      () => `/api/logs/stats?service=checkout&start=${hourAgo}&end=${endNs}&step=1m`,
    ],
  ];
  const figures: Figure[] = [];
  for (const [name, loki, own] of shapes) {
    const a = await timeRuns((i) => get(loki(i)));
    const b = await timeRuns((i) => get(own(i)));
    log(`  ${name}: Loki p50 ${a.p50.toFixed(1)} ms (own API ${b.p50.toFixed(1)} ms), p99 ${a.p99.toFixed(1)} ms`);
    const goal = 'within 2x of the own API';
    figures.push({
      name: `${name} p50`,
      value: a.p50,
      unit: 'ms',
      baseline: b.p50,
      baselineName: "pivot's own API",
      ratio: a.p50 / b.p50,
      goal,
    });
    figures.push({
      name: `${name} p99`,
      value: a.p99,
      unit: 'ms',
      baseline: b.p99,
      baselineName: "pivot's own API",
      ratio: a.p99 / b.p99,
      goal,
    });
  }
  report(
    'Loki API',
    figures,
    [
      `${CORPUS_ROWS.toLocaleString('en-US')} logs over 2 days, 8 services, 80% with a trace ID (~8 logs per trace); ${RUNS} runs per shape, a different trace each time, through the API app in process.`,
    ],
    RUNS,
  );
} finally {
  await session.close();
  await fresh.drop();
}
