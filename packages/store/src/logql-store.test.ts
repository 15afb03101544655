// LogQL over the log tables: stream labels from resources and severity, structured metadata, and the
// trace-to-logs shapes Grafana sends answered through the trace-ID index (the plan shows it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { parse, type LogQuery } from '@pivot/logql';
import {
  parseTraceId,
  unixNano,
  type Attributes,
  type AttrValue,
  type LogRecord,
  type ResourceLogs,
} from '@pivot/model';
import { LogWriter, LogqlQueries, LogqlTooManyRowsError, PartitionManager, type Database } from './index.ts';
import { testDatabases } from './testing.ts';

const T1 = parseTraceId('0af7651916cd43dd8448eb211c80319c')!;
const T2 = parseTraceId('4bf92f3577b34da6a3ce929d0e0e4736')!;
const BASE = 1_764_000_000_000_000_000n;
const SEC = 1_000_000_000n;
const range = { startNs: unixNano(BASE - 10n * SEC), endNs: unixNano(BASE + 600n * SEC) };

function rec(offSec: number, body: AttrValue, o: Partial<LogRecord> = {}): LogRecord {
  const t = unixNano(BASE + BigInt(offSec) * SEC);
  return {
    timeUnixNano: t,
    observedTimeUnixNano: t,
    severityNumber: 9,
    severityText: 'INFO',
    body,
    attributes: {},
    droppedAttributesCount: 0,
    flags: 0,
    traceId: null,
    spanId: null,
    eventName: '',
    ...o,
  };
}
const rl = (service: string, records: LogRecord[], extra: Attributes = {}): ResourceLogs => ({
  resource: { attributes: { 'service.name': service, ...extra }, droppedAttributesCount: 0 },
  scopeLogs: [{ scope: { name: 'app', version: '1', attributes: {} }, logRecords: records }],
});

/** An index scan (plain or bitmap) on a logs partition's trace-ID index. */
const TRACE_INDEX_SCAN = /Index (?:Only )?Scan (?:Backward )?(?:using|on) logs_p\w*trace_id\w*/;

const log = (q: string) => parse(q) as LogQuery;

