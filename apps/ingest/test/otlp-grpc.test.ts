// OTLP/gRPC below the exporters: a raw grpc-js client sends exact bytes (valid, partly invalid,
// garbage, gzip, oversized) and reads status codes, trailers and response bytes.
import * as zlib from 'node:zlib';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapturingSink } from '../testing/index.ts';
import type * as grpc from '@grpc/grpc-js';
import { parseTraceId, type MetricsBatch, type ResourceLogs, type ResourceSpans } from '@pivot/model';
import { createLogger, type Listening } from '@pivot/server-kit';
import {
  DatabaseUnavailableError,
  PartitionManager,
  QueueFullError,
  SpanWriter,
  StoreClosedError,
  TraceQueries,
  type Database,
} from '@pivot/store';
import { testDatabases } from '@pivot/store/testing';
import {
  InflightBudget,
  createIngestMetrics,
  startOtlpGrpc,
  type IngestMetrics,
  type OtlpGrpcDeps,
} from '../src/index.ts';
import { encodeLogs, encodeMetrics, encodeTraces, type TSpan } from '@pivot/otlp/testing';
import {
  decodeExportResponse,
  rawClient,
  rawExport,
  statusDetails,
  type ExportResult,
} from '../testing/grpc-client.ts';

const NOW_NS = BigInt(Date.now()) * 1_000_000n;

function tracesRequest(spans: TSpan[]): Uint8Array {
  return encodeTraces([{ attributes: { 'service.name': 'grpc-svc' }, scopes: [{ name: 'lib', items: spans }] }]);
}
const span = (traceId: string, spanId: string, name = 'op'): TSpan => ({
  traceId,
  spanId,
  name,
  start: NOW_NS,
  end: NOW_NS + 1_000_000n,
});

interface Running extends Listening {
  metrics: IngestMetrics;
  client: grpc.Client;
  stop(): Promise<void>;
}

async function startServer(over: Partial<OtlpGrpcDeps> = {}, client: { gzip?: boolean } = {}): Promise<Running> {
  const metrics = createIngestMetrics(false);
  const deps: OtlpGrpcDeps = {
    logger: createLogger('silent', 'test'),
    metrics,
    spans: new CapturingSink<ResourceSpans[]>(),
    maxMessageBytes: 64 * 1024,
    ...over,
  };
  const listening = await startOtlpGrpc(deps, '127.0.0.1', 0, 2000);
  const c = rawClient(listening.url, client);
  return {
    ...listening,
    metrics,
    client: c,
    async stop() {
      c.close();
      await listening.close();
    },
  };
}

function failed(r: ExportResult): grpc.ServiceError {
  if (r.ok) throw new Error('expected the call to fail, it succeeded');
  return r.error;
}

for (const tdb of testDatabases()) {
  describe(`OTLP/gRPC traces into ${tdb.name}`, () => {
    let db: Database;
    let spans: SpanWriter;
    let queries: TraceQueries;
    let server: Running;
    let gzipClient: grpc.Client;
    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      spans = new SpanWriter(db, new PartitionManager(db));
      queries = new TraceQueries(db);
      server = await startServer({ spans });
      gzipClient = rawClient(server.url, { gzip: true });
    });
    afterAll(async () => {
      gzipClient?.close();
      await server?.stop();
      await spans?.close();
      await db?.close();
      await tdb.drop();
    });

    it('stores spans sent uncompressed and gzip-compressed, answering OK with an empty response', async () => {
      const plain = 'a1'.repeat(16);
      const zipped = 'b2'.repeat(16);
      const r1 = await rawExport(server.client, 'traces', tracesRequest([span(plain, '0102030405060708', 'plain')]));
      const r2 = await rawExport(gzipClient, 'traces', tracesRequest([span(zipped, '0102030405060709', 'zipped')]));
      expect(r1).toEqual({ ok: true, response: new Uint8Array(0) });
      expect(r2).toEqual({ ok: true, response: new Uint8Array(0) });
      expect((await queries.getTrace(parseTraceId(plain)!))!.spans.map((s) => [s.name, s.service])).toEqual([
        ['plain', 'grpc-svc'],
      ]);
      expect((await queries.getTrace(parseTraceId(zipped)!))!.spans.map((s) => s.name)).toEqual(['zipped']);
    });

    it('answers OK with partial_success for partly invalid data and stores the valid spans', async () => {
      const trace = 'c3'.repeat(16);
      const r = await rawExport(
        server.client,
        'traces',
        tracesRequest([span(trace, '1112131415161718', 'good'), span('deadbeef', '1112131415161719', 'bad')]),
      );
      if (!r.ok) throw r.error;
      expect(decodeExportResponse(r.response)).toEqual({
        rejected: 1,
        message: 'rejected 1 of 2 spans: trace_id must be 16 bytes, got 4 (1)',
      });
      expect((await queries.getTrace(parseTraceId(trace)!))!.spans.map((s) => s.name)).toEqual(['good']);
    });

    it('stores a retried export once', async () => {
      const trace = 'd4'.repeat(16);
      const body = tracesRequest([span(trace, '2122232425262728'), span(trace, '2122232425262729')]);
      expect((await rawExport(server.client, 'traces', body)).ok).toBe(true);
      expect((await rawExport(gzipClient, 'traces', body)).ok).toBe(true);
      expect((await queries.getTrace(parseTraceId(trace)!))!.summary.spanCount).toBe(2);
    });
  });
}

