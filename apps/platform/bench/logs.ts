// `npm run bench:logs`:
//  1. logs/s ingested end to end (NDJSON and OTLP protobuf over HTTP from a separate client process,
//     answered after commit) against the ceiling of inserting the same rows from prepared column arrays
//     with the writer's own insert, and (PostgreSQL) against a raw `COPY FROM STDIN` of the same rows
//     (5,000-row batches, one connection, a table with only trace-ID and (service, time) btrees), in the
//     same run; with the disk bytes per log, hot and after the columnar job, beside the raw COPY table's;
//  2. query latency (p50/p99) on a corpus of 1M logs (10M with BENCH_SCALE=10), generated in SQL: logs by
//     trace ID, the logs of a trace, and full-text search, through the API app;
//  3. the full-text index choice: pg_trgm GIN against tsvector GIN, built on a scratch copy of the same
//     corpus, for word and substring queries (index size, build time, query ms).
import { decodeExportLogsRequest } from '@pivot/otlp';
import { decodeNdjson } from '@pivot/logformats';
import { startIngest } from '@pivot/ingest';
import { createApiApp } from '@pivot/api';
import { createLogger, loadConfig } from '@pivot/server-kit';
import {
  LOGS_TABLE,
  LogQueries,
  PartitionManager,
  TraceQueries,
  buildLogBlocks,
  convertColdPartitions,
  forgetLogBlocks,
  logBlockBytes,
  dayIndexOfNs,
  insertLogColumns,
  writeLogColumns,
  toLogColumns,
  type Database,
} from '@pivot/store';
import {
  BulkSession,
  FULL_TEXT_INDEXES,
  FullTextScratch,
  HOT_INDEXES,
  HOT_KEYS,
  buildLogCorpus,
  copyBatches,
  copyCeiling,
  indexCosts,
  logCopyColumns,
  orderIdFragments,
  sampledTraceIds,
  signalBytes,
  vacuum,
} from '@pivot/store/bench';
import { rowCount } from '@pivot/store/testing';
import type { ResourceLogs } from '@pivot/model';
import { encodeLogs, type TLog } from '@pivot/otlp/testing';
import {
  REPEAT,
  SCALE,
  cpuBound,
  cpuLine,
  freshDatabase,
  median,
  payloadDir,
  report,
  runLoadClient,
  withCpuSplit,
  type CpuSplit,
  type Figure,
} from './harness.ts';
import type { IndexVariant } from '@pivot/store/bench';

const RECORDS_PER_REQUEST = 500; // about what the OTel JS BatchLogRecordProcessor sends (512)
const REQUESTS = Number(process.env.BENCH_LOG_REQUESTS ?? 200);
const CLIENT_CONCURRENCY = Number(process.env.BENCH_CLIENTS ?? 16);
const BATCH_ITEMS = 5000;
const WRITERS = process.env.DATABASE_URL ? 2 : 1;
const CORPUS_ROWS = Math.round(1_000_000 * SCALE);
const QUERY_RUNS = Number(process.env.BENCH_QUERY_RUNS ?? 200);
const NS_PER_MS = 1_000_000n;

const SERVICES = ['frontend', 'checkout', 'cart', 'payment', 'inventory', 'shipping', 'auth', 'search'];
const log = (msg: string) => process.stderr.write(`${msg}\n`);

// ---------------------------------------------------------------------------------------------------
// 1. Ingest

