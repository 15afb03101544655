// The Loki API as Grafana's Loki data source calls it: each request below is the one its code sends
// (paths, query strings, headers), and each answer is checked against the shape it parses.
//   pkg/tsdb/loki/api.go makeDataRequest: query, direction, limit, start/end (ns), step "<n>ms", time
//   pkg/tsdb/loki/healthcheck.go: instant vector(1)+vector(1) answering 2
//   pkg/tsdb/loki/testdata/streams_structured_metadata.json: categorize-labels shape
//   public/app/plugins/datasource/loki/LanguageProvider.ts: labels, label/{name}/values, series match[]
//   public/app/plugins/datasource/loki/datasource.ts: index/stats, index/volume(_range), detected_fields
//   public/app/features/explore/TraceView/createSpanLink.tsx (getQueryForLoki: the label_format query) and
//     the newer logsLink.ts beside it (getTraceToLogsQuery: `| logfmt | json | drop __error__ | trace_id="…"`)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createLogger, listen } from '@pivot/server-kit';
import { LogQueries, LogWriter, LogqlQueries, PartitionManager, TraceQueries, type Database } from '@pivot/store';
import { testDatabases } from '@pivot/store/testing';
import { Auth, createApiApp, hashPassword } from '../src/index.ts';
import { FIXTURE_END, FIXTURE_START, LOKI_FIXTURE, SEC, SPAN_A, T0, TRACE_A, TRACE_B } from './loki-fixture.ts';

const range = `start=${FIXTURE_START}&end=${FIXTURE_END}`;
const q = (s: string) => encodeURIComponent(s);
/** The headers Grafana's backend adds to a data query (api.go; X-Query-Tags for supporting queries). */
const GRAFANA_HEADERS = { 'User-Agent': 'Grafana/12.0.0', 'X-Query-Tags': 'Source=grafana' };

interface StreamsData {
  resultType: 'streams';
  result: { stream: Record<string, string>; values: [string, string, Record<string, Record<string, string>>?][] }[];
  encodingFlags?: string[];
  stats: { summary: Record<string, number> };
}