for (const tdb of testDatabases()) {
  describe(`LogQL store on ${tdb.name}`, () => {
    let db: Database;
    let logql: LogqlQueries;
    const lines = async (q: string, direction: 'forward' | 'backward' = 'forward') =>
      (await logql.logs(log(q), { ...range, limit: 100, direction })).map((e) => e.line);

    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      const writer = new LogWriter(db, new PartitionManager(db));
      await writer.write([
        rl(
          'checkout',
          [
            rec(1, 'order placed', { traceId: T1, attributes: { 'http.route': '/checkout' } }),
            rec(2, `payment failed trace=${T2}`, { severityNumber: 17, severityText: 'ERROR' }),
            rec(3, { msg: 'audit', trace_id: T2 }, { severityNumber: 13 }),
            rec(4, 'level=debug msg="cache miss"', { severityNumber: 5, traceId: T2 }),
          ],
          { 'deployment.environment': 'prod' },
        ),
        rl('payments', [rec(5, 'card declined', { traceId: T1, severityNumber: 17 })], {
          'deployment.environment': 'dev',
        }),
      ]);
      // Other traces' logs in the same minutes, so that the planner, with statistics, has a real choice.
      const filler = Array.from({ length: 3000 }, (_, i) =>
        rec(i % 500, `filler ${i}`, {
          traceId: parseTraceId(`${(i + 1).toString(16).padStart(8, '0')}${'ab'.repeat(12)}`)!,
        }),
      );
      await writer.write([rl('filler', filler)]);
      await writer.close();
      await db.query(sql`ANALYZE logs`);
      logql = new LogqlQueries(db);
    });
    afterAll(async () => {
      await db.close();
      await tdb.drop();
    });

    it('selects streams by service, resource attribute and level', async () => {
      expect(await lines('{service_name="checkout"}')).toHaveLength(4);
      expect(await lines('{deployment_environment="dev"}')).toEqual(['card declined']);
      expect(await lines('{level="error"}')).toEqual([`payment failed trace=${T2}`, 'card declined']);
      expect(await lines('{service_name=~"check.*", level!~"info|warn"}', 'backward')).toEqual([
        'level=debug msg="cache miss"',
        `payment failed trace=${T2}`,
      ]);
      expect(await lines('{service_name="nope"}')).toEqual([]);
    });

    it('exposes attributes and trace_id as structured metadata', async () => {
      const [e] = await logql.logs(log('{service_name="checkout"} | http_route="/checkout"'), {
        ...range,
        limit: 10,
        direction: 'forward',
      });
      expect(e?.labels.metadata).toEqual({ http_route: '/checkout', trace_id: T1 });
      expect(e?.labels.stream).toEqual({ service_name: 'checkout', deployment_environment: 'prod', level: 'info' });
    });

    it("answers Grafana's trace-to-logs default query from the trace-ID and trigram indexes", async () => {
      const q = `{service_name="checkout"} | label_format log_line_contains_trace_id=\`{{ contains "${T2}" __line__  }}\` | log_line_contains_trace_id="true" or trace_id="${T2}"`;
      expect(await lines(q)).toEqual([
        `payment failed trace=${T2}`,
        JSON.stringify({ msg: 'audit', trace_id: T2 }),
        'level=debug msg="cache miss"',
      ]);
      const plan = await logql.explain(log(q), range, { indexOnly: true });
      expect(plan).toMatch(TRACE_INDEX_SCAN);
      expect(plan).not.toMatch(/Seq Scan/);
    });

    it("answers Grafana's newer probe (logfmt | json | drop __error__ | trace_id=) from the trace-ID index", async () => {
      const q = `{service_name="checkout"} | logfmt | json | drop __error__ | trace_id="${T2}"`;
      // The JSON body's own trace_id counts too: json extracts it (as trace_id, the record having none).
      expect(await lines(q)).toEqual([JSON.stringify({ msg: 'audit', trace_id: T2 }), 'level=debug msg="cache miss"']);
      const plan = await logql.explain(log(q), range, { indexOnly: true });
      expect(plan).toMatch(TRACE_INDEX_SCAN);
      expect(plan).not.toMatch(/Seq Scan/);
      // Without a parser only the record's trace ID can match: the plan needs the trace index alone.
      const plain = await logql.explain(log(`{service_name="checkout"} | trace_id="${T1}"`), range, {
        indexOnly: true,
      });
      expect(plain).toMatch(TRACE_INDEX_SCAN);
      expect(plain).not.toMatch(/trgm/);
      expect(await lines(`{service_name="checkout"} | trace_id="${T1}"`)).toEqual(['order placed']);
    });

    it('gives samples in (from, to] and stream stats', async () => {
      const s = await logql.samples(log('{service_name="checkout"}'), BASE + 1n * SEC, BASE + 3n * SEC);
      expect(s.map((x) => x.timeNs - BASE)).toEqual([2n * SEC, 3n * SEC]);
      const streams = await logql.streams(range, log('{service_name="checkout"}').matchers);
      expect(streams.map((x) => [x.labels.level, x.entries]).sort()).toEqual([
        ['debug', 1],
        ['error', 1],
        ['info', 1],
        ['warn', 1],
      ]);
    });

    it('pages through batches when the pipeline drops most rows, in both directions', async () => {
      const q = log('{service_name="filler"} |~ "^filler (1|2999)$"');
      for (const direction of ['forward', 'backward'] as const) {
        const got = await logql.logs(q, { ...range, limit: 2, direction });
        expect(got.map((e) => e.line).sort()).toEqual(['filler 1', 'filler 2999']);
      }
    });

    it('refuses a query that would read more rows than allowed', async () => {
      const small = new LogqlQueries(db, { maxRows: 20 });
      // Batches of 16, then 32: past 20 rows read without the one line wanted, the query is refused.
      await expect(
        small.logs(log('{service_name="filler"} |~ "nothing"'), { ...range, limit: 1, direction: 'forward' }),
      ).rejects.toBeInstanceOf(LogqlTooManyRowsError);
      await expect(
        small.logs(log('{service_name="payments"}'), { ...range, limit: 1, direction: 'forward' }),
      ).resolves.toHaveLength(1);
    });
  });
}