/** A small deterministic PRNG (mulberry32), so every run sends the same corpus. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface BenchLog {
  timeMs: number;
  level: 'info' | 'warn' | 'error' | 'debug';
  msg: string;
  traceId: string;
  spanId: string;
  route: string;
  userId: number;
}

const LEVELS = { debug: [5, 20], info: [9, 30], warn: [13, 40], error: [17, 50] } as const;

/** Realistic service logs: requests, orders, payments, cache misses, retries; each in a trace. */
function makeLogRequests(): { service: string; logs: BenchLog[] }[] {
  const rnd = prng(42);
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('');
  const out: { service: string; logs: BenchLog[] }[] = [];
  let t = Date.now() - 3_600_000;
  for (let r = 0; r < REQUESTS; r++) {
    const logs: BenchLog[] = [];
    let traceId = hex(32);
    for (let i = 0; i < RECORDS_PER_REQUEST; i++) {
      if (i % 8 === 0) traceId = hex(32);
      t += 1;
      const order = `ORD-${hex(8).toUpperCase()}`;
      const ms = Math.floor(rnd() * 900) + 3;
      const user = Math.floor(rnd() * 100_000);
      const k = Math.floor(rnd() * 8);
      const [level, msg] = (
        [
          ['info', `GET /api/orders/${order} 200 in ${ms}ms`],
          ['info', `order ${order} placed by user ${user} (${(ms % 7) + 1} items)`],
          ['warn', `payment declined for order ${order}: insufficient funds`],
          ['debug', `cache miss for key product:${user}, loading from database`],
          [
            'error',
            `connection reset by peer while calling inventory-${ms % 5}:8080, retrying (attempt ${(ms % 3) + 1})`,
          ],
          ['info', `user ${user} signed in from 10.${ms % 256}.${user % 256}.7`],
          ['warn', `slow query on orders took ${ms}ms: SELECT * FROM orders WHERE customer_id = $1`],
          ['info', `shipment SHP-${hex(6)} for order ${order} handed to courier`],
        ] as const
      )[k]!;
      logs.push({ timeMs: t, level, msg, traceId, spanId: hex(16), route: `/api/r${k}`, userId: user });
    }
    out.push({ service: SERVICES[r % SERVICES.length]!, logs });
  }
  return out;
}

/** As pino writes them (with the OpenTelemetry pino instrumentation's trace fields). */
function toNdjson(req: { service: string; logs: BenchLog[] }): Uint8Array {
  const lines = req.logs.map((l) =>
    JSON.stringify({
      level: LEVELS[l.level][1],
      time: l.timeMs,
      pid: 4242,
      hostname: `${req.service}-0`,
      service: req.service,
      msg: l.msg,
      trace_id: l.traceId,
      span_id: l.spanId,
      trace_flags: '01',
      'http.route': l.route,
      'user.id': l.userId,
    }),
  );
  return Buffer.from(lines.join('\n') + '\n');
}

/** As the OpenTelemetry JS log exporter sends them. */
function toOtlp(req: { service: string; logs: BenchLog[] }): Uint8Array {
  const items: TLog[] = req.logs.map((l) => ({
    time: BigInt(l.timeMs) * NS_PER_MS,
    observed: BigInt(l.timeMs) * NS_PER_MS,
    severityNumber: LEVELS[l.level][0],
    severityText: l.level.toUpperCase(),
    body: l.msg,
    attributes: { 'http.route': l.route, 'user.id': { int: l.userId } },
    flags: 1,
    traceId: l.traceId,
    spanId: l.spanId,
  }));
  return encodeLogs([
    {
      attributes: { 'service.name': req.service, 'host.name': `${req.service}-0` },
      scopes: [{ name: 'app', version: '1.0.0', items }],
    },
  ]);
}

const countLogs = (db: Database) => rowCount(db, 'logs');

interface Format {
  name: string;
  path: string;
  contentType: string;
  payloads: Uint8Array[];
  decode(p: Uint8Array): ResourceLogs[];
}

