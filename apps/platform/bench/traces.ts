// `npm run bench:traces`: spans/s ingested end to end (OTLP protobuf over HTTP from a separate client
// process, concurrent requests, answered after commit) against two ceilings measured in the same run:
// inserting the same rows into the same tables straight from prepared column buffers, and (PostgreSQL)
// a raw `COPY FROM STDIN` of the same rows, 5,000-row batches on one connection, into a table with only
// a trace-ID and a (service, start) btree. Then the disk bytes per span, everything included, hot (row
// partitions, as ingested) and cold (after the columnar job), beside the raw COPY table's.
import { decodeExportTraceRequest } from '@pivot/otlp';
import { startIngest } from '@pivot/ingest';
import { createLogger, loadConfig } from '@pivot/server-kit';
import {
  PartitionManager,
  SPANS_TABLE,
  convertColdPartitions,
  dayIndexOfNs,
  insertSpanColumns,
  writeSpanColumns,
  toSpanColumns,
} from '@pivot/store';
import { copyBatches, copyCeiling, signalBytes, spanCopyColumns } from '@pivot/store/bench';
import { rowCount } from '@pivot/store/testing';
import {
  REPEAT,
  SCALE,
  freshDatabase,
  median,
  payloadDir,
  cpuBound,
  cpuLine,
  report,
  runLoadClient,
  withCpuSplit,
  type CpuSplit,
} from './harness.ts';
import { encodeExportTraceRequest } from './otlp-encode.ts';
import { makeRequests } from './payloads.ts';

const SPANS_PER_REQUEST = 500; // about what the OTel JS BatchSpanProcessor sends (512)
const REQUESTS = Math.round(300 * SCALE);
const CLIENT_CONCURRENCY = Number(process.env.BENCH_CLIENTS ?? 16);
const BATCH_ITEMS = 5000;
const WRITERS = process.env.DATABASE_URL ? 2 : 1;

const startNs = BigInt(Date.now()) * 1_000_000n;
const batches = makeRequests(REQUESTS, SPANS_PER_REQUEST, startNs);
const payloads = batches.map(encodeExportTraceRequest);
const total = REQUESTS * SPANS_PER_REQUEST;
const files = payloadDir(payloads);
const mb = payloads.reduce((a, p) => a + p.length, 0) / 1e6;
process.stderr.write(`${total} spans in ${REQUESTS} requests (${mb.toFixed(1)} MB protobuf)\n`);

const countSpans = (db: Awaited<ReturnType<typeof freshDatabase>>['db']) => rowCount(db, 'spans');

/**
 * The store's own write path from prepared columns: COPY (what ingest uses on PostgreSQL), or the
 * idempotent unnest() statement a retried batch falls back to (and PGlite always uses).
 */
