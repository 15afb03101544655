// The three log endpoints over a real store (PGlite, and PostgreSQL when DATABASE_URL is set): what
// each accepts, what it refuses and how, and that retries store nothing twice.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTraceId } from '@pivot/model';
import type { Database, LogFilter, StoredLog } from '@pivot/store';
import { rowCount, testDatabases } from '@pivot/store/testing';
import { fixture } from './helpers.ts';
import { buildLogIngest, lokiPushProtobuf, snappyLiterals } from './logs-helpers.ts';

const TRACE_09 = parseTraceId('adab2fffcf82d6a7246ab88c7674413b')!; // first record of otlp-logs-09.json
const TRACE_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa01';
const SPAN_A = 'bbbbbbbbbbbbbb01';
const NOW_MS = 1_795_600_000_000;

type Ingest = ReturnType<typeof buildLogIngest>;

for (const tdb of testDatabases()) {
  describe(`log ingest on ${tdb.name}`, () => {
    let db: Database;
    let ing: Ingest;
    const find = async (f: LogFilter): Promise<StoredLog[]> => (await ing.queries.search(f, { limit: 1000 })).logs;
    const count = () => rowCount(db, 'logs');
    const post = (path: string, body: NonNullable<RequestInit['body']>, headers: Record<string, string>) =>
      ing.app.request(path, { method: 'POST', body, headers });

    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      ing = buildLogIngest(db, { maxLineBytes: 2048 });
    });
    afterAll(async () => {
      await ing?.close();
      await db?.close();
      await tdb.drop();
    });

    describe('POST /v1/logs (OTLP)', () => {
      it('accepts the exporter fixtures in protobuf, JSON and gzip protobuf, answering in the request encoding', async () => {
        const pb = await post('/v1/logs', fixture('otlp-logs-04.pb'), { 'content-type': 'application/x-protobuf' });
        expect(pb.status).toBe(200);
        expect(pb.headers.get('content-type')).toBe('application/x-protobuf');
        expect(new Uint8Array(await pb.arrayBuffer())).toEqual(new Uint8Array(0));
        const json = await post('/v1/logs', fixture('otlp-logs-09.json'), { 'content-type': 'application/json' });
        expect(json.status).toBe(200);
        expect(await json.json()).toEqual({});
        const gz = await post('/v1/logs', fixture('otlp-logs-14.pb.gzip'), {
          'content-type': 'application/x-protobuf',
          'content-encoding': 'gzip',
        });
        expect(gz.status).toBe(200);
        expect(await count()).toBe(15);
      });

      it('finds the fixture records by trace ID, service, word and substring', async () => {
        const byTrace = await find({ traceId: TRACE_09 });
        expect(byTrace.map((l) => [l.body, l.spanId, l.severityText, l.attributes, l.scope.name])).toEqual([
          ['charge ok', '31df648cf76267bd', 'INFO', { 'order.id': 'ord-0' }, 'checkout'],
        ]);
        expect(byTrace[0]!.timeUnixNano).toBe(1795554618170000000n);
        expect(await find({ service: 'checkout-api' })).toHaveLength(15);
        expect(await find({ include: ['TIMEOUT'] })).toHaveLength(3);
        expect((await find({ include: ['processor time'] })).map((l) => l.body)).toEqual(
          Array(3).fill('charge failed: card processor timeout'),
        );
        expect(await find({ include: ['charge'], exclude: ['failed'] })).toHaveLength(12);
      });

      it('is idempotent: a retried export stores nothing twice', async () => {
        const again = await post('/v1/logs', fixture('otlp-logs-09.json'), { 'content-type': 'application/json' });
        expect(again.status).toBe(200);
        expect(await count()).toBe(15);
      });

      it('keeps a record with an invalid trace ID, unlinked, with the ID as an attribute', async () => {
        const body = JSON.stringify({
          resourceLogs: [
            {
              resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bad-ids' } }] },
              scopeLogs: [
                {
                  logRecords: [
                    {
                      timeUnixNano: '1795554618170000001',
                      body: { stringValue: 'broken link' },
                      traceId: 'abc123',
                      spanId: '00000000000000000',
                    },
                  ],
                },
              ],
            },
          ],
        });
        expect((await post('/v1/logs', body, { 'content-type': 'application/json' })).status).toBe(200);
        const [log] = await find({ service: 'bad-ids' });
        expect(log).toMatchObject({
          body: 'broken link',
          traceId: null,
          spanId: null,
          attributes: { 'otel.invalid_trace_id': 'abc123', 'otel.invalid_span_id': '00000000000000000' },
        });
      });

      it('refuses undecodable bodies (400, google.rpc.Status) and unknown content types (415)', async () => {
        const bad = await post('/v1/logs', Uint8Array.of(0x0a, 0xff, 0x01), {
          'content-type': 'application/x-protobuf',
        });
        expect(bad.status).toBe(400);
        expect(bad.headers.get('content-type')).toBe('application/x-protobuf');
        const badJson = await post('/v1/logs', '{"resourceLogs": 3}', { 'content-type': 'application/json' });
        expect(badJson.status).toBe(400);
        expect(((await badJson.json()) as { code: number }).code).toBe(3);
        expect((await post('/v1/logs', 'x', { 'content-type': 'text/plain' })).status).toBe(415);
      });
    });

    describe('POST /api/v1/logs (NDJSON)', () => {
      const line = (o: Record<string, unknown>) =>
        JSON.stringify({ level: 30, time: NOW_MS, pid: 7, hostname: 'web-1', ...o });

      it('stores the good lines and reports the bad ones by line number', async () => {
        const body = [
          line({
            msg: 'user signed in',
            service: 'auth',
            user: 'ada',
            trace_id: TRACE_A,
            span_id: SPAN_A,
            trace_flags: '01',
          }),
          '{"msg": "truncated',
          line({
            level: 50,
            msg: 'token refresh failed for session sess-77f1',
            service: 'auth',
            time: NOW_MS + 1,
            err: { type: 'Error', message: 'expired' },
          }),
          '[1, 2]',
          '',
          line({ level: 40, msg: 'slow query', service: 'auth', time: NOW_MS + 2 }),
        ].join('\n');
        const res = await post('/api/v1/logs', body, { 'content-type': 'application/x-ndjson' });
        expect(res.status).toBe(200);
        const answer = (await res.json()) as {
          accepted: number;
          rejectedCount: number;
          rejected: { line: number; message: string }[];
        };
        expect(answer.accepted).toBe(3);
        expect(answer.rejectedCount).toBe(2);
        expect(answer.rejected.map((r) => r.line)).toEqual([2, 4]);
        expect(answer.rejected[0]!.message).toMatch(/invalid JSON/);
        expect(answer.rejected[1]!.message).toMatch(/expected a JSON object/);

        const logs = await find({ service: 'auth' });
        expect(logs.map((l) => [l.body, l.severityText])).toEqual([
          ['slow query', 'WARN'],
          ['token refresh failed for session sess-77f1', 'ERROR'],
          ['user signed in', 'INFO'],
        ]);
        const signedIn = logs[2]!;
        expect(signedIn).toMatchObject({
          traceId: TRACE_A,
          spanId: SPAN_A,
          traceFlags: 1,
          attributes: { user: 'ada' },
          timeUnixNano: BigInt(NOW_MS) * 1_000_000n,
        });
        expect(signedIn.resource.attributes).toEqual({
          'service.name': 'auth',
          'process.pid': 7,
          'host.name': 'web-1',
        });
        expect(logs[1]!.attributes).toEqual({ err: { type: 'Error', message: 'expired' } });
        expect(await find({ traceId: parseTraceId(TRACE_A)! })).toHaveLength(1);
        expect(await find({ include: ['sess-77f'] })).toHaveLength(1);
      });

      it('refuses a line over MAX_LOG_LINE_BYTES alone', async () => {
        const body = [line({ msg: 'x'.repeat(4000), service: 'big' }), line({ msg: 'small one', service: 'big' })].join(
          '\n',
        );
        const res = await post('/api/v1/logs', body, { 'content-type': 'application/x-ndjson' });
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({
          accepted: 1,
          rejected: [{ line: 1, message: expect.stringMatching(/over the limit of 2048/) }],
        });
        expect((await find({ service: 'big' })).map((l) => l.body)).toEqual(['small one']);
      });

      it('answers 400 with the same report when no line is valid', async () => {
        const res = await post('/api/v1/logs', 'nope\n{', { 'content-type': 'application/x-ndjson' });
        expect(res.status).toBe(400);
        expect(await res.json()).toMatchObject({
          error: expect.stringMatching(/no line was accepted: line 1/),
          accepted: 0,
          rejectedCount: 2,
        });
      });

      it('takes the service from ?service= unless the line names one, and reads gzip bodies', async () => {
        const body = gzipSync(
          [
            JSON.stringify({ msg: 'from query', time: NOW_MS }),
            JSON.stringify({ msg: 'own service', 'service.name': 'mine', time: NOW_MS }),
          ].join('\n'),
        );
        const res = await post('/api/v1/logs?service=billing', body, {
          'content-type': 'application/x-ndjson',
          'content-encoding': 'gzip',
        });
        expect(res.status).toBe(200);
        expect((await find({ service: 'billing' })).map((l) => l.body)).toEqual(['from query']);
        expect((await find({ service: 'mine' })).map((l) => l.body)).toEqual(['own service']);
      });

      it('keeps invalid trace IDs as attributes without linking, and reads traceparent and nested ECS IDs', async () => {
        const body = [
          line({ msg: 'bad id', service: 'ids', trace_id: 'not-a-trace-id', span_id: SPAN_A }),
          line({ msg: 'w3c', service: 'ids', traceparent: `00-${TRACE_A.replace('01', '02')}-${SPAN_A}-01` }),
          line({ msg: 'ecs', service: 'ids', trace: { id: TRACE_A.replace('01', '03') }, span: { id: SPAN_A } }),
        ].join('\n');
        expect((await post('/api/v1/logs', body, { 'content-type': 'application/x-ndjson' })).status).toBe(200);
        const byBody = Object.fromEntries((await find({ service: 'ids' })).map((l) => [l.body as string, l]));
        expect(byBody['bad id']).toMatchObject({
          traceId: null,
          spanId: null,
          attributes: { trace_id: 'not-a-trace-id', span_id: SPAN_A },
        });
        expect(byBody.w3c).toMatchObject({ traceId: TRACE_A.replace('01', '02'), spanId: SPAN_A, traceFlags: 1 });
        expect(byBody.ecs).toMatchObject({ traceId: TRACE_A.replace('01', '03'), spanId: SPAN_A });
      });

      it('stores a retried request once when its lines carry times', async () => {
        const body = [
          line({ msg: 'retry me', service: 'retry' }),
          line({ msg: 'retry me', service: 'retry', n: 2 }),
        ].join('\n');
        for (let i = 0; i < 3; i++)
          expect((await post('/api/v1/logs', body, { 'content-type': 'application/x-ndjson' })).status).toBe(200);
        expect(await find({ service: 'retry' })).toHaveLength(2);
      });

      it('refuses other content types (415) and bodies over MAX_BODY_BYTES (413)', async () => {
        expect(
          (await post('/api/v1/logs', line({ msg: 'x' }), { 'content-type': 'application/x-protobuf' })).status,
        ).toBe(415);
        const big = await post('/api/v1/logs', 'x'.repeat((1 << 20) + 10), { 'content-type': 'application/x-ndjson' });
        expect(big.status).toBe(413);
        expect(((await big.json()) as { error: string }).error).toMatch(/exceeds the limit/);
      });
    });

    describe('POST /loki/api/v1/push', () => {
      const ns = BigInt(NOW_MS) * 1_000_000n;

      it('accepts a JSON push (204): labels become the resource, structured metadata links the trace', async () => {
        const push = {
          streams: [
            {
              stream: { service_name: 'cart', env: 'prod', level: 'warn' },
              values: [
                [
                  (ns + 10n).toString(),
                  'cart cart-9f2 abandoned after 30m',
                  { trace_id: TRACE_A.replace('01', '04'), span_id: SPAN_A },
                ],
                [(ns + 11n).toString(), JSON.stringify({ level: 'error', msg: 'cart sync failed', attempt: 3 })],
              ],
            },
          ],
        };
        const res = await post('/loki/api/v1/push', JSON.stringify(push), { 'content-type': 'application/json' });
        expect(res.status).toBe(204);
        const logs = await find({ service: 'cart' });
        expect(logs.map((l) => [l.body, l.severityText, l.traceId])).toEqual([
          ['cart sync failed', 'ERROR', null],
          ['cart cart-9f2 abandoned after 30m', 'WARN', TRACE_A.replace('01', '04')],
        ]);
        expect(logs[1]!.resource.attributes).toEqual({ 'service.name': 'cart', env: 'prod' });
        expect(logs[1]!.timeUnixNano).toBe(ns + 10n);
        expect(logs[0]!.attributes).toEqual({ attempt: 3 });
        expect(await find({ include: ['ABANDONED'] })).toHaveLength(1);
        expect(await find({ include: ['rt-9f'] })).toHaveLength(1);
      });

      it('accepts a snappy protobuf push as Promtail and Alloy send it (no Content-Encoding)', async () => {
        const body = snappyLiterals(
          lokiPushProtobuf([
            {
              labels: '{job="varlogs", app="nginx"}',
              entries: [
                {
                  ns: ns + 20n,
                  line: '10.0.0.1 - - "GET /healthz HTTP/1.1" 200 2',
                  metadata: [['trace_id', TRACE_A.replace('01', '05')]],
                },
                { ns: ns + 21n, line: '10.0.0.2 - - "POST /login HTTP/1.1" 401 0' },
              ],
            },
          ]),
        );
        const res = await post('/loki/api/v1/push', body, { 'content-type': 'application/x-protobuf' });
        expect(res.status).toBe(204);
        const logs = await find({ service: 'nginx' });
        expect(logs.map((l) => l.body)).toEqual([
          '10.0.0.2 - - "POST /login HTTP/1.1" 401 0',
          '10.0.0.1 - - "GET /healthz HTTP/1.1" 200 2',
        ]);
        expect(logs[1]!.traceId).toBe(TRACE_A.replace('01', '05'));
        expect(logs[1]!.resource.attributes).toEqual({ job: 'varlogs', app: 'nginx', 'service.name': 'nginx' });
        // The same push again: Loki drops exact duplicates, so do we.
        expect((await post('/loki/api/v1/push', body, { 'content-type': 'application/x-protobuf' })).status).toBe(204);
        expect(await find({ service: 'nginx' })).toHaveLength(2);
      });

      it('stores the valid entries of a push and answers 400 naming the invalid ones, as Loki does', async () => {
        const push = {
          streams: [
            {
              stream: { app: 'mixed' },
              values: [
                [(ns + 30n).toString(), 'kept'],
                ['yesterday', 'bad time'],
                [(ns + 31n).toString(), 'y'.repeat(3000)],
              ],
            },
            { stream: 'not labels', values: [] },
          ],
        };
        const res = await post('/loki/api/v1/push', JSON.stringify(push), { 'content-type': 'application/json' });
        expect(res.status).toBe(400);
        const { error } = (await res.json()) as { error: string };
        expect(error).toMatch(/3 entries or streams rejected \(the other 1 entries were stored\)/);
        expect(error).toMatch(/stream 0 entry 1: timestamp/);
        expect(error).toMatch(/stream 0 entry 2: line is 3000 bytes/);
        expect(error).toMatch(/stream 1:/);
        expect((await find({ service: 'mixed' })).map((l) => l.body)).toEqual(['kept']);
      });

      it('reads gzip JSON pushes', async () => {
        const push = { streams: [{ stream: { app: 'zipped' }, values: [[(ns + 40n).toString(), 'compressed line']] }] };
        const res = await post('/loki/api/v1/push', gzipSync(JSON.stringify(push)), {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
        });
        expect(res.status).toBe(204);
        expect(await find({ service: 'zipped' })).toHaveLength(1);
      });

      it('refuses invalid snappy (400), a snappy bomb (413), broken JSON (400) and other content types (415)', async () => {
        const badSnappy = await post('/loki/api/v1/push', Uint8Array.of(0x10, 0xfc, 0xfa, 0xff, 0xff, 0xff), {
          'content-type': 'application/x-protobuf',
        });
        expect(badSnappy.status).toBe(400);
        expect(((await badSnappy.json()) as { error: string }).error).toMatch(/invalid snappy block/);
        const bomb = await post('/loki/api/v1/push', Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f, 0x00), {
          'content-type': 'application/x-protobuf',
        });
        expect(bomb.status).toBe(413);
        const badProto = await post('/loki/api/v1/push', snappyLiterals(Uint8Array.of(0x0a, 0x50, 0x01)), {
          'content-type': 'application/x-protobuf',
        });
        expect(badProto.status).toBe(400);
        expect(((await badProto.json()) as { error: string }).error).toMatch(/invalid PushRequest protobuf/);
        expect((await post('/loki/api/v1/push', '{"streams": [', { 'content-type': 'application/json' })).status).toBe(
          400,
        );
        expect(
          (await post('/loki/api/v1/push', 'a=b', { 'content-type': 'application/x-www-form-urlencoded' })).status,
        ).toBe(415);
      });
    });

    it('counts accepted and rejected log records and exposes the log queue depth', async () => {
      const text = await (await ing.app.request('/metrics')).text();
      const accepted = Number(/pivot_ingest_items_accepted_total\{signal="logs"\} (\d+)/.exec(text)?.[1]);
      expect(accepted).toBeGreaterThanOrEqual(30);
      expect(text).toMatch(/pivot_ingest_items_rejected_total\{signal="logs",reason="invalid"\} \d+/);
      expect(text).toMatch(/pivot_ingest_items_rejected_total\{signal="logs",reason="undecodable"\} \d+/);
      expect(text).toMatch(/pivot_ingest_queue_items\{signal="logs"\} 0/);
      expect(text).toMatch(/pivot_ingest_batch_items_count\{signal="logs"\} [1-9]/);
    });
  });
}

describe('log ingest back-pressure', () => {
  it('answers 429 with Retry-After when the log queue is full', async () => {
    const tdb = testDatabases()[0]!;
    const db = await tdb.open();
    await db.migrate();
    const ing = buildLogIngest(db, { maxQueuedItems: 5 });
    try {
      const body = fixture('otlp-logs-09.json');
      const send = async () =>
        ing.app.request('/v1/logs', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      const answers = await Promise.all(Array.from({ length: 6 }, send));
      const statuses = answers.map((r) => r.status);
      expect(statuses).toContain(200);
      expect(statuses).toContain(429);
      const refused = answers.find((r) => r.status === 429)!;
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(((await refused.json()) as { code: number }).code).toBe(8); // RESOURCE_EXHAUSTED
    } finally {
      await ing.close();
      await db.close();
    }
  });
});