for (const tdb of testDatabases()) {
  // One call is held in the writer while others arrive: with the budget at one message's size, the
  // others are refused before their messages are read, retryably, and whatever was acknowledged is stored.
  describe(`OTLP/gRPC within INGEST_MAX_INFLIGHT_BYTES into ${tdb.name}`, () => {
    const MAX_MESSAGE = 64 * 1024;
    let db: Database;
    let spans: SpanWriter;
    let server: Running;
    let budget: InflightBudget;
    let refusals = 0;
    let open!: () => void;
    let entered!: () => void;
    let gate: Promise<void>;
    let held: Promise<void>;
    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      spans = new SpanWriter(db, new PartitionManager(db));
      gate = new Promise((r) => (open = r));
      held = new Promise((r) => (entered = r));
      // The first write waits at the gate; the writer behind it is the real one.
      const gated = {
        get queueDepth() {
          return spans.queueDepth;
        },
        async write(batch: ResourceSpans[]) {
          entered();
          await gate;
          return spans.write(batch);
        },
      };
      budget = new InflightBudget(MAX_MESSAGE, () => refusals++);
      server = await startServer({ spans: gated, inflight: budget, maxMessageBytes: MAX_MESSAGE });
    });
    afterAll(async () => {
      open?.();
      await server?.stop();
      await spans?.close();
      await db?.close();
      await tdb.drop();
    });

    it('refuses calls past the budget with UNAVAILABLE and RetryInfo, and stores every acknowledged one', async () => {
      const traceIds = Array.from({ length: 6 }, (_, i) => `${i + 1}`.repeat(32));
      const body = (t: string) => tracesRequest([span(t, '5152535455565758', `call ${t[0]}`)]);
      const first = rawExport(server.client, 'traces', body(traceIds[0]!));
      await held;
      // Its message has arrived: it holds its own size now, not the largest allowed.
      expect(budget.bytes).toBe(body(traceIds[0]!).length);

      const refused = await Promise.all(traceIds.slice(1).map((t) => rawExport(server.client, 'traces', body(t))));
      for (const r of refused) {
        const err = failed(r);
        expect(err.code).toBe(14);
        expect(err.details).toMatch(/^ingest is busy: \d+ request bytes in flight \(INGEST_MAX_INFLIGHT_BYTES\)$/);
        expect(statusDetails(err)?.details).toEqual([
          { typeUrl: 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: { seconds: 1, nanos: 0 } },
        ]);
      }
      expect(refusals).toBe(5);
      const text = await server.metrics.registry.metrics();
      expect(text).toContain(
        'pivot_ingest_grpc_requests_total{method="opentelemetry.proto.collector.trace.v1.TraceService/Export",code="UNAVAILABLE"} 5',
      );

      open();
      expect((await first).ok).toBe(true);
      // Every reservation was given back, refused ones included.
      await new Promise((r) => setTimeout(r, 50));
      expect(budget.bytes).toBe(0);
      // The clients retry, as RetryInfo tells them; now each is let in and stored once.
      for (const t of traceIds.slice(1)) expect((await rawExport(server.client, 'traces', body(t))).ok).toBe(true);
      const queries = new TraceQueries(db);
      for (const t of traceIds) expect((await queries.getTrace(parseTraceId(t)!))?.summary.spanCount).toBe(1);
    });
  });
}

