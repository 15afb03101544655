// The SQL escape hatch: the pivot.* views answer what the store's own queries answer on the same data,
// and the console's role and transaction let an admin read those views and do nothing else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseSpanId,
  parseTraceId,
  unixMillis,
  unixNano,
  type LogRecord,
  type MetricsBatch,
  type Span,
} from '@pivot/model';
import {
  LogQueries,
  LogWriter,
  MetricQueries,
  MetricWriter,
  PartitionManager,
  SpanWriter,
  SqlConsole,
  SqlConsoleError,
  TraceQueries,
  toCsv,
  type Database,
} from './index.ts';
import { testDatabases } from './testing.ts';
import { decodeChunk } from './chunk-codec.ts';

const TRACE = parseTraceId('4bf92f3577b34da6a3ce929d0e0e4736')!;
const ROOT = parseSpanId('00f067aa0ba902b7')!;
const CHILD = parseSpanId('ffffffffffffff01')!; // above 2^63: a negative bigint in the table
const BASE = BigInt(Date.now() - 60_000) * 1_000_000n + 123_456n;
const T0 = Date.now() - 600_000;
const STALE = new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0]!;

function span(id: typeof ROOT, parent: typeof ROOT | null, name: string, off: bigint, dur: bigint): Span {
  return {
    traceId: TRACE,
    spanId: id,
    parentSpanId: parent,
    traceState: '',
    flags: 1,
    name,
    kind: parent ? 3 : 2,
    startTimeUnixNano: unixNano(BASE + off),
    endTimeUnixNano: unixNano(BASE + off + dur),
    attributes: { 'http.route': '/pay', n: 7 },
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: parent ? 2 : 0, message: parent ? 'declined' : '' },
  };
}

function log(off: bigint, body: string, o: Partial<LogRecord> = {}): LogRecord {
  return {
    timeUnixNano: unixNano(BASE + off),
    observedTimeUnixNano: unixNano(BASE + off + 5n),
    severityNumber: 17,
    severityText: 'ERROR',
    body,
    attributes: { order: 'o-1' },
    droppedAttributesCount: 0,
    flags: 1,
    traceId: TRACE,
    spanId: CHILD,
    eventName: '',
    ...o,
  };
}

// Integers (delta-of-delta mode) and floats with NaN, infinities, -0, subnormals and a stale marker
// (XOR mode): the SQL decoder must give back every value the TypeScript codec does. Repeated values
// and steady steps make run lengths, regular timestamps too.
const FLOATS = [
  0.1,
  -2.5e-310,
  1e300,
  Number.POSITIVE_INFINITY,
  -0,
  NaN,
  STALE,
  Number.NEGATIVE_INFINITY,
  42,
  42,
  42,
  42,
  STALE,
  STALE,
  1.5,
];
const metrics: MetricsBatch = {
  series: [
    {
      labels: { __name__: 'req_total', job: 'pay' },
      samples: [5, 9, 9, 9, 9, 9, 13, 17, 21, 120, 2 ** 40].map((v, i) => ({
        timestampMs: unixMillis(T0 + i * 15_000),
        value: v,
      })),
      exemplars: [],
    },
    {
      labels: { __name__: 'latency_seconds', job: 'pay' },
      samples: FLOATS.map((v, i) => ({ timestampMs: unixMillis(T0 + i * 15_000 + 7), value: v })),
      exemplars: [
        { labels: { env: 'prod' }, value: 0.25, timestampMs: unixMillis(T0 + 3), traceId: TRACE, spanId: CHILD },
      ],
    },
  ],
  metadata: [],
};

const bits = (v: number) => new BigUint64Array(new Float64Array([v]).buffer)[0]!;

