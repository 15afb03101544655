import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpanId, parseTraceId, unixMillis, type MetricsBatch, type TimeSeries } from '@pivot/model';
import { matchesAnchored } from '@pivot/matchers';
import { MetricQueries, MetricWriter, PartitionManager, compactMetricChunks, type Database } from './index.ts';
import { rowCount, sleepInDatabase, testDatabases, truncateTable } from './testing.ts';

const T0 = Date.UTC(2026, 10, 20, 10, 0, 0);
const STALE = new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0]!;
// Bits are read from the typed array's memory: turning a NaN into a JS number may quiet it.
const wordsOf = (a: Float64Array) => Array.from(new BigUint64Array(a.buffer, a.byteOffset, a.length));
const TRACE = parseTraceId('4bf92f3577b34da6a3ce929d0e0e4736')!;

// 'stale' rather than the NaN itself: V8 may canonicalize a NaN kept in a plain double array, while a
// decoder puts the marker straight into an object field, as done here.
function series(
  labels: Record<string, string>,
  points: [number, number | 'stale'][],
  exemplars: TimeSeries['exemplars'] = [],
): TimeSeries {
  return {
    labels,
    samples: points.map(([t, v]) => ({ timestampMs: unixMillis(T0 + t), value: v === 'stale' ? STALE : v })),
    exemplars,
  };
}

function batch(offset: number): MetricsBatch {
  return {
    series: [
      series({ __name__: 'http_requests_total', job: 'api', method: 'GET', path: "/o'rders" }, [
        [offset, 10 + offset / 1000],
        [offset + 15_000, 11 + offset / 1000],
      ]),
      series({ __name__: 'http_requests_total', job: 'api', method: 'POST' }, [[offset, 1]]),
      series(
        { __name__: 'latency_bucket', job: 'api', le: '0.5' },
        [[offset, 3]],
        [
          {
            labels: { traceId: TRACE, spanId: '00f067aa0ba902b7', env: 'prod' },
            value: 0.42,
            timestampMs: unixMillis(T0 + offset + 1),
            traceId: TRACE,
            spanId: parseSpanId('00f067aa0ba902b7'),
          },
        ],
      ),
      series({ __name__: 'up', job: 'node', instance: 'a:9100' }, [
        [offset, 1],
        [offset + 30_000, 'stale'],
      ]),
    ],
    metadata: [{ metricFamilyName: 'http_requests_total', type: 'counter', help: 'Requests.', unit: '' }],
  };
}

