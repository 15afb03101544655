// `npm run bench:queries`: trace lookups at 1M spans (×BENCH_SCALE), generated in SQL: trace by ID and
// trace search through the HTTP API, p50 and p99 over repeated runs; the baseline is the same lookup
// as one SQL statement in the same database, so the ratio is what the API adds.
import { sql } from 'drizzle-orm';
import { startApi } from '@pivot/api';
import { createLogger, loadConfig } from '@pivot/server-kit';
import { PartitionManager, SPANS_TABLE, dayIndexOfMs } from '@pivot/store';
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
await new PartitionManager(f.db).ensure(SPANS_TABLE, [dayIndexOfMs(now) - 1, dayIndexOfMs(now)]);
const t0 = performance.now();
// Trace i has 10 spans over the last 12 h; 1% of traces have an error; services rotate over 8 names.
await f.db.query(sql`
  INSERT INTO spans (start_ns, trace_id, span_id, parent_span_id, duration_ns, service_name, name, kind, status_code,
    status_message, trace_state, flags, resource_id, scope_id, attributes, events, links,
    dropped_attributes_count, dropped_events_count, dropped_links_count)
  SELECT (${now}::bigint - 43200000 + (t * 43200000::bigint / ${TRACES})) * 1000000 + s * 1000000,
    md5(t::text)::uuid, t * 16 + s + 1, CASE WHEN s = 0 THEN NULL ELSE t * 16 + 1 END,
    (CASE WHEN s = 0 THEN 20 + (t % 500) ELSE 1 + (t % 17) END) * 1000000,
    'svc-' || ((t + s) % 8), CASE WHEN s = 0 THEN 'GET /api/' || (t % 50) ELSE 'SELECT orders' END,
    CASE WHEN s = 0 THEN 2 ELSE 3 END, CASE WHEN t % 100 = 0 AND s = 1 THEN 2 ELSE 0 END,
    '', '', 1, 1, 1, jsonb_build_object('http.route', '/api/' || (t % 50), 'user.id', t % 1000), NULL, NULL, 0, 0, 0
  FROM generate_series(0, ${TRACES - 1}) t, generate_series(0, ${SPANS_PER_TRACE - 1}) s`);
await f.db.query(sql`
  INSERT INTO traces (trace_id, start_ns, end_ns, root_service, root_name, span_count, error_count, services)
  SELECT trace_id, min(start_ns), max(start_ns + duration_ns),
    (array_agg(service_name) FILTER (WHERE parent_span_id IS NULL))[1], (array_agg(name) FILTER (WHERE parent_span_id IS NULL))[1],
    count(*), count(*) FILTER (WHERE status_code = 2), array_agg(DISTINCT service_name)
  FROM spans GROUP BY trace_id`);
await f.db.query(
  sql`INSERT INTO span_operations SELECT DISTINCT service_name, name, kind FROM spans ON CONFLICT DO NOTHING`,
);
await f.db.query(sql`ANALYZE`);
process.stderr.write(
  `${SPANS} spans in ${TRACES} traces generated in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`,
);

const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', GRPC_PORT: '0', ...(f.url ? { DATABASE_URL: f.url } : {}) });
const api = await startApi(config, f.db, createLogger('warn', 'bench'));
const ids = (
  await f.db.query<{ id: string }>(
    sql`SELECT replace(trace_id::text, '-', '') AS id FROM traces ORDER BY random() LIMIT ${RUNS}`,
  )
).map((r) => r.id);

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const byIdApi: number[] = [];
const byIdSql: number[] = [];
for (const id of ids) {
  byIdApi.push(
    await timeIt(async () => {
      const res = await fetch(`${api.http.url}/api/traces/${id}`);
      if (res.status !== 200) throw new Error(`trace ${id}: ${res.status}`);
      await res.arrayBuffer();
    }),
  );
  byIdSql.push(await timeIt(() => f.db.query(sql`SELECT * FROM spans WHERE trace_id = ${id}::uuid`)));
}
const searchApi: number[] = [];
const searchSql: number[] = [];
for (let i = 0; i < 50; i++) {
  const svc = `svc-${i % 8}`;
  searchApi.push(
    await timeIt(async () => {
      const res = await fetch(`${api.http.url}/api/traces?service=${svc}&minDuration=400ms&limit=20`);
      await res.arrayBuffer();
    }),
  );
  searchSql.push(
    await timeIt(() =>
      f.db.query(
        sql`SELECT trace_id FROM traces WHERE services @> ARRAY[${svc}]::text[] AND end_ns - start_ns >= 400000000 ORDER BY start_ns DESC LIMIT 20`,
      ),
    ),
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
report(
  'Trace queries',
  [
    fig(`trace by ID p50 at ${SPANS / 1e6}M spans`, byIdApi, byIdSql, 0.5, 'p99 < 50 ms at 10M'),
    fig(`trace by ID p99 at ${SPANS / 1e6}M spans`, byIdApi, byIdSql, 0.99, 'p99 < 50 ms at 10M'),
    fig(`trace search p50 at ${SPANS / 1e6}M spans`, searchApi, searchSql, 0.5, 'interactive'),
    fig(`trace search p99 at ${SPANS / 1e6}M spans`, searchApi, searchSql, 0.99, 'interactive'),
  ],
  [
    `${RUNS} random trace IDs (10 spans each, fetched as full JSON over HTTP) and 50 searches (service + minDuration over 12 h, limit 20).`,
  ],
);
