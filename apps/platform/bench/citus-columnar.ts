// `npm run bench:citus-columnar`: a cold day on the Citus cluster (CITUS_URL, default :5433) before and
// after the columnar job, in the same run: disk bytes per span and per log (every shard placement, plus
// citus_columnar's metadata on the workers once converted) against the same day's row partitions, trace
// by ID p50 on the columnar day against the same traces on the row day, and the longest stall of a trace
// lookup running through the conversion (the parent's exclusive lock at the swap) against its median.
import type { TraceId } from '@pivot/model';
import { TraceQueries, convertColdPartitions, openDatabase } from '@pivot/store';
import { citusDayBytes, generateLogMix, generateTraceCorpus, randomTraceIds, vacuum } from '@pivot/store/bench';
import { createCitusScratchDatabase, rowCount } from '@pivot/store/testing';
import { SCALE, median, report, type Figure } from './harness.ts';

const CITUS_URL = process.env.CITUS_URL ?? 'postgres://postgres@127.0.0.1:5433/postgres';
// The report's header names the driver from DATABASE_URL: the target here is a server.
process.env.DATABASE_URL ??= CITUS_URL;
const SHARDS = Number(process.env.BENCH_CITUS_SHARDS ?? 32);
const SPANS = Math.round(200_000 * SCALE);
const LOGS = Math.round(100_000 * SCALE);
const LOOKUPS = 200;
const DAY_MS = 86_400_000;

async function lookups(traces: TraceQueries, ids: TraceId[]): Promise<number> {
  const ms: number[] = [];
  for (const id of ids) {
    const t0 = performance.now();
    const got = await traces.getTrace(id);
    ms.push(performance.now() - t0);
    if (!got?.spans.length) throw new Error(`trace ${id} not found`);
  }
  return median(ms);
}

const scratch = await createCitusScratchDatabase(CITUS_URL, SHARDS);
const db = await openDatabase({ url: scratch.url, statementTimeoutMs: 600_000 });
try {
  await db.migrate();
  // Yesterday's last 12 hours: one day, cold as soon as the job runs (COLD_AFTER=0).
  const nowMs = Math.floor(Date.now() / DAY_MS) * DAY_MS - 1000;
  await generateTraceCorpus(db, { spans: SPANS, spansPerTrace: 10, nowMs });
  await generateLogMix(db, { rows: LOGS, nowMs });
  const spans = await rowCount(db, 'spans');
  const day = new Date(nowMs).toISOString().slice(0, 10).replaceAll('-', '');
  const logs = await rowCount(db, 'logs');
  await vacuum(db, 'spans', 'analyze');
  await vacuum(db, 'logs', 'analyze');
  const rowSpan = (await citusDayBytes(db, 'spans', false)) / spans;
  const rowLog = (await citusDayBytes(db, 'logs', false)) / logs;

  const traces = new TraceQueries(db);
  const ids = await randomTraceIds(db, LOOKUPS);
  await lookups(traces, ids.slice(0, 20));
  const hot = await lookups(traces, ids);

  // A reader through the conversion: its longest lookup is the stall the swap's lock causes.
  let stop = false;
  const probe: number[] = [];
  const reader = (async () => {
    while (!stop) {
      const t0 = performance.now();
      await traces.getTrace(ids[0]!);
      probe.push(performance.now() - t0);
    }
  })();
  const t0 = performance.now();
  const conversion = await convertColdPartitions(db, { coldAfterMs: 0, nowMs: Date.now() });
  const convertS = (performance.now() - t0) / 1000;
  stop = true;
  await reader;
  if (conversion.mode.mode !== 'columnar' || !conversion.converted.includes(`logs_p${day}`))
    throw new Error(`conversion: ${JSON.stringify(conversion)}`);
  if ((await rowCount(db, 'spans')) !== spans || (await rowCount(db, 'logs')) !== logs)
    throw new Error('the conversion lost rows');
  const colSpan = (await citusDayBytes(db, 'spans', true)) / spans;
  const colLog = (await citusDayBytes(db, 'logs', true)) / logs;
  await lookups(traces, ids.slice(0, 20));
  const cold = await lookups(traces, ids);

  const fig = (name: string, v: number, b: number, unit: string, baselineName: string, goal: string): Figure => ({
    name,
    value: v,
    unit,
    baseline: b,
    baselineName,
    ratio: v / b,
    goal,
  });
  report(
    'Columnar cold days on Citus',
    [
      fig('bytes per span, columnar day', colSpan, rowSpan, 'B', 'row day', 'a fraction of the row day'),
      fig('bytes per log, columnar day', colLog, rowLog, 'B', 'row day', 'a fraction of the row day'),
      fig('trace by ID p50, columnar day', cold, hot, 'ms', 'row day', '≤ 2× the row day'),
      fig(
        'longest trace lookup during the conversion',
        Math.max(...probe),
        median(probe),
        'ms',
        'its median',
        'no long stall',
      ),
    ],
    [
      `Citus 13.2.2, coordinator and two workers on one machine, ${SHARDS} shards. ${spans} spans (10 per trace) and ${logs} logs on one day, converted by the columnar job in ${convertS.toFixed(1)} s (${probe.length} lookups ran meanwhile); ${LOOKUPS} trace lookups through the store, the same IDs before and after.`,
    ],
    1,
  );
} finally {
  await db.close();
  await scratch.drop();
}