for (const tdb of testDatabases()) {
  describe(`metric store on ${tdb.name}`, () => {
    let db: Database;
    let writer: MetricWriter;
    let q: MetricQueries;
    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      writer = new MetricWriter(db, new PartitionManager(db));
      q = new MetricQueries(db);
      for (let i = 0; i < 6; i++) await writer.write(batch(i * 60_000));
      await writer.write(batch(0)); // a retried request
      await Promise.all([writer.write(batch(60_000)), writer.write(batch(60_000))]);
    });
    afterAll(async () => {
      await writer?.close();
      await db?.close();
      await tdb.drop();
    });

    it('reads back samples once, in order, despite retries, with stale markers bit-exact', async () => {
      const res = await q.select([{ name: '__name__', type: '=', value: 'up' }], T0, T0 + 10 * 60_000);
      expect(res).toHaveLength(1);
      expect(res[0]!.labels).toEqual({ __name__: 'up', job: 'node', instance: 'a:9100' });
      expect(res[0]!.timestamps.length).toBe(12);
      expect(wordsOf(res[0]!.values)[1]).toBe(0x7ff0000000000002n);
      const ts = Array.from(res[0]!.timestamps);
      expect(ts).toEqual([...ts].sort((a, b) => a - b));
    });

    it('pushes every matcher type down, including quotes and regex metacharacters', async () => {
      const names = async (ms: Parameters<MetricQueries['select']>[0]) =>
        (await q.select(ms, T0, T0 + 3_600_000))
          .map((s) => `${s.labels.__name__}/${s.labels.method ?? s.labels.le ?? s.labels.instance}`)
          .sort();
      expect(await names([{ name: 'job', type: '=', value: 'api' }])).toEqual([
        'http_requests_total/GET',
        'http_requests_total/POST',
        'latency_bucket/0.5',
      ]);
      expect(
        await names([
          { name: '__name__', type: '=', value: 'http_requests_total' },
          { name: 'method', type: '!=', value: 'GET' },
        ]),
      ).toEqual(['http_requests_total/POST']);
      expect(
        await names([
          { name: '__name__', type: '=~', value: 'http_.*|up' },
          { name: 'method', type: '!~', value: 'P.*' },
        ]),
      ).toEqual(['http_requests_total/GET', 'up/a:9100']);
      expect(await names([{ name: 'path', type: '=', value: "/o'rders" }])).toEqual(['http_requests_total/GET']);
      expect(
        await names([
          { name: 'path', type: '=', value: '' },
          { name: 'job', type: '=', value: 'api' },
        ]),
      ).toEqual(['http_requests_total/POST', 'latency_bucket/0.5']);
      expect(await names([{ name: 'instance', type: '=~', value: 'a:9100|b.*' }])).toEqual(['up/a:9100']);
      expect(await names([{ name: 'instance', type: '=~', value: 'a' }])).toEqual([]); // anchored
      expect(await names([{ name: 'method', type: '=~', value: '(?i)get' }])).toEqual(['http_requests_total/GET']);
      expect(await names([{ name: 'path', type: '=~', value: "'; DROP TABLE metric_series; --" }])).toEqual([]);
    });

    it('bounds reads by time', async () => {
      const res = await q.select(
        [
          { name: '__name__', type: '=', value: 'http_requests_total' },
          { name: 'method', type: '=', value: 'POST' },
        ],
        T0 + 60_000,
        T0 + 120_000,
      );
      expect(Array.from(res[0]!.timestamps)).toEqual([T0 + 60_000, T0 + 120_000]);
      expect(await q.select([{ name: 'job', type: '=', value: 'api' }], T0 - 7_200_000, T0 - 1)).toEqual([]);
    });

    it('keeps every exemplar once with its trace ID, by series and by trace', async () => {
      const groups = await q.exemplars(
        [[{ name: '__name__', type: '=', value: 'latency_bucket' }]],
        T0,
        T0 + 3_600_000,
      );
      expect(groups).toHaveLength(1);
      expect(groups[0]!.exemplars).toHaveLength(6);
      expect(groups[0]!.exemplars[0]).toMatchObject({
        value: 0.42,
        traceId: TRACE,
        spanId: '00f067aa0ba902b7',
        labels: { env: 'prod' },
      });
      const back = await q.exemplarsByTrace(TRACE);
      expect(back.map((b) => b.seriesLabels.le)).toEqual(Array(6).fill('0.5'));
    });

    it('lists label names, values and metadata', async () => {
      expect(await q.labelNames([])).toEqual(['__name__', 'instance', 'job', 'le', 'method', 'path']);
      expect(await q.labelValues('job', [])).toEqual(['api', 'node']);
      expect(await q.labelValues('method', [[{ name: 'job', type: '=', value: 'api' }]])).toEqual(['GET', 'POST']);
      expect(await q.metadata()).toEqual({ http_requests_total: [{ type: 'counter', help: 'Requests.', unit: '' }] });
    });

    it('compacts small chunks into one per series and window without losing a sample', async () => {
      const before = await q.select([{ name: 'job', type: '=~', value: '.+' }], T0, T0 + 3_600_000);
      const count = () => rowCount(db, 'metric_chunks');
      const rowsBefore = await count();
      const r = await compactMetricChunks(db, Date.now());
      expect(r.groups).toBe(4);
      expect(await count()).toBe(4);
      expect(rowsBefore).toBeGreaterThan(4);
      const after = await q.select([{ name: 'job', type: '=~', value: '.+' }], T0, T0 + 3_600_000);
      expect(after.map((s) => [s.labels, Array.from(s.timestamps), wordsOf(s.values)])).toEqual(
        before.map((s) => [s.labels, Array.from(s.timestamps), wordsOf(s.values)]),
      );
    });

    it('empties the chunks for a suite that reloads its data (truncateTable), series staying', async () => {
      expect(await rowCount(db, 'metric_chunks')).toBe(4);
      await truncateTable(db, 'metric_chunks');
      expect(await rowCount(db, 'metric_chunks')).toBe(0);
      expect(await rowCount(db, 'metric_series')).toBeGreaterThan(0);
      expect(await q.select([{ name: 'job', type: '=~', value: '.+' }], T0, T0 + 3_600_000)).toEqual([]);
    });

    it('decides every regex matcher as Go RE2 does, whatever SQL prefiltered', async () => {
      const values = [
        '',
        'a',
        'ab',
        'A',
        'AB',
        'production',
        'PROD',
        'a\nb',
        '\n',
        'é',
        'x y',
        'a.b',
        'axb',
        'a{',
        '12',
        'foo-bar',
        '/api/x',
        'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!',
        'a|b',
        '[a]',
        'K',
      ];
      await writer.write({
        series: values.map((v, i) => series({ __name__: 'rx', i: String(i), ...(v ? { v } : {}) }, [[0, i]])),
        metadata: [],
      });
      const patterns = [
        '.*',
        '.+',
        'a|b',
        'a|',
        '',
        'a.b',
        'a\\.b',
        '(?i)prod.*',
        '(?i:PRO).*',
        '((?i)PRO).*',
        '.*(?i:DUC).*',
        '[[:alpha:]]+',
        '\\d+',
        '\\pL',
        'a{',
        '(?s).*',
        '[^a]',
        '(a+)+!',
        'a*?b?',
        'x y|é',
        '(?i)k',
        '\\Qa|b\\E',
        '[a]',
        '\\[a\\]',
        '/api/.*',
        'foo-.*',
      ];
      for (const p of patterns)
        for (const type of ['=~', '!~'] as const) {
          const expected = values.filter((v) => matchesAnchored(p, v) === (type === '=~')).sort();
          const m = [
            { name: '__name__', type: '=' as const, value: 'rx' },
            { name: 'v', type, value: p },
          ];
          const got = (await q.seriesIds([m])).map((s) => s.labels.v ?? '').sort();
          expect(got, `v${type}"${p}"`).toEqual(expected);
          const listed = await q.labelValues('v', [m]);
          expect(listed, `values of v${type}"${p}"`).toEqual(expected.filter((v) => v !== '').sort());
        }
      expect(
        await q.seriesIds([[{ name: '__name__', type: '=~', value: 'r.' }]], undefined, undefined, 3),
      ).toHaveLength(3);
    });

    it('stops a read whose signal is aborted; on PostgreSQL it cancels the running statement', async () => {
      const ac = new AbortController();
      ac.abort(new Error('gone'));
      await expect(
        q.select([{ name: 'job', type: '=', value: 'api' }], T0, T0 + 60_000, { signal: ac.signal }),
      ).rejects.toThrow('gone');
      if (db.kind !== 'pg') return;
      const running = new AbortController();
      const started = performance.now();
      setTimeout(() => running.abort(new Error('timed out')), 200);
      await expect(sleepInDatabase(db, 30, { signal: running.signal })).rejects.toThrow('timed out');
      expect(performance.now() - started).toBeLessThan(5000);
      // The pool is whole afterwards.
      await expect(sleepInDatabase(db, 0)).resolves.toBeUndefined();
    });
  });
}
