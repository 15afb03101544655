// The exact requests Grafana's Prometheus data source sends, against data written through the store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTraceId, unixMillis, type MetricsBatch } from '@pivot/model';
import { createLogger } from '@pivot/server-kit';
import { MetricQueries, MetricWriter, PartitionManager, TraceQueries, type Database } from '@pivot/store';
import { testDatabases } from '@pivot/store/testing';
import { createApiApp } from '../src/index.ts';

const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);
const TRACE = parseTraceId('4bf92f3577b34da6a3ce929d0e0e4736')!;
const TRACE2 = parseTraceId('4bf92f3577b34da6a3ce929d0e0e4737')!;
const TRACE3 = parseTraceId('4bf92f3577b34da6a3ce929d0e0e4738')!;

/** 10 minutes at 15 s of a request counter and a latency histogram for two services. */
function seed(): MetricsBatch {
  const series: MetricsBatch['series'] = [];
  const bounds = ['0.1', '0.5', '1', '+Inf'];
  for (const service of ['checkout', 'payment']) {
    const n = 41;
    const ts = (i: number) => unixMillis(T0 + i * 15_000);
    series.push({
      labels: { __name__: 'http_requests_total', job: 'demo', service },
      samples: Array.from({ length: n }, (_, i) => ({ timestampMs: ts(i), value: i * 10 })),
      exemplars: [],
    });
    bounds.forEach((le, b) =>
      series.push({
        labels: { __name__: 'http_duration_seconds_bucket', job: 'demo', service, le },
        // Cumulative buckets: 50%, 80%, 95%, 100% of 4 requests per second.
        samples: Array.from({ length: n }, (_, i) => ({ timestampMs: ts(i), value: i * 60 * [0.5, 0.8, 0.95, 1][b]! })),
        exemplars:
          le === '1' && service === 'payment'
            ? [
                { labels: { trace_id: TRACE }, value: 0.93, timestampMs: ts(20), traceId: TRACE, spanId: null },
                // 5 s later, faster: the same 15 s step as the first, so thinning drops it.
                {
                  labels: { trace_id: TRACE2 },
                  value: 0.81,
                  timestampMs: unixMillis(T0 + 305_000),
                  traceId: TRACE2,
                  spanId: null,
                },
                { labels: { trace_id: TRACE3 }, value: 0.7, timestampMs: ts(22), traceId: TRACE3, spanId: null },
              ]
            : [],
      }),
    );
  }
  return {
    series,
    metadata: [{ metricFamilyName: 'http_duration_seconds', type: 'histogram', help: 'Latency.', unit: 'seconds' }],
  };
}

