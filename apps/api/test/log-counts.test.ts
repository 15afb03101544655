// pivot_log_records_total: the service-graph fold counts log records per service and severity band
// into counter series, and PromQL answers them exactly (PostgreSQL and PGlite).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unixNano, type LogRecord, type ResourceLogs } from '@pivot/model';
import { instantQuery, type Querier } from '@pivot/promql';
import { LogWriter, MetricQueries, PartitionManager, foldServiceGraph, type Database } from '@pivot/store';
import { testDatabases } from '@pivot/store/testing';

const T0 = Date.UTC(2026, 10, 24, 13, 0, 0);
const WAIT = 30_000;
const MS = 1_000_000n;
let seq = 0;

const rec = (atMs: number, severityNumber: number): LogRecord => {
  const t = unixNano(BigInt(atMs) * MS);
  return {
    timeUnixNano: t,
    observedTimeUnixNano: t,
    severityNumber,
    severityText: '',
    body: `line ${++seq}`,
    attributes: {},
    droppedAttributesCount: 0,
    flags: 0,
    traceId: null,
    spanId: null,
    eventName: '',
  };
};
const rl = (service: string, records: LogRecord[]): ResourceLogs[] => [
  {
    resource: { attributes: { 'service.name': service }, droppedAttributesCount: 0 },
    scopeLogs: [{ scope: { name: 't', version: '', attributes: {} }, logRecords: records }],
  },
];
const band = (n: number) =>
  n >= 1 && n <= 24 ? ['trace', 'debug', 'info', 'warn', 'error', 'fatal'][(n - 1) >> 2]! : 'unspecified';

for (const tdb of testDatabases()) {
  describe(`log record counters on ${tdb.name}`, () => {
    let db: Database;
    let partitions: PartitionManager;
    let writer: LogWriter;
    let querier: Querier;
    const fold = (nowMs: number) => foldServiceGraph(db, partitions, nowMs, { waitMs: WAIT, firstLookbackMs: 0 });

    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      partitions = new PartitionManager(db);
      writer = new LogWriter(db, partitions);
      const metrics = new MetricQueries(db);
      querier = { select: (m, a, b, signal) => metrics.select(m, a, b, { signal }) };
      await fold(T0 + WAIT); // the watermark starts at T0
    });
    afterAll(async () => {
      await writer?.close();
      await db?.close();
      await tdb.drop();
    });

    it('counts records per service and severity band, exactly as PromQL answers them', async () => {
      // Every severity number 0–25 for api (a band each, 0 and 25 unspecified), a burst of errors for
      // worker spread over two windows, and one record before the watermark that must not count.
      const api = [...Array.from({ length: 26 }, (_, n) => rec(T0 + 1000 + n * 100, n)), rec(T0 + 95_000, 17)];
      const worker = Array.from({ length: 7 }, (_, i) => rec(T0 + 10_000 + i * 15_000, 17 + (i % 4)));
      await writer.write(rl('api', api));
      await writer.write(rl('worker', [...worker, rec(T0 - 5000, 17)]));
      const expected = new Map<string, number>();
      for (const [service, rs] of [
        ['api', api],
        ['worker', worker],
      ] as const)
        for (const r of rs) {
          const k = `${service}|${band(r.severityNumber)}`;
          expected.set(k, (expected.get(k) ?? 0) + 1);
        }
      const lastMs = T0 + 10_000 + 6 * 15_000; // 100 s: the fold runs two windows (60 s each)
      const r = await fold(lastMs + 1000 + WAIT);
      expect(r.windows).toBe(2);
      const answer = await instantQuery(querier, 'pivot_log_records_total', lastMs + 1000);
      if (answer.resultType !== 'vector') throw new Error(answer.resultType);
      const got = new Map(
        answer.result.map((s) => [`${s.metric.service}|${s.metric.severity}`, Number(s.value[1])] as const),
      );
      expect(got).toEqual(expected);
      expect(got.get('api|unspecified')).toBe(2);
      expect(got.get('worker|error')).toBe(7);

      // An error-log burst as an ordinary rule expression: worker logged 7 errors, api 5
      // (a series gets a sample only in windows that add to it, so both have one at the end here).
      const burst = await instantQuery(
        querier,
        'sum by (service) (increase(pivot_log_records_total{severity="error"}[5m])) > 5',
        lastMs + 1000,
      );
      if (burst.resultType !== 'vector') throw new Error(burst.resultType);
      expect(burst.result.map((s) => s.metric.service)).toEqual(['worker']);
    });
  });
}
