// GET /api/status on every driver: disk use and rows per signal and table, partitions, retention.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpanId, parseTraceId, unixMillis, unixNano, type ResourceLogs, type ResourceSpans } from '@pivot/model';
import { createLogger } from '@pivot/server-kit';
import {
  LogWriter,
  MetricWriter,
  PartitionManager,
  SpanWriter,
  StatusQueries,
  TraceQueries,
  type Database,
} from '@pivot/store';
import { testDatabases } from '@pivot/store/testing';
import { createApiApp } from '../src/app.ts';
import type { Status } from '../src/status.ts';

const DAY = 86_400_000;
const NOW = Date.now();
const ns = (ms: number) => BigInt(ms) * 1_000_000n;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function spans(n: number, ms: number): ResourceSpans[] {
  return [
    {
      resource: { attributes: { 'service.name': 'checkout' }, droppedAttributesCount: 0 },
      scopeSpans: [
        {
          scope: { name: 's', version: '', attributes: {} },
          spans: Array.from({ length: n }, (_, i) => ({
            traceId: parseTraceId((ms + i).toString(16).padStart(32, 'c'))!,
            spanId: parseSpanId((i + 1).toString(16).padStart(16, '0'))!,
            parentSpanId: null,
            traceState: '',
            flags: 1,
            name: 'GET /',
            kind: 2,
            startTimeUnixNano: unixNano(ns(ms + i)),
            endTimeUnixNano: unixNano(ns(ms + i + 5)),
            attributes: { i },
            droppedAttributesCount: 0,
            events: [],
            droppedEventsCount: 0,
            links: [],
            droppedLinksCount: 0,
            status: { code: 0, message: '' },
          })),
        },
      ],
    },
  ];
}
const logs = (ms: number, n: number): ResourceLogs[] => [
  {
    resource: { attributes: { 'service.name': 'checkout' }, droppedAttributesCount: 0 },
    scopeLogs: [
      {
        scope: { name: 'l', version: '', attributes: {} },
        logRecords: Array.from({ length: n }, (_, i) => ({
          timeUnixNano: unixNano(ns(ms + i)),
          observedTimeUnixNano: unixNano(ns(ms + i)),
          severityNumber: 9,
          severityText: 'INFO',
          body: `line ${i}`,
          attributes: {},
          droppedAttributesCount: 0,
          flags: 0,
          traceId: null,
          spanId: null,
          eventName: '',
        })),
      },
    ],
  },
];

