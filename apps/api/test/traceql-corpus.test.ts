// A TraceQL corpus: each query runs through the Tempo search API (and pivot's own /api/traces?q=), and
// its answer is checked against an expectation computed here, span by span, from the same data read
// through pivot's trace API (/api/traces and /api/traces/:id). The expectations are hand-written
// predicates with JavaScript regexes, independent of @pivot/traceql's matcher and of the SQL translation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@pivot/server-kit';
import { TraceQLQueries, TraceQueries, type Database } from '@pivot/store';
import { testDatabases } from '@pivot/store/testing';
import { createApiApp } from '../src/index.ts';
import { T0, TRACE_COUNT, writeTempoFixture } from './tempo-data.ts';

interface ApiSpan {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  service: string;
  kind: string;
  startTimeUnixNano: string;
  durationNano: string;
  status: { code: string };
  attributes: Record<string, unknown>;
  resource: { attributes: Record<string, unknown> };
}
interface ApiTrace {
  traceId: string;
  summary: { rootService: string | null; rootName: string | null; durationNano: string; startTimeUnixNano: string };
  spans: ApiSpan[];
}
interface Ctx {
  s: ApiSpan;
  t: ApiTrace['summary'];
}

const own = (o: Record<string, unknown>, k: string) => Object.hasOwn(o, k);
/** span.k */
const sa = (c: Ctx, k: string) => (own(c.s.attributes, k) ? c.s.attributes[k] : undefined);
/** resource.k: service.name falls back to the span's service */
const ra = (c: Ctx, k: string) =>
  own(c.s.resource.attributes, k) ? c.s.resource.attributes[k] : k === 'service.name' ? c.s.service : undefined;
/** .k: the span's attribute, else the resource's */
const ua = (c: Ctx, k: string) => (own(c.s.attributes, k) ? c.s.attributes[k] : ra(c, k));
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number';
const re = (v: unknown, r: RegExp) => isStr(v) && r.test(v);
const nre = (v: unknown, r: RegExp) => isStr(v) && !r.test(v);
const dur = (c: Ctx) => BigInt(c.s.durationNano);
const tdur = (c: Ctx) => BigInt(c.t.durationNano);
const MS = 1_000_000n;

