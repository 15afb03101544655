// The Tempo API replayed as Grafana calls it, with the paths, query strings and headers from its source:
// - trace by ID: grafana/grafana pkg/tsdb/tempo/trace.go createRequest: GET {url}/api/traces/{id}?start=&end=
//   (Unix seconds, omitted when either is 0) with `Accept: application/protobuf`, read with
//   ptrace.ProtoUnmarshaler (OTLP TracesData); the v2 path /api/v2/traces/{id} answers tempopb.TraceByIDResponse.
// - search: public/app/plugins/datasource/tempo/datasource.ts `_request('/api/search', { q, limit, spss,
//   start: range.from.unix(), end: range.to.unix() })`, q from SearchTraceQLEditor/utils.ts
//   generateQueryFromFilters (filters joined by ' && ', no spaces around operators).
// - health: the data source's test sends GET /api/echo.
// - tags: language_provider.ts fetchTags → resource `tags` → pkg/tsdb/tempo handleTags → api/v2/search/tags
//   with `limit`; getOptionsV2 → `tag-values` → handleTagValues → api/v2/search/tag/{tag}/values with q and limit.
// Protobuf answers are decoded with the OTel protos (fixtures/tempo.proto) by protobufjs, not by our code.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@pivot/server-kit';
import { TraceQLQueries, TraceQueries, type Database } from '@pivot/store';
import { testDatabases } from '@pivot/store/testing';
import { createApiApp } from '../src/index.ts';
import { Auth, hashPassword } from '../src/auth.ts';
import { T0, TRACE_COUNT, writeTempoFixture, type Fixture } from './tempo-data.ts';

const root = protobuf.loadSync(fileURLToPath(new URL('./fixtures/tempo.proto', import.meta.url)));
const TracesData = root.lookupType('opentelemetry.proto.trace.v1.TracesData');
const TraceByIDResponse = root.lookupType('opentelemetry.proto.trace.v1.TraceByIDResponse');
const toObject = (t: protobuf.Type, bytes: Uint8Array) =>
  t.toObject(t.decode(bytes), { longs: String, enums: String, defaults: false }) as Record<string, unknown>;
const hex = (b: unknown) => Buffer.from(b as Uint8Array).toString('hex');

interface PbKeyValue {
  key: string;
  value: Record<string, unknown>;
}
interface PbSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId?: Uint8Array;
  name: string;
  kind?: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: PbKeyValue[];
  status?: { code?: string; message?: string };
}
interface PbResourceSpans {
  resource: { attributes: PbKeyValue[] };
  scopeSpans: { scope: { name: string }; spans: PbSpan[] }[];
}
/** An AnyValue as JSON, the form the pivot API answers with. */
const anyJson = (v: Record<string, unknown>): unknown =>
  'stringValue' in v
    ? v.stringValue
    : 'intValue' in v
      ? Number(v.intValue)
      : 'doubleValue' in v
        ? v.doubleValue
        : 'boolValue' in v
          ? v.boolValue
          : null;
const attrsJson = (kvs: PbKeyValue[] | undefined) =>
  Object.fromEntries((kvs ?? []).map((kv) => [kv.key, anyJson(kv.value)]));

interface ApiSpan {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  service: string;
  kind: string;
  startTimeUnixNano: string;
  durationNano: string;
  status: { code: string; message: string };
  attributes: Record<string, unknown>;
  resource: { attributes: Record<string, unknown> };
}

const FAST = { N: 1024, r: 8, p: 1 };
const NOW = BigInt(Date.now()) * 1_000_000n;
const startS = Number(T0 / 1_000_000_000n) - 60;
const endS = Number(T0 / 1_000_000_000n) + 3600;