describe('OTLP/gRPC status codes', () => {
  const good = tracesRequest([span('e5'.repeat(16), '3132333435363738')]);

  it('answers INVALID_ARGUMENT, naming the byte, for an undecodable message, and stores nothing', async () => {
    const spans = new CapturingSink<ResourceSpans[]>();
    const s = await startServer({ spans });
    try {
      const err = failed(await rawExport(s.client, 'traces', new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01])));
      expect(err.code).toBe(3);
      expect(err.details).toMatch(/at byte \d+/);
      expect(spans.batches).toEqual([]);
      const text = await s.metrics.registry.metrics();
      expect(text).toContain('pivot_ingest_items_rejected_total{signal="traces",reason="undecodable"} 1');
      expect(text).toContain(
        'pivot_ingest_grpc_requests_total{method="opentelemetry.proto.collector.trace.v1.TraceService/Export",code="INVALID_ARGUMENT"} 1',
      );
    } finally {
      await s.stop();
    }
  });

  it.each([
    { what: 'a full queue', error: () => new QueueFullError(10, 10), code: 8, delay: 1 },
    {
      what: 'an unreachable database',
      error: () => new DatabaseUnavailableError('database unavailable: connect ECONNREFUSED'),
      code: 14,
      delay: 5,
    },
    { what: 'a store shutting down', error: () => new StoreClosedError(), code: 14, delay: 5 },
  ])('answers $what with code $code and RetryInfo in grpc-status-details-bin', async ({ error, code, delay }) => {
    const s = await startServer({ spans: new CapturingSink<ResourceSpans[]>(error) });
    try {
      const err = failed(await rawExport(s.client, 'traces', good));
      expect(err.code).toBe(code);
      expect(err.details).toBe(error().message);
      expect(statusDetails(err)).toEqual({
        code,
        message: error().message,
        details: [{ typeUrl: 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: { seconds: delay, nanos: 0 } }],
      });
    } finally {
      await s.stop();
    }
  });

  it('answers INTERNAL without internals for a bug', async () => {
    const s = await startServer({
      spans: new CapturingSink<ResourceSpans[]>(() => new TypeError('secret internals at /srv/app.js:1')),
    });
    try {
      const err = failed(await rawExport(s.client, 'traces', good));
      expect(err.code).toBe(13);
      expect(err.details).toBe('internal error');
      expect(statusDetails(err)).toBeUndefined();
      expect(await s.metrics.registry.metrics()).toContain('pivot_ingest_errors_total{kind="bug"} 1');
    } finally {
      await s.stop();
    }
  });

  it('refuses a message over the size limit, as sent or after gzip, with RESOURCE_EXHAUSTED', async () => {
    const spans = new CapturingSink<ResourceSpans[]>();
    const s = await startServer({ spans, maxMessageBytes: 4096 });
    const gz = rawClient(s.url, { gzip: true });
    try {
      const big = tracesRequest(
        Array.from({ length: 100 }, (_, i) =>
          span('f6'.repeat(16), (0x1000000000000000n + BigInt(i)).toString(16), 'x'.repeat(64)),
        ),
      );
      expect(big.length).toBeGreaterThan(4096);
      expect(gzipSync(big).length).toBeLessThan(4096);
      const plain = failed(await rawExport(s.client, 'traces', big));
      expect([plain.code, plain.details]).toEqual([8, expect.stringMatching(/larger than max \(\d+ vs 4096\)/)]);
      // Compressed it fits the limit on the wire, and is refused while being decompressed.
      const zipped = failed(await rawExport(gz, 'traces', big));
      expect([zipped.code, zipped.details]).toEqual([
        8,
        'Received message that decompresses to a size larger than 4096',
      ]);
      expect(spans.batches).toEqual([]);
    } finally {
      gz.close();
      await s.stop();
    }
  });

  it('answers UNIMPLEMENTED for a signal without a sink', async () => {
    const s = await startServer();
    try {
      const logs = failed(await rawExport(s.client, 'logs', encodeLogs([{ scopes: [{ items: [{ body: 'hi' }] }] }])));
      expect([logs.code, logs.details]).toEqual([12, 'logs ingest is not enabled on this server']);
      expect(failed(await rawExport(s.client, 'metrics', new Uint8Array(0))).code).toBe(12);
      expect(await s.metrics.registry.metrics()).toContain(
        'pivot_ingest_grpc_requests_total{method="opentelemetry.proto.collector.logs.v1.LogsService/Export",code="UNIMPLEMENTED"} 1',
      );
    } finally {
      await s.stop();
    }
  });

  it('sends logs and metrics through the same signal definitions as OTLP/HTTP', async () => {
    const logs = new CapturingSink<ResourceLogs[]>();
    const samples = new CapturingSink<MetricsBatch>();
    // maxLineBytes is the HTTP path's log limit; the gRPC path must truncate bodies to it too.
    const s = await startServer({ logs, samples, logLimits: { maxLineBytes: 64 } });
    try {
      const body = 'x'.repeat(100);
      const l = await rawExport(
        s.client,
        'logs',
        encodeLogs([
          { attributes: { 'service.name': 'svc' }, scopes: [{ items: [{ time: NOW_NS, body, severityNumber: 9 }] }] },
        ]),
      );
      expect(l).toEqual({ ok: true, response: new Uint8Array(0) });
      const record = logs.batches[0]![0]!.scopeLogs[0]!.logRecords[0]!;
      expect(typeof record.body === 'string' && record.body.length).toBe(64);

      const ms = Number(NOW_NS / 1_000_000n);
      const m = await rawExport(
        s.client,
        'metrics',
        encodeMetrics([
          {
            attributes: { 'service.name': 'svc' },
            scopes: [{ items: [{ name: 'queue.depth', gauge: [{ time: NOW_NS, double: 7 }] }] }],
          },
        ]),
      );
      expect(m.ok).toBe(true);
      const series = samples.batches[0]!.series.find((x) => x.labels.__name__ === 'queue_depth');
      expect(series?.samples).toEqual([{ timestampMs: ms, value: 7 }]);
      const text = await s.metrics.registry.metrics();
      expect(text).toContain('pivot_ingest_items_accepted_total{signal="logs"} 1');
      expect(text).toContain('pivot_ingest_items_accepted_total{signal="metrics"} 1');
    } finally {
      await s.stop();
    }
  });
});

