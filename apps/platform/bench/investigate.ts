// `npm run bench:investigate`: POST /api/investigate at 1M spans (×BENCH_SCALE), generated in SQL with a
// log line per trace (and a "timed out" ERROR line for the slow ones). The cohort is one service's
// traces of 400 ms or more against the rest of its traces, over 1 h (about 8k traces in the window) and
// over the whole 12 h (100k: both sides hit the 2,000-trace sample bound). Each is timed beside the
// raw ceiling measured in the same run: a count(*) of the same window's spans, nothing grouped.
import { unixNano } from '@pivot/model';
import { startApi } from '@pivot/api';
import { createLogger, loadConfig } from '@pivot/server-kit';
import { countSpansInWindow, generateTraceCorpus, generateTraceLogs } from '@pivot/store/bench';
import { SCALE, freshDatabase, median, report } from './harness.ts';

const SPANS = Math.round(1_000_000 * SCALE);
const RUNS = Number(process.env.BENCH_REPEAT ?? 5);

const f = await freshDatabase();
const now = Date.now();
const corpus = { spans: SPANS, spansPerTrace: 10, nowMs: now };
const t0 = performance.now();
await generateTraceCorpus(f.db, corpus);
await generateTraceLogs(f.db, corpus);
process.stderr.write(`generated ${SPANS} spans and their logs in ${Math.round(performance.now() - t0)} ms\n`);
const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', GRPC_PORT: '0', ...(f.url ? { DATABASE_URL: f.url } : {}) });
const api = await startApi(config, f.db, createLogger('warn', 'bench'));

const nowNs = BigInt(now) * 1_000_000n;
const HOUR = 3_600_000_000_000n;

interface Answer {
  dimensions: { source: string; key: string; value: string; score: number }[];
  sample: { cohort: number; baseline: number };
  matched: { cohort: number; baseline: number };
}

async function investigate(service: string, startNs: bigint, endNs: bigint): Promise<{ ms: number; a: Answer }> {
  const t = performance.now();
  const res = await fetch(`${api.http.url}/api/investigate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      cohort: { service, minDuration: '400ms', start: startNs.toString(), end: endNs.toString() },
    }),
  });
  const a = (await res.json()) as Answer;
  if (res.status !== 200) throw new Error(`investigate: ${res.status} ${JSON.stringify(a)}`);
  return { ms: performance.now() - t, a };
}

async function figure(name: string, hours: bigint) {
  const startNs = nowNs - hours * HOUR - HOUR / 2n;
  const endNs = nowNs - HOUR / 2n;
  const value: number[] = [];
  const baseline: number[] = [];
  let last: Answer | undefined;
  let spans = 0;
  for (let i = 0; i < RUNS; i++) {
    const service = `svc-${i % 8}`;
    const x = await investigate(service, startNs, endNs);
    last = x.a;
    value.push(x.ms);
    const t = performance.now();
    spans = await countSpansInWindow(f.db, unixNano(startNs), unixNano(endNs));
    baseline.push(performance.now() - t);
  }
  const top = last!.dimensions[0];
  return {
    fig: { name, value: median(value), baseline: median(baseline), baselineName: 'count(*) of the window’s spans' },
    note: `${name}: ${spans.toLocaleString('en-US')} spans in the window, matched ${JSON.stringify(last!.matched)}, sampled ${JSON.stringify(last!.sample)}; top row ${top ? `${top.source} ${top.key}=${top.value} (${top.score})` : 'none'}.`,
  };
}

const hour = await figure('investigate, 1 h window', 1n);
const day = await figure('investigate, 12 h window (sample bound)', 12n);
await api.close();
await f.drop();

report(
  'Cohort comparison',
  [hour.fig, day.fig].map((x) => ({ ...x, unit: 'ms', ratio: x.value / x.baseline, goal: '< 2,000 ms' })),
  [
    `${SPANS.toLocaleString('en-US')} spans in traces of 10 over 12 h, one log line per trace and one more per slow trace; cohort: a service's traces ≥ 400 ms, baseline: the rest of its traces in the window. Median of ${RUNS} POST /api/investigate over HTTP (services rotating), each followed by the count(*) baseline.`,
    hour.note,
    day.note,
  ],
  RUNS,
);
