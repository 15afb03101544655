// `npm run bench:servicegraph`: what the service-graph fold costs. (1) Its time per 1k spans, beside
// the raw insert of the same spans into the same tables (the baseline every fold must stay well under,
// since it runs once per span on top of it). (2) Its lag under span-ingest load: OTLP requests from a
// separate client process at full speed while the `servicegraph` job runs every second, sampling how
// far the watermark trails `now − wait`, and how long it takes to fold everything after the load ends.
// (3) The services overview (ServiceStatsQueries.services, the dashboard's default last hour) from the
// rollups after the fold, beside the span scan it ran before (serviceStatsBySpanScan) on the same
// spans, and itself before the fold (when it reads them all as its unfolded tail).
// BENCH_SERVICEGRAPH_LAG=0 skips (2).
import { randomBytes } from 'node:crypto';
import { unixNano, type ResourceSpans, type Span, type SpanId, type TraceId, type UnixNano } from '@pivot/model';
import { startIngest } from '@pivot/ingest';
import { createLogger, loadConfig } from '@pivot/server-kit';
import {
  PartitionManager,
  SPANS_TABLE,
  ServiceGraphQueries,
  ServiceStatsQueries,
  dayIndexOfNs,
  foldServiceGraph,
  insertSpanColumns,
  toSpanColumns,
} from '@pivot/store';
import { serviceStatsBySpanScan, vacuum } from '@pivot/store/bench';
import { REPEAT, SCALE, freshDatabase, median, payloadDir, report, runLoadClient } from './harness.ts';
import { encodeExportTraceRequest } from './otlp-encode.ts';

const TRACES_PER_REQUEST = 64; // 8 spans each: 512 spans, about a BatchSpanProcessor export
const REQUESTS = Math.round(250 * SCALE);
const SPANS = REQUESTS * TRACES_PER_REQUEST * 8;
const WAIT_MS = 10_000;
const LAG = process.env.BENCH_SERVICEGRAPH_LAG !== '0';
const OVERVIEW_RUNS = 7;
const ROUTES = ['/api/checkout', '/api/cart', '/api/items/:id', '/api/price'];

/**
 * Traces of 8 spans over four services: frontend → checkout → (pricing, inventory → PostgreSQL) and a
 * Kafka publish, so the fold pairs across services and names virtual nodes, as in production. Traces
 * end evenly over [startNs, startNs + spreadNs).
 */
function makeTraffic(startNs: bigint, spreadNs: bigint): ResourceSpans[][] {
  const out: ResourceSpans[][] = [];
  const total = REQUESTS * TRACES_PER_REQUEST;
  let n = 0;
  for (let r = 0; r < REQUESTS; r++) {
    const by = new Map<string, Span[]>();
    const push = (service: string, s: Span) => by.set(service, [...(by.get(service) ?? []), s]);
    for (let k = 0; k < TRACES_PER_REQUEST; k++, n++) {
      const t = startNs + (spreadNs * BigInt(n)) / BigInt(total);
      const traceId = randomBytes(16).toString('hex') as TraceId;
      const id = () => randomBytes(8).toString('hex') as SpanId;
      const d = BigInt(5 + ((n * 7919) % 400)) * 1_000_000n;
      const mk = (
        name: string,
        kind: number,
        spanId: SpanId,
        parent: SpanId | null,
        off: bigint,
        dur: bigint,
        attributes: Span['attributes'] = {},
        error = false,
      ): Span => ({
        traceId,
        spanId,
        parentSpanId: parent,
        traceState: '',
        flags: 1,
        name,
        kind,
        startTimeUnixNano: (t - d + off) as UnixNano,
        endTimeUnixNano: (t - d + off + dur) as UnixNano,
        attributes,
        droppedAttributesCount: 0,
        events: [],
        droppedEventsCount: 0,
        links: [],
        droppedLinksCount: 0,
        status: { code: error ? 2 : 0, message: '' },
      });
      const [a, b, c, e, f, g, h, i] = [id(), id(), id(), id(), id(), id(), id(), id()];
      const ms = 1_000_000n;
      push('frontend', mk(`GET ${ROUTES[n % 4]}`, 2, a, null, 0n, d, { 'http.route': ROUTES[n % 4]! }));
      push('frontend', mk('POST checkout', 3, b, a, ms, d - 2n * ms, { 'server.address': 'checkout' }));
      push('checkout', mk('POST /checkout', 2, c, b, 2n * ms, d - 4n * ms, {}, n % 50 === 0));
      push('checkout', mk('GET pricing', 3, e, c, 2n * ms, ms, { 'server.address': 'pricing' }));
      push('pricing', mk('GET /price', 2, f, e, 2n * ms, ms / 2n));
      push('checkout', mk('GET inventory', 3, g, c, 3n * ms, ms, { 'server.address': 'inventory' }));
      push(
        'inventory',
        mk('SELECT stock', 3, h, g, 3n * ms, ms / 2n, { 'db.system': 'postgresql', 'db.namespace': 'shop' }),
      );
      push(
        'checkout',
        mk('orders publish', 4, i, c, 4n * ms, ms / 4n, {
          'messaging.system': 'kafka',
          'messaging.destination.name': 'orders',
        }),
      );
    }
    out.push(
      [...by].map(([service, spans]) => ({
        resource: { attributes: { 'service.name': service }, droppedAttributesCount: 0 },
        scopeSpans: [{ scope: { name: 'bench', version: '', attributes: {} }, spans }],
      })),
    );
  }
  return out;
}