describe('OTLP/gRPC with ingest tokens', () => {
  let s: Running;
  const spans = new CapturingSink<ResourceSpans[]>();
  beforeAll(async () => {
    s = await startServer({ spans, ingestTokens: ['alpha-token', 'beta-token'] });
  });
  afterAll(() => s?.stop());
  const body = tracesRequest([span('a7'.repeat(16), '4142434445464748')]);

  it('answers UNAUTHENTICATED without a token or with a wrong one, and stores nothing', async () => {
    for (const md of [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: 'alpha-token' },
      { authorization: 'Bearer alpha-token-and-more' },
    ] as Record<string, string>[]) {
      const err = failed(await rawExport(s.client, 'traces', body, md));
      expect(err.code).toBe(16);
      expect(err.details).not.toContain('alpha');
    }
    expect(spans.batches).toEqual([]);
  });

  it('accepts any configured token in the authorization metadata', async () => {
    expect((await rawExport(s.client, 'traces', body, { authorization: 'Bearer beta-token' })).ok).toBe(true);
    expect((await rawExport(s.client, 'traces', body, { authorization: 'bearer alpha-token' })).ok).toBe(true);
    expect(spans.batches).toHaveLength(2);
    const text = await s.metrics.registry.metrics();
    expect(text).toContain(
      'pivot_ingest_grpc_requests_total{method="opentelemetry.proto.collector.trace.v1.TraceService/Export",code="UNAUTHENTICATED"} 4',
    );
    expect(text).toContain(
      'pivot_ingest_grpc_requests_total{method="opentelemetry.proto.collector.trace.v1.TraceService/Export",code="OK"} 2',
    );
  });
});

describe('OTLP/gRPC token check before decompression', () => {
  it('refuses a 60 MB gzip message without a token before inflating it', async () => {
    // grpc-js inflates with zlib's Gunzip: count the chunks any Gunzip transforms while the call runs.
    const proto = zlib.Gunzip.prototype as unknown as { _transform: (...a: unknown[]) => unknown };
    const inherited = proto._transform;
    let gunzips = 0;
    proto._transform = function (this: unknown, ...a: unknown[]) {
      gunzips++;
      return inherited.apply(this, a);
    };
    const spans = new CapturingSink<ResourceSpans[]>();
    const s = await startServer(
      { spans, ingestTokens: ['alpha-token'], maxMessageBytes: 64 * 1024 * 1024 },
      { gzip: true },
    );
    try {
      const bomb = new Uint8Array(60 * 1024 * 1024);
      const err = failed(await rawExport(s.client, 'traces', bomb, {}));
      expect(err.code).toBe(16);
      expect(gunzips).toBe(0);
      // The same client with the token is inflated and answered (zeros decode as an empty request).
      const ok = await rawExport(s.client, 'traces', tracesRequest([span('c3'.repeat(16), '4142434445464748')]), {
        authorization: 'Bearer alpha-token',
      });
      expect(ok.ok).toBe(true);
      expect(gunzips).toBeGreaterThan(0);
    } finally {
      delete (proto as { _transform?: unknown })._transform;
      await s.stop();
    }
  }, 60_000);
});
