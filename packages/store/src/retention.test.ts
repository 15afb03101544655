import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import {
  parseSpanId,
  parseTraceId,
  unixMillis,
  unixNano,
  type LogRecord,
  type MetricsBatch,
  type ResourceLogs,
  type ResourceSpans,
  type TraceId,
} from '@pivot/model';
import {
  LOGS_TABLE,
  LogWriter,
  METRIC_CHUNKS_TABLE,
  METRIC_EXEMPLARS_TABLE,
  MS_PER_DAY,
  MetricWriter,
  PartitionManager,
  SPANS_TABLE,
  SpanWriter,
  TraceQueries,
  applyRetention,
  formatRetention,
  type Database,
} from './index.ts';
import { testDatabases } from './testing.ts';

// "Now" is noon on a fixed day, so day boundaries are easy to reason about.
const NOW = Date.UTC(2026, 2, 10, 12, 0, 0);
const DAY = MS_PER_DAY;
const OLD = NOW - 10 * DAY; // 10 days ago: beyond a 7-day retention
const RECENT = NOW - 2 * DAY; // 2 days ago: kept
const EDGE = NOW - 7 * DAY - 13 * 3_600_000; // 7.5 days ago, but its day ends 7 days ago minus 1 h: dropped
const EDGE_KEPT = NOW - 7 * DAY + 3_600_000; // on the day that is only partly older than 7 days: kept

const OLD_TRACE = parseTraceId('0af7651916cd43dd8448eb211c80319c')!;
const NEW_TRACE = parseTraceId('4bf92f3577b34da6a3ce929d0e0e4736')!;
const ns = (ms: number) => BigInt(ms) * 1_000_000n;

function spans(traceId: TraceId, ms: number): ResourceSpans[] {
  return [
    {
      resource: { attributes: { 'service.name': 'checkout' }, droppedAttributesCount: 0 },
      scopeSpans: [
        {
          scope: { name: 's', version: '', attributes: {} },
          spans: [
            {
              traceId,
              spanId: parseSpanId('00f067aa0ba902b7')!,
              parentSpanId: null,
              traceState: '',
              flags: 1,
              name: 'GET /',
              kind: 2,
              startTimeUnixNano: unixNano(ns(ms)),
              endTimeUnixNano: unixNano(ns(ms) + 1_000_000n),
              attributes: {},
              droppedAttributesCount: 0,
              events: [],
              droppedEventsCount: 0,
              links: [],
              droppedLinksCount: 0,
              status: { code: 0, message: '' },
            },
          ],
        },
      ],
    },
  ];
}

function logs(ms: number, body: string): ResourceLogs[] {
  const rec: LogRecord = {
    timeUnixNano: unixNano(ns(ms)),
    observedTimeUnixNano: unixNano(ns(ms)),
    severityNumber: 9,
    severityText: 'INFO',
    body,
    attributes: {},
    droppedAttributesCount: 0,
    flags: 0,
    traceId: null,
    spanId: null,
    eventName: '',
  };
  return [
    {
      resource: { attributes: { 'service.name': 'checkout' }, droppedAttributesCount: 0 },
      scopeLogs: [{ scope: { name: 'l', version: '', attributes: {} }, logRecords: [rec] }],
    },
  ];
}

