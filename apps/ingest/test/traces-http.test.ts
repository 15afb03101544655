import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTraceId } from '@pivot/model';
import type { Database } from '@pivot/store';
import { testDatabases } from '@pivot/store/testing';
import { buildIngest, fixture } from './helpers.ts';

const TRACE = parseTraceId('adab2fffcf82d6a7246ab88c7674413b')!;

function post(
  app: ReturnType<typeof buildIngest>['app'],
  body: NonNullable<RequestInit['body']>,
  headers: Record<string, string>,
) {
  return app.request('/v1/traces', { method: 'POST', body, headers });
}

function jsonSpan(traceId: string, spanId: string, name: string) {
  return {
    traceId,
    spanId,
    name,
    kind: 2,
    startTimeUnixNano: '1795554618167000000',
    endTimeUnixNano: '1795554618167500000',
  };
}
function jsonRequest(spans: unknown[]) {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'edge' } }] },
        scopeSpans: [{ scope: { name: 's' }, spans }],
      },
    ],
  });
}

for (const tdb of testDatabases()) {
  describe(`POST /v1/traces on ${tdb.name}`, () => {
    let db: Database;
    let ing: ReturnType<typeof buildIngest>;
    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      ing = buildIngest(db);
    });
    afterAll(async () => {
      await ing.spans.close();
      await db.close();
      await tdb.drop();
    });

    it('stores a trace sent by two services in separate JSON requests and links parent and child', async () => {
      const a = await post(ing.app, fixture('otlp-traces-07.json'), { 'content-type': 'application/json' });
      expect(a.status).toBe(200);
      expect(await a.json()).toEqual({});
      const b = await post(ing.app, fixture('otlp-traces-08.json'), { 'content-type': 'application/json' });
      expect(b.status).toBe(200);
      const trace = await ing.queries.getTrace(TRACE);
      expect(trace!.spans.map((s) => [s.spanId, s.parentSpanId, s.service, s.name])).toEqual([
        ['63fc447231997fd9', null, 'checkout-api', 'GET /api/checkout'],
        ['b5319bce5f4a0738', '63fc447231997fd9', 'checkout-api', 'SELECT users'],
        ['6fc7690b18453c51', '63fc447231997fd9', 'checkout-api', 'POST payment-service /charge'],
        ['31df648cf76267bd', '6fc7690b18453c51', 'payment-service', 'POST /charge'],
      ]);
      expect(trace!.summary).toMatchObject({
        rootService: 'checkout-api',
        rootName: 'GET /api/checkout',
        spanCount: 4,
        services: ['checkout-api', 'payment-service'],
      });
      expect(trace!.summary.startTimeUnixNano).toBe(1795554618167000000n);
      expect(trace!.spans[0]!.attributes).toMatchObject({
        'http.route': '/api/checkout',
        'http.response.status_code': 200,
        'user.id': 1000,
      });
      expect(trace!.spans[1]!.durationNano).toBe(72188n);
    });

    it('keeps the error, exception and retry events of a failed span', async () => {
      const t = await ing.queries.getTrace(parseTraceId('def05dd1fdfa6c68abd4a311e1ca656f')!);
      const charge = t!.spans.find((s) => s.spanId === 'fb04bf17167625e3')!;
      expect(charge.status).toEqual({ code: 2, message: 'card processor timeout' });
      expect(charge.events.map((e) => e.name)).toEqual(['retry', 'exception']);
      expect(charge.events[0]).toMatchObject({
        timeUnixNano: '1795554618172144394',
        attributes: { 'retry.attempt': 1 },
      });
      expect(t!.summary.errorCount).toBe(2); // the payment span and checkout's root
    });

    it('accepts protobuf and gzip-compressed protobuf, answering in protobuf', async () => {
      for (const [name, enc] of [
        ['otlp-traces-02.pb', undefined],
        ['otlp-traces-12.pb.gzip', 'gzip'],
      ] as const) {
        const res = await post(ing.app, fixture(name), {
          'content-type': 'application/x-protobuf',
          ...(enc ? { 'content-encoding': enc } : {}),
        });
        expect(res.status, name).toBe(200);
        expect(res.headers.get('content-type')).toBe('application/x-protobuf');
        expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(0)); // empty ExportTraceServiceResponse
      }
    });

    it('the same request twice stores its spans once', async () => {
      const before = await ing.queries.summary(TRACE);
      const again = await post(ing.app, fixture('otlp-traces-08.json'), { 'content-type': 'application/json' });
      expect(again.status).toBe(200);
      expect(await ing.queries.summary(TRACE)).toEqual(before);
    });

    it('stores the valid spans of a request and reports the invalid ones as partial success', async () => {
      const valid = '11111111111111111111111111111111';
      const res = await post(
        ing.app,
        jsonRequest([
          jsonSpan(valid, '2222222222222222', 'kept'),
          jsonSpan('00000000000000000000000000000000', '3333333333333333', 'zero trace id'),
          jsonSpan(valid, '4444', 'short span id'),
        ]),
        { 'content-type': 'application/json' },
      );
      expect(res.status).toBe(200);
      const body = (await res.json()) as { partialSuccess: { rejectedSpans: string | number; errorMessage: string } };
      expect(Number(body.partialSuccess.rejectedSpans)).toBe(2);
      expect(body.partialSuccess.errorMessage).toMatch(/trace/i);
      const t = await ing.queries.getTrace(parseTraceId(valid)!);
      expect(t!.spans.map((s) => s.name)).toEqual(['kept']);
    });

    const bomb = gzipSync(Buffer.alloc(64 << 20)); // 64 MiB of zeros in ~64 KiB
    const cases: {
      name: string;
      body: () => NonNullable<RequestInit['body']>;
      headers: Record<string, string>;
      status: number;
      message: RegExp;
    }[] = [
      {
        name: 'garbage protobuf',
        body: () => new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]),
        headers: { 'content-type': 'application/x-protobuf' },
        status: 400,
        message: /byte/,
      },
      {
        name: 'truncated protobuf',
        body: () => fixture('otlp-traces-02.pb').subarray(0, 300),
        headers: { 'content-type': 'application/x-protobuf' },
        status: 400,
        message: /truncated/,
      },
      {
        name: 'invalid JSON',
        body: () => '{"resourceSpans": [',
        headers: { 'content-type': 'application/json' },
        status: 400,
        message: /JSON/i,
      },
      {
        name: 'wrong content type',
        body: () => 'hello',
        headers: { 'content-type': 'text/plain' },
        status: 415,
        message: /Content-Type/,
      },
      {
        name: 'unknown content encoding',
        body: () => 'x',
        headers: { 'content-type': 'application/json', 'content-encoding': 'br' },
        status: 415,
        message: /Content-Encoding/,
      },
      {
        name: 'oversize body',
        body: () => new Uint8Array(2 << 20),
        headers: { 'content-type': 'application/x-protobuf' },
        status: 413,
        message: /exceeds the limit/,
      },
      {
        name: 'gzip bomb',
        body: () => bomb,
        headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
        status: 413,
        message: /decompressed body exceeds/,
      },
      {
        name: 'invalid gzip',
        body: () => new Uint8Array([1, 2, 3, 4]),
        headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
        status: 400,
        message: /invalid gzip/,
      },
    ];
    for (const c of cases) {
      it(`refuses ${c.name} with ${c.status} and keeps serving`, async () => {
        const res = await post(ing.app, c.body(), c.headers);
        expect(res.status).toBe(c.status);
        const text = await res.text();
        expect(text).toMatch(c.message);
        const ok = await post(
          ing.app,
          jsonRequest([jsonSpan('55555555555555555555555555555555', '6666666666666666', 'after')]),
          { 'content-type': 'application/json' },
        );
        expect(ok.status).toBe(200);
      });
    }

    it('answers OTLP errors as google.rpc.Status in the request encoding', async () => {
      const res = await post(ing.app, '{', { 'content-type': 'application/json' });
      const body = (await res.json()) as { code: number; message: string };
      expect(body.code).toBe(3);
      expect(body.message).toMatch(/JSON/i);
    });

    it('exposes accepted/rejected counts and flush metrics', async () => {
      const text = await (await ing.app.request('/metrics')).text();
      expect(text).toMatch(/pivot_ingest_items_accepted_total\{signal="traces"\} \d+/);
      expect(text).toMatch(/pivot_ingest_items_rejected_total\{signal="traces",reason="invalid"\} 2/);
      expect(text).toMatch(/pivot_ingest_flush_seconds_count\{signal="traces",outcome="ok"\} \d+/);
      expect(text).toMatch(/pivot_ingest_queue_items\{signal="traces"\} 0/);
      expect((await ing.app.request('/readyz')).status).toBe(200);
    });
  });
}