const CORPUS: [string, (c: Ctx) => boolean][] = [
  ['{}', () => true],
  ['{resource.service.name="checkout"}', (c) => ra(c, 'service.name') === 'checkout'],
  ['{resource.service.name!="checkout"}', (c) => ra(c, 'service.name') !== 'checkout'],
  ['{resource.service.name=~"pay.*|inv.*"}', (c) => re(ra(c, 'service.name'), /^(?:pay.*|inv.*)$/)],
  ['{resource.service.name!~"front.*"}', (c) => nre(ra(c, 'service.name'), /^(?:front.*)$/)],
  ['{.service.name="payment"}', (c) => ua(c, 'service.name') === 'payment'],
  ['{span.service.name="payment"}', (c) => sa(c, 'service.name') === 'payment'],
  ['{name="charge"}', (c) => c.s.name === 'charge'],
  ['{name!="GET /"}', (c) => c.s.name !== 'GET /'],
  ['{name=~"GET.*"}', (c) => /^GET/.test(c.s.name)],
  ['{name=~"GET"}', (c) => c.s.name === 'GET'],
  ['{name!~".*order"}', (c) => !/order$/.test(c.s.name)],
  ['{name>"P"}', (c) => c.s.name > 'P'],
  ['{name<="GET /"}', (c) => c.s.name <= 'GET /'],
  ['{status=error}', (c) => c.s.status.code === 'ERROR'],
  ['{status!=error}', (c) => c.s.status.code !== 'ERROR'],
  ['{status=ok}', (c) => c.s.status.code === 'OK'],
  ['{status=unset}', (c) => c.s.status.code === 'UNSET'],
  ['{kind=server}', (c) => c.s.kind === 'SERVER'],
  ['{kind=client}', (c) => c.s.kind === 'CLIENT'],
  ['{kind!=internal}', (c) => c.s.kind !== 'INTERNAL'],
  ['{kind=producer || kind=consumer}', (c) => c.s.kind === 'PRODUCER' || c.s.kind === 'CONSUMER'],
  ['{kind=unspecified}', (c) => c.s.kind === 'UNSPECIFIED'],
  ['{duration>1s}', (c) => dur(c) > 1000n * MS],
  ['{duration>=2500ms}', (c) => dur(c) >= 2500n * MS],
  ['{duration<100ms}', (c) => dur(c) < 100n * MS],
  ['{duration<=1ms}', (c) => dur(c) <= MS],
  ['{duration>500ms && duration<700ms}', (c) => dur(c) > 500n * MS && dur(c) < 700n * MS],
  ['{duration=1.5s}', (c) => dur(c) === 1500n * MS],
  ['{traceDuration>2s}', (c) => tdur(c) > 2000n * MS],
  ['{traceDuration<1500ms}', (c) => tdur(c) < 1500n * MS],
  ['{rootServiceName="frontend"}', (c) => c.t.rootService === 'frontend'],
  ['{rootServiceName!="frontend"}', (c) => c.t.rootService !== null && c.t.rootService !== 'frontend'],
  ['{rootName="POST /checkout"}', (c) => c.t.rootName === 'POST /checkout'],
  ['{rootName=~"GET.*"}', (c) => re(c.t.rootName, /^GET/)],
  ['{span.http.method="GET"}', (c) => sa(c, 'http.method') === 'GET'],
  ['{span.http.method!="GET"}', (c) => isStr(sa(c, 'http.method')) && sa(c, 'http.method') !== 'GET'],
  ['{span.http.method=~"PU.|POST"}', (c) => re(sa(c, 'http.method'), /^(?:PU.|POST)$/)],
  ['{span.http.method!~"GET"}', (c) => nre(sa(c, 'http.method'), /^GET$/)],
  ['{.http.method="PUT"}', (c) => ua(c, 'http.method') === 'PUT'],
  ['{span.http.status_code=500}', (c) => sa(c, 'http.status_code') === 500],
  ['{span.http.status_code="500"}', (c) => sa(c, 'http.status_code') === '500'],
  [
    '{span.http.status_code>=500}',
    (c) => isNum(sa(c, 'http.status_code')) && (sa(c, 'http.status_code') as number) >= 500,
  ],
  [
    '{span.http.status_code<300}',
    (c) => isNum(sa(c, 'http.status_code')) && (sa(c, 'http.status_code') as number) < 300,
  ],
  ['{span.http.status_code!=200}', (c) => isNum(sa(c, 'http.status_code')) && sa(c, 'http.status_code') !== 200],
  ['{span.http.status_code=~"5.*"}', (c) => re(sa(c, 'http.status_code'), /^5/)],
  [
    '{.http.status_code>400 && .http.status_code<=503}',
    (c) =>
      isNum(ua(c, 'http.status_code')) &&
      (ua(c, 'http.status_code') as number) > 400 &&
      (ua(c, 'http.status_code') as number) <= 503,
  ],
  ['{span.retry=true}', (c) => sa(c, 'retry') === true],
  ['{span.retry!=true}', (c) => sa(c, 'retry') === false],
  ['{span.retry=false}', (c) => sa(c, 'retry') === false],
  ['{span.ratio>0.3}', (c) => isNum(sa(c, 'ratio')) && (sa(c, 'ratio') as number) > 0.3],
  ['{span.ratio=0.25}', (c) => sa(c, 'ratio') === 0.25],
  ['{span.ratio<=1.75}', (c) => isNum(sa(c, 'ratio')) && (sa(c, 'ratio') as number) <= 1.75],
  ['{span.user.id>=50}', (c) => isNum(sa(c, 'user.id')) && (sa(c, 'user.id') as number) >= 50],
  [
    '{span.user.id<10 || span.user.id>90}',
    (c) => isNum(sa(c, 'user.id')) && ((sa(c, 'user.id') as number) < 10 || (sa(c, 'user.id') as number) > 90),
  ],
  ['{span.db.system="redis"}', (c) => sa(c, 'db.system') === 'redis'],
  ['{span.db.system=~"post.*"}', (c) => re(sa(c, 'db.system'), /^post/)],
  ['{span.http.route="/api/items/{id}"}', (c) => sa(c, 'http.route') === '/api/items/{id}'],
  ['{span.http.route=~"/api/.*"}', (c) => re(sa(c, 'http.route'), /^\/api\//)],
  ['{span.http.route!~"/"}', (c) => nre(sa(c, 'http.route'), /^\/$/)],
  ['{span.http.route=~"/api/items/\\\\{id\\\\}"}', (c) => sa(c, 'http.route') === '/api/items/{id}'],
  ['{.shadow="span"}', (c) => ua(c, 'shadow') === 'span'],
  ['{.shadow="resource"}', (c) => ua(c, 'shadow') === 'resource'],
  ['{resource.shadow="resource"}', (c) => ra(c, 'shadow') === 'resource'],
  ['{span.shadow="resource"}', (c) => sa(c, 'shadow') === 'resource'],
  ['{resource.deployment.environment="staging"}', (c) => ra(c, 'deployment.environment') === 'staging'],
  [
    '{resource.deployment.environment!="prod"}',
    (c) => isStr(ra(c, 'deployment.environment')) && ra(c, 'deployment.environment') !== 'prod',
  ],
  [
    '{.deployment.environment="prod" && status=error}',
    (c) => ua(c, 'deployment.environment') === 'prod' && c.s.status.code === 'ERROR',
  ],
  ['{resource.host.name=~"app-.*" && kind=client}', (c) => re(ra(c, 'host.name'), /^app-/) && c.s.kind === 'CLIENT'],
  ['{resource.service.version=3}', (c) => ra(c, 'service.version') === 3],
  ['{resource.service.version>2}', (c) => isNum(ra(c, 'service.version')) && (ra(c, 'service.version') as number) > 2],
  [
    '{(span.http.method="GET" || span.http.method="POST") && span.http.status_code>=500}',
    (c) =>
      (sa(c, 'http.method') === 'GET' || sa(c, 'http.method') === 'POST') &&
      isNum(sa(c, 'http.status_code')) &&
      (sa(c, 'http.status_code') as number) >= 500,
  ],
  [
    '{span.http.method="GET" && (status=error || duration>2s)}',
    (c) => sa(c, 'http.method') === 'GET' && (c.s.status.code === 'ERROR' || dur(c) > 2000n * MS),
  ],
  [
    '{resource.service.name="checkout" && name="charge" || resource.service.name="payment" && name="reserve"}',
    (c) =>
      (c.s.service === 'checkout' && c.s.name === 'charge') || (c.s.service === 'payment' && c.s.name === 'reserve'),
  ],
  ['{rootServiceName=~"front.*|check.*"}', (c) => re(c.t.rootService, /^(?:front.*|check.*)$/)],
  ['{resource.host.name!~"app-[12]"}', (c) => nre(ra(c, 'host.name'), /^app-[12]$/)],
  ['{span.http.status_code=~"[0-9]+"}', (c) => re(sa(c, 'http.status_code'), /^[0-9]+$/)],
  ['{.http.method=~"P.*"}', (c) => re(ua(c, 'http.method'), /^P/)],
  ['{span.http.route=~"/api/items/\\\\{id\\\\}|/"}', (c) => re(sa(c, 'http.route'), /^(?:\/api\/items\/\{id\}|\/)$/)],
  ['{name=~"SELECT [a-z]+|charge"}', (c) => /^(?:SELECT [a-z]+|charge)$/.test(c.s.name)],
  ['{span.db.system!~"post.*" && kind=client}', (c) => nre(sa(c, 'db.system'), /^post/) && c.s.kind === 'CLIENT'],
  ['{span.missing="x"}', () => false],
  ['{span.missing!="x"}', () => false],
  ['{span:name="charge"}', (c) => c.s.name === 'charge'],
  [
    '{trace:rootService="frontend" && span:status=error}',
    (c) => c.t.rootService === 'frontend' && c.s.status.code === 'ERROR',
  ],
  ['{span."http.method"="GET"}', (c) => sa(c, 'http.method') === 'GET'],
  ['{name=~"(?i)get.*"}', (c) => /^get/i.test(c.s.name)],
  ['{resource.service.name="checkout" && resource.service.name="payment"}', () => false],
  [
    '{ status = error && kind = server && duration > 10ms }',
    (c) => c.s.status.code === 'ERROR' && c.s.kind === 'SERVER' && dur(c) > 10n * MS,
  ],
  [
    '{.user.id=42 || .db.system="redis" || name=~".*order"}',
    (c) => ua(c, 'user.id') === 42 || ua(c, 'db.system') === 'redis' || /order$/.test(c.s.name),
  ],
];

const startS = Number(T0 / 1_000_000_000n) - 60;
const endS = Number(T0 / 1_000_000_000n) + 3600;

for (const tdb of testDatabases()) {
  describe(`TraceQL corpus on ${tdb.name}`, () => {
    let db: Database;
    let app: ReturnType<typeof createApiApp>;
    const traces: ApiTrace[] = [];
    const getJson = async <T>(path: string): Promise<T> => {
      const res = await app.request(path);
      const body = (await res.json()) as T;
      expect(res.status, `${path}: ${JSON.stringify(body)}`).toBe(200);
      return body;
    };

    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      await writeTempoFixture(db, BigInt(Date.now()) * 1_000_000n);
      app = createApiApp({
        logger: createLogger('silent', 'test'),
        traces: new TraceQueries(db),
        traceql: new TraceQLQueries(db),
        ready: () => db.ping(),
      });
      // The data as pivot's own API shows it: the trace list, then each trace.
      const list = await getJson<{ traces: { traceId: string }[] }>(
        `/api/traces?limit=1000&start=${startS}&end=${endS}`,
      );
      expect(list.traces).toHaveLength(TRACE_COUNT);
      for (const t of list.traces) traces.push(await getJson<ApiTrace>(`/api/traces/${t.traceId}`));
    });
    afterAll(async () => {
      await db?.close();
      await tdb.drop();
    });

    it(`holds at least 60 queries, most of which match some but not all traces`, () => {
      expect(CORPUS.length).toBeGreaterThanOrEqual(60);
      const selective = CORPUS.filter(([, p]) => {
        const n = traces.filter((t) => t.spans.some((s) => p({ s, t: t.summary }))).length;
        return n > 0 && n < traces.length;
      });
      // Tests that can fail: a corpus of queries matching everything or nothing would prove little.
      expect(selective.length).toBeGreaterThanOrEqual(50);
    });

    it.each(CORPUS)('%s', async (q, predicate) => {
      const expected = traces
        .map((t) => ({ t, matching: t.spans.filter((s) => predicate({ s, t: t.summary })) }))
        .filter((x) => x.matching.length > 0)
        .sort((a, b) => (BigInt(b.t.summary.startTimeUnixNano) > BigInt(a.t.summary.startTimeUnixNano) ? 1 : -1));
      const qs = `q=${encodeURIComponent(q)}&start=${startS}&end=${endS}`;
      const tempo = await getJson<{
        traces: { traceID: string; spanSets: { spans: { spanID: string }[]; matched: number }[] }[];
      }>(`/tempo/api/search?${qs}&limit=1000&spss=2`);
      expect(tempo.traces.map((t) => t.traceID)).toEqual(expected.map((x) => x.t.traceId));
      for (const [i, t] of tempo.traces.entries()) {
        const want = expected[i]!.matching;
        const set = t.spanSets[0]!;
        expect(set.matched).toBe(want.length);
        // The first spss matching spans by start time (ties by span ID).
        const first = [...want]
          .sort((a, b) =>
            a.startTimeUnixNano === b.startTimeUnixNano
              ? a.spanId.localeCompare(b.spanId)
              : BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano)
                ? -1
                : 1,
          )
          .slice(0, 2);
        expect(set.spans.map((s) => s.spanID)).toEqual(first.map((s) => s.spanId));
      }
      // The limit keeps the newest traces.
      const limited = await getJson<{ traces: { traceID: string }[] }>(`/tempo/api/search?${qs}&limit=3&spss=1`);
      expect(limited.traces.map((t) => t.traceID)).toEqual(expected.slice(0, 3).map((x) => x.t.traceId));
      // Pivot's own trace search answers the same query the same way.
      const own = await getJson<{ traces: { traceId: string; matchedSpans: number }[] }>(
        `/api/traces?${qs}&limit=1000`,
      );
      expect(own.traces.map((t) => [t.traceId, t.matchedSpans])).toEqual(
        expected.map((x) => [x.t.traceId, x.matching.length]),
      );
    });
  });
}