for (const tdb of testDatabases()) {
  describe(`Loki API on ${tdb.name}`, () => {
    let db: Database;
    let app: ReturnType<typeof createApiApp>;
    const get = async (path: string, headers: Record<string, string> = {}) => {
      const res = await app.request(path, { headers: { ...GRAFANA_HEADERS, ...headers } });
      const text = await res.text();
      return { status: res.status, body: JSON.parse(text) as Record<string, unknown> & { data: unknown } };
    };
    const ok = async (path: string, headers: Record<string, string> = {}) => {
      const r = await get(path, headers);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body;
    };

    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      const writer = new LogWriter(db, new PartitionManager(db));
      await writer.write(LOKI_FIXTURE);
      await writer.close();
      app = createApiApp({
        logger: createLogger('silent', 'test'),
        traces: new TraceQueries(db),
        logs: { queries: new LogQueries(db) },
        loki: { queries: new LogqlQueries(db) },
        ready: () => db.ping(),
      });
    });
    afterAll(async () => {
      await db?.close();
      await tdb.drop();
    });

    it('answers the health check: instant vector(1)+vector(1) is 2', async () => {
      const body = await ok(`/loki/api/v1/query?query=${q('vector(1)+vector(1)')}&time=${FIXTURE_END}`);
      expect(body).toMatchObject({ status: 'success', data: { resultType: 'vector' } });
      const data = body.data as { result: { metric: object; value: [number, string] }[] };
      expect(data.result).toEqual([{ metric: {}, value: [Number(FIXTURE_END / 1_000_000n) / 1000, '2'] }]);
    });

    it('answers a log query_range with streams, newest first, limited', async () => {
      const path = `/loki/api/v1/query_range?direction=backward&limit=3&query=${q('{service_name="checkout"} |= "ORD"')}&${range}&step=1000ms`;
      const data = (await ok(path)).data as StreamsData;
      expect(data.resultType).toBe('streams');
      expect(data.encodingFlags).toBeUndefined();
      const values = data.result.flatMap((s) => s.values).sort((a, b) => (BigInt(b[0]) > BigInt(a[0]) ? 1 : -1));
      expect(values.map((v) => v[1])).toEqual([
        'payment failed for ORD-2001: insufficient funds',
        `retrying order ORD-1002 trace=${TRACE_B}`,
        'payment failed for ORD-1001: card declined',
      ]);
      // Without categorize-labels every label is in the stream, structured metadata too.
      const failed = data.result.find((s) => s.values.some((v) => v[1].startsWith('payment failed for ORD-1001')))!;
      expect(failed.stream).toEqual({
        service_name: 'checkout',
        deployment_environment: 'prod',
        k8s_pod_name: 'checkout-1',
        level: 'error',
        http_route: '/pay',
        trace_id: TRACE_A,
      });
      expect(typeof data.stats.summary.execTime).toBe('number');
    });

    it('categorizes labels when Grafana asks: stream labels, structured metadata (trace_id) and parsed', async () => {
      const path = `/loki/api/v1/query_range?direction=forward&limit=10&query=${q('{service_name="checkout", deployment_environment="prod"} | logfmt | status >= 500')}&${range}&step=1000ms`;
      const data = (await ok(path, { 'X-Loki-Response-Encoding-Flags': 'categorize-labels' })).data as StreamsData;
      expect(data.encodingFlags).toEqual(['categorize-labels']);
      // One stream per stream-label set; the 3rd element of each value carries the rest.
      for (const s of data.result)
        expect(Object.keys(s.stream).sort()).toEqual([
          'deployment_environment',
          'k8s_pod_name',
          'level',
          'service_name',
        ]);
      const values = data.result.flatMap((s) => s.values);
      const slow = values.find((v) => v[1].includes('slow upstream'))!;
      expect(slow[2]).toEqual({
        parsed: { level_extracted: 'warn', msg: 'slow upstream', status: '504', latency: '2300' },
      });
      const traced = (
        (
          await ok(
            `/loki/api/v1/query_range?direction=forward&limit=10&query=${q('{service_name="checkout"} |= "ORD-1001 placed"')}&${range}`,
            {
              'X-Loki-Response-Encoding-Flags': 'categorize-labels',
            },
          )
        ).data as StreamsData
      ).result[0]!.values[0]!;
      expect(traced[2]).toEqual({
        structuredMetadata: { http_route: '/checkout', user_id: '42', trace_id: TRACE_A, span_id: SPAN_A },
      });
    });

    it("answers Grafana's trace-to-logs queries, default and newer probe", async () => {
      const legacy = `{service_name="checkout"} | label_format log_line_contains_trace_id=\`{{ contains "${TRACE_B}" __line__  }}\` | log_line_contains_trace_id="true" or trace_id="${TRACE_B}"`;
      const lines = async (expr: string) =>
        (
          (await ok(`/loki/api/v1/query_range?direction=backward&limit=1000&query=${q(expr)}&${range}&step=1000ms`))
            .data as StreamsData
        ).result
          .flatMap((s) => s.values.map((v) => v[1]))
          .sort();
      expect(await lines(legacy)).toEqual(
        [
          `retrying order ORD-1002 trace=${TRACE_B}`,
          'payment failed for ORD-2001: insufficient funds',
          JSON.stringify({ msg: 'checkout failed', status: 500, error: 'timeout', trace: TRACE_B }),
        ].sort(),
      );
      const probe = `{service_name="checkout"} | logfmt | json | drop __error__ | trace_id="${TRACE_A}" | span_id="${SPAN_A}"`;
      expect(await lines(probe)).toEqual(['order ORD-1001 placed']);
      expect(await lines(`{service_name="checkout"} |= "${TRACE_B}"`)).toHaveLength(2);
    });

    it('answers metric range queries as a matrix (logs volume as Grafana writes it)', async () => {
      const expr = 'sum by (level) (count_over_time({service_name="checkout"} | drop __error__ [1m]))';
      const data = (
        await ok(
          `/loki/api/v1/query_range?direction=backward&query=${q(expr)}&start=${T0 + 60n * SEC}&end=${T0 + 120n * SEC}&step=60000ms`,
        )
      ).data as {
        resultType: string;
        result: { metric: Record<string, string>; values: [number, string][] }[];
      };
      expect(data.resultType).toBe('matrix');
      const error = data.result.find((s) => s.metric.level === 'error')!;
      // (T0, T0+60s]: the error at 12s; (T0+60s, T0+120s]: 61s and 95s.
      expect(error.values).toEqual([
        [Number((T0 + 60n * SEC) / 1_000_000n) / 1000, '1'],
        [Number((T0 + 120n * SEC) / 1_000_000n) / 1000, '2'],
      ]);
    });

    it('answers labels, label values and series with start, end and query', async () => {
      expect((await ok(`/loki/api/v1/labels?${range}`)).data).toEqual([
        'deployment_environment',
        'k8s_pod_name',
        'level',
        'service_name',
      ]);
      expect((await ok(`/loki/api/v1/label/service_name/values?${range}`)).data).toEqual([
        'checkout',
        'inventory',
        'payments',
      ]);
      expect(
        (await ok(`/loki/api/v1/label/level/values?${range}&query=${q('{service_name="payments"}')}`)).data,
      ).toEqual(['error', 'info', 'unknown', 'warn']);
      expect(
        (await ok(`/loki/api/v1/label/k8s_pod_name/values?start=${T0 + 100n * SEC}&end=${FIXTURE_END}`)).data,
      ).toEqual(['checkout-1', 'inventory-0']);
      const series = (await ok(`/loki/api/v1/series?match[]=${q('{service_name="inventory"}')}&${range}`))
        .data as Record<string, string>[];
      expect(series.map((s) => s.level).sort()).toEqual(['debug', 'error', 'info']);
      expect(series[0]).toMatchObject({
        service_name: 'inventory',
        deployment_environment: 'prod',
        k8s_pod_name: 'inventory-0',
      });
    });

    it('answers index/stats, index/volume and index/volume_range', async () => {
      const stats = (await ok(
        `/loki/api/v1/index/stats?query=${q('{service_name="inventory"}')}&${range}`,
      )) as unknown as Record<string, number>;
      expect(stats).toMatchObject({ streams: 3, chunks: 3, entries: 4 });
      expect(stats.bytes).toBeGreaterThan(60);
      const volume = (await ok(`/loki/api/v1/index/volume?query=${q('{service_name=~".+"}')}&${range}&limit=2`))
        .data as {
        resultType: string;
        result: { metric: Record<string, string>; value: [number, string] }[];
      };
      expect(volume.resultType).toBe('vector');
      expect(volume.result).toHaveLength(2);
      expect(volume.result[0]!.metric).toEqual({ service_name: 'checkout' });
      const byLevel = (
        await ok(
          `/loki/api/v1/index/volume_range?query=${q('{service_name="payments"}')}&${range}&step=60s&targetLabels=level`,
        )
      ).data as {
        resultType: string;
        result: { metric: Record<string, string>; values: [number, string][] }[];
      };
      expect(byLevel.resultType).toBe('matrix');
      expect(byLevel.result.find((s) => s.metric.level === 'warn')!.values).toEqual([
        [Number(T0 / 1_000_000n) / 1000, String('level=warn msg="retry budget low" remaining=2'.length)],
      ]);
    });

    it('answers detected_fields from parsed lines and structured metadata', async () => {
      const body = (await ok(
        `/loki/api/v1/detected_fields?query=${q('{service_name="checkout"}')}&${range}&limit=1000&line_limit=1000`,
      )) as unknown as {
        fields: { label: string; type: string; cardinality: number; parsers: string[] | null }[];
      };
      const by = Object.fromEntries(body.fields.map((f) => [f.label, f]));
      expect(by.status).toMatchObject({ parsers: ['json', 'logfmt'] });
      expect(by.latency).toMatchObject({ type: 'int', cardinality: 2, parsers: ['logfmt'] });
      expect(by.trace_id).toMatchObject({ parsers: null, cardinality: 2 });
    });

    it('refuses unsupported constructs and bad parameters with a 400 naming them', async () => {
      const r = await get(
        `/loki/api/v1/query_range?query=${q('{service_name="checkout"} | line_format "{{.msg}}"')}&${range}`,
      );
      expect(r.status).toBe(400);
      expect(r.body.message).toContain('line_format');
      const syntax = await get(`/loki/api/v1/query_range?query=${q('{service_name="checkout"')}&${range}`);
      expect(syntax.status).toBe(400);
      expect(syntax.body.message).toMatch(/parse error at position \d+/);
      expect((await get(`/loki/api/v1/query_range?query=${q('{a="b"}')}&direction=sideways`)).status).toBe(400);
      expect((await get(`/loki/api/v1/query_range?query=${q('{a="b"}')}&limit=50000`)).status).toBe(400);
      expect(
        (
          await get(
            `/loki/api/v1/query_range?query=${q('count_over_time({a="b"}[1m])')}&start=0&end=${FIXTURE_END}&step=1ms`,
          )
        ).status,
      ).toBe(400);
      const metricErr = await get(
        `/loki/api/v1/query_range?query=${q('sum(count_over_time({service_name="checkout"} | json [5m]))')}&${range}&step=60s`,
      );
      expect(metricErr.status).toBe(400);
      expect(metricErr.body.message).toContain('JSONParserErr');
    });
  });
}

