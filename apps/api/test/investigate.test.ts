// POST /api/investigate on every driver: the body's forms (nanosecond strings, RFC 3339, "500ms"),
// the answer's shape on a seeded workload, and the refusals of a bad body.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpanId, parseTraceId, unixNano, type ResourceSpans, type Span, type SpanId } from '@pivot/model';
import { createLogger } from '@pivot/server-kit';
import { InvestigateQueries, PartitionManager, SpanWriter, TraceQueries, type Database } from '@pivot/store';
import { testDatabases } from '@pivot/store/testing';
import { createApiApp } from '../src/app.ts';

const T0 = 1_764_000_000_000_000_000n; // 2025-11-24T16:00:00Z
const MS = 1_000_000n;
let seq = 0;

function span(
  traceNo: number,
  parent: SpanId | null,
  name: string,
  startMs: number,
  endMs: number,
  extra: Partial<Span> = {},
): Span {
  return {
    traceId: parseTraceId(`${(traceNo + 1).toString(16).padStart(8, '0')}${'cd'.repeat(12)}`)!,
    spanId: parseSpanId((++seq).toString(16).padStart(16, '0'))!,
    parentSpanId: parent,
    traceState: '',
    flags: 1,
    name,
    kind: 2,
    startTimeUnixNano: unixNano(T0 + BigInt(startMs) * MS),
    endTimeUnixNano: unixNano(T0 + BigInt(endMs) * MS),
    attributes: {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
    ...extra,
  };
}

// 4 slow traces (800 ms, the cache missed: a `cache.hit=false` child holds 700 ms) and 6 fast ones
// (100 ms, `cache.hit=true`, 10 ms), one a second from T0.
function seed(): ResourceSpans[] {
  const spans: Span[] = [];
  for (let i = 0; i < 10; i++) {
    const slow = i < 4;
    const at = i * 1000;
    const root = span(i, null, 'GET /item', at, at + (slow ? 800 : 100));
    spans.push(
      root,
      span(i, root.spanId, 'cache lookup', at + 50, at + (slow ? 750 : 60), {
        attributes: { 'cache.hit': !slow },
      }),
    );
  }
  return [
    {
      resource: { attributes: { 'service.name': 'api' }, droppedAttributesCount: 0 },
      scopeSpans: [{ scope: { name: 't', version: '', attributes: {} }, spans }],
    },
  ];
}

for (const tdb of testDatabases()) {
  describe(`POST /api/investigate on ${tdb.name}`, () => {
    let db: Database;
    let app: ReturnType<typeof createApiApp>;
    const post = (body: unknown, type = 'application/json') =>
      app.request('/api/investigate', {
        method: 'POST',
        headers: { 'content-type': type },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      await new SpanWriter(db, new PartitionManager(db)).write(seed());
      app = createApiApp({
        logger: createLogger('silent', 'test'),
        traces: new TraceQueries(db),
        investigate: new InvestigateQueries(db),
        ready: async () => {},
      });
    }, 120_000);
    afterAll(async () => {
      await db?.close();
      await tdb.drop();
    });

    it('ranks what separates the slow requests, with the sample sizes', async () => {
      const res = await post({
        cohort: { service: 'api', minDuration: '500ms', start: T0.toString(), end: (T0 + 60_000n * MS).toString() },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { dimensions: unknown[]; sample: unknown; matched: unknown };
      expect(body.sample).toEqual({ cohort: 4, baseline: 6 });
      expect(body.matched).toEqual({ cohort: 4, baseline: 6 });
      expect(body.dimensions.slice(0, 4)).toEqual([
        { source: 'span', key: 'cache.hit', value: 'false', attribute: true, cohort: 1, baseline: 0, score: 1 },
        { source: 'span', key: 'cache.hit', value: 'true', attribute: true, cohort: 0, baseline: 1, score: 1 },
        // Critical-path self time over the duration: 100 of 800 ms against 90 of 100, then 700 against 10.
        {
          source: 'path',
          key: 'api',
          value: 'GET /item',
          attribute: false,
          cohort: 0.125,
          baseline: 0.9,
          score: 0.775,
        },
        {
          source: 'path',
          key: 'api',
          value: 'cache lookup',
          attribute: false,
          cohort: 0.875,
          baseline: 0.1,
          score: 0.775,
        },
      ]);
    });

    it('reads RFC 3339 times, nanosecond durations and an explicit baseline', async () => {
      const res = await post({
        cohort: {
          service: 'api',
          minDuration: '500000000',
          start: '2025-11-24T16:00:00Z',
          end: '2025-11-24T16:01:00Z',
        },
        baseline: {
          service: 'api',
          maxDuration: 200_000_000,
          start: '2025-11-24T16:00:05Z',
          end: '2025-11-24T16:01:00Z',
        },
        limit: 1,
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { dimensions: unknown[]; sample: unknown };
      // The baseline starts at 16:00:05: the fast traces 5 to 9.
      expect(body.sample).toEqual({ cohort: 4, baseline: 5 });
      expect(body.dimensions).toEqual([
        { source: 'span', key: 'cache.hit', value: 'false', attribute: true, cohort: 1, baseline: 0, score: 1 },
      ]);
    });

    it('refuses a bad body with a named error', async () => {
      const window = { start: T0.toString(), end: (T0 + MS).toString() };
      const cases: [unknown, string, number][] = [
        [{ cohort: { ...window } }, 'cohort.service', 400],
        [{ cohort: { service: 'api', start: 'yesterday', end: window.end } }, 'cohort.start: invalid time', 400],
        [{ cohort: { service: 'api', ...window, minDuration: 'slow' } }, 'cohort.minDuration: invalid duration', 400],
        [
          { cohort: { service: 'api', start: window.end, end: window.start } },
          'cohort.start: must not be after end',
          400,
        ],
        [{ cohort: { service: 'api', ...window, status: 'bad' } }, 'cohort.status', 400],
        ['{not json', 'body', 400],
      ];
      for (const [body, message, status] of cases) {
        const res = await post(body);
        expect(res.status, JSON.stringify(body)).toBe(status);
        expect(((await res.json()) as { error: string }).error).toContain(message);
      }
      expect((await post('{}', 'text/plain')).status).toBe(415);
    });
  });
}