for (const tdb of testDatabases()) {
  describe(`Tempo API on ${tdb.name}`, () => {
    let db: Database;
    let app: ReturnType<typeof createApiApp>;
    let fx: Fixture;
    const basic = { Authorization: `Basic ${Buffer.from('grafana:grafana-pw').toString('base64')}` };
    const get = (path: string, headers: Record<string, string> = {}) =>
      app.request(path, { headers: { ...basic, ...headers } });
    const getJson = async (path: string) => {
      const res = await get(path);
      const body = (await res.json()) as Record<string, unknown>;
      expect(res.status, JSON.stringify(body)).toBe(200);
      return body;
    };
    const apiSpans = async (id: string) => (await getJson(`/api/traces/${id}`)).spans as ApiSpan[];

    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      fx = await writeTempoFixture(db, NOW);
      app = createApiApp({
        logger: createLogger('silent', 'test'),
        traces: new TraceQueries(db),
        traceql: new TraceQLQueries(db),
        auth: new Auth({
          enabled: true,
          users: [{ name: 'grafana', role: 'viewer', hash: await hashPassword('grafana-pw', FAST) }],
          sessionTtlMs: 3_600_000,
        }),
        ready: () => db.ping(),
      });
    });
    afterAll(async () => {
      await db?.close();
      await tdb.drop();
    });

    it('answers the health check, and asks for the same Basic credentials as the Prometheus API', async () => {
      const echo = await get('/tempo/api/echo');
      expect(echo.status).toBe(200);
      expect(await echo.text()).toBe('echo');
      const info = (await (await get('/tempo/api/status/buildinfo')).json()) as { version: string };
      expect(info.version).toMatch(/^2\.1\./); // below 2.2.0: Grafana does not try gRPC streaming
      const anon = await app.request('/tempo/api/search?q=%7B%7D');
      expect(anon.status).toBe(401);
      const wrong = await app.request('/tempo/api/echo', {
        headers: { Authorization: `Basic ${Buffer.from('grafana:nope').toString('base64')}` },
      });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic/);
    });

    it('serves a trace by ID as OTLP TracesData, the spans and resources the pivot API shows', async () => {
      for (const id of [fx.traceIds[0]!, fx.traceIds[4]!, fx.traceIds[17]!]) {
        const res = await get(`/tempo/api/traces/${id}?start=${startS}&end=${endS}`, {
          Accept: 'application/protobuf',
        });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('application/protobuf');
        const td = toObject(TracesData, new Uint8Array(await res.arrayBuffer()));
        const rss = td.resourceSpans as PbResourceSpans[];
        const got = rss.flatMap((rs) =>
          rs.scopeSpans.flatMap((ss) =>
            ss.spans.map((s) => ({
              traceId: hex(s.traceId),
              spanId: hex(s.spanId),
              parentSpanId: s.parentSpanId?.length ? hex(s.parentSpanId) : null,
              name: s.name,
              service: attrsJson(rs.resource.attributes)['service.name'],
              resource: attrsJson(rs.resource.attributes),
              kind: (s.kind ?? 'SPAN_KIND_UNSPECIFIED').replace('SPAN_KIND_', ''),
              start: s.startTimeUnixNano,
              duration: (BigInt(s.endTimeUnixNano) - BigInt(s.startTimeUnixNano)).toString(),
              status: (s.status?.code ?? 'STATUS_CODE_UNSET').replace('STATUS_CODE_', ''),
              attributes: attrsJson(s.attributes),
              scope: ss.scope.name,
            })),
          ),
        );
        const want = (await apiSpans(id)).map((s) => ({
          traceId: id,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId,
          name: s.name,
          service: s.service,
          resource: s.resource.attributes,
          kind: s.kind,
          start: s.startTimeUnixNano,
          duration: s.durationNano,
          status: s.status.code,
          attributes: s.attributes,
          scope: 'tempo-test',
        }));
        const bySpan = (a: { spanId: string }, b: { spanId: string }) => (a.spanId < b.spanId ? -1 : 1);
        expect(got.sort(bySpan)).toEqual(want.sort(bySpan));
        // Grafana drops a ResourceSpans without attributes: every one names its service.
        for (const rs of rss) expect(attrsJson(rs.resource.attributes)['service.name']).toEqual(expect.any(String));
      }
    });

    it('answers v2 with TraceByIDResponse, PARTIAL while spans may still arrive', async () => {
      const old = await get(`/tempo/api/v2/traces/${fx.traceIds[1]}?start=${startS}&end=${endS}`, {
        Accept: 'application/protobuf',
      });
      expect(old.status).toBe(200);
      const oldMsg = toObject(TraceByIDResponse, new Uint8Array(await old.arrayBuffer()));
      expect(oldMsg.status ?? 'COMPLETE').toBe('COMPLETE');
      const oldSpans = (oldMsg.trace as { resourceSpans: PbResourceSpans[] }).resourceSpans.flatMap((rs) =>
        rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => hex(s.spanId))),
      );
      expect(oldSpans.sort()).toEqual((await apiSpans(fx.traceIds[1]!)).map((s) => s.spanId).sort());

      const recent = await get(`/tempo/api/v2/traces/${fx.recentTraceId}`, { Accept: 'application/protobuf' });
      expect(toObject(TraceByIDResponse, new Uint8Array(await recent.arrayBuffer())).status).toBe('PARTIAL');

      const json = await getJson(`/tempo/api/v2/traces/${fx.traceIds[1]}`);
      expect(json.status).toBe('COMPLETE');
      const jsonSpans = (
        json.trace as { resourceSpans: { scopeSpans: { spans: { spanId: string }[] }[] }[] }
      ).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.spanId)));
      expect(jsonSpans.sort()).toEqual(oldSpans.sort());
    });

    it('answers 404 for an unknown trace and 400 for a malformed ID, and left-pads short IDs', async () => {
      expect((await get('/tempo/api/v2/traces/0123456789abcdef0123456789abcdef')).status).toBe(404);
      const bad = await get('/tempo/api/traces/not-a-trace');
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toContain('not-a-trace');
      const short = fx.traceIds[2]!.replace(/^0+/, '');
      expect((await get(`/tempo/api/traces/${short}`, { Accept: 'application/protobuf' })).status).toBe(200);
    });

    it('searches as the search builder does and answers the shape formatTraceQLResponse reads', async () => {
      const q = '{resource.service.name="payment" && span.http.method="POST"}';
      const body = await getJson(
        `/tempo/api/search?q=${encodeURIComponent(q)}&limit=20&spss=3&start=${startS}&end=${endS}`,
      );
      const traces = body.traces as {
        traceID: string;
        rootServiceName: string;
        rootTraceName: string;
        startTimeUnixNano: string;
        durationMs: number;
        spanSets: {
          spans: { spanID: string; startTimeUnixNano: string; durationNanos: string; attributes: PbKeyValue[] }[];
          matched: number;
        }[];
      }[];
      expect(traces.length).toBeGreaterThan(0);
      for (const t of traces) {
        expect(t.traceID).toMatch(/^[0-9a-f]{32}$/);
        expect(typeof t.startTimeUnixNano).toBe('string');
        expect(typeof t.durationMs).toBe('number');
        const spans = await apiSpans(t.traceID);
        const root = spans.find((s) => s.parentSpanId === null);
        expect(t.rootServiceName).toBe(root ? root.service : '<root span not yet received>');
        expect(t.rootTraceName).toBe(root ? root.name : '');
        const matching = spans.filter((s) => s.service === 'payment' && s.attributes['http.method'] === 'POST');
        expect(t.spanSets[0]!.matched).toBe(matching.length);
        for (const s of t.spanSets[0]!.spans) {
          const api = spans.find((x) => x.spanId === s.spanID)!;
          expect(s.startTimeUnixNano).toBe(api.startTimeUnixNano);
          expect(s.durationNanos).toBe(api.durationNano);
          expect(attrsJson(s.attributes)).toMatchObject({ 'service.name': 'payment', 'http.method': 'POST' });
        }
      }
    });

    it('refuses what it cannot answer with a 400 naming the construct', async () => {
      for (const [q, text] of [
        ['{ .a = 1 } | count() > 2', 'pipeline'],
        ['{ .a = 1 } >> { .b = 2 }', 'spanset operator ">>"'],
        ['{ event.name = "x" }', 'scope "event."'],
        ['{ duration > 5 }', 'duration'],
      ]) {
        const res = await get(`/tempo/api/search?q=${encodeURIComponent(q!)}&limit=20&spss=3`);
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error: string }).error).toContain(text);
      }
      const tags = await get('/tempo/api/search?tags=service.name%3Dx');
      expect(tags.status).toBe(400);
    });

    it('lists tags by scope and values, narrowed by q, as the pivot API data has them', async () => {
      const all = new Map<string, ApiSpan[]>();
      for (const id of fx.traceIds) all.set(id, await apiSpans(id));
      const spans = [...all.values()].flat();
      const tags = (await getJson('/tempo/api/v2/search/tags?limit=5000')).scopes as { name: string; tags: string[] }[];
      const scope = (n: string) => tags.find((s) => s.name === n)!.tags;
      expect(new Set(scope('span'))).toEqual(new Set(spans.flatMap((s) => Object.keys(s.attributes))));
      expect(new Set(scope('resource'))).toEqual(new Set(spans.flatMap((s) => Object.keys(s.resource.attributes))));
      expect(scope('intrinsic')).toEqual(
        expect.arrayContaining(['name', 'status', 'duration', 'kind', 'rootServiceName']),
      );
      const onlyResource = (await getJson('/tempo/api/v2/search/tags?scope=resource')).scopes as { name: string }[];
      expect(onlyResource.map((s) => s.name)).toEqual(['resource']);

      const services = (await getJson('/tempo/api/v2/search/tag/resource.service.name/values?limit=5000'))
        .tagValues as { type: string; value: string }[];
      expect(services).toEqual(
        [...new Set(spans.map((s) => s.service))].sort().map((value) => ({ type: 'string', value })),
      );
      const q = encodeURIComponent('{resource.service.name="payment"}');
      const codes = (await getJson(`/tempo/api/v2/search/tag/span.http.status_code/values?q=${q}&limit=5000`))
        .tagValues as { type: string; value: string }[];
      const want = new Map<string, string>();
      for (const s of spans)
        if (s.service === 'payment' && s.attributes['http.status_code'] !== undefined) {
          const v = s.attributes['http.status_code'] as string | number;
          want.set(`${typeof v}:${String(v)}`, typeof v === 'number' ? 'int' : 'string');
        }
      expect(new Set(codes.map((c) => `${c.type === 'int' ? 'number' : 'string'}:${c.value}`))).toEqual(
        new Set(want.keys()),
      );
      const status = (await getJson('/tempo/api/v2/search/tag/status/values')).tagValues as { value: string }[];
      expect(status.map((s) => s.value)).toEqual(['error', 'ok', 'unset']);
      const names = (await getJson('/tempo/api/v2/search/tag/name/values')).tagValues as { value: string }[];
      expect(new Set(names.map((s) => s.value))).toEqual(new Set(spans.map((s) => s.name)));
      expect((await get('/tempo/api/v2/search/tag/event:name/values')).status).toBe(400);
    });

    it('knows every trace the fixture wrote', async () => {
      const body = await getJson(`/tempo/api/search?q=%7B%7D&limit=1000&spss=1`);
      expect((body.traces as unknown[]).length).toBe(TRACE_COUNT + 1);
    });
  });
}