for (const tdb of testDatabases()) {
  describe(`Prometheus HTTP API on ${tdb.name}`, () => {
    let db: Database;
    let app: ReturnType<typeof createApiApp>;
    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      const writer = new MetricWriter(db, new PartitionManager(db));
      await writer.write(seed());
      await writer.close();
      app = createApiApp({
        logger: createLogger('silent', 'test'),
        traces: new TraceQueries(db),
        metrics: { queries: new MetricQueries(db), options: { timeoutMs: 10_000, maxSamples: 1_000_000 } },
        ready: () => db.ping(),
      });
    });
    afterAll(async () => {
      await db.close();
      await tdb.drop();
    });

    const form = (path: string, body: Record<string, string>) =>
      app.request(path, {
        method: 'POST',
        body: new URLSearchParams(body).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    const json = async (res: Response) => ({
      status: res.status,
      body: (await res.json()) as { status: string; data: any; errorType?: string; error?: string; errors?: unknown[] },
    });

    it('answers the data source health check (1+1) as a scalar', async () => {
      const { status, body } = await json(await app.request(`/api/v1/query?query=1%2B1&time=${T0 / 1000}`));
      expect(status).toBe(200);
      expect(body).toEqual({ status: 'success', data: { resultType: 'scalar', result: [T0 / 1000, '2'] } });
    });

    it('computes P99 latency with histogram_quantile over rate, as a POSTed range query', async () => {
      const { status, body } = await json(
        await form('/api/v1/query_range', {
          query: 'histogram_quantile(0.99, sum by (le, service) (rate(http_duration_seconds_bucket[5m])))',
          start: String((T0 + 300_000) / 1000),
          end: String((T0 + 600_000) / 1000),
          step: '60',
        }),
      );
      expect(status).toBe(200);
      expect(body.data.resultType).toBe('matrix');
      expect(body.data.result.map((r: any) => r.metric)).toEqual([{ service: 'checkout' }, { service: 'payment' }]);
      // 99% lies past the 95% counted at le=1, in the +Inf bucket: Prometheus then answers the upper
      // bound of the last finite bucket, 1.
      for (const r of body.data.result) {
        expect(r.values).toHaveLength(6);
        for (const [, v] of r.values) expect(v).toBe('1');
      }
      const p50 = await json(
        await app.request(
          `/api/v1/query?query=${encodeURIComponent('histogram_quantile(0.5, sum by (le) (rate(http_duration_seconds_bucket[5m])))')}&time=${(T0 + 600_000) / 1000}`,
        ),
      );
      // 50% of requests are ≤ 0.1 s exactly at the first bucket's bound: linear interpolation gives 0.1.
      expect(p50.body.data.result[0].value[1]).toBe('0.1');
    });

    it('sums rates by label', async () => {
      const { body } = await json(
        await app.request(
          `/api/v1/query?query=${encodeURIComponent('sum by (service) (rate(http_requests_total[1m]))')}&time=${(T0 + 300_000) / 1000}`,
        ),
      );
      expect(body.data.result).toEqual([
        { metric: { service: 'checkout' }, value: [(T0 + 300_000) / 1000, String(10 / 15)] },
        { metric: { service: 'payment' }, value: [(T0 + 300_000) / 1000, String(10 / 15)] },
      ]);
    });

    it('serves label names, label values and series for autocomplete', async () => {
      const range = `start=${T0 / 1000}&end=${(T0 + 600_000) / 1000}`;
      expect((await json(await app.request(`/api/v1/labels?${range}`))).body.data).toEqual([
        '__name__',
        'job',
        'le',
        'service',
      ]);
      expect((await json(await app.request(`/api/v1/label/__name__/values?${range}`))).body.data).toEqual([
        'http_duration_seconds_bucket',
        'http_requests_total',
      ]);
      expect(
        (
          await json(
            await app.request(
              `/api/v1/label/service/values?match[]=${encodeURIComponent('http_requests_total')}&${range}`,
            ),
          )
        ).body.data,
      ).toEqual(['checkout', 'payment']);
      const series = (
        await json(
          await app.request(
            `/api/v1/series?match[]=${encodeURIComponent('http_requests_total{service="payment"}')}&${range}`,
          ),
        )
      ).body.data;
      expect(series).toEqual([{ __name__: 'http_requests_total', job: 'demo', service: 'payment' }]);
      expect(
        (await json(await app.request(`/api/v1/series?start=1&end=2&match[]=http_requests_total`))).body.data,
      ).toEqual([]);
      expect((await json(await app.request('/api/v1/metadata'))).body.data).toEqual({
        http_duration_seconds: [{ type: 'histogram', help: 'Latency.', unit: 'seconds' }],
      });
    });

    it('returns exemplars with their trace IDs for the query in the range', async () => {
      const { body } = await json(
        await form('/api/v1/query_exemplars', {
          query: 'histogram_quantile(0.99, sum by (le) (rate(http_duration_seconds_bucket[5m])))',
          start: String(T0 / 1000),
          end: String((T0 + 600_000) / 1000),
        }),
      );
      expect(body.data).toEqual([
        {
          seriesLabels: { __name__: 'http_duration_seconds_bucket', job: 'demo', service: 'payment', le: '1' },
          exemplars: [
            { labels: { trace_id: TRACE }, value: '0.93', timestamp: (T0 + 300_000) / 1000 },
            { labels: { trace_id: TRACE2 }, value: '0.81', timestamp: (T0 + 305_000) / 1000 },
            { labels: { trace_id: TRACE3 }, value: '0.7', timestamp: (T0 + 330_000) / 1000 },
          ],
        },
      ]);
    });

    it('thins exemplars for a chart with step (and per_step): the highest per series and step', async () => {
      const ask = async (extra: Record<string, string>) =>
        json(
          await app.request(
            `/api/v1/query_exemplars?${new URLSearchParams({
              query: 'histogram_quantile(0.99, sum by (le) (rate(http_duration_seconds_bucket[5m])))',
              start: String(T0 / 1000),
              end: String((T0 + 600_000) / 1000),
              ...extra,
            }).toString()}`,
          ),
        );
      const values = (body: { data: { exemplars: { value: string }[] }[] }) =>
        body.data.flatMap((g) => g.exemplars.map((e) => e.value));
      expect(values((await ask({ step: '15' })).body)).toEqual(['0.93', '0.7']);
      expect(values((await ask({ step: '1m' })).body)).toEqual(['0.93']);
      expect(values((await ask({ step: '1m', per_step: '2' })).body)).toEqual(['0.93', '0.81']);
      expect(values((await ask({ step: '1s' })).body)).toEqual(['0.93', '0.81', '0.7']);
      for (const [bad, message] of [
        [{ step: '0' }, /zero or negative/],
        [{ step: 'soon' }, /invalid parameter "step"/],
        [{ step: '15', per_step: '0' }, /invalid parameter "per_step"/],
        [{ per_step: '2' }, /needs "step"/],
      ] as const) {
        const res = await ask(bad);
        expect(res.status).toBe(400);
        expect(res.body.error).toMatch(message);
      }
    });

    it('answers errors in Prometheus shape, with parse errors as data', async () => {
      const parseErr = await json(await app.request(`/api/v1/query?query=${encodeURIComponent('sum(rate(x[5m])')}`));
      expect(parseErr.status).toBe(400);
      expect(parseErr.body).toMatchObject({ status: 'error', errorType: 'bad_data' });
      expect(parseErr.body.error).toMatch(/parse error/);
      expect(parseErr.body.errors![0]).toMatchObject({
        from: expect.any(Number),
        to: expect.any(Number),
        message: expect.any(String),
      });
      const step = await json(await app.request(`/api/v1/query_range?query=up&start=0&end=100000&step=1`));
      expect(step.status).toBe(400);
      expect(step.body.error).toMatch(/exceeded maximum resolution of 11,000 points per timeseries/);
      const noStep = await json(await app.request(`/api/v1/query_range?query=up&start=0&end=100`));
      expect(noStep.body.errorType).toBe('bad_data');
      const badTime = await json(await app.request(`/api/v1/query?query=up&time=yesterday`));
      expect(badTime.body.error).toMatch(/invalid parameter "time"/);
      const tooMany = createApiApp({
        logger: createLogger('silent', 'test'),
        traces: new TraceQueries(db),
        metrics: { queries: new MetricQueries(db), options: { timeoutMs: 10_000, maxSamples: 10 } },
        ready: () => db.ping(),
      });
      const res = await json(
        await tooMany.request(
          `/api/v1/query?query=${encodeURIComponent('http_requests_total[10m]')}&time=${(T0 + 600_000) / 1000}`,
        ),
      );
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({
        errorType: 'execution',
        error: 'query processing would load too many samples into memory in query execution',
      });
      expect((await json(await app.request('/api/v1/status/buildinfo'))).body.data.version).toMatch(/^2\./);
    });
  });
}
