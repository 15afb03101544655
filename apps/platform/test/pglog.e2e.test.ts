// Issue 21's check: a real PostgreSQL server logging jsonlog with log_min_duration_statement = 0, lock
// waits and auto_explain; a node-postgres client traced by the OpenTelemetry SDK, whose pg
// instrumentation adds sqlcommenter comments, exporting its spans over OTLP to pivot's ingest; pivot
// tails the server's log files (PG_LOG_PATHS, across a log rotation), and every server log line of a
// traced query comes back from /api/traces/{id}/logs on the DB CLIENT span that sent the query.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { pgServerMissing, startPrivatePg, type PrivatePgServer } from './pg-server.ts';
import { startTestPlatform } from './start.ts';

interface PgClient {
  connect(): Promise<void>;
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
}
interface ApiLog {
  body: string;
  traceId: string | null;
  spanId: string | null;
  service: string;
  severityText: string;
  attributes: Record<string, unknown>;
  resource: { attributes: Record<string, unknown> };
}

const missing = pgServerMissing();

describe.skipIf(missing)(
  `PostgreSQL server logs linked to the client's spans${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let pgServer: PrivatePgServer;
    let platform: Awaited<ReturnType<typeof startTestPlatform>>;
    let tracing: NodeTracerProvider;
    let instrumentation: PgInstrumentation;
    const memory = new InMemorySpanExporter();
    let checkoutTrace = '';
    let lockTrace = '';

    beforeAll(async () => {
      pgServer = await startPrivatePg();
      platform = await startTestPlatform({ PG_LOG_PATHS: `${pgServer.logDir}/*.json`, PG_LOG_POLL_MS: '200' });
      tracing = new NodeTracerProvider({
        resource: resourceFromAttributes({ 'service.name': 'orders-api' }),
        spanProcessors: [
          new BatchSpanProcessor(new OTLPTraceExporter({ url: `${platform.ingestUrl}/v1/traces` })),
          new SimpleSpanProcessor(memory),
        ],
      });
      tracing.register();
      // Only queries inside the test's spans: the platform's own store may use the same pg module.
      instrumentation = new PgInstrumentation({ addSqlCommenterCommentToQueries: true, requireParentSpan: true });
      instrumentation.setTracerProvider(tracing);
      instrumentation.enable();
      // The instrumentation patches pg as it is required (CommonJS), so the client is loaded that way.
      // This is the monitored application's database client, not pivot's store.
      const require = createRequire(import.meta.url);
      const { Client } = require('pg') as { Client: new (config: object) => PgClient };
      const connect = async (application_name: string) => {
        const c = new Client({
          host: '127.0.0.1',
          port: pgServer.port,
          user: 'postgres',
          database: 'postgres',
          application_name,
        });
        await c.connect();
        return c;
      };
      const setup = await connect('setup');
      await setup.query('CREATE TABLE acct (id int PRIMARY KEY, owner text, balance numeric)');
      await setup.query("INSERT INTO acct VALUES (1, 'alice', 100), (2, 'bob', 50)");

      const tracer = tracing.getTracer('orders');
      const app = await connect('orders-api');
      await tracer.startActiveSpan('checkout', async (span) => {
        checkoutTrace = span.spanContext().traceId;
        await app.query('SELECT owner, balance FROM acct WHERE id = $1 AND owner <> $2', [1, 'mallory']);
        await app.query('SELECT nope FROM acct WHERE id = 42').catch(() => undefined);
        span.end();
      });
      // The server starts a new log file: the tailer follows it.
      await setup.query('SELECT pg_rotate_logfile()');
      await new Promise((r) => setTimeout(r, 1100));

      // A lock wait: the holder keeps row 1 locked past deadlock_timeout while the waiter updates it.
      const holder = await connect('holder');
      const waiter = await connect('waiter');
      await tracer.startActiveSpan('transfer', async (span) => {
        lockTrace = span.spanContext().traceId;
        await holder.query('BEGIN');
        await holder.query('UPDATE acct SET balance = balance + 1 WHERE id = 1');
        const released = holder.query('SELECT pg_sleep(0.4)').then(() => holder.query('COMMIT'));
        await new Promise((r) => setTimeout(r, 50));
        await waiter.query('UPDATE acct SET balance = balance - 5 WHERE id = 1');
        await released;
        span.end();
      });
      await Promise.all([app.end(), holder.end(), waiter.end(), setup.end()]);
      await tracing.forceFlush();
    }, 120_000);

    afterAll(async () => {
      instrumentation?.disable();
      await tracing?.shutdown();
      await platform?.stop();
      await pgServer?.stop();
    });

    /** The trace's logs once `want` of them are there (the tailer polls every 200 ms). */
    async function traceLogs(traceId: string, want: number): Promise<ApiLog[]> {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const res = await fetch(`${platform.apiUrl}/api/traces/${traceId}/logs`);
        expect(res.status).toBe(200);
        const { logs } = (await res.json()) as { logs: ApiLog[] };
        if (logs.length >= want || Date.now() > deadline) return logs;
        await new Promise((r) => setTimeout(r, 250));
      }
    }

    /** The DB CLIENT spans the instrumentation made in a trace, by the statement they sent. */
    const clientSpans = (traceId: string): Map<string, ReadableSpan> =>
      new Map(
        memory
          .getFinishedSpans()
          .filter((s) => s.spanContext().traceId === traceId && s.kind === SpanKind.CLIENT)
          .map((s) => [String(s.attributes['db.query.text'] ?? s.attributes['db.statement']), s]),
      );

    /** "statement → sorted events" of the trace's logs, grouped by the span they are linked to. */
    function eventsBySpan(logs: ApiLog[], spans: Map<string, ReadableSpan>): Record<string, string[]> {
      const statementOf = new Map([...spans].map(([text, s]) => [s.spanContext().spanId, text]));
      const out: Record<string, string[]> = {};
      for (const l of logs) {
        const key = statementOf.get(l.spanId ?? '') ?? `unknown span ${l.spanId}`;
        (out[key] ??= []).push(l.attributes['pg.event'] as string);
      }
      for (const k of Object.keys(out)) out[k]!.sort();
      return out;
    }

    it('links every server log line of a traced query to its DB CLIENT span', { timeout: 60_000 }, async () => {
      const logs = await traceLogs(checkoutTrace, 5);
      const spans = clientSpans(checkoutTrace);
      expect([...spans.keys()].sort()).toEqual([
        'SELECT nope FROM acct WHERE id = 42',
        'SELECT owner, balance FROM acct WHERE id = $1 AND owner <> $2',
      ]);
      expect(eventsBySpan(logs, spans)).toEqual({
        // The extended protocol: parse, bind and execute each log a duration; auto_explain the plan.
        'SELECT owner, balance FROM acct WHERE id = $1 AND owner <> $2': ['duration', 'duration', 'duration', 'plan'],
        'SELECT nope FROM acct WHERE id = 42': ['error'],
      });
      for (const l of logs) {
        expect(l.traceId).toBe(checkoutTrace);
        expect(l.service).toBe('postgresql');
        expect(l.resource.attributes).toEqual({ 'service.name': 'postgresql', 'db.system': 'postgresql' });
        expect(l.attributes['pg.link']).toBe('sqlcommenter');
        expect(l.attributes['pg.application_name']).toBe('orders-api');
      }
      const error = logs.find((l) => l.attributes['pg.event'] === 'error')!;
      expect([
        error.severityText,
        error.body,
        error.attributes['db.statement'],
        error.attributes['pg.sql_state'],
      ]).toEqual(['ERROR', 'column "nope" does not exist', 'SELECT nope FROM acct WHERE id = ?', '42703']);
      const plan = logs.find((l) => l.attributes['pg.event'] === 'plan')!;
      expect(plan.attributes['pg.plan_format']).toBe('text');
      expect(plan.attributes['pg.plan']).toMatch(/^Index Scan using acct_pkey on acct/);
      expect(plan.attributes['pg.plan']).not.toMatch(/mallory/);
      for (const l of logs.filter((x) => x.attributes['pg.event'] === 'duration')) {
        expect(l.attributes['db.statement']).toBe('SELECT owner, balance FROM acct WHERE id = $1 AND owner <> $2');
        expect(typeof l.attributes['pg.duration_ms']).toBe('number');
      }
      // The client's own spans reached pivot too: the trace is whole.
      const traceRes = await fetch(`${platform.apiUrl}/api/traces/${checkoutTrace}`);
      expect(traceRes.status).toBe(200);
    });

    it(
      'links a lock wait, after a log rotation, to the span of the waiting statement',
      { timeout: 60_000 },
      async () => {
        const logs = await traceLogs(lockTrace, 11);
        const spans = clientSpans(lockTrace);
        expect(eventsBySpan(logs, spans)).toEqual({
          BEGIN: ['duration'],
          'UPDATE acct SET balance = balance + 1 WHERE id = 1': ['duration', 'plan'],
          'SELECT pg_sleep(0.4)': ['duration', 'plan'],
          COMMIT: ['duration'],
          'UPDATE acct SET balance = balance - 5 WHERE id = 1': ['duration', 'lock_wait', 'lock_wait', 'plan'],
        });
        const waits = logs.filter((l) => l.attributes['pg.event'] === 'lock_wait');
        expect(waits.map((w) => (w.attributes['pg.wait_event'] as string).replace(/\d+$/, 'N'))).toEqual([
          'ShareLock on transaction N',
          'ShareLock on transaction N',
        ]);
        expect(waits.map((w) => w.body.replace(/\d+(\.\d+)?/g, 'N')).sort()).toEqual([
          'process N acquired ShareLock on transaction N after N ms',
          'process N still waiting for ShareLock on transaction N after N ms',
        ]);
        expect(Math.min(...waits.map((w) => w.attributes['pg.wait_ms'] as number))).toBeGreaterThanOrEqual(100);
        expect(trace.getActiveSpan()).toBeUndefined();
      },
    );
  },
);
