// MetricQueries.exemplars with thinning: per series and per step-wide bucket, the highest exemplars
// only (what a chart draws), chosen in SQL; without it, every exemplar (Prometheus' answer).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpanId, parseTraceId, unixMillis, type MetricsBatch } from '@pivot/model';
import { MetricQueries, MetricWriter, PartitionManager, type Database } from './index.ts';
import { testDatabases } from './testing.ts';

const T0 = Date.UTC(2026, 10, 20, 10, 0, 0);
const SPAN = parseSpanId('00f067aa0ba902b7')!;
const trace = (i: number) => parseTraceId(i.toString(16).padStart(32, 'a'))!;

// Two series; in each 10 s from T0, series `slow` has exemplars at +1 s … +9 s, with values chosen so
// that the highest of a bucket is neither its first nor its last; series `fast` one exemplar per 10 s.
const SLOW = [0.2, 0.9, 0.4, 0.9, 0.1, 0.3, 0.5, 0.6, 0.7]; // two 0.9s: the later one wins the tie
function batch(): MetricsBatch {
  const ex = (t: number, value: number, i: number) => ({
    labels: { trace_id: trace(i) },
    value,
    timestampMs: unixMillis(T0 + t),
    traceId: trace(i),
    spanId: SPAN,
  });
  const slow: ReturnType<typeof ex>[] = [];
  const fast: ReturnType<typeof ex>[] = [];
  for (let b = 0; b < 3; b++) {
    SLOW.forEach((v, k) => slow.push(ex(b * 10_000 + (k + 1) * 1000, v + b, b * 100 + k)));
    fast.push(ex(b * 10_000 + 5000, 0.01 * (b + 1), 1000 + b));
  }
  return {
    series: [
      {
        labels: { __name__: 'lat_bucket', job: 'slow', le: '10' },
        samples: [{ timestampMs: unixMillis(T0), value: 1 }],
        exemplars: slow,
      },
      {
        labels: { __name__: 'lat_bucket', job: 'fast', le: '0.1' },
        samples: [{ timestampMs: unixMillis(T0), value: 1 }],
        exemplars: fast,
      },
    ],
    metadata: [],
  };
}

for (const tdb of testDatabases()) {
  describe(`exemplar thinning on ${tdb.name}`, () => {
    let db: Database;
    let writer: MetricWriter;
    let q: MetricQueries;
    const sel = [[{ name: '__name__', type: '=' as const, value: 'lat_bucket' }]];
    const byJob = async (thin?: { stepMs: number; perStep: number }, start = T0, end = T0 + 60_000) =>
      Object.fromEntries(
        (await q.exemplars(sel, start, end, undefined, { thin })).map((g) => [
          g.seriesLabels.job,
          g.exemplars.map((e) => [e.timestampMs - T0, e.value]),
        ]),
      );
    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      writer = new MetricWriter(db, new PartitionManager(db));
      q = new MetricQueries(db);
      await writer.write(batch());
    });
    afterAll(async () => {
      await writer?.close();
      await db?.close();
      await tdb.drop();
    });

    it('answers every exemplar without thinning', async () => {
      const all = await byJob();
      expect(all.slow).toHaveLength(27);
      expect(all.fast).toHaveLength(3);
    });

    it('keeps the highest exemplar per series and step bucket, the latest on a tie, in time order', async () => {
      expect(await byJob({ stepMs: 10_000, perStep: 1 })).toEqual({
        slow: [
          [4000, 0.9],
          [14_000, 1.9],
          [24_000, 2.9],
        ],
        fast: [
          [5000, 0.01],
          [15_000, 0.02],
          [25_000, 0.03],
        ],
      });
    });

    it('keeps the K highest with perStep K, and aligns buckets at the start of the range', async () => {
      const two = await byJob({ stepMs: 10_000, perStep: 2 });
      expect(two.slow).toEqual([
        [2000, 0.9],
        [4000, 0.9],
        [12_000, 1.9],
        [14_000, 1.9],
        [22_000, 2.9],
        [24_000, 2.9],
      ]);
      // Buckets of 30 s over the whole range: one exemplar per series.
      expect(await byJob({ stepMs: 30_000, perStep: 1 })).toEqual({ slow: [[24_000, 2.9]], fast: [[25_000, 0.03]] });
      // Starting at +5 s, buckets are [5 s, 15 s), [15 s, 25 s), [25 s, 35 s).
      expect((await byJob({ stepMs: 10_000, perStep: 1 }, T0 + 5000))!.slow).toEqual([
        [14_000, 1.9],
        [24_000, 2.9],
        [29_000, 2.7],
      ]);
    });
  });
}