for (const tdb of testDatabases()) {
  describe(`GET /api/status on ${tdb.name}`, () => {
    let db: Database;
    let app: ReturnType<typeof createApiApp>;
    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      const partitions = new PartitionManager(db);
      const spanWriter = new SpanWriter(db, partitions);
      const logWriter = new LogWriter(db, partitions);
      const metricWriter = new MetricWriter(db, partitions);
      await spanWriter.write(spans(30, NOW - 3 * DAY));
      await spanWriter.write(spans(10, NOW));
      await logWriter.write(logs(NOW - 20 * DAY, 5));
      await logWriter.write(logs(NOW, 7));
      await metricWriter.write({
        series: [
          {
            labels: { __name__: 'up', job: 'a' },
            samples: [{ timestampMs: unixMillis(NOW), value: 1 }],
            exemplars: [],
          },
        ],
        metadata: [],
      });
      await Promise.all([spanWriter.close(), logWriter.close(), metricWriter.close()]);
      app = createApiApp({
        logger: createLogger('silent', 'test'),
        traces: new TraceQueries(db),
        status: { database: db, retention: { traces: 7 * DAY, logs: 14 * DAY, metrics: 0 } },
        ready: () => db.ping(),
      });
    });
    afterAll(async () => {
      await db?.close();
      await tdb.drop();
    });

    const status = async () => {
      const res = await app.request('/api/status');
      expect(res.status).toBe(200);
      return (await res.json()) as Status;
    };

    it('reports disk use and rows per signal and per table, with partitions and retention', async () => {
      const s = await status();
      expect(s.version).toMatch(/^\d+\.\d+\.\d+/);
      // A Citus coordinator is a PostgreSQL server to the driver.
      expect(s.database.driver).toBe(tdb.name === 'citus' ? 'pg' : tdb.name);
      expect(s.database.serverVersion).toMatch(/^\d+/);
      expect(s.database.bytes).toBeGreaterThan(0);
      expect(Object.keys(s.signals).sort()).toEqual(['logs', 'metrics', 'shared', 'traces']);
      expect([
        s.signals.traces.retention,
        s.signals.logs.retention,
        s.signals.metrics.retention,
        s.signals.shared.retention,
      ]).toEqual(['7d', '14d', '0', null]);

      const table = (signal: keyof Status['signals'], name: string) =>
        s.signals[signal].tables.find((t) => t.name === name)!;
      const spansT = table('traces', 'spans');
      expect(spansT.partitions).toBe(2);
      expect(spansT.rows).toBe(40);
      expect(spansT.bytes).toBeGreaterThan(0);
      expect(spansT.oldestDay).toBe(dayOf(NOW - 3 * DAY));
      expect(spansT.newestDay).toBe(dayOf(NOW));
      expect(table('traces', 'traces')).toMatchObject({ partitions: null, rows: 40, oldestDay: null });
      expect(table('logs', 'logs')).toMatchObject({ partitions: 2, rows: 12, oldestDay: dayOf(NOW - 20 * DAY) });
      expect(table('metrics', 'metric_chunks').partitions).toBe(1);
      expect(table('metrics', 'metric_series').rows).toBe(1);
      expect(s.signals.shared.tables.map((t) => t.name)).toEqual(['resources', 'scopes', 'api_sessions']);
      // A signal's totals are its tables' sums.
      for (const sig of Object.values(s.signals)) {
        expect(sig.bytes).toBe(sig.tables.reduce((a, t) => a + t.bytes, 0));
        expect(sig.rows).toBe(sig.tables.reduce((a, t) => a + t.rows, 0));
      }
    });

    it('estimates rows of large tables never analysed by analysing them once', async () => {
      // Every table counts as "large" here, so each is analysed and estimated from its pages.
      const queries = new StatusQueries(db);
      const s = await queries.storage({ traces: 0, logs: 0, metrics: 0 }, { exactCountMaxBytes: 0 });
      expect(s.signals.traces.tables.find((t) => t.name === 'spans')!.rows).toBe(40);
      expect(s.signals.logs.tables.find((t) => t.name === 'logs')!.rows).toBe(12);
      // Estimates hold as the table grows after its ANALYZE: density times the pages now.
      expect((await queries.storage({ traces: 0, logs: 0, metrics: 0 })).signals.traces.rows).toBeGreaterThan(0);
    });

    it('shows what an admin-run retention removed', async () => {
      const run = await app.request('/api/admin/retention/run', { method: 'POST' });
      expect(run.status).toBe(200);
      const body = (await run.json()) as { dropped: Record<string, string[]> };
      expect(body.dropped.logs).toHaveLength(1);
      expect(body.dropped.traces).toEqual([]);
      const s = await status();
      expect(s.signals.logs.tables[0]).toMatchObject({ partitions: 1, rows: 7, oldestDay: dayOf(NOW) });
    });

    it('runs any maintenance job on request, and names the jobs when asked for an unknown one', async () => {
      const run = await app.request('/api/admin/maintenance/partitions/run', { method: 'POST' });
      expect(run.status).toBe(200);
      const body = (await run.json()) as { job: string; ms: number; result: { tables: string[] } };
      expect(body).toMatchObject({ job: 'partitions', result: { daysAhead: 2 } });
      expect(body.result.tables).toContain('spans');
      const s = await status();
      expect(s.signals.traces.tables[0]!.newestDay).toBe(dayOf(NOW + 2 * DAY));

      const compaction = await app.request('/api/admin/maintenance/compaction/run', { method: 'POST' });
      expect(await compaction.json()).toMatchObject({ job: 'compaction', result: { groups: 0 } });
      const unknown = await app.request('/api/admin/maintenance/vacuum/run', { method: 'POST' });
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as { error: string }).error).toMatch(/partitions, compaction, retention/);
    });

    it('makes cold partitions columnar on request where the server can, and says which layout is in force', async () => {
      const columnar = tdb.name !== 'pglite';
      const before = await status();
      // Before the first run the extension is not created yet: row partitions either way.
      expect(before.database.layout).toMatchObject({ coldAfter: '2h', mode: 'row' });
      const run = await app.request('/api/admin/maintenance/columnar/run', { method: 'POST' });
      expect(run.status).toBe(200);
      const body = (await run.json()) as {
        result: { mode: { mode: string; reason: string | null }; converted: string[] };
      };
      expect(body.result.mode.mode).toBe(columnar ? 'columnar' : 'row');
      // Spans of 3 days ago are cold; today's are not (2 h after the day ends).
      expect(body.result.converted).toEqual(columnar ? [`spans_p${dayOf(NOW - 3 * DAY).replaceAll('-', '')}`] : []);
      const s = await status();
      expect(s.database.layout.mode).toBe(columnar ? 'columnar' : 'row');
      expect(s.database.layout.reason).toEqual(columnar ? null : expect.stringContaining('PGlite'));
      const spansT = s.signals.traces.tables.find((t) => t.name === 'spans')!;
      expect(spansT.columnarPartitions).toBe(columnar ? 1 : 0);
      expect(spansT.rows).toBe(before.signals.traces.tables.find((t) => t.name === 'spans')!.rows);
    });
  });
}
