// The caches a replica keeps stay correct when another replica changes the database. Two replicas'
// stores on one database, each with its own pool (on PostgreSQL) and its own caches: partition manager
// (the days it believes exist), span, log and metric writers (the metric writer's known-series set and
// series-ID cache). Replica B drops a day by retention, or makes a day columnar, under A's cached view;
// A's next writes must land, once each, and read back exactly. Separate store instances are what
// separate processes hold: every cache lives in these objects, and none is shared between them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseSpanId,
  parseTraceId,
  unixMillis,
  unixNano,
  type MetricsBatch,
  type ResourceLogs,
  type ResourceSpans,
  type Span,
} from '@pivot/model';
import {
  LogWriter,
  MS_PER_DAY,
  MetricWriter,
  PartitionManager,
  SpanWriter,
  applyRetention,
  convertColdPartitions,
  openDatabase,
  type Database,
} from '@pivot/store';
import {
  chunkGroups,
  logBodyCopies,
  partitionAccessMethods,
  rowCount,
  spanCopies,
  testDatabases,
} from '@pivot/store/testing';

const now = Date.now();
const today = Math.floor(now / MS_PER_DAY);
const dayName = (day: number) => new Date(day * MS_PER_DAY).toISOString().slice(0, 10).replaceAll('-', '');