/** The fold's ms per 1k spans, beside the raw insert's, over spans ending 15 s apart per window. */
async function costRun(): Promise<{
  insertMsPer1k: number;
  foldMsPer1k: number;
  requests: number;
  overviewSpanScanMs: number;
  overviewUnfoldedMs: number;
  overviewRollupsMs: number;
}> {
  const f = await freshDatabase();
  try {
    const nowMs = Date.now();
    // Two minutes of traffic, folded in the job's 15-second windows.
    const startNs = BigInt(nowMs - 3 * 60_000) * 1_000_000n;
    const batches = makeTraffic(startNs, 120_000_000_000n);
    const groups = batches.map((b) => toSpanColumns([b]));
    const partitions = new PartitionManager(f.db);
    await partitions.ensure(SPANS_TABLE, [dayIndexOfNs(startNs) - 1, dayIndexOfNs(startNs), dayIndexOfNs(startNs) + 1]);
    // The watermark starts where the traffic does, so the fold reads exactly it.
    await foldServiceGraph(f.db, partitions, Number(startNs / 1_000_000n) - 60_000 + WAIT_MS, {
      waitMs: WAIT_MS,
      firstLookbackMs: 0,
    });
    const t0 = performance.now();
    for (const g of groups) await f.db.transaction((q) => insertSpanColumns(q, g));
    const insertMs = performance.now() - t0;
    // The overview of the last hour, as the dashboard asks for it, median of OVERVIEW_RUNS.
    const stats = new ServiceStatsQueries(f.db);
    const endNs = BigInt(nowMs) * 1_000_000n;
    const w = { startNs: unixNano(endNs - 3_600_000_000_000n), endNs: unixNano(endNs), stepNs: 120_000_000_000n };
    const timed = async (fn: () => Promise<number>) => {
      const times: number[] = [];
      let requests = 0;
      for (let i = 0; i < OVERVIEW_RUNS; i++) {
        const t = performance.now();
        requests = await fn();
        times.push(performance.now() - t);
      }
      return { ms: median(times), requests };
    };
    const overview = () => timed(async () => (await stats.services(w)).total?.requests ?? 0);
    // Nothing folded yet: the overview reads every request from the spans, as its unfolded tail.
    const unfolded = await overview();
    const t1 = performance.now();
    const r = await foldServiceGraph(f.db, partitions, nowMs, {
      waitMs: WAIT_MS,
      maxWindowMs: 15_000,
      maxWindowsPerRun: 1000,
    });
    const foldMs = performance.now() - t1;
    if (r.spans !== SPANS) throw new Error(`fold saw ${r.spans} of ${SPANS} spans`);
    // Statistics as autovacuum would have them on a live table (the fold's timing above is without).
    await vacuum(f.db, 'spans', 'analyze');
    const fromRollups = await overview();
    const spanScan = await timed(() => serviceStatsBySpanScan(f.db, w));
    // 3 entry (SERVER) spans per trace, whichever way they are read.
    const counts = [unfolded.requests, fromRollups.requests, spanScan.requests];
    if (counts.some((n) => n !== (SPANS / 8) * 3))
      throw new Error(
        `overview requests (unfolded, rollups, span scan): ${counts.join(', ')}; want ${(SPANS / 8) * 3}`,
      );
    return {
      insertMsPer1k: (insertMs / SPANS) * 1000,
      foldMsPer1k: (foldMs / SPANS) * 1000,
      requests: r.requests,
      overviewSpanScanMs: spanScan.ms,
      overviewUnfoldedMs: unfolded.ms,
      overviewRollupsMs: fromRollups.ms,
    };
  } finally {
    await f.drop();
  }
}

