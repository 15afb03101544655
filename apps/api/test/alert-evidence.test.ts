// Alerts whose series carry no exemplars (recording rules, span metrics, log counts) still carry
// pivot_exemplar_traces: the slowest matching traces from the spans of the alert's window, chosen by the
// alert's labels, or the traces of the service's error logs for alerts over pivot_log_records_total.
// Seeded spans and logs, exact expectations, on PostgreSQL and PGlite.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseSpanId,
  parseTraceId,
  unixMillis,
  unixNano,
  type LogRecord,
  type ResourceLogs,
  type ResourceSpans,
  type Span,
} from '@pivot/model';
import type { Querier } from '@pivot/promql';
import { evalTimestamp, type NotifyAlert } from '@pivot/rules';
import { createLogger } from '@pivot/server-kit';
import {
  AlertEvidenceQueries,
  AlertingState,
  LogWriter,
  MetricQueries,
  MetricWriter,
  PartitionManager,
  SpanWriter,
  type Database,
} from '@pivot/store';
import { testDatabases } from '@pivot/store/testing';
import { RuleManager } from '../src/rules.ts';

const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);
const MS = 1_000_000n;

const RULES = `groups:
  - name: evidence
    interval: 1m
    rules:
      - alert: CheckoutErrors
        expr: http_errors > 5
      - alert: ChargeErrors
        expr: traces_spanmetrics_calls_total{status_code="STATUS_CODE_ERROR"} > 0
      - record: service:error_logs:sum
        expr: sum by (service) (pivot_log_records_total{severity="error"})
      - alert: ErrorLogBurst
        expr: service:error_logs:sum > 2
      - alert: NothingToMatch
        expr: vector(1) > 0
`;

/** Trace IDs readable in failures: c = checkout, p = payment, l = log. */
const tid = (tag: string, n: number) =>
  `${tag.charCodeAt(0).toString(16)}${'0'.repeat(27)}${n.toString(16).padStart(3, '0')}`;

function span(traceId: string, name: string, startMs: number, durMs: number, error = false): Span {
  return {
    traceId: parseTraceId(traceId)!,
    spanId: parseSpanId(traceId.slice(16))!,
    parentSpanId: null,
    traceState: '',
    flags: 1,
    name,
    kind: 2,
    startTimeUnixNano: unixNano(BigInt(startMs) * MS),
    endTimeUnixNano: unixNano(BigInt(startMs + durMs) * MS),
    attributes: {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: error ? 2 : 0, message: '' },
  };
}

const resource = (service: string) => ({ attributes: { 'service.name': service }, droppedAttributesCount: 0 });
const scope = { name: 'test', version: '1', attributes: {} };

function spansOf(service: string, spans: Span[]): ResourceSpans {
  return { resource: resource(service), scopeSpans: [{ scope, spans }] };
}

function log(atMs: number, severityNumber: number, traceId: string | null, n: number): LogRecord {
  return {
    timeUnixNano: unixNano(BigInt(atMs) * MS),
    observedTimeUnixNano: unixNano(BigInt(atMs) * MS),
    severityNumber,
    severityText: '',
    body: `record ${n}`,
    attributes: {},
    droppedAttributesCount: 0,
    flags: 0,
    traceId: traceId ? parseTraceId(traceId) : null,
    spanId: null,
    eventName: '',
  };
}

function logsOf(service: string, records: LogRecord[]): ResourceLogs {
  return { resource: resource(service), scopeLogs: [{ scope, logRecords: records }] };
}

