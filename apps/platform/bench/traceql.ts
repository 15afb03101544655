// `npm run bench:traceql`: TraceQL search through the Tempo API at 1M spans (×BENCH_SCALE), generated
// in SQL. Each TraceQL query is timed beside a peer measured in the same run on the same data: the
// same question asked of pivot's Jaeger-style /api/traces (service + minDuration, attr.k=v), and, for
// a regex (decided in JavaScript over SQL-narrowed candidates), the same set written as an exact OR.
import { startApi } from '@pivot/api';
import { createLogger, loadConfig } from '@pivot/server-kit';
import { generateTraceCorpus } from '@pivot/store/bench';
import { SCALE, freshDatabase, median, report } from './harness.ts';

const SPANS = Math.round(1_000_000 * SCALE);
const RUNS = 40;

const f = await freshDatabase();
const now = Date.now();
await generateTraceCorpus(f.db, { spans: SPANS, spansPerTrace: 10, nowMs: now });
const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', GRPC_PORT: '0', ...(f.url ? { DATABASE_URL: f.url } : {}) });
const api = await startApi(config, f.db, createLogger('warn', 'bench'));
const range = `start=${Math.floor(now / 1000) - 13 * 3600}&end=${Math.ceil(now / 1000)}`;

async function time(path: string): Promise<{ ms: number; n: number }> {
  const t = performance.now();
  const res = await fetch(`${api.http.url}${path}`);
  const body = (await res.json()) as { traces?: unknown[] };
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
  return { ms: performance.now() - t, n: body.traces!.length };
}

/** Median ms of each of two paths, run alternately so both see the same cache state. */
async function pair(q: (i: number) => string, peer: (i: number) => string) {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const x = await time(q(i));
    const y = await time(peer(i));
    if (x.n !== y.n) throw new Error(`${q(i)} found ${x.n} traces, ${peer(i)} found ${y.n}`);
    a.push(x.ms);
    b.push(y.ms);
  }
  return { value: median(a), baseline: median(b) };
}

const tq = (traceql: string) => `/tempo/api/search?q=${encodeURIComponent(traceql)}&limit=20&spss=3&${range}`;
const figures = [];
const svc = (i: number) => `svc-${i % 8}`;
const byService = await pair(
  (i) => tq(`{resource.service.name="${svc(i)}" && traceDuration>=400ms}`),
  (i) => `/api/traces?service=${svc(i)}&minDuration=400ms&limit=20&${range}`,
);
figures.push({ name: 'service + trace duration', ...byService, baselineName: '/api/traces?service&minDuration' });
const byAttr = await pair(
  (i) => tq(`{span.http.route="/api/${i % 50}"}`),
  (i) => `/api/traces?attr.http.route=/api/${i % 50}&limit=20&${range}`,
);
figures.push({ name: 'span attribute equality', ...byAttr, baselineName: '/api/traces?attr.k=v' });
const regex = await pair(
  (i) => tq(`{span.http.route=~"/api/(${i % 50}|${(i + 7) % 50})"}`),
  (i) => tq(`{span.http.route="/api/${i % 50}" || span.http.route="/api/${(i + 7) % 50}"}`),
);
figures.push({ name: 'attribute regex (RE2, decided in JS)', ...regex, baselineName: 'the same set as an exact OR' });
const rare = await pair(
  () => tq(`{status=error && name="SELECT orders" && span.user.id=~"9.."}`),
  () => tq(`{status=error && name="SELECT orders" && span.user.id=-1}`),
);
// Nothing matches either: the regex pages through every candidate in the range, the exact query
// lets SQL prove it with one statement.
figures.push({ name: 'no match, regex (pages through candidates)', ...rare, baselineName: 'no match, exact SQL' });
await api.close();
await f.drop();

report(
  'TraceQL search',
  figures.map((x) => ({ ...x, unit: 'ms', ratio: x.value / x.baseline, goal: 'interactive (< 1 s)' })),
  [
    `${SPANS.toLocaleString('en-US')} spans in traces of 10 over 12 h; medians of ${RUNS} searches each (limit 20, spss 3) over HTTP, alternating with the peer; both must find the same number of traces.`,
  ],
  RUNS,
);