describe('Loki API with login on', () => {
  it('takes the same Basic auth users as the Prometheus API', async () => {
    const tdb = testDatabases()[0]!;
    const db = await tdb.open();
    await db.migrate();
    const auth = new Auth({
      enabled: true,
      users: [{ name: 'grafana', hash: await hashPassword('s3cret', { N: 1024, r: 8, p: 1 }), role: 'viewer' }],
      sessionTtlMs: 3_600_000,
    });
    const app = createApiApp({
      logger: createLogger('silent', 'test'),
      traces: new TraceQueries(db),
      loki: { queries: new LogqlQueries(db) },
      auth,
      ready: () => db.ping(),
    });
    const path = `/loki/api/v1/labels?${range}`;
    expect((await app.request(path)).status).toBe(401);
    const basic = (p: string) => ({ Authorization: `Basic ${Buffer.from(`grafana:${p}`).toString('base64')}` });
    expect((await app.request(path, { headers: basic('wrong') })).status).toBe(401);
    expect((await app.request(path, { headers: basic('s3cret') })).status).toBe(200);
    await db.close();
  });
});

describe('Loki live tail over a WebSocket', () => {
  it('sends the recent entries, then new ones as they are written, and caps open tails', async () => {
    const tdb = testDatabases()[0]!;
    const db = await tdb.open();
    await db.migrate();
    const writer = new LogWriter(db, new PartitionManager(db));
    const app = createApiApp({
      logger: createLogger('silent', 'test'),
      traces: new TraceQueries(db),
      logs: { queries: new LogQueries(db) },
      loki: { queries: new LogqlQueries(db), options: { tailIntervalMs: 50, maxTails: 1 } },
      ready: () => db.ping(),
    });
    const wss = new WebSocketServer({ noServer: true });
    const http = await listen(app.fetch, '127.0.0.1', 0, { websocket: wss });
    const nowSec = () => BigInt(Date.now()) * 1_000_000n;
    const record = (body: string, t: bigint) => ({
      resource: { attributes: { 'service.name': 'tailed' }, droppedAttributesCount: 0 },
      scopeLogs: [
        {
          scope: { name: 'app', version: '1', attributes: {} },
          logRecords: [
            {
              timeUnixNano: t as never,
              observedTimeUnixNano: t as never,
              severityNumber: 9,
              severityText: '',
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
    });
    try {
      await writer.write([record('before the tail', nowSec() - 5_000_000_000n)]);
      // The request Grafana's backend makes (pkg/tsdb/loki/streaming.go): ws://host/loki/api/v1/tail?query=…
      const url = `${http.url.replace('http', 'ws')}/loki/api/v1/tail?query=${encodeURIComponent('{service_name="tailed"} |= "tail"')}`;
      const ws = new WebSocket(url);
      const messages: { streams: { stream: Record<string, string>; values: [string, string][] }[] }[] = [];
      const lines = () => messages.flatMap((m) => m.streams.flatMap((s) => s.values.map((v) => v[1])));
      ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as (typeof messages)[number]));
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      await expect.poll(lines, { timeout: 5000 }).toEqual(['before the tail']);
      // A second tail is over the cap: refused before the upgrade.
      const second = new WebSocket(url);
      const status = await new Promise<number>((resolve) => {
        second.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        second.once('open', () => resolve(101));
      });
      expect(status).toBe(429);
      // The slots are shared with /api/logs/tail: each tail polls the database, whatever carries it.
      expect((await app.request('/api/logs/tail?service=tailed')).status).toBe(429);
      await writer.write([record('written while tailing', nowSec()), record('not matching', nowSec())]);
      await expect.poll(lines, { timeout: 5000 }).toEqual(['before the tail', 'written while tailing']);
      expect(messages[0]!.streams[0]!.stream).toMatchObject({ service_name: 'tailed', level: 'info' });
      ws.close();
      // Closing releases the tail's place (the cap answers 429 until then); a plain GET is told to upgrade.
      await expect.poll(async () => (await fetch(url.replace('ws', 'http'))).status, { timeout: 5000 }).toBe(400);
    } finally {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await http.close();
      await writer.close();
      await db.close();
    }
  });
});