for (const tdb of testDatabases()) {
  describe(`alert evidence from spans and logs on ${tdb.name}`, () => {
    let db: Database;
    let dir: string;
    const logger = createLogger('silent', 'test');

    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      const partitions = new PartitionManager(db);
      const metricWriter = new MetricWriter(db, partitions);
      const at = (i: number) => unixMillis(T0 - 10 * 60_000 + i * 15_000);
      const series = (labels: Record<string, string>, value: number) => ({
        labels,
        samples: Array.from({ length: 49 }, (_, i) => ({ timestampMs: at(i), value })),
        exemplars: [],
      });
      await metricWriter.write({
        series: [
          series({ __name__: 'http_errors', service: 'checkout' }, 9),
          series(
            {
              __name__: 'traces_spanmetrics_calls_total',
              service: 'payment',
              span_name: 'charge',
              status_code: 'STATUS_CODE_ERROR',
            },
            3,
          ),
          series({ __name__: 'pivot_log_records_total', service: 'checkout', severity: 'error' }, 4),
          series({ __name__: 'pivot_log_records_total', service: 'checkout', severity: 'info' }, 40),
        ],
        metadata: [],
      });
      await metricWriter.close();

      // The alerts' windows all cover [T0 - 4m, T0]; T0 - 10m is outside every one.
      const inWindow = T0 - 3 * 60_000;
      const spanWriter = new SpanWriter(db, partitions);
      await spanWriter.write([
        spansOf('checkout', [
          ...[1, 2, 3, 4, 5, 6, 7].map((n) => span(tid('c', n), 'GET /cart', inWindow + n * 1000, n * 10)),
          // Slowest of all, but long before the alert.
          span(tid('c', 99), 'GET /cart', T0 - 10 * 60_000, 5000),
        ]),
        spansOf('payment', [
          span(tid('p', 1), 'charge', inWindow, 200, true),
          span(tid('p', 2), 'charge', inWindow, 900),
          span(tid('p', 3), 'charge', inWindow, 300, true),
          span(tid('p', 4), 'refund', inWindow, 800, true),
        ]),
      ]);
      await spanWriter.close();

      const logWriter = new LogWriter(db, partitions);
      await logWriter.write([
        logsOf('checkout', [
          log(inWindow, 17, tid('l', 1), 1),
          log(inWindow + 60_000, 21, tid('l', 2), 2),
          log(inWindow + 30_000, 9, tid('l', 3), 3), // info
          log(inWindow + 40_000, 17, null, 4), // no trace
          log(T0 - 20 * 60_000, 17, tid('l', 5), 5), // outside the window
        ]),
        logsOf('payment', [log(inWindow, 17, tid('l', 4), 6)]),
      ]);
      await logWriter.close();

      dir = await mkdtemp(join(tmpdir(), 'pivot-evidence-'));
      await writeFile(join(dir, 'evidence.yml'), RULES);
    });
    afterAll(async () => {
      await db?.close();
      await tdb.drop();
      await rm(dir, { recursive: true, force: true });
    });

    it('picks span and log traces by the alert labels when its series have no exemplars', async () => {
      const metrics = new MetricQueries(db);
      const evidence = new AlertEvidenceQueries(db);
      const querier: Querier = { select: (m, a, b, signal) => metrics.select(m, a, b, { signal }) };
      const writer = new MetricWriter(db, new PartitionManager(db));
      const sent: NotifyAlert[] = [];
      const clock = T0 + 60_000;
      const m = new RuleManager({
        dir,
        database: db,
        state: new AlertingState(db),
        querier,
        write: (b) => writer.write(b),
        logger,
        externalURL: 'http://pivot.test',
        now: () => clock,
        exemplars: (sets, s, e) => metrics.exemplars(sets, s, e),
        traceEvidence: (q, s, e) =>
          q.kind === 'spans' ? evidence.slowestTraces(q, s, e) : evidence.logTraces(q, s, e),
        notify: (alerts) => {
          sent.push(...alerts);
          return Promise.resolve();
        },
      });
      await m.start();
      try {
        await m.evaluateAll();
        const ts = evalTimestamp(m.groups()[0]!.spec, 60_000, clock);
        expect(ts).toBeGreaterThan(T0);
        const traces = Object.fromEntries(
          sent.map((a) => [a.labels.alertname, a.annotations.pivot_exemplar_traces ?? null]),
        );
        expect(traces).toEqual({
          // service=checkout: its five slowest traces in the window, not payment's nor the old one.
          CheckoutErrors: [7, 6, 5, 4, 3].map((n) => tid('c', n)).join(','),
          // service, span_name and an error status_code: payment's failed charges only, slowest first.
          ChargeErrors: [tid('p', 3), tid('p', 1)].join(','),
          // Through the recording rule to pivot_log_records_total: checkout's error (and fatal) logs, latest first.
          ErrorLogBurst: [tid('l', 2), tid('l', 1)].join(','),
          NothingToMatch: null,
        });
        for (const a of sent) expect(a.annotations.pivot_url).toMatch(/^http:\/\/pivot\.test\/metrics\?q=/);
      } finally {
        await m.stop();
        await writer.close();
      }
    });

    it('reads the store exactly: filters, window bounds and order', async () => {
      const evidence = new AlertEvidenceQueries(db);
      const from = T0 - 4 * 60_000;
      expect(await evidence.slowestTraces({ service: 'checkout' }, from, T0, 2)).toEqual([tid('c', 7), tid('c', 6)]);
      // The window is half-open: a span starting at its end is not in it.
      expect(await evidence.slowestTraces({ service: 'checkout' }, from, T0 - 3 * 60_000 + 1000)).toEqual([]);
      expect(await evidence.slowestTraces({ spanName: 'charge' }, from, T0)).toEqual([
        tid('p', 2),
        tid('p', 3),
        tid('p', 1),
      ]);
      expect(await evidence.slowestTraces({ errorsOnly: true }, from, T0)).toEqual([
        tid('p', 4),
        tid('p', 3),
        tid('p', 1),
      ]);
      expect(await evidence.slowestTraces({ service: 'checkout' }, T0 - 11 * 60_000, T0, 1)).toEqual([tid('c', 99)]);
      expect(await evidence.logTraces({ minSeverity: 17 }, from, T0)).toEqual([tid('l', 2), tid('l', 1), tid('l', 4)]);
      expect(await evidence.logTraces({ service: 'checkout', minSeverity: 21 }, from, T0)).toEqual([tid('l', 2)]);
      expect(await evidence.logTraces({ service: 'checkout', minSeverity: 1 }, from, T0)).toEqual([
        tid('l', 2),
        tid('l', 3),
        tid('l', 1),
      ]);
    });
  });
}