/** The store's write path from prepared columns: COPY (ingest on PostgreSQL) or the idempotent unnest() one. */
async function ceilingRun(f: Format, total: number, path: 'copy' | 'unnest' = 'copy'): Promise<number> {
  const fresh = await freshDatabase();
  try {
    // Prepared outside the timed part: decoded and turned into the writer's column arrays.
    const perFlush = Math.max(1, Math.floor(BATCH_ITEMS / RECORDS_PER_REQUEST));
    const groups: ReturnType<typeof toLogColumns>[] = [];
    for (let i = 0; i < f.payloads.length; i += perFlush)
      groups.push(toLogColumns(f.payloads.slice(i, i + perFlush).map((p) => f.decode(p))));
    await new PartitionManager(fresh.db).ensure(LOGS_TABLE, new Set(groups.flatMap((g) => [...g.days])));
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        while (next < groups.length) {
          const g = groups[next++]!;
          if (path === 'copy') await writeLogColumns(fresh.db, g);
          else await fresh.db.transaction((q) => insertLogColumns(q, g));
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    if ((await countLogs(fresh.db)) !== total) throw new Error(`${f.name} ceiling run lost logs`);
    return total / seconds;
  } finally {
    await fresh.drop();
  }
}

/** The raw COPY ceiling: the same log rows as COPY text, 5,000 per batch, prepared before the clock starts. */
async function copyRun(f: Format): Promise<{ rowsPerSecond: number; bytesPerRow: number; cpuPerRow: number } | null> {
  const fresh = await freshDatabase();
  try {
    if (!fresh.url) return null;
    const cols = logCopyColumns(toLogColumns(f.payloads.map((p) => f.decode(p))));
    return await copyCeiling(fresh.url, 'logs', copyBatches(cols, 5000));
  } finally {
    await fresh.drop();
  }
}

async function endToEndRun(
  f: Format,
  total: number,
  dir: string,
  startNs: bigint,
): Promise<{ rate: number; retries: number; hot: number; cold: number | null; cpu: CpuSplit }> {
  const fresh = await freshDatabase();
  const config = loadConfig({
    HOST: '127.0.0.1',
    INGEST_PORT: '0',
    PORT: '0',
    GRPC_PORT: '0',
    INGEST_BATCH_MAX_ITEMS: String(BATCH_ITEMS),
    ...(fresh.url ? { DATABASE_URL: fresh.url } : {}),
  });
  const ingest = await startIngest(config, fresh.db, createLogger('warn', 'bench'));
  await new PartitionManager(fresh.db).ensure(LOGS_TABLE, [dayIndexOfNs(startNs), dayIndexOfNs(startNs) + 1]);
  try {
    const { seconds, retries, cpu } = await withCpuSplit(fresh.db, fresh.url, () =>
      runLoadClient(dir, `${ingest.http.url}${f.path}`, CLIENT_CONCURRENCY, f.contentType),
    );
    const n = await countLogs(fresh.db);
    if (n !== total) throw new Error(`${f.name} end-to-end run stored ${n} of ${total} logs`);
    const hot = (await signalBytes(fresh.db, 'logs')) / total;
    // Cold: the columnar job as COLD_AFTER=0s runs it once the day is idle (a clock 3 days on).
    const conversion = await convertColdPartitions(fresh.db, { coldAfterMs: 0, nowMs: Date.now() + 3 * 86_400_000 });
    if ((await countLogs(fresh.db)) !== total) throw new Error(`${f.name}: columnar conversion lost logs`);
    // Everything a cold day costs: the columnar tables, their share of the extension's metadata, the block summaries.
    const cold =
      conversion.mode.mode === 'columnar'
        ? ((await signalBytes(fresh.db, 'logs')) + (await logBlockBytes(fresh.db))) / total
        : null;
    return { rate: total / seconds, retries, hot, cold, cpu };
  } finally {
    await ingest.close();
    await fresh.drop();
  }
}

/**
 * What each hot log index costs the write (BENCH_INDEX_COSTS=1, PostgreSQL): the same rows COPYed, 5,000
 * per batch on one connection, into a table with that index alone, beside the heap alone and the raw
 * COPY ceiling's two btrees; a GIN with a pending list has its cleanup timed apart (the upkeep job's).
 */
async function indexCostNotes(f: Format): Promise<string[]> {
  const fresh = await freshDatabase();
  try {
    if (!fresh.url) return [];
    const cols = logCopyColumns(toLogColumns(f.payloads.map((p) => f.decode(p))));
    const rows = cols[0]!.length;
    const variants: IndexVariant[] = [
      { name: 'heap alone', indexes: [] },
      {
        name: 'raw COPY ceiling (trace + (service, time) btrees)',
        indexes: ['btree (trace_id)', 'btree (service_name, time_ns)'],
      },
      { name: `key (${HOT_KEYS.logs})`, indexes: [`btree (${HOT_KEYS.logs})`] },
      ...HOT_INDEXES.logs!.map((i) => ({ name: i.suffix, indexes: [i.using] })),
      {
        name: 'all hot indexes and the key',
        indexes: [`btree (${HOT_KEYS.logs})`, ...HOT_INDEXES.logs!.map((i) => i.using)],
        cleanGin: true,
      },
      ...(process.env.BENCH_INDEX_VARIANTS ?? '')
        .split(';')
        .filter(Boolean)
        .map((v) => ({ name: v, indexes: v.split('|'), cleanGin: true })),
    ];
    log(`index costs: ${rows} ${f.name} rows, ${variants.length} layouts`);
    const costs = await indexCosts(fresh.url, 'logs', copyBatches(cols, BATCH_ITEMS), variants);
    const heap = costs[0]!.copySeconds;
    const us = (s: number) => ((s * 1e6) / rows).toFixed(1);
    const lines = costs.map(
      (c) =>
        `| ${c.name} | ${us(c.copySeconds)} µs | ${us(c.copySeconds - heap)} µs | ${c.afterSeconds > 0.001 ? `${us(c.afterSeconds)} µs` : ''} | ${c.indexBytesPerRow.toFixed(0)} B |`,
    );
    for (const l of lines) log(`  ${l}`);
    return [
      '',
      `Index costs (${f.name}, ${rows} rows, COPY in ${BATCH_ITEMS}-row batches on one connection into a table with only that layout's indexes; medians of 3 interleaved rounds):`,
      '',
      '| layout | COPY per row | over the heap alone | deferred cleanup per row | index bytes per row |',
      '|---|---|---|---|---|',
      ...lines,
    ];
  } finally {
    await fresh.drop();
  }
}

async function ingestFigures(): Promise<{ figures: Figure[]; notes: string[] }> {
  const requests = makeLogRequests();
  const total = REQUESTS * RECORDS_PER_REQUEST;
  const startNs = BigInt(requests[0]!.logs[0]!.timeMs) * NS_PER_MS;
  const formats: Format[] = [
    {
      name: 'NDJSON',
      path: '/api/v1/logs',
      contentType: 'application/x-ndjson',
      payloads: requests.map(toNdjson),
      decode: (p) => decodeNdjson(p).resourceLogs,
    },
    {
      name: 'OTLP protobuf',
      path: '/v1/logs',
      contentType: 'application/x-protobuf',
      payloads: requests.map(toOtlp),
      decode: (p) => decodeExportLogsRequest(p).resourceLogs,
    },
  ];
  const figures: Figure[] = [];
  const notes: string[] = [];
  for (const f of formats) {
    const mb = f.payloads.reduce((a, p) => a + p.length, 0) / 1e6;
    log(`${f.name}: ${total} logs in ${REQUESTS} requests (${mb.toFixed(1)} MB)`);
    const files = payloadDir(f.payloads);
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
    try {
      for (let i = 0; i < REPEAT; i++) {
        ceilings.push(await ceilingRun(f, total));
        if (process.env.DATABASE_URL) unnests.push(await ceilingRun(f, total, 'unnest'));
        const copy = await copyRun(f);
        if (copy) {
          copies.push(copy.rowsPerSecond);
          copyBytes.push(copy.bytesPerRow);
          copyCpu.push(copy.cpuPerRow);
        }
        const r = await endToEndRun(f, total, files.dir, startNs);
        e2e.push(r.rate);
        cpus.push(r.cpu);
        hot.push(r.hot);
        if (r.cold !== null) cold.push(r.cold);
        retries += r.retries;
        log(
          `  run ${i + 1}: ceiling ${Math.round(ceilings[i]!)} logs/s (unnest path ${unnests[i] ? Math.round(unnests[i]) : 'n/a'}), raw COPY ${copy ? Math.round(copy.rowsPerSecond) : 'n/a'} logs/s, end to end ${Math.round(e2e[i]!)} logs/s; ${r.hot.toFixed(0)} B/log hot, ${r.cold?.toFixed(0) ?? 'n/a'} B/log cold; ${cpuLine(r.cpu, total, 'log')}`,
        );
      }
    } finally {
      files.remove();
    }
    if (process.env.BENCH_INDEX_COSTS && f === formats[0]) notes.push(...(await indexCostNotes(f)));
    if (!e2e.length) continue; // BENCH_REPEAT=0: the index costs alone
    const c = median(ceilings);
    const e = median(e2e);
    notes.push(
      `${f.name} end to end, CPU per log of each process and its share of one core over the run (median run; backends: this database's connections): ${cpuLine(cpus[e2e.indexOf(e)] ?? cpus[0]!, total, 'log')}.`,
    );
    if (unnests.length)
      figures.push({
        name: `store write path from prepared rows, ${f.name}: COPY`,
        value: c,
        unit: 'logs/s',
        baseline: median(unnests),
        baselineName: 'the unnest() INSERT … ON CONFLICT path (retries; PGlite)',
        ratio: c / median(unnests),
        goal: 'faster',
      });
    figures.push({
      name: `log ingest, ${f.name} over HTTP, committed`,
      value: e,
      unit: 'logs/s',
      baseline: c,
      baselineName: 'direct insert of prepared rows',
      ratio: e / c,
      goal: '≥ 0.8× ceiling',
    });
    if (copies.length) {
      const copy = median(copies);
      const copyB = median(copyBytes);
      const bound = cpuBound(cpus[e2e.indexOf(e)] ?? cpus[0]!, total, 'log', {
        cpuPerRow: median(copyCpu),
        rowsPerSecond: copy,
      });
      figures.push({ ...bound.figure, name: `${bound.figure.name}, ${f.name}` });
      notes.push(`${f.name}: ${bound.note}`);
      figures.push(
        {
          name: `log ingest, ${f.name}, against the raw COPY ceiling`,
          value: e,
          unit: 'logs/s',
          baseline: copy,
          baselineName: 'COPY FROM STDIN, 5,000-row batches, 1 connection, trace-ID + (service, time) btrees',
          ratio: e / copy,
          goal: '≥ 0.8× COPY',
        },
        {
          name: `disk per log, hot (row partitions), everything included (${f.name})`,
          value: median(hot),
          unit: 'B/log',
          baseline: copyB,
          baselineName: 'the raw COPY table (heap, TOAST, 2 btrees)',
          ratio: median(hot) / copyB,
          goal: '',
        },
      );
      if (cold.length)
        figures.push({
          name: `disk per log, cold (columnar), everything included (${f.name})`,
          value: median(cold),
          unit: 'B/log',
          baseline: copyB,
          baselineName: 'the raw COPY table (heap, TOAST, 2 btrees)',
          ratio: median(cold) / copyB,
          goal: '≤ 60 B/log',
        });
    }
    notes.push(
      `${f.name}: ${total} logs per run in ${REQUESTS} requests of ${RECORDS_PER_REQUEST} (${mb.toFixed(1)} MB), ${CLIENT_CONCURRENCY} concurrent requests from a separate client process; ${WRITERS} writer transaction(s) in flight; ${retries} 429/503 retries.`,
    );
  }
  return { figures, notes };
}

// ---------------------------------------------------------------------------------------------------
// 2. Query corpus

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

async function timeRuns(runs: number, one: (i: number) => Promise<void>): Promise<{ p50: number; p99: number }> {
  await one(0); // warm the plan and the cache for this shape
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await one(i + 1);
    ms.push(performance.now() - t0);
  }
  return { p50: percentile(ms, 50), p99: percentile(ms, 99) };
}