function samples(ms: number): MetricsBatch {
  return {
    series: [
      {
        labels: { __name__: 'latency_bucket', le: '1' },
        samples: [{ timestampMs: unixMillis(ms), value: 1 }],
        exemplars: [
          {
            labels: { trace_id: NEW_TRACE },
            value: 0.5,
            timestampMs: unixMillis(ms),
            traceId: NEW_TRACE,
            spanId: null,
          },
        ],
      },
    ],
    metadata: [],
  };
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');

for (const tdb of testDatabases()) {
  describe(`retention on ${tdb.name}`, () => {
    let db: Database;
    let partitions: PartitionManager;
    let spanWriter: SpanWriter;
    let logWriter: LogWriter;
    let metricWriter: MetricWriter;
    const names = async (table: typeof SPANS_TABLE) => (await partitions.list(table)).map((p) => p.name);
    const count = async (table: string) =>
      Number((await db.query<{ n: string }>(sql`SELECT count(*) AS n FROM ${sql.identifier(table)}`))[0]!.n);

    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      partitions = new PartitionManager(db);
      spanWriter = new SpanWriter(db, partitions);
      logWriter = new LogWriter(db, partitions);
      metricWriter = new MetricWriter(db, partitions);
      for (const ms of [OLD, EDGE, EDGE_KEPT, RECENT]) {
        await logWriter.write(logs(ms, `at ${ms}`));
        await metricWriter.write(samples(ms));
      }
      await spanWriter.write(spans(OLD_TRACE, OLD));
      await spanWriter.write(spans(NEW_TRACE, RECENT));
    });
    afterAll(async () => {
      await Promise.all([spanWriter?.close(), logWriter?.close(), metricWriter?.close()]);
      await db?.close();
      await tdb.drop();
    });

    it('keeps everything when the retention is 0', async () => {
      const r = await applyRetention(db, partitions, { traces: 0, logs: 0, metrics: 0 }, NOW);
      expect(r).toEqual({ dropped: { traces: [], logs: [], metrics: [] }, tracesDeleted: 0 });
      expect(await count('logs')).toBe(4);
    });

    it("drops the partitions of whole days older than each signal's retention and keeps the newer ones", async () => {
      const r = await applyRetention(db, partitions, { traces: 7 * DAY, logs: 7 * DAY, metrics: 30 * DAY }, NOW);
      expect(r.dropped.traces).toEqual([`spans_p${dayOf(OLD)}`]);
      expect(r.dropped.logs.sort()).toEqual([`logs_p${dayOf(OLD)}`, `logs_p${dayOf(EDGE)}`]);
      expect(r.dropped.metrics).toEqual([]);
      expect(r.tracesDeleted).toBe(1);

      expect(await names(SPANS_TABLE)).toEqual([`spans_p${dayOf(RECENT)}`]);
      expect(await names(LOGS_TABLE)).toEqual([`logs_p${dayOf(EDGE_KEPT)}`, `logs_p${dayOf(RECENT)}`]);
      expect((await names(METRIC_CHUNKS_TABLE)).length).toBe(4);
      expect((await names(METRIC_EXEMPLARS_TABLE)).length).toBe(4);
      expect(await count('logs')).toBe(2);

      // The old trace is gone entirely, summary included; the new one is untouched.
      const traces = new TraceQueries(db);
      expect(await traces.getTrace(OLD_TRACE)).toBeNull();
      expect((await traces.getTrace(NEW_TRACE))?.spans.length).toBe(1);
      expect((await traces.search({ limit: 10, attributes: [] })).map((t) => t.traceId)).toEqual([NEW_TRACE]);
    });

    it('is idempotent, and metrics go by their own retention', async () => {
      const r = await applyRetention(db, partitions, { traces: 7 * DAY, logs: 7 * DAY, metrics: 5 * DAY }, NOW);
      expect(r.dropped.traces).toEqual([]);
      expect(r.dropped.logs).toEqual([]);
      expect(r.dropped.metrics.sort()).toEqual([
        `metric_chunks_p${dayOf(OLD)}`,
        `metric_chunks_p${dayOf(EDGE)}`,
        `metric_chunks_p${dayOf(EDGE_KEPT)}`,
        `metric_exemplars_p${dayOf(OLD)}`,
        `metric_exemplars_p${dayOf(EDGE)}`,
        `metric_exemplars_p${dayOf(EDGE_KEPT)}`,
      ]);
      expect(await names(METRIC_CHUNKS_TABLE)).toEqual([`metric_chunks_p${dayOf(RECENT)}`]);
    });

    it('lets a late write recreate a dropped day, even when another process dropped it', async () => {
      // A second manager stands for another process (the API's "run retention now").
      const other = new PartitionManager(db);
      await logWriter.write(logs(EDGE_KEPT + 60_000, 'late'));
      await applyRetention(db, other, { traces: 0, logs: 6 * DAY, metrics: 0 }, NOW);
      expect(await names(LOGS_TABLE)).toEqual([`logs_p${dayOf(RECENT)}`]);
      // The writer's manager still believes the day exists until its own run forgets it.
      await applyRetention(db, partitions, { traces: 0, logs: 6 * DAY, metrics: 0 }, NOW);
      await logWriter.write(logs(EDGE_KEPT + 120_000, 'later'));
      expect(await count('logs')).toBe(2);
    });
  });
}

describe('formatRetention', () => {
  it('writes a retention as it is configured', () => {
    expect(formatRetention(7 * DAY)).toBe('7d');
    expect(formatRetention(36 * 3_600_000)).toBe('36h');
    expect(formatRetention(90 * 60_000)).toBe('90m');
    expect(formatRetention(0)).toBe('0');
  });
});