async function ceilingRun(path: 'copy' | 'unnest' = 'copy'): Promise<number> {
  const f = await freshDatabase();
  try {
    // Prepared outside the timed part: decoded and turned into the writer's column arrays.
    const perFlush = Math.max(1, Math.floor(BATCH_ITEMS / SPANS_PER_REQUEST));
    const groups: ReturnType<typeof toSpanColumns>[] = [];
    for (let i = 0; i < batches.length; i += perFlush)
      groups.push(toSpanColumns(payloads.slice(i, i + perFlush).map((p) => decodeExportTraceRequest(p).resourceSpans)));
    const days = new Set(groups.flatMap((g) => [...g.days]));
    await new PartitionManager(f.db).ensure(SPANS_TABLE, days);
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        while (next < groups.length) {
          const g = groups[next++]!;
          if (path === 'copy') await writeSpanColumns(f.db, g);
          else await f.db.transaction((q) => insertSpanColumns(q, g));
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    if ((await countSpans(f.db)) !== total) throw new Error('ceiling run lost spans');
    return total / seconds;
  } finally {
    await f.drop();
  }
}

/** The raw COPY ceiling: the same span rows as COPY text, 5,000 per batch, prepared before the clock starts. */
async function copyRun(): Promise<{ rowsPerSecond: number; bytesPerRow: number; cpuPerRow: number } | null> {
  const f = await freshDatabase();
  try {
    if (!f.url) return null;
    const cols = spanCopyColumns(toSpanColumns(payloads.map((p) => decodeExportTraceRequest(p).resourceSpans)));
    return await copyCeiling(f.url, 'spans', copyBatches(cols, 5000));
  } finally {
    await f.drop();
  }
}

async function endToEndRun(): Promise<{
  rate: number;
  retries: number;
  hot: number;
  cold: number | null;
  cpu: CpuSplit;
}> {
  const f = await freshDatabase();
  const config = loadConfig({
    HOST: '127.0.0.1',
    INGEST_PORT: '0',
    PORT: '0',
    GRPC_PORT: '0',
    INGEST_BATCH_MAX_ITEMS: String(BATCH_ITEMS),
    ...(f.url ? { DATABASE_URL: f.url } : {}),
  });
  const ingest = await startIngest(config, f.db, createLogger('warn', 'bench'));
  await new PartitionManager(f.db).ensure(SPANS_TABLE, [dayIndexOfNs(startNs), dayIndexOfNs(startNs) + 1]);
  try {
    const { seconds, retries, cpu } = await withCpuSplit(f.db, f.url, () =>
      runLoadClient(files.dir, `${ingest.http.url}/v1/traces`, CLIENT_CONCURRENCY),
    );
    if ((await countSpans(f.db)) !== total) throw new Error('end-to-end run lost spans');
    const hot = (await signalBytes(f.db, 'traces')) / total;
    // Cold: the columnar job as COLD_AFTER=0s runs it once the day is idle (a clock 3 days on).
    const conversion = await convertColdPartitions(f.db, { coldAfterMs: 0, nowMs: Date.now() + 3 * 86_400_000 });
    if ((await countSpans(f.db)) !== total) throw new Error('columnar conversion lost spans');
    const cold = conversion.mode.mode === 'columnar' ? (await signalBytes(f.db, 'traces')) / total : null;
    return { rate: total / seconds, retries, hot, cold, cpu };
  } finally {
    await ingest.close();
    await f.drop();
  }
}

const ceilings: number[] = [];
const unnests: number[] = [];
const copies: number[] = [];
const copyBytes: number[] = [];
const copyCpu: number[] = [];
const e2e: number[] = [];
const hot: number[] = [];
const cold: number[] = [];
const cpus: CpuSplit[] = [];
let retries = 0;
for (let i = 0; i < REPEAT; i++) {
  ceilings.push(await ceilingRun());
  if (process.env.DATABASE_URL) unnests.push(await ceilingRun('unnest'));
  const copy = await copyRun();
  if (copy) {
    copies.push(copy.rowsPerSecond);
    copyBytes.push(copy.bytesPerRow);
    copyCpu.push(copy.cpuPerRow);
  }
  const r = await endToEndRun();
  e2e.push(r.rate);
  cpus.push(r.cpu);
  hot.push(r.hot);
  if (r.cold !== null) cold.push(r.cold);
  retries += r.retries;
  process.stderr.write(
    `run ${i + 1}: ceiling ${Math.round(ceilings[i]!)} spans/s (unnest path ${unnests[i] ? Math.round(unnests[i]) : 'n/a'}), raw COPY ${copy ? Math.round(copy.rowsPerSecond) : 'n/a'} spans/s, end to end ${Math.round(e2e[i]!)} spans/s; ${r.hot.toFixed(0)} B/span hot, ${r.cold?.toFixed(0) ?? 'n/a'} B/span cold; ${cpuLine(r.cpu, total, 'span')}\n`,
  );
}
files.remove();
const c = median(ceilings);
const e = median(e2e);
const bound = copies.length
  ? cpuBound(cpus[e2e.indexOf(e)] ?? cpus[0]!, total, 'span', {
      cpuPerRow: median(copyCpu),
      rowsPerSecond: median(copies),
    })
  : null;
report(
  'Span ingest',
  [
    {
      name: 'span ingest, OTLP protobuf over HTTP, committed',
      value: e,
      unit: 'spans/s',
      baseline: c,
      baselineName: 'direct insert of prepared rows',
      ratio: e / c,
      goal: '≥ 0.8× ceiling',
    },
    ...(unnests.length
      ? [
          {
            name: 'store write path from prepared rows: COPY',
            value: c,
            unit: 'spans/s',
            baseline: median(unnests),
            baselineName: 'the unnest() INSERT … ON CONFLICT path (retries; PGlite)',
            ratio: c / median(unnests),
            goal: 'faster',
          },
        ]
      : []),
    ...(copies.length
      ? [
          {
            name: 'span ingest against the raw COPY ceiling',
            value: e,
            unit: 'spans/s',
            baseline: median(copies),
            baselineName: 'COPY FROM STDIN, 5,000-row batches, 1 connection, trace-ID + (service, start) btrees',
            ratio: e / median(copies),
            goal: '≥ 0.8× COPY',
          },
          bound!.figure,
          {
            name: 'disk per span, hot (row partitions), everything included',
            value: median(hot),
            unit: 'B/span',
            baseline: median(copyBytes),
            baselineName: 'the raw COPY table (heap, TOAST, 2 btrees)',
            ratio: median(hot) / median(copyBytes),
            goal: '≤ 300 B/span',
          },
        ]
      : []),
    ...(cold.length
      ? [
          {
            name: 'disk per span, cold (columnar), everything included',
            value: median(cold),
            unit: 'B/span',
            baseline: median(copyBytes),
            baselineName: 'the raw COPY table (heap, TOAST, 2 btrees)',
            ratio: median(cold) / median(copyBytes),
            goal: '≤ 80 B/span',
          },
        ]
      : []),
  ],
  [
    `${total} spans per run in ${REQUESTS} requests of ${SPANS_PER_REQUEST}, ${CLIENT_CONCURRENCY} concurrent requests from a separate client process; ${WRITERS} writer transaction(s) in flight; ${retries} 429/503 retries.`,
    `End to end, CPU per span of each process and its share of one core over the run (median run; backends: this database's connections, not the WAL writer or checkpointer): ${cpuLine(cpus[e2e.indexOf(e)] ?? cpus[0]!, total, 'span')}.`,
    ...(bound ? [bound.note] : []),
    'Disk per span: spans partitions, trace summaries and operations (heap, TOAST, indexes) over the spans stored; cold after the columnar job converted the day (citus_columnar, sorted by trace ID, no index).',
  ],
);
