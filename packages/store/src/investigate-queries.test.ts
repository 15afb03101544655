// Cohort comparison on a seeded shop whose cause is known: 10 slow checkouts whose card authorization
// timed out once and was retried (a `retry` event, an ERROR first attempt, a "timed out" log), against
// 30 fast ones. Every share and score below follows from the seed by hand.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseSpanId,
  parseTraceId,
  unixNano,
  type Attributes,
  type LogRecord,
  type ResourceLogs,
  type ResourceSpans,
  type Span,
  type SpanId,
  type TraceId,
} from '@pivot/model';
import { InvestigateQueries, LogWriter, PartitionManager, SpanWriter, type Database } from './index.ts';
import { logPattern } from './investigate.ts';
import { logPatternSql } from './investigate-queries.ts';
import { testDatabases } from './testing.ts';

const MS = 1_000_000n;
const T0 = 1_764_000_000_000_000_000n;
const SLOW = 10;
const FAST = 30;

let seq = 0;
const sid = () => parseSpanId((++seq).toString(16).padStart(16, '0'))!;
const tid = (i: number) =>
  parseTraceId(`${(Math.imul(i + 1, 2654435761) >>> 0).toString(16).padStart(8, '0')}${'ab'.repeat(12)}`)!;

function span(
  traceId: TraceId,
  parent: SpanId | null,
  name: string,
  startMs: number,
  endMs: number,
  extra: Partial<Span> = {},
): Span {
  return {
    traceId,
    spanId: sid(),
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

function log(
  traceId: TraceId,
  spanId: SpanId,
  atMs: number,
  severityNumber: number,
  body: string,
  attributes: Attributes,
): LogRecord {
  return {
    timeUnixNano: unixNano(T0 + BigInt(atMs) * MS),
    observedTimeUnixNano: unixNano(T0 + BigInt(atMs) * MS),
    severityNumber,
    severityText: '',
    body,
    attributes,
    droppedAttributesCount: 0,
    flags: 1,
    traceId,
    spanId,
    eventName: '',
  };
}

/** One trace per i, started i seconds after T0: frontend → pricing, checkout → payment → authorize. */
function seed(): { spans: Record<string, Span[]>; logs: Record<string, LogRecord[]> } {
  const spans: Record<string, Span[]> = { frontend: [], pricing: [], checkout: [], payment: [] };
  const logs: Record<string, LogRecord[]> = { frontend: [], payment: [] };
  for (let i = 0; i < SLOW + FAST; i++) {
    const slow = i < SLOW;
    const t = tid(i);
    const at = i * 1000;
    const scale = slow ? 10 : 1; // slow: 1000 ms in all; fast: 100 ms
    const root = span(t, null, 'POST /checkout', at, at + 100 * scale);
    const price = span(t, root.spanId, 'GET /price', at + 1, at + 4);
    const orders = span(t, root.spanId, 'POST /orders', at + 5, at + 100 * scale - 5);
    const charge = span(t, orders.spanId, 'POST /charge', at + 10, at + 100 * scale - 10, {
      events: slow
        ? [
            {
              timeUnixNano: unixNano(T0 + BigInt(at + 625) * MS),
              name: 'retry',
              attributes: {},
              droppedAttributesCount: 0,
            },
          ]
        : [],
      attributes: { 'order.id': `ord-${i}` },
    });
    const attempts = slow
      ? [
          span(t, charge.spanId, 'authorize', at + 20, at + 620, {
            attributes: { 'retry.attempt': 1 },
            status: { code: 2, message: 'gateway timeout' },
          }),
          span(t, charge.spanId, 'authorize', at + 630, at + 930, { attributes: { 'retry.attempt': 2 } }),
        ]
      : [span(t, charge.spanId, 'authorize', at + 20, at + 40, { attributes: { 'retry.attempt': 1 } })];
    spans.frontend!.push(root);
    spans.pricing!.push(price);
    spans.checkout!.push(orders);
    spans.payment!.push(charge, ...attempts);
    logs.frontend!.push(log(t, root.spanId, at + 99, 9, `order ord-${i} placed`, {}));
    if (slow)
      logs.payment!.push(
        log(t, charge.spanId, at + 621, 17, `payment timed out for order ${(0x53e89b4f + i).toString(16)}`, {
          retry: true,
        }),
      );
  }
  return { spans, logs };
}

// Resources: three fifths of each side's traces (by i % 5 < 3: 6 of 10 and 18 of 30) run in eu, the rest in us.
const resource = (service: string, region: string) => ({
  attributes: { 'service.name': service, 'cloud.region': region },
  droppedAttributesCount: 0,
});
const scope = { name: 't', version: '', attributes: {} };

for (const tdb of testDatabases()) {
  describe(`cohort comparison on ${tdb.name}`, () => {
    let db: Database;
    let investigate: InvestigateQueries;
    const window = { startNs: unixNano(T0), endNs: unixNano(T0 + 60_000n * MS) };
    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      const partitions = new PartitionManager(db);
      investigate = new InvestigateQueries(db);
      const { spans, logs } = seed();
      const region = (s: Span | LogRecord) => {
        const i = Array.from({ length: SLOW + FAST }, (_, k) => tid(k)).indexOf(s.traceId!);
        return i % 5 < 3 ? 'eu' : 'us';
      };
      const resourceSpans: ResourceSpans[] = [];
      for (const [service, list] of Object.entries(spans))
        for (const r of ['eu', 'us'])
          resourceSpans.push({
            resource: resource(service, r),
            scopeSpans: [{ scope, spans: list.filter((s) => region(s) === r) }],
          });
      await new SpanWriter(db, partitions).write(resourceSpans);
      const resourceLogs: ResourceLogs[] = Object.entries(logs).map(([service, list]) => ({
        resource: resource(service, 'eu'),
        scopeLogs: [{ scope, logRecords: list }],
      }));
      await new LogWriter(db, partitions).write(resourceLogs);
    }, 120_000);
    afterAll(async () => {
      await db?.close();
      await tdb.drop();
    });

    it('explains the slow checkouts: the retry, the timed-out log, then the authorization holding the time', async () => {
      const r = await investigate.compare({ cohort: { service: 'frontend', minDurationNs: 500n * MS, ...window } });
      expect(r.sample).toEqual({ cohort: SLOW, baseline: FAST });
      expect(r.matched).toEqual({ cohort: SLOW, baseline: FAST });
      const top = r.dimensions.filter((d) => d.score > 0);
      expect(top).toEqual([
        {
          source: 'span',
          key: 'event',
          value: 'retry',
          attribute: false,
          cohort: 1,
          baseline: 0,
          score: 1,
          same: [
            { key: 'status', value: 'ERROR', attribute: false },
            { key: 'retry.attempt', value: '2', attribute: true },
          ],
        },
        {
          source: 'log',
          key: 'pattern',
          value: 'payment timed out for order <id>',
          attribute: false,
          cohort: 1,
          baseline: 0,
          score: 1,
          same: [
            { key: 'severity', value: 'ERROR', attribute: false },
            { key: 'service', value: 'payment', attribute: false },
            { key: 'retry', value: 'true', attribute: true },
          ],
        },
        // Critical-path self time over the trace's duration: 900 of 1000 ms against 20 of 100.
        {
          source: 'path',
          key: 'payment',
          value: 'authorize',
          attribute: false,
          cohort: 0.9,
          baseline: 0.2,
          score: 0.7,
        },
        {
          source: 'path',
          key: 'payment',
          value: 'POST /charge',
          attribute: false,
          cohort: 0.08,
          baseline: 0.6,
          score: 0.52,
        },
        {
          source: 'path',
          key: 'checkout',
          value: 'POST /orders',
          attribute: false,
          cohort: 0.01,
          baseline: 0.1,
          score: 0.09,
        },
        {
          source: 'path',
          key: 'frontend',
          value: 'POST /checkout',
          attribute: false,
          cohort: 0.007,
          baseline: 0.07,
          score: 0.063,
        },
        {
          source: 'path',
          key: 'pricing',
          value: 'GET /price',
          attribute: false,
          cohort: 0.003,
          baseline: 0.03,
          score: 0.027,
        },
      ]);
      // What both sides share scores 0 (the region split is the same on each side); order IDs, in one
      // trace each, lack the support to be listed at all.
      const zero = r.dimensions.filter((d) => d.score === 0);
      expect(zero).toContainEqual({
        source: 'resource',
        key: 'cloud.region',
        value: 'eu',
        attribute: true,
        cohort: 0.6,
        baseline: 0.6,
        score: 0,
      });
      expect(r.dimensions.some((d) => d.key === 'order.id')).toBe(false);
    });

    it('compares with an explicit baseline, and scopes spans to the named operation and its descendants', async () => {
      const r = await investigate.compare({
        cohort: { service: 'payment', operation: 'POST /charge', status: 'error', ...window },
        baseline: { service: 'payment', operation: 'POST /charge', maxDurationNs: 200n * MS, ...window },
      });
      expect(r.sample).toEqual({ cohort: SLOW, baseline: FAST });
      // Rows in every trace of both sides fold into one (status UNSET stands for the names beside it).
      const names = r.dimensions
        .filter((d) => d.source === 'span')
        .flatMap((d) => [d, ...(d.same ?? [])])
        .filter((d) => d.key === 'name' && !d.attribute)
        .map((d) => d.value);
      expect(names.sort()).toEqual(['POST /charge', 'authorize']);
      // Path shares are of the anchor span (POST /charge, 980 ms): 900 / 980 against 20 / 80.
      const authorize = r.dimensions.find((d) => d.source === 'path' && d.value === 'authorize');
      expect(authorize).toMatchObject({ cohort: 0.918367, baseline: 0.25 });
      expect(r.dimensions.some((d) => d.source === 'path' && d.key === 'frontend')).toBe(false);
    });

    it('samples a bounded, deterministic set of traces per side', async () => {
      const small = new InvestigateQueries(db, 4);
      const req = { cohort: { service: 'frontend', minDurationNs: 500n * MS, ...window } };
      const a = await small.compare(req);
      const b = await small.compare(req);
      expect(a.sample).toEqual({ cohort: 4, baseline: 4 });
      expect(a.matched).toEqual({ cohort: SLOW, baseline: FAST });
      expect(b).toEqual(a);
      // Below 3 traces nothing is supported, but the path rows remain.
      expect(a.dimensions[0]).toMatchObject({ source: 'span', key: 'event', value: 'retry', score: 1 });
    });

    it('masks log messages in SQL exactly as logPattern does', async () => {
      const corpus = [
        'payment timed out for order 53e89b4f',
        'card gateway timed out after 700 ms for order ord-482913; retrying (attempt 2 of 2)',
        'charged 12.50 EUR for order ord-7',
        'low stock for sku-espresso: 3 left',
        'trace 4bf92f35-77b3-4da6-a3ce-929d0e0e4736 done.',
        'connect to 10.0.0.12:5432 refused',
        'version v1.2.3 at -5 degrees, 1e3 retries, x=42, (7)',
        'span deadbeefcafe failed, decade feedback',
        'überprüfung 12 fehlgeschlagen — naïve café 0xff',
        'x'.repeat(250) + ' 12',
      ];
      const rows = await db.query<{ p: string }>(
        sql`SELECT ${logPatternSql(sql`m`)} AS p FROM unnest(${sql.param(corpus)}::text[]) WITH ORDINALITY AS u(m, i) ORDER BY i`,
      );
      expect(rows.map((r) => r.p)).toEqual(corpus.map(logPattern));
    });

    it('answers an empty comparison when no trace matches', async () => {
      const r = await investigate.compare({ cohort: { service: 'nobody', ...window } });
      expect(r).toEqual({ dimensions: [], sample: { cohort: 0, baseline: 0 }, matched: { cohort: 0, baseline: 0 } });
    });
  });
}