/** Ingest at full speed with the fold every second; the watermark's lag behind now − wait, sampled. */
async function lagRun(
  insertMsPer1k: number,
): Promise<{ rate: number; lagMedianMs: number; lagMaxMs: number; catchUpMs: number; folded: number }> {
  const f = await freshDatabase();
  const config = loadConfig({
    HOST: '127.0.0.1',
    INGEST_PORT: '0',
    PORT: '0',
    GRPC_PORT: '0',
    SERVICEGRAPH_WAIT_MS: String(WAIT_MS),
    SERVICEGRAPH_INTERVAL_MS: '1000',
    ...(f.url ? { DATABASE_URL: f.url } : {}),
  });
  // Spans end from now on, over about as long as the load takes (measured spans/s of the raw insert
  // would be the ceiling; the span bench ingests at about half of it end to end).
  // Spans end over about as long as ingesting them takes (end to end runs at roughly half the raw
  // insert here), so that they arrive close to when they end, as live traffic does.
  const spreadMs = Math.max(10_000, Math.round((SPANS / 1000) * insertMsPer1k * 2));
  const startNs = BigInt(Date.now() + 2000) * 1_000_000n;
  const files = payloadDir(makeTraffic(startNs, BigInt(spreadMs) * 1_000_000n).map(encodeExportTraceRequest));
  const ingest = await startIngest(config, f.db, createLogger('warn', 'bench'));
  const graph = new ServiceGraphQueries(f.db);
  const lags: number[] = [];
  let loading = true;
  const sampler = (async () => {
    while (loading) {
      const wm = await graph.foldedToMs();
      const due = Date.now() - WAIT_MS;
      // From when the fold first reaches the load's spans: before that it catches up on empty history.
      if (wm >= Number(startNs / 1_000_000n)) lags.push(Math.max(0, due - wm));
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  try {
    const { seconds } = await runLoadClient(files.dir, `${ingest.http.url}/v1/traces`, 16);
    const lastEndMs = Number(startNs / 1_000_000n) + spreadMs;
    // Until the fold has passed the last span (which waits WAIT_MS after it ends, by design).
    const t0 = Date.now();
    const readyAt = Math.max(t0, lastEndMs + WAIT_MS);
    while ((await graph.foldedToMs()) < lastEndMs) await new Promise((r) => setTimeout(r, 100));
    const catchUpMs = Math.max(0, Date.now() - readyAt);
    loading = false;
    await sampler;
    // Every span must be folded: one that arrived after its window was folded would be missing here.
    const folded = (
      await graph.propagation({
        startNs: unixNano(startNs - 120_000_000_000n),
        endNs: unixNano(BigInt(Date.now()) * 1_000_000n),
      })
    ).services.reduce((a, r) => a + r.spans, 0);
    return {
      folded,
      rate: SPANS / seconds,
      lagMedianMs: lags.length ? median(lags) : NaN,
      lagMaxMs: lags.length ? Math.max(...lags) : NaN,
      catchUpMs,
    };
  } finally {
    loading = false;
    files.remove();
    await ingest.close();
    await f.drop();
  }
}

const costs: Awaited<ReturnType<typeof costRun>>[] = [];
const lags: Awaited<ReturnType<typeof lagRun>>[] = [];
for (let i = 0; i < REPEAT; i++) {
  costs.push(await costRun());
  const c = costs[i]!;
  process.stderr.write(
    `run ${i + 1}: insert ${c.insertMsPer1k.toFixed(1)} ms/1k, fold ${c.foldMsPer1k.toFixed(1)} ms/1k; overview ${c.overviewRollupsMs.toFixed(1)} ms from rollups, ${c.overviewUnfoldedMs.toFixed(1)} ms unfolded, span scan ${c.overviewSpanScanMs.toFixed(1)} ms\n`,
  );
  if (!LAG) continue;
  lags.push(await lagRun(c.insertMsPer1k));
  const l = lags[i]!;
  process.stderr.write(
    `run ${i + 1}: ingest ${Math.round(l.rate)} spans/s, lag median ${l.lagMedianMs} ms max ${l.lagMaxMs} ms, catch-up ${l.catchUpMs} ms\n`,
  );
}
const ins = median(costs.map((c) => c.insertMsPer1k));
const fold = median(costs.map((c) => c.foldMsPer1k));
const rate = median(lags.map((l) => l.rate));
const lagMed = median(lags.map((l) => l.lagMedianMs));
const lagMax = median(lags.map((l) => l.lagMaxMs));
const catchUp = median(lags.map((l) => l.catchUpMs));
const ovSpans = median(costs.map((c) => c.overviewSpanScanMs));
const ovUnfolded = median(costs.map((c) => c.overviewUnfoldedMs));
const ovRollups = median(costs.map((c) => c.overviewRollupsMs));
report(
  'Service graph fold',
  [
    {
      name: 'service-graph fold, per 1k spans',
      value: fold,
      unit: 'ms',
      baseline: ins,
      baselineName: 'raw insert of the same spans',
      ratio: fold / ins,
      goal: '≤ 1× the insert (keeps up with ingest)',
    },
    {
      name: 'services overview (last hour) from the rollups',
      value: ovRollups,
      unit: 'ms',
      baseline: ovSpans,
      baselineName: 'the span scan it replaced, same spans',
      ratio: ovRollups / ovSpans,
      goal: '< 1× the span scan',
    },
    ...(LAG
      ? [
          {
            name: 'fold lag behind now − wait under span-ingest load (median sample)',
            value: lagMed,
            unit: 'ms',
            baseline: 1000,
            baselineName: 'the job interval',
            ratio: lagMed / 1000,
            goal: '≤ 2× the interval',
          },
        ]
      : []),
  ],
  [
    `${SPANS} spans per run (traces of 8 spans over 4 services, ${TRACES_PER_REQUEST * 8} spans per request). Cost: spans ending over 2 minutes, folded in 15-second windows (${Math.round(median(costs.map((c) => c.requests)))} edge requests). Overview: ServiceStatsQueries.services over the last hour in 2-minute steps, median of ${OVERVIEW_RUNS} calls per run, after the fold, beside the span scan it replaced (exact percentile_cont) on the same spans (${(SPANS / 8) * 3} requests); before the fold, when it reads them all as its unfolded tail, it took ${ovUnfolded.toFixed(1)} ms. ${LAG ? `Lag: ${Math.round(rate)} spans/s ingested from 16 concurrent requests with the job every second (wait ${WAIT_MS / 1000} s); largest lag sample ${lagMax} ms; after the load the fold passed the last span ${catchUp} ms after it was due, having folded ${Math.min(...lags.map((l) => l.folded))} of ${SPANS} spans (fewest of the runs).` : 'Lag not measured (BENCH_SERVICEGRAPH_LAG=0).'}`,
  ],
);