let seq = 0;
const sid = () => parseSpanId((++seq).toString(16).padStart(16, '0'))!;
const tid = () => parseTraceId((++seq).toString(16).padStart(32, 'a'))!;
function span(name: string, atMs: number, trace = tid(), id = sid()): Span {
  return {
    traceId: trace,
    spanId: id,
    parentSpanId: null,
    traceState: '',
    flags: 1,
    name,
    kind: 2,
    startTimeUnixNano: unixNano(BigInt(atMs) * 1_000_000n),
    endTimeUnixNano: unixNano(BigInt(atMs + 5) * 1_000_000n),
    attributes: {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
  };
}
const spans = (service: string, list: Span[]): ResourceSpans[] => [
  {
    resource: { attributes: { 'service.name': service }, droppedAttributesCount: 0 },
    scopeSpans: [{ scope: { name: 'caches', version: '', attributes: {} }, spans: list }],
  },
];
const logs = (service: string, body: string, atMs: number): ResourceLogs[] => [
  {
    resource: { attributes: { 'service.name': service }, droppedAttributesCount: 0 },
    scopeLogs: [
      {
        scope: { name: 'caches', version: '', attributes: {} },
        logRecords: [
          {
            timeUnixNano: unixNano(BigInt(atMs) * 1_000_000n),
            observedTimeUnixNano: unixNano(BigInt(atMs) * 1_000_000n),
            severityNumber: 9,
            severityText: 'INFO',
            body,
            attributes: {},
            droppedAttributesCount: 0,
            flags: 0,
            traceId: null,
            spanId: null,
            eventName: '',
          },
        ],
      },
    ],
  },
];
const sample = (labels: Record<string, string>, atMs: number, value: number): MetricsBatch => ({
  series: [{ labels, samples: [{ timestampMs: unixMillis(atMs), value }], exemplars: [] }],
  metadata: [],
});

/** One replica's store: its own pool (on PostgreSQL), partition cache and writers. */
interface Replica {
  db: Database;
  partitions: PartitionManager;
  spans: SpanWriter;
  logs: LogWriter;
  metrics: MetricWriter;
}
const replica = (db: Database): Replica => {
  const partitions = new PartitionManager(db);
  return {
    db,
    partitions,
    spans: new SpanWriter(db, partitions),
    logs: new LogWriter(db, partitions),
    metrics: new MetricWriter(db, partitions),
  };
};

describe.each(testDatabases())('replica caches on one database ($name)', (tdb) => {
  let a: Replica;
  let b: Replica;

  beforeAll(async () => {
    const dbA = await tdb.open();
    await dbA.migrate();
    // PGlite is one process's database: there both replicas share its one connection, not their caches.
    a = replica(dbA);
    b = replica(tdb.url ? await openDatabase({ url: tdb.url }) : dbA);
  });
  afterAll(async () => {
    for (const r of [a, b]) await Promise.all([r?.spans.close(), r?.logs.close(), r?.metrics.close()]);
    if (b && b.db !== a?.db) await b.db.close();
    await a?.db.close();
    await tdb.drop();
  });

  it('writes again to a day another replica dropped by retention, for every signal', async () => {
    const old = today - 3;
    const at = old * MS_PER_DAY + 3_600_000;
    await a.spans.write(spans('retained', [span('first', at)]));
    await a.logs.write(logs('retained', 'first', at));
    await a.metrics.write(sample({ __name__: 'kept_total', job: 'a' }, at, 1));
    // Replica B keeps 2 days (its own policy, or its clock ahead): A's day is dropped under A's cache.
    const dropped = await applyRetention(
      b.db,
      b.partitions,
      { traces: 2 * MS_PER_DAY, logs: 2 * MS_PER_DAY, metrics: 2 * MS_PER_DAY },
      now,
    );
    const name = `_p${dayName(old)}`;
    expect(dropped.dropped.traces).toContain(`spans${name}`);
    expect(dropped.dropped.logs).toContain(`logs${name}`);
    expect(dropped.dropped.metrics).toContain(`metric_chunks${name}`);
    expect(await spanCopies(a.db, 'retained')).toEqual([]);

    // A still lists the day; each write recreates it and lands, once.
    const second = span('second', at + 1000);
    await a.spans.write(spans('retained', [second]));
    await a.logs.write(logs('retained', 'second', at + 1000));
    // The series is in A's known-series cache: its row outlived the chunks (retention drops chunks only).
    await a.metrics.write(sample({ __name__: 'kept_total', job: 'a' }, at + 1000, 2));
    expect(await spanCopies(a.db, 'retained')).toEqual([{ traceId: second.traceId, spanId: second.spanId, copies: 1 }]);
    expect(await logBodyCopies(a.db, 'retained')).toEqual([{ body: 'second', copies: 1 }]);
    expect(Object.keys(await partitionAccessMethods(a.db, 'spans'))).toContain(`spans${name}`);
    const oldWindow = Math.floor(at / 7_200_000);
    expect((await chunkGroups(a.db)).filter((g) => g.window === oldWindow).map((g) => g.samples)).toEqual([1]);
    expect(await rowCount(a.db, 'metric_series')).toBe(1);
  });

  it('keeps one series row and one resource row whichever replica writes them first', async () => {
    const at = now - 60_000;
    // Same labels in another order: the same series ID in both replicas' caches.
    await a.metrics.write(sample({ __name__: 'shared_total', zone: 'x', job: 'j' }, at, 1));
    await b.metrics.write(sample({ job: 'j', zone: 'x', __name__: 'shared_total' }, at + 1000, 2));
    await b.metrics.write(sample({ __name__: 'shared_total', zone: 'x', job: 'j' }, at + 2000, 3));
    expect(await rowCount(a.db, 'metric_series')).toBe(2);
    const before = await rowCount(a.db, 'resources');
    await a.spans.write(spans('both', [span('from-a', at)]));
    await b.spans.write(spans('both', [span('from-b', at)]));
    expect(await rowCount(a.db, 'resources')).toBe(before + 1);
    expect((await spanCopies(b.db, 'both')).map((s) => s.copies)).toEqual([1, 1]);
  });

  it.skipIf(tdb.name === 'pglite')(
    'writes to a day another replica made columnar, a retried export adding nothing (skipped on PGlite: no citus_columnar)',
    async () => {
      const day = today - 1;
      const at = day * MS_PER_DAY + 7_200_000;
      const trace = tid();
      const first = span('first', at, trace);
      await a.spans.write(spans('cold', [first]));
      await a.logs.write(logs('cold', 'first', at));
      const converted = await convertColdPartitions(b.db, { coldAfterMs: 1000, nowMs: now });
      if (converted.mode.mode !== 'columnar') {
        console.log(`no columnar conversion here: ${converted.mode.reason}`);
        return;
      }
      expect(converted.converted).toEqual(expect.arrayContaining([`spans_p${dayName(day)}`, `logs_p${dayName(day)}`]));
      expect((await partitionAccessMethods(a.db, 'spans'))[`spans_p${dayName(day)}`]).toBe('columnar');

      // A's cache still lists the day (now a columnar partition of the same name): a late span, and the
      // first one again as a retried export would send it, land once each.
      const late = span('late', at + 5000, trace);
      await a.spans.write(spans('cold', [first, late]));
      await a.logs.write(logs('cold', 'first', at));
      await a.logs.write(logs('cold', 'late', at + 5000));
      expect((await spanCopies(a.db, 'cold')).map((s) => [s.spanId, s.copies]).sort()).toEqual(
        [
          [first.spanId, 1],
          [late.spanId, 1],
        ].sort(),
      );
      expect((await logBodyCopies(a.db, 'cold')).sort((x, y) => x.body.localeCompare(y.body))).toEqual([
        { body: 'first', copies: 1 },
        { body: 'late', copies: 1 },
      ]);
      // And the cached day was not mistaken for a missing one: no other partition appeared for it.
      expect(Object.keys(await partitionAccessMethods(a.db, 'spans')).filter((n) => n.endsWith(dayName(day)))).toEqual([
        `spans_p${dayName(day)}`,
      ]);
    },
  );
});