// ---------------------------------------------------------------------------------------------------
// 3. Full-text index comparison

interface FtsResult {
  index: string;
  sizeMb: number;
  buildSeconds: number;
  queries: Record<string, { p50: number; p99: number; rows: number }>;
}

async function compareFullText(session: BulkSession, orderIds: string[]): Promise<FtsResult[]> {
  const scratch = await FullTextScratch.create(session);
  const runs = Math.max(5, Math.floor(QUERY_RUNS / 10));
  const out: FtsResult[] = [];
  for (const index of FULL_TEXT_INDEXES) {
    const t0 = performance.now();
    await scratch.buildIndex(index);
    const buildSeconds = (performance.now() - t0) / 1000;
    const sizeBytes = await scratch.indexBytes();
    const queries: FtsResult['queries'] = {};
    const measure = async (
      name: string,
      match: (i: number) => Parameters<FullTextScratch['query']>[1],
      mode: 'newest' | 'count',
      n = runs,
    ) => {
      let rows = 0;
      const t = await timeRuns(n, async (i) => {
        rows = await scratch.query(index, match(i), mode);
      });
      queries[name] = { ...t, rows };
      log(`  ${index}: ${name} p50 ${t.p50.toFixed(1)} ms, p99 ${t.p99.toFixed(1)} ms (${rows} rows)`);
    };
    await measure('common word, newest 100', () => ({ word: 'declined' }), 'newest');
    await measure('common word, count all', () => ({ word: 'declined' }), 'count', 3);
    await measure('rare word, newest 100', () => ({ word: 'quota' }), 'newest');
    await measure(
      'order ID substring, newest 100',
      (i) => ({ substring: orderIds[i % orderIds.length]! }),
      'newest',
      index === 'pg_trgm GIN' ? runs : 3,
    );
    out.push({ index, sizeMb: sizeBytes / 1e6, buildSeconds, queries });
    await scratch.dropIndex();
  }
  log(`  scratch table: ${((await scratch.tableBytes()) / 1e6).toFixed(0)} MB`);
  await scratch.drop();
  return out;
}

