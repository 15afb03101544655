// The typical-trace pick and the OTLP/JSON export, on seeded traces whose answers are known: the median
// of the peers in the window (and nothing outside it), and an export that ingest's own JSON decoder
// reads back into a fresh database as the same spans.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpanId, parseTraceId, unixNano, type ResourceSpans, type Span, type TraceId } from '@pivot/model';
import { decodeExportTraceRequestJson } from '@pivot/otlp';
import { createLogger } from '@pivot/server-kit';
import { PartitionManager, SpanWriter, TraceQueries, TypicalTraceQueries, type Database } from '@pivot/store';
import { testDatabases } from '@pivot/store/testing';
import { createApiApp } from '../src/index.ts';

const T0 = 1_795_554_618_000_000_000n;
const MS = 1_000_000n;
const MIN = 60_000n * MS;

const tid = (n: number) => parseTraceId(n.toString(16).padStart(32, '0'))!;
const sid = (n: number) => parseSpanId(n.toString(16).padStart(16, '0'))!;

function span(traceId: TraceId, id: number, parent: number | null, name: string, start: bigint, durMs: number): Span {
  return {
    traceId,
    spanId: sid(id),
    parentSpanId: parent === null ? null : sid(parent),
    traceState: '',
    flags: 1,
    name,
    kind: parent === null ? 2 : 3,
    startTimeUnixNano: unixNano(start),
    endTimeUnixNano: unixNano(start + BigInt(durMs) * MS),
    attributes: {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
  };
}

// Root "frontend GET /checkout" traces; `minutes` from T0 and root duration in ms.
const CHECKOUTS: { n: number; minutes: number; durMs: number }[] = [
  { n: 1, minutes: 0, durMs: 900 }, // the slow one we compare from
  { n: 2, minutes: -20, durMs: 120 },
  { n: 3, minutes: -5, durMs: 80 },
  { n: 4, minutes: 5, durMs: 100 }, // median of {80, 100, 120, 300, 100(id 6)} → see below
  { n: 5, minutes: 25, durMs: 300 },
  { n: 6, minutes: 10, durMs: 100 }, // ties with 4 on duration: the trace ID breaks it
  { n: 7, minutes: 45, durMs: 50 }, // outside ±30 min
  { n: 8, minutes: -40, durMs: 60 }, // outside ±30 min
];

function seed(): ResourceSpans[] {
  const front: Span[] = [];
  const pay: Span[] = [];
  let id = 1;
  for (const c of CHECKOUTS) {
    const t = tid(c.n);
    const start = T0 + BigInt(c.minutes) * MIN;
    const root = id++;
    front.push(span(t, root, null, 'GET /checkout', start, c.durMs));
    pay.push(span(t, id++, root, 'POST /charge', start + 5n * MS, Math.floor(c.durMs / 2)));
  }
  // Same root service, another operation, in the window: not a peer.
  front.push(span(tid(20), id++, null, 'GET /cart', T0 + MIN, 100));
  // A trace without its root: no root operation to match.
  pay.push(span(tid(21), id++, 9999, 'POST /charge', T0, 10));
  // A trace of one root operation only: no peer.
  front.push(span(tid(22), id++, null, 'GET /lonely', T0, 10));

  // The export's subject: every field the model carries.
  const t = tid(30);
  const root = span(t, 500, null, 'GET /export', T0 + 2n * MIN, 40);
  root.traceState = 'vendor=1';
  root.attributes = {
    'http.route': '/export',
    'http.response.status_code': 200,
    ratio: 0.5,
    ok: true,
    tags: ['a', 'b'],
  };
  root.events = [
    {
      timeUnixNano: unixNano(T0 + 2n * MIN + 3n * MS),
      name: 'cache miss',
      attributes: { key: 'k1' },
      droppedAttributesCount: 1,
    },
  ];
  root.links = [
    {
      traceId: tid(1),
      spanId: sid(1),
      traceState: 'x=y',
      attributes: { why: 'retry of' },
      droppedAttributesCount: 0,
      flags: 1,
    },
  ];
  root.droppedAttributesCount = 2;
  root.droppedEventsCount = 3;
  root.droppedLinksCount = 4;
  const child = span(t, 501, 500, 'POST /charge', T0 + 2n * MIN + 1n * MS, 30);
  child.status = { code: 2, message: 'card declined' };
  child.kind = 3;
  child.flags = 257;
  pay.push(child);

  return [
    {
      resource: { attributes: { 'service.name': 'frontend', 'host.name': 'web-1' }, droppedAttributesCount: 0 },
      scopeSpans: [
        { scope: { name: 'http', version: '1.2.0', attributes: { lib: 'x' } }, spans: front },
        { scope: { name: 'exporter', version: '', attributes: {} }, spans: [root] },
      ],
    },
    {
      resource: { attributes: { 'service.name': 'payment', 'service.version': 3 }, droppedAttributesCount: 1 },
      scopeSpans: [{ scope: { name: 'http', version: '1.2.0', attributes: {} }, spans: pay }],
    },
  ];
}

async function write(db: Database, batch: ResourceSpans[]): Promise<void> {
  const writer = new SpanWriter(db, new PartitionManager(db));
  await writer.write(batch);
  await writer.close();
}

for (const tdb of testDatabases()) {
  describe(`typical trace and OTLP export on ${tdb.name}`, () => {
    let db: Database;
    let app: ReturnType<typeof createApiApp>;
    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      await write(db, seed());
      app = createApiApp({
        logger: createLogger('silent', 'test'),
        traces: new TraceQueries(db),
        typicalTraces: new TypicalTraceQueries(db),
        ready: () => db.ping(),
      });
    });
    afterAll(async () => {
      await db?.close();
      await tdb.drop();
    });

    const getJson = async (path: string, status = 200) => {
      const res = await app.request(path);
      const body = (await res.json()) as Record<string, unknown>;
      expect(res.status, JSON.stringify(body)).toBe(status);
      return body;
    };

    it('picks the median-duration peer of the same root service and operation in the window', async () => {
      // Peers within ±30 min of trace 1: 2 (120), 3 (80), 4 (100), 5 (300), 6 (100). Ordered by
      // (duration, ID): 3, 4, 6, 2, 5; the median is the third: 6.
      expect(await getJson(`/api/traces/${tid(1)}/typical`)).toEqual({
        traceId: tid(6),
        durationNs: (100n * MS).toString(),
        durationMs: 100,
        sample: 5,
        rootService: 'frontend',
        rootName: 'GET /checkout',
        window: { start: (T0 - 30n * MIN).toString(), end: (T0 + 30n * MIN).toString() },
      });
      // A wider window takes in 7 (50 ms, +45 min) and 8 (60 ms, -40 min): 7 peers, the median the 4th.
      // Ordered: 7 (50), 8 (60), 3 (80), 4 (100), 6 (100), 2 (120), 5 (300) → 4.
      const wide = await getJson(`/api/traces/${tid(1)}/typical?window=2h`);
      expect([wide.traceId, wide.sample]).toEqual([tid(4), 7]);
      // A narrow one: 3 (-5 min) and 4 (+5 min) within ±6 min; lower median of (80, 100) is 3.
      const narrow = await getJson(`/api/traces/${tid(1)}/typical?window=12m`);
      expect([narrow.traceId, narrow.sample, narrow.durationMs]).toEqual([tid(3), 2, 80]);
      // From a typical trace, the slow one is a peer too: trace 6's peers in ±30 min are 1…5.
      const from6 = await getJson(`/api/traces/${tid(6)}/typical`);
      expect([from6.traceId, from6.sample]).toEqual([tid(2), 5]); // 80, 100(4), 120(2), 300, 900 → 2
    });

    it('says why there is no typical trace, and refuses bad input', async () => {
      expect((await getJson(`/api/traces/${tid(22)}/typical`, 404)).error).toBe(
        'no other trace of frontend "GET /lonely" started within the 1h window',
      );
      expect((await getJson(`/api/traces/${tid(21)}/typical`, 404)).error).toMatch(/has no root span yet/);
      expect((await getJson(`/api/traces/${tid(99)}/typical`, 404)).error).toMatch(/not found/);
      expect((await getJson(`/api/traces/xyz/typical`, 400)).error).toMatch(/not a trace ID/);
      expect((await getJson(`/api/traces/${tid(1)}/typical?window=169h`, 400)).error).toMatch(/at most 7 days/);
      expect((await getJson(`/api/traces/${tid(1)}/typical?window=soon`, 400)).error).toMatch(/invalid duration/);
    });

    it('exports a trace as OTLP/JSON that ingest reads back into a fresh database as the same spans', async () => {
      const res = await app.request(`/api/traces/${tid(30)}/otlp`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="trace-${tid(30)}.otlp.json"`);
      const body = await res.text();
      // What POST /v1/traces does with a JSON body.
      const decoded = decodeExportTraceRequestJson(body);
      expect([decoded.accepted, decoded.rejected]).toEqual([2, 0]);

      const fresh = testDatabases().find((d) => d.name === tdb.name)!;
      const db2 = await fresh.open();
      try {
        await db2.migrate();
        await write(db2, decoded.resourceSpans);
        const app2 = createApiApp({
          logger: createLogger('silent', 'test'),
          traces: new TraceQueries(db2),
          ready: () => db2.ping(),
        });
        const before = (await getJson(`/api/traces/${tid(30)}`)) as { spans: unknown[] };
        const after = (await (await app2.request(`/api/traces/${tid(30)}`)).json()) as { spans: unknown[] };
        expect(after.spans).toHaveLength(2);
        expect(after).toEqual(before);
        // And exactly the fields seeded, not just "the same as the first database".
        const [root, child] = before.spans as Record<string, unknown>[];
        expect(root).toMatchObject({
          spanId: sid(500),
          parentSpanId: null,
          traceState: 'vendor=1',
          attributes: {
            'http.route': '/export',
            'http.response.status_code': 200,
            ratio: 0.5,
            ok: true,
            tags: ['a', 'b'],
          },
          droppedAttributesCount: 2,
          droppedEventsCount: 3,
          droppedLinksCount: 4,
          events: [{ name: 'cache miss', attributes: { key: 'k1' }, droppedAttributesCount: 1 }],
          links: [{ traceId: tid(1), spanId: sid(1), traceState: 'x=y', attributes: { why: 'retry of' } }],
          scope: { name: 'exporter', version: '', attributes: {} },
          resource: { attributes: { 'service.name': 'frontend', 'host.name': 'web-1' } },
        });
        expect(child).toMatchObject({
          spanId: sid(501),
          parentSpanId: sid(500),
          service: 'payment',
          kind: 'CLIENT',
          flags: 257,
          status: { code: 'ERROR', message: 'card declined' },
          resource: { attributes: { 'service.name': 'payment', 'service.version': 3 }, droppedAttributesCount: 1 },
        });
      } finally {
        await db2.close();
        await fresh.drop();
      }
      expect((await app.request(`/api/traces/${tid(99)}/otlp`)).status).toBe(404);
      expect((await app.request(`/api/traces/nope/otlp`)).status).toBe(400);
    });
  });
}
