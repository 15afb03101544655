// The demo on PostgreSQL (issue 21): the platform runs on a private PostgreSQL 15 that logs jsonlog
// through its logging collector with lock waits; the demo's services run their sqlcommenter-commented
// statements on that server (schema `demo`), and PG_LOG_PATHS=auto finds the server's own log files.
// In the payment incident the slow INSERT really waits on a row lock held by another session, so the
// lines checked here are the server's own (the demo sends none on PostgreSQL): its lock wait and the
// statement's duration, linked by the statement's traceparent to the DB CLIENT span that sent it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogRecord } from '@pivot/api-types';
import { startDemo, type Demo } from '@pivot/demo';
import { pgServerMissing, startPrivatePg, type PrivatePgServer } from './pg-server.ts';
import { startTestPlatform } from './start.ts';

interface ApiSpan {
  spanId: string;
  name: string;
  service: string;
  kind: string;
  durationNano: string;
  attributes: Record<string, unknown>;
}

const missing = pgServerMissing();
const PAYMENT_INSERT =
  'INSERT INTO payments (order_id, amount_cents, status) VALUES ($1, $2, $3) ON CONFLICT (order_id) DO NOTHING';

describe.skipIf(missing)(
  `the demo's SQL on the platform's PostgreSQL, and that server's own log${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let pgServer: PrivatePgServer;
    let platform: Awaited<ReturnType<typeof startTestPlatform>>;
    let demo: Demo;
    const api = async <T>(path: string): Promise<T> => {
      const res = await fetch(`${platform.apiUrl}${path}`);
      if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };

    beforeAll(async () => {
      // The server logs no statement durations of its own and no plans: the demo's sessions ask for
      // theirs (log_min_duration_statement, as superuser), so pivot's own statements stay out of it.
      pgServer = await startPrivatePg({
        log_destination: 'jsonlog',
        log_min_duration_statement: '-1',
        shared_preload_libraries: '',
        log_lock_waits: 'on',
      });
      const url = `postgres://postgres@127.0.0.1:${pgServer.port}/postgres`;
      platform = await startTestPlatform({
        DATABASE_URL: url,
        DB_STATEMENT_TIMEOUT_MS: '10000',
        PG_LOG_PATHS: 'auto',
        PG_LOG_POLL_MS: '200',
      });
      // An incident all the time: half the payments are slow, and their INSERT waits on a row lock.
      demo = await startDemo({
        ingestUrl: platform.ingestUrl,
        requestsPerSecond: 6,
        incidents: { periodMs: 60_000, offsetMs: 0, durationMs: 60_000, slowShare: 0.5 },
        databaseUrl: url,
      });
      await new Promise((r) => setTimeout(r, 10_000));
      await demo.stop();
    }, 180_000);

    afterAll(async () => {
      await demo?.stop();
      await platform?.stop();
      await pgServer?.stop();
    });

    /** A slow payment trace whose INSERT's server lines include a lock wait. */
    async function slowInsert() {
      const { traces } = await api<{ traces: { traceId: string }[] }>(
        '/api/traces?service=payment&minDuration=900ms&limit=20',
      );
      for (const { traceId } of traces) {
        const { spans } = await api<{ spans: ApiSpan[] }>(`/api/traces/${traceId}`);
        const insert = spans.find((s) => s.service === 'payment' && s.name === 'INSERT payments');
        if (!insert) continue;
        const { logs } = await api<{ logs: LogRecord[] }>(`/api/traces/${traceId}/logs`);
        const lines = logs.filter((l) => l.service === 'postgresql' && l.spanId === insert.spanId);
        const events = lines.map((l) => l.attributes['pg.event']);
        if (events.filter((e) => e === 'lock_wait').length === 2 && events.includes('duration'))
          return { traceId, insert, lines };
      }
      return null;
    }

    it("links the real server's lock wait and duration of the slow INSERT to its DB span", async () => {
      // The tailer reads the files every 200 ms; the spans come in batches each second.
      let found: Awaited<ReturnType<typeof slowInsert>> = null;
      await expect
        .poll(async () => (found = await slowInsert()) !== null, { timeout: 40_000, interval: 500 })
        .toBe(true);
      const { traceId, insert, lines } = found!;
      expect(insert.kind).toBe('CLIENT');
      expect(insert.attributes['db.query.text']).toBe(
        `${PAYMENT_INSERT} /*traceparent='00-${traceId}-${insert.spanId}-01'*/`,
      );
      expect(insert.attributes['db.namespace']).toBe('postgres');
      for (const l of lines) {
        expect([l.traceId, l.link, l.attributes['pg.link']]).toEqual([traceId, 'sqlcommenter', 'sqlcommenter']);
        // Read from the server's file: the tailer's resource, not the demo's (which names a host).
        const resource = (l.resource as { attributes: Record<string, unknown> }).attributes;
        expect(resource).toEqual({ 'service.name': 'postgresql', 'db.system': 'postgresql' });
        expect(l.attributes).toMatchObject({
          'pg.application_name': 'payment',
          'pg.user': 'postgres',
          'pg.database': 'postgres',
          'db.statement': PAYMENT_INSERT,
        });
        expect(l.attributes['pg.session_id']).toMatch(/^[0-9a-f]+\.[0-9a-f]+$/);
      }
      const waits = lines.filter((l) => l.attributes['pg.event'] === 'lock_wait');
      const [waiting, acquired] = [
        waits.find((w) => (w.body as string).includes('still waiting'))!,
        waits.find((w) => (w.body as string).includes('acquired'))!,
      ];
      expect(waiting.body).toMatch(/^process \d+ still waiting for ShareLock on transaction \d+ after \d+\.\d{3} ms$/);
      expect(acquired.body).toMatch(/^process \d+ acquired ShareLock on transaction \d+ after \d+\.\d{3} ms$/);
      // The waiting backend is the session that ran the INSERT, and it waited on the other session's transaction.
      expect(waiting.attributes['pg.pid']).toBe(acquired.attributes['pg.pid']);
      expect(waiting.attributes['pg.wait_event']).toBe(acquired.attributes['pg.wait_event']);
      expect(waiting.attributes['pg.wait_ms']).toBeGreaterThanOrEqual(100);
      // The holder rolls back after 200-300 ms.
      expect(acquired.attributes['pg.wait_ms']).toBeGreaterThanOrEqual(150);
      const duration = lines.find((l) => l.attributes['pg.event'] === 'duration')!;
      expect(duration.body).toMatch(/^duration: \d+\.\d{3} ms {2}execute <unnamed>: /);
      expect((duration.body as string).endsWith(PAYMENT_INSERT)).toBe(true);
      const serverMs = duration.attributes['pg.duration_ms'] as number;
      expect(serverMs).toBeGreaterThanOrEqual(acquired.attributes['pg.wait_ms'] as number);
      expect(serverMs).toBeLessThanOrEqual(Number(insert.durationNano) / 1e6);
    }, 60_000);

    it('sends no synthetic server lines: every postgresql record was read from the server', async () => {
      const { logs } = await api<{ logs: LogRecord[] }>('/api/logs?service=postgresql&limit=500');
      expect(logs.length).toBeGreaterThan(0);
      const resources = new Set(
        logs.map((l) =>
          JSON.stringify(Object.entries((l.resource as { attributes: Record<string, unknown> }).attributes).sort()),
        ),
      );
      expect([...resources]).toEqual([
        JSON.stringify([
          ['db.system', 'postgresql'],
          ['service.name', 'postgresql'],
        ]),
      ]);
    });
  },
);
