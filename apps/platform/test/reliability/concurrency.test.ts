// Many writers at once on the same traces and series — two independent writers (as two ingest
// processes would be) plus duplicates — must leave summaries and exemplars exactly consistent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpanId, parseTraceId, unixMillis, unixNano, type MetricsBatch, type ResourceSpans } from '@pivot/model';
import {
  MetricQueries,
  MetricWriter,
  PartitionManager,
  SpanWriter,
  TraceQueries,
  openDatabase,
  type Database,
} from '@pivot/store';
import { rowCount, testDatabases } from '@pivot/store/testing';

const TRACES = 20;
const SPANS_PER_TRACE = 30;
const traceId = (t: number) => parseTraceId((t + 1).toString(16).padStart(32, 'a'))!;
const spanId = (t: number, s: number) => parseSpanId(((t + 1) * 1000 + s + 1).toString(16).padStart(16, 'b'))!;
const BASE = 1_795_000_000_000_000_000n;

/** Span s of every trace, from service s % 3; span 0 is the root, every 7th is an error. */
function spansAt(s: number): ResourceSpans[] {
  return [
    {
      resource: { attributes: { 'service.name': `svc-${s % 3}` }, droppedAttributesCount: 0 },
      scopeSpans: [
        {
          scope: { name: 'c', version: '', attributes: {} },
          spans: Array.from({ length: TRACES }, (_, t) => ({
            traceId: traceId(t),
            spanId: spanId(t, s),
            parentSpanId: s === 0 ? null : spanId(t, 0),
            traceState: '',
            flags: 0,
            name: s === 0 ? 'root' : `op-${s}`,
            kind: 1,
            startTimeUnixNano: unixNano(BASE + BigInt(s) * 1000n),
            endTimeUnixNano: unixNano(BASE + BigInt(s) * 1000n + 500n),
            attributes: {},
            droppedAttributesCount: 0,
            events: [],
            droppedEventsCount: 0,
            links: [],
            droppedLinksCount: 0,
            status: { code: s % 7 === 0 && s > 0 ? 2 : 0, message: '' },
          })),
        },
      ],
    },
  ];
}

for (const tdb of testDatabases()) {
  describe(`concurrent writers on ${tdb.name}`, () => {
    let db: Database;
    let db2: Database;
    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      // A second pool on the same server plays a second ingest process (PGlite has one connection).
      db2 = tdb.url ? await openDatabase({ url: tdb.url }) : db;
    });
    afterAll(async () => {
      if (db2 !== db) await db2.close();
      await db.close();
      await tdb.drop();
    });

    it('keep trace summaries exact with spans arriving concurrently, out of order and twice', async () => {
      const a = new SpanWriter(db, new PartitionManager(db));
      const b = new SpanWriter(db2, new PartitionManager(db2));
      const order = Array.from({ length: SPANS_PER_TRACE }, (_, s) => SPANS_PER_TRACE - 1 - s);
      await Promise.all(
        order.flatMap((s) => [a.write(spansAt(s)), b.write(spansAt(s)), (s % 2 ? a : b).write(spansAt(s))]),
      );
      await Promise.all([a.close(), b.close()]);
      const q = new TraceQueries(db);
      const errors = Array.from({ length: SPANS_PER_TRACE }, (_, s) => s).filter((s) => s % 7 === 0 && s > 0).length;
      for (let t = 0; t < TRACES; t++) {
        const s = await q.summary(traceId(t));
        expect(s).toMatchObject({
          spanCount: SPANS_PER_TRACE,
          errorCount: errors,
          rootService: 'svc-0',
          rootName: 'root',
          services: ['svc-0', 'svc-1', 'svc-2'],
        });
        expect(s!.durationNano).toBe(BigInt(SPANS_PER_TRACE - 1) * 1000n + 500n);
      }
      expect(await rowCount(db, 'spans')).toBe(TRACES * SPANS_PER_TRACE);
    });

    it('keep series samples and exemplars exact with the same series written concurrently and twice', async () => {
      const a = new MetricWriter(db, new PartitionManager(db));
      const b = new MetricWriter(db2, new PartitionManager(db2));
      const T = 1_795_000_000_000;
      const batch = (k: number): MetricsBatch => ({
        series: Array.from({ length: 50 }, (_, i) => ({
          labels: { __name__: 'c_total', i: String(i) },
          samples: [{ timestampMs: unixMillis(T + k * 1000), value: k }],
          exemplars: [
            {
              labels: { trace_id: traceId(k % TRACES) },
              value: k,
              timestampMs: unixMillis(T + k * 1000),
              traceId: traceId(k % TRACES),
              spanId: null,
            },
          ],
        })),
        metadata: [],
      });
      await Promise.all(Array.from({ length: 40 }, (_, k) => [a.write(batch(k)), b.write(batch(k))]).flat());
      await Promise.all([a.close(), b.close()]);
      const q = new MetricQueries(db);
      const series = await q.select([{ name: '__name__', type: '=', value: 'c_total' }], T, T + 100_000);
      expect(series).toHaveLength(50);
      for (const s of series) expect(Array.from(s.values)).toEqual(Array.from({ length: 40 }, (_, k) => k));
      const ex = await q.exemplars([[{ name: '__name__', type: '=', value: 'c_total' }]], T, T + 100_000);
      expect(ex.reduce((n, g) => n + g.exemplars.length, 0)).toBe(50 * 40);
    });
  });
}