for (const tdb of testDatabases()) {
  describe(`SQL views and console on ${tdb.name}`, () => {
    let db: Database;
    let spans: SpanWriter;
    let logs: LogWriter;
    let samples: MetricWriter;
    let console: SqlConsole;
    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      const partitions = new PartitionManager(db);
      spans = new SpanWriter(db, partitions);
      logs = new LogWriter(db, partitions);
      samples = new MetricWriter(db, partitions);
      await spans.write([
        {
          resource: { attributes: { 'service.name': 'pay', 'host.name': 'h1' }, droppedAttributesCount: 0 },
          scopeSpans: [
            {
              scope: { name: 'sc', version: '1', attributes: {} },
              spans: [
                span(ROOT, null, 'POST /pay', 0n, 900_000_000n),
                span(CHILD, ROOT, 'charge', 1_000n, 800_123_456n),
              ],
            },
          ],
        },
      ]);
      await logs.write([
        {
          resource: { attributes: { 'service.name': 'pay' }, droppedAttributesCount: 0 },
          scopeLogs: [
            {
              scope: { name: 'l', version: '', attributes: {} },
              logRecords: [
                log(2_000n, 'payment timed out'),
                log(3_000n, { a: 1 } as never, { traceId: null, spanId: null }),
              ],
            },
          ],
        },
      ]);
      await samples.write(metrics);
      console = new SqlConsole(db, { rowLimit: 3, timeoutMs: 500 });
    });
    afterAll(async () => {
      await Promise.all([spans?.close(), logs?.close(), samples?.close()]);
      await db?.close();
      await tdb.drop();
    });

    const run = async (text: string) => {
      const r = await new SqlConsole(db, { rowLimit: 1000, timeoutMs: 5000 }).run(text);
      return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]])));
    };

    it('pivot.spans and pivot.traces say what the trace API says', async () => {
      const trace = (await new TraceQueries(db).getTrace(TRACE))!;
      const rows = await run(`SELECT * FROM pivot.spans WHERE trace_id = '${TRACE}' ORDER BY start_ns`);
      expect(rows.map((r) => [r.trace_id, r.span_id, r.parent_span_id, r.service, r.name, r.kind, r.status])).toEqual(
        trace.spans.map((s) => [
          TRACE,
          s.spanId,
          s.parentSpanId,
          s.service,
          s.name,
          s.kind === 2 ? 'SERVER' : 'CLIENT',
          s.status.code === 2 ? 'ERROR' : 'UNSET',
        ]),
      );
      expect(rows.map((r) => BigInt(r.duration_ns as string))).toEqual(trace.spans.map((s) => s.durationNano));
      expect(rows.map((r) => BigInt(r.start_ns as string))).toEqual(trace.spans.map((s) => s.startTimeUnixNano));
      expect(rows[1]).toMatchObject({
        duration_ms: 800.123456,
        attributes: { 'http.route': '/pay', n: 7 },
        status_message: 'declined',
      });
      expect(rows[1]!.resource_attributes).toEqual(trace.spans[1]!.resource.attributes);
      expect(new Date(rows[0]!.start_time as string).getTime()).toBe(Number(BASE / 1_000_000n));
      expect((await run(`SELECT start_ns FROM pivot.spans WHERE span_id = '${ROOT}'`))[0]!.start_ns).toBe(String(BASE));
      const [t] = await run(`SELECT * FROM pivot.traces WHERE trace_id = '${TRACE}'`);
      expect(t).toMatchObject({
        root_service: 'pay',
        root_name: 'POST /pay',
        span_count: 2,
        error_count: 1,
        duration_ms: 900,
      });
    });

    it('pivot.logs says what the log API says', async () => {
      const api = await new LogQueries(db).search({ service: 'pay' }, { limit: 10 });
      const rows = await run(`SELECT * FROM pivot.logs WHERE service = 'pay' ORDER BY time_ns DESC`);
      expect(rows.map((r) => [BigInt(r.time_ns as string), r.trace_id, r.span_id, r.severity_text, r.body])).toEqual(
        api.logs.map((l) => [
          l.timeUnixNano,
          l.traceId,
          l.spanId,
          l.severityText,
          typeof l.body === 'string' ? l.body : JSON.stringify(l.body),
        ]),
      );
      expect(rows[0]!.body_json).toEqual({ a: 1 });
      expect(rows[1]).toMatchObject({ body_json: null, attributes: { order: 'o-1' }, span_id: CHILD });
    });

    it('pivot.decode_chunk still reads version 0 chunks, written before run lengths, as the store does', async () => {
      // Integers 5, 7, 9 at 1000, 2000, 3000 ms; floats 1.5, 1.5 at 1, 2 ms (chunk-codec.test.ts decodes the same).
      for (const hex of ['03d00fd00f00010a0400', '020202000000000000000000f83f00']) {
        const want = decodeChunk(Uint8Array.from(Buffer.from(hex, 'hex')));
        const rows = await run(`SELECT ts_ms, value FROM pivot.decode_chunk('\\x${hex}'::bytea)`);
        expect(rows.map((r) => [Number(r.ts_ms), Number(r.value)])).toEqual(
          Array.from(want.timestamps, (t, i) => [t, want.values[i]]),
        );
      }
    });

    it('pivot.samples decodes every chunk as the store does, bit for bit; pivot.series and pivot.exemplars too', async () => {
      const q = new MetricQueries(db);
      for (const name of ['req_total', 'latency_seconds']) {
        const [stored] = await q.select([{ name: '__name__', type: '=', value: name }], T0 - 1, T0 + 3_600_000);
        const rows = await run(
          `SELECT ts_ms, value::text AS v, stale FROM pivot.samples WHERE metric = '${name}' ORDER BY ts_ms`,
        );
        expect(rows.map((r) => Number(r.ts_ms))).toEqual(Array.from(stored!.timestamps));
        const words = Array.from(
          new BigUint64Array(stored!.values.buffer, stored!.values.byteOffset, stored!.values.length),
        );
        // PostgreSQL prints a double in its shortest round-trip form: parse it back and compare bits.
        const parse = (s: string) =>
          s === 'NaN' ? NaN : s === 'Infinity' ? Infinity : s === '-Infinity' ? -Infinity : Number(s);
        rows.forEach((r, i) => {
          const expected = words[i]!;
          const isNaN =
            (expected & 0x7ff0000000000000n) === 0x7ff0000000000000n && (expected & 0xfffffffffffffn) !== 0n;
          if (isNaN) expect(r.v, `sample ${i} of ${name}`).toBe('NaN');
          else expect(bits(parse(r.v as string)), `sample ${i} of ${name}: ${String(r.v)}`).toBe(expected);
          expect(r.stale).toBe(expected === 0x7ff0000000000002n);
        });
      }
      const series = await run(`SELECT metric, labels FROM pivot.series ORDER BY metric`);
      expect(series).toEqual([
        { metric: 'latency_seconds', labels: { __name__: 'latency_seconds', job: 'pay' } },
        { metric: 'req_total', labels: { __name__: 'req_total', job: 'pay' } },
      ]);
      const [ex] = await run(`SELECT trace_id, span_id, value, labels, series_labels FROM pivot.exemplars`);
      expect(ex).toEqual({
        trace_id: TRACE,
        span_id: CHILD,
        value: 0.25,
        labels: { env: 'prod' },
        series_labels: { __name__: 'latency_seconds', job: 'pay' },
      });
    });

    it('reads the views and nothing else: no base table, no write, no second statement', async () => {
      const refused = async (text: string) => {
        const err = await console.run(text).catch((e: unknown) => e);
        expect(err, text).toBeInstanceOf(SqlConsoleError);
        return (err as Error).message;
      };
      expect(await refused('SELECT * FROM public.spans')).toMatch(/permission denied/);
      expect(await refused('SELECT * FROM public.metric_chunks')).toMatch(/permission denied/);
      expect(await refused("SELECT query_to_xml('SELECT * FROM public.logs', true, false, '')")).toMatch(
        /permission denied/,
      );
      expect(await refused("SELECT pg_read_file('/etc/hostname')")).toMatch(/permission denied/);
      expect(await refused("INSERT INTO pivot.series VALUES (1, 'x', '{}') RETURNING *")).toMatch(
        /syntax error|read-only|cannot|permission/,
      );
      expect(await refused('WITH d AS (DELETE FROM pivot.series RETURNING *) SELECT * FROM d')).toMatch(
        /data-modifying statement must be at the top level/,
      );
      expect(await refused('SELECT * INTO stolen FROM pivot.series')).toMatch(/INTO is not allowed here/);
      expect(await refused('SELECT 1; DROP TABLE spans')).toMatch(/syntax error|multiple commands/);
      expect(await refused('SELECT 1) AS x; COMMIT; DROP TABLE spans; --')).toMatch(/syntax error|multiple commands/);
      // The session user may be a superuser: taking its role back must be impossible.
      expect(await refused("SELECT set_config('role', 'postgres', true)")).toMatch(/cannot set parameter "role"/);
      expect(await refused("SELECT set_config('session_authorization', 'postgres', true)")).toMatch(
        /cannot set parameter "session_authorization"/,
      );
      expect(await refused('')).toBe('no SQL statement given');
      expect(await run('SELECT count(*)::int AS n FROM pivot.spans')).toEqual([{ n: 2 }]);
      // Unqualified names are the views.
      expect(await run('SELECT count(*)::int AS n FROM spans')).toEqual([{ n: 2 }]);
    });

    it.runIf(tdb.name === 'citus')(
      'on Citus, reaches through the workers no more than the views show: no other table, no write',
      async () => {
        // The console's role logs in to the workers and reads the shards there; a statement that asks
        // the workers directly, past the coordinator's checks, finds only that.
        const onWorkers = async (command: string) =>
          run(`SELECT success, result FROM run_command_on_workers('${command}') ORDER BY nodeport`);
        for (const denied of [
          'SELECT count(*) FROM api_sessions',
          'DELETE FROM spans',
          'SELECT * FROM alerting_alerts',
        ])
          for (const r of await onWorkers(denied)) {
            expect(r.success, denied).toBe(false);
            expect(r.result, denied).toMatch(/permission denied/);
          }
        const counted = await onWorkers('SELECT count(*) FROM spans');
        expect(counted.map((r) => r.success)).toEqual([true, true]);
        // Ordered across shards: the statement's ORDER BY holds at the top level.
        const spans = await run('SELECT span_id FROM pivot.spans ORDER BY span_id DESC');
        expect(spans.map((r) => r.span_id)).toEqual([CHILD, ROOT]);
      },
    );

    it('bounds rows, gives CSV, and on PostgreSQL bounds time', async () => {
      const r = await console.run('SELECT g AS n, g * 2 AS "two,x" FROM generate_series(1, 10) g;');
      expect(r).toMatchObject({
        columns: ['n', 'two,x'],
        rows: [
          [1, 2],
          [2, 4],
          [3, 6],
        ],
        truncated: true,
        rowLimit: 3,
      });
      expect(toCsv(r)).toBe('n,"two,x"\r\n1,2\r\n2,4\r\n3,6\r\n');
      expect((await console.run('SELECT 1 AS one -- trailing comment')).rows).toEqual([[1]]);
      // A statement with a LIMIT of its own keeps it, and the row limit still cuts.
      expect(await console.run('SELECT g FROM generate_series(1, 10) g ORDER BY g DESC LIMIT 5')).toMatchObject({
        rows: [[10], [9], [8]],
        truncated: true,
      });
      expect(await console.run('SELECT g FROM generate_series(1, 10) g ORDER BY g DESC LIMIT 2')).toMatchObject({
        rows: [[10], [9]],
        truncated: false,
      });
      if (db.kind !== 'pg') return;
      const err = await console.run('SELECT pg_sleep(5)').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SqlConsoleError);
      expect((err as Error).message).toBe('statement timeout (500 ms)');
    });
  });
}