async function queryFigures(): Promise<{ figures: Figure[]; notes: string[] }> {
  const fresh = await freshDatabase();
  const session = await BulkSession.open(fresh.db, fresh.url);
  try {
    log(`query corpus: ${CORPUS_ROWS} logs`);
    await buildLogCorpus(session, { rows: CORPUS_ROWS, services: SERVICES, progress: log });
    const db = fresh.db;
    const app = createApiApp({
      logger: createLogger('silent', 'bench'),
      traces: new TraceQueries(db),
      logs: { queries: new LogQueries(db) },
      ready: () => db.ping(),
    });
    const traceIds = await sampledTraceIds(db, QUERY_RUNS + 1);
    // Fragments from inside real order IDs (6 of their 8 hex digits), each matching about one log.
    const orderIds = await orderIdFragments(db, CORPUS_ROWS, QUERY_RUNS + 1);
    const get = async (path: string, expectRows: boolean) => {
      const res = await app.request(path);
      const body = (await res.json()) as { logs: unknown[] };
      if (res.status !== 200 || (expectRows && body.logs.length === 0))
        throw new Error(`${path}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
    };
    const api: [string, string, (i: number) => string, boolean][] = [
      ['logs by trace ID', '/api/logs?traceId=', (i) => `/api/logs?traceId=${traceIds[i % traceIds.length]}`, true],
      ['logs of a trace', '/api/traces/{id}/logs', (i) => `/api/traces/${traceIds[i % traceIds.length]}/logs`, true],
      ['full-text word', '/api/logs?q=declined', () => '/api/logs?q=declined', true],
      ['full-text rare word', '/api/logs?q=quota', () => '/api/logs?q=quota', true],
      [
        'full-text order ID substring',
        '/api/logs?q=<6 hex of an order ID>',
        (i) => `/api/logs?q=${orderIds[i % orderIds.length]}`,
        true,
      ],
      [
        'full-text phrase and exclusion',
        '/api/logs?q="connection reset" -inventory-3',
        () => `/api/logs?q=${encodeURIComponent('"connection reset" -inventory-3')}`,
        true,
      ],
      // Worst case: no log matches, so every candidate the trigram index yields (1 in 8 logs) is checked.
      [
        'full-text with no match',
        '/api/logs?q="payment declined" -funds',
        () => `/api/logs?q=${encodeURIComponent('"payment declined" -funds')}`,
        false,
      ],
      [
        'service and severity',
        '/api/logs?service=payment&severity=warn',
        () => '/api/logs?service=payment&severity=warn',
        true,
      ],
    ];
    const figures: Figure[] = [];
    const notes: string[] = [];
    type Timing = Record<string, { p50: number; p99: number }>;
    // `layout` prefixes the figures of the later passes, on the same corpus made columnar; `against`
    // (the cold pass without block summaries) is their baseline instead of the budget.
    const timeApi = async (layout: string, fewer: number, against?: Timing, record = true): Promise<Timing> => {
      const out: Timing = {};
      for (const [name, shape, path, expectRows] of api) {
        const runs = name.includes('no match')
          ? 3
          : name.startsWith('full-text')
            ? Math.max(3, Math.floor(QUERY_RUNS / 4 / fewer))
            : Math.max(3, Math.floor(QUERY_RUNS / fewer));
        const t = await timeRuns(runs, (i) => get(path(i), expectRows));
        out[name] = t;
        log(`  ${layout}${name}: p50 ${t.p50.toFixed(1)} ms, p99 ${t.p99.toFixed(1)} ms`);
        if (!record) continue;
        const goal = name.includes('trace')
          ? '< 50 ms at 10M (p99)'
          : layout && name.startsWith('full-text')
            ? '< 2 s over 24 h at 10M'
            : '< 50 ms (interactive)';
        const base = against?.[name];
        if (base) {
          figures.push(
            {
              name: `${layout}${name} p50 (${shape})`,
              value: t.p50,
              unit: 'ms',
              baseline: base.p50,
              baselineName: 'the same, cold without block summaries',
              ratio: t.p50 / base.p50,
              goal,
            },
            {
              name: `${layout}${name} p99 (${shape})`,
              value: t.p99,
              unit: 'ms',
              baseline: base.p99,
              baselineName: 'the same, cold without block summaries',
              ratio: t.p99 / base.p99,
              goal,
            },
          );
          continue;
        }
        figures.push({
          name: `${layout}${name} p50 (${shape})`,
          value: t.p50,
          unit: 'ms',
          baseline: 50,
          baselineName: 'budget',
          ratio: t.p50 / 50,
          goal,
        });
        figures.push({
          name: `${layout}${name} p99 (${shape})`,
          value: t.p99,
          unit: 'ms',
          baseline: 50,
          baselineName: 'budget',
          ratio: t.p99 / 50,
          goal,
        });
      }
      return out;
    };
    const hot = await timeApi('', 1);
    const hotBytes = (await signalBytes(db, 'logs')) / CORPUS_ROWS;
    notes.push(
      `Queries: ${CORPUS_ROWS.toLocaleString('en-US')} logs over 2 days (2-3 day partitions), 8 services, 80% with a trace ID (~10 logs per trace), through the API app in process (routing, SQL, JSON; no socket); ${QUERY_RUNS} runs for trace lookups with a different trace each time, fewer for full-text.`,
    );

    const fts = process.env.BENCH_SKIP_FTS ? null : await compareFullText(session, orderIds);
    if (fts) {
      log('full-text index comparison on a scratch copy of the corpus');
      const [trgm, tsv] = fts as [FtsResult, FtsResult];
      for (const q of Object.keys(trgm.queries)) {
        const a = trgm.queries[q]!;
        const b = tsv.queries[q]!;
        figures.push({
          name: `FTS scratch: ${q}, pg_trgm p50`,
          value: a.p50,
          unit: 'ms',
          baseline: b.p50,
          baselineName: tsv.index,
          ratio: a.p50 / b.p50,
          goal: 'choose by the numbers',
        });
      }
      figures.push({
        name: 'FTS scratch: index size, pg_trgm',
        value: trgm.sizeMb,
        unit: 'MB',
        baseline: tsv.sizeMb,
        baselineName: tsv.index,
        ratio: trgm.sizeMb / tsv.sizeMb,
        goal: 'choose by the numbers',
      });
      notes.push(
        '',
        `Full-text index comparison, scratch table of the same ${CORPUS_ROWS.toLocaleString('en-US')} bodies (plus a time index), queries as the API runs them (newest 100 matches) and a count of all matches:`,
        '',
        `| index | size | build | ${Object.keys(trgm.queries).join(' | ')} |`,
        `|---|---|---|${Object.keys(trgm.queries)
          .map(() => '---')
          .join('|')}|`,
        ...fts.map(
          (r) =>
            `| ${r.index} | ${r.sizeMb.toFixed(0)} MB | ${r.buildSeconds.toFixed(1)} s | ${Object.values(r.queries)
              .map((q) => `${q.p50.toFixed(1)} / ${q.p99.toFixed(1)} ms (${q.rows})`)
              .join(' | ')} |`,
        ),
        '',
        'Cells: p50 / p99 (rows returned or counted). tsvector cannot answer a substring inside a token (an order ID fragment): that query falls back to an unindexed ILIKE.',
      );
    }

    // The same queries once the corpus's days are cold: columnar, sorted by trace ID, no index.
    const conversion = await convertColdPartitions(db, { coldAfterMs: 0, nowMs: Date.now() + 3 * 86_400_000 });
    if (conversion.mode.mode === 'columnar') {
      log(`made columnar: ${conversion.converted.join(', ')}`);
      await vacuum(db, 'logs', 'analyze');
      // The baseline first: the cold days read whole, as before block summaries (and as a raw scan).
      await forgetLogBlocks(db);
      // BENCH_SKIP_COLD_SCAN=1 skips it (at 10M it takes longer than the rest); the budget is then the baseline.
      const scan = process.env.BENCH_SKIP_COLD_SCAN
        ? undefined
        : await timeApi('cold, no block summaries: ', 8, undefined, false);
      const t0 = performance.now();
      await buildLogBlocks(db);
      const buildSeconds = (performance.now() - t0) / 1000;
      const blockBytes = (await logBlockBytes(db)) / CORPUS_ROWS;
      const coldBytes = (await signalBytes(db, 'logs')) / CORPUS_ROWS + blockBytes;
      log(`block summaries: built in ${buildSeconds.toFixed(1)} s, ${blockBytes.toFixed(2)} B/log`);
      log(`bytes per log, everything included: hot ${hotBytes.toFixed(1)}, cold ${coldBytes.toFixed(1)}`);
      const cold = await timeApi('cold (columnar): ', 1, scan);
      figures.push({
        name: 'disk per log of the query corpus, everything included, cold (columnar, block summaries included)',
        value: coldBytes,
        unit: 'B/log',
        baseline: hotBytes,
        baselineName: 'the same logs hot (row partitions and their indexes)',
        ratio: coldBytes / hotBytes,
        goal: '≤ 60 B/log',
      });
      const cell = (t: { p50: number; p99: number } | undefined) =>
        t ? `${t.p50.toFixed(t.p50 < 100 ? 1 : 0)} / ${t.p99.toFixed(t.p99 < 100 ? 1 : 0)} ms` : '';
      notes.push(
        '',
        `Hot and cold side by side (${CORPUS_ROWS.toLocaleString('en-US')} logs; p50 / p99 through the API):`,
        '',
        '| query | hot | cold, every chunk group read | cold, block summaries |',
        '|---|---|---|---|',
        ...api.map(
          ([name, shape]) =>
            `| ${name} (\`${shape}\`) | ${cell(hot[name])} | ${cell(scan?.[name])} | ${cell(cold[name])} |`,
        ),
        `| bytes per log, everything included | ${hotBytes.toFixed(0)} B | | ${coldBytes.toFixed(1)} B (summaries ${blockBytes.toFixed(1)} B) |`,
      );
      figures.push({
        name: 'cold log block summaries, bytes per log (blooms, ranges, sets)',
        value: blockBytes,
        unit: 'B/log',
        baseline: 8,
        baselineName: 'budget',
        ratio: blockBytes / 8,
        goal: '≤ 8 B/log',
      });
      notes.push(
        '',
        `Cold: the same queries after the columnar job converted every day of the corpus (citus_columnar, sorted by time), as many runs, against the same cold queries with the block summaries dropped (an eighth of the runs; every chunk group read). Building the summaries took ${buildSeconds.toFixed(1)} s for ${CORPUS_ROWS.toLocaleString('en-US')} logs.`,
      );
    }
    return { figures, notes };
  } finally {
    await session.close();
    await fresh.drop();
  }
}

const ingest = process.env.BENCH_SKIP_INGEST ? { figures: [], notes: [] } : await ingestFigures();
const queries = process.env.BENCH_SKIP_QUERIES ? { figures: [], notes: [] } : await queryFigures();
report('Log ingest and queries', [...ingest.figures, ...queries.figures], [...ingest.notes, '', ...queries.notes]);
