// What every way in shares, pinned over HTTP with capturing sinks (no database): what is written, the
// 400 that lists the first ten refusals "; and N more", 400 vs 413 for undecodable bodies, and the
// accepted/rejected counters. Remote-write has no other test in this app.
import { describe, expect, it } from 'vitest';
import { CapturingSink } from '../testing/index.ts';
import type { MetricsBatch, ResourceLogs, ResourceSpans, TimeSeries } from '@pivot/model';
import { unixMillis } from '@pivot/model';
import { encodeWriteRequest } from '@pivot/remote-write';
import { createLogger } from '@pivot/server-kit';
import { createIngestApp, createIngestMetrics } from '../src/index.ts';
import { snappyLiterals } from './logs-helpers.ts';

function build() {
  const spans = new CapturingSink<ResourceSpans[]>();
  const samples = new CapturingSink<MetricsBatch>();
  const logs = new CapturingSink<ResourceLogs[]>();
  const metrics = createIngestMetrics(false);
  const app = createIngestApp({
    logger: createLogger('silent', 'test'),
    metrics,
    limits: { maxBodyBytes: 1 << 20, maxDecompressedBytes: 4 << 20 },
    spans,
    samples,
    logs,
    ready: () => Promise.resolve(),
  });
  const counters = async () =>
    (await metrics.registry.metrics())
      .split('\n')
      .filter((l) => /^pivot_ingest_items_(accepted|rejected)_total\{/.test(l));
  return { app, spans, samples, logs, counters };
}

const series = (name: string, samples = 1): TimeSeries => ({
  labels: { __name__: name, job: 'j' },
  samples: Array.from({ length: samples }, (_, i) => ({ timestampMs: unixMillis(1_700_000_000_000 + i), value: i })),
  exemplars: [],
});

const rw = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' };
const post = (
  app: ReturnType<typeof build>['app'],
  path: string,
  body: Uint8Array | string,
  headers: Record<string, string>,
) => app.request(path, { method: 'POST', body, headers });

describe('remote-write through the pipeline', () => {
  it('stores a valid request, answers 204 and counts its samples', async () => {
    const s = build();
    const res = await post(
      s.app,
      '/api/v1/write',
      encodeWriteRequest({ series: [series('a', 2), series('b', 3)], metadata: [] }),
      rw,
    );
    expect(res.status).toBe(204);
    expect(s.samples.batches).toHaveLength(1);
    expect(s.samples.batches[0]!.series.map((x) => x.labels.__name__)).toEqual(['a', 'b']);
    expect(await s.counters()).toEqual(['pivot_ingest_items_accepted_total{signal="metrics"} 5']);
  });

  it('writes a metadata-only request (no sample), as Prometheus sends metadata apart', async () => {
    const s = build();
    const metadata = [{ metricFamilyName: 'a', type: 'counter' as const, help: 'h', unit: '' }];
    const res = await post(s.app, '/api/v1/write', encodeWriteRequest({ series: [], metadata }), rw);
    expect(res.status).toBe(204);
    expect(s.samples.batches).toEqual([{ series: [], metadata }]);
  });

  it('does not write an empty request', async () => {
    const s = build();
    expect((await post(s.app, '/api/v1/write', new Uint8Array([0]), rw)).status).toBe(204);
    expect(s.samples.batches).toEqual([]);
  });

  it('stores the valid series and answers 400 naming the first ten refused, "; and N more"', async () => {
    const s = build();
    const bad = Array.from({ length: 12 }, (_, i) => series(`bad-${i}`));
    const res = await post(
      s.app,
      '/api/v1/write',
      encodeWriteRequest({ series: [series('ok'), ...bad], metadata: [] }),
      rw,
    );
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: string };
    const listed = Array.from(
      { length: 10 },
      (_, i) => `series ${i + 1} ("bad-${i}"): metric name "bad-${i}" does not match [a-zA-Z_:][a-zA-Z0-9_:]*`,
    );
    expect(error).toBe(`12 series rejected (the other 1 were stored): ${listed.join('; ')}; and 2 more`);
    expect(s.samples.batches[0]!.series.map((x) => x.labels.__name__)).toEqual(['ok']);
    expect(await s.counters()).toEqual([
      'pivot_ingest_items_accepted_total{signal="metrics"} 1',
      'pivot_ingest_items_rejected_total{signal="metrics",reason="invalid"} 12',
    ]);
  });

  it('answers 400 for an undecodable body and counts it', async () => {
    const s = build();
    const res = await post(s.app, '/api/v1/write', snappyLiterals(Uint8Array.of(0x0a, 0x50, 0x01)), rw);
    expect(res.status).toBe(400);
    expect(s.samples.batches).toEqual([]);
    expect(await s.counters()).toEqual(['pivot_ingest_items_rejected_total{signal="metrics",reason="undecodable"} 1']);
  });

  it('answers 413 for a snappy header declaring more than the limit, without counting a rejection', async () => {
    const s = build();
    // varint 8 MiB, over maxDecompressedBytes (4 MiB), then one literal byte.
    const res = await post(s.app, '/api/v1/write', Uint8Array.of(0x80, 0x80, 0x80, 0x04, 0x00, 0x00), rw);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toMatch(/declares 8388608 uncompressed bytes/);
    expect(await s.counters()).toEqual([]);
  });
});

describe('Loki push through the pipeline', () => {
  it('lists the first ten refused entries, "; and N more", and stores the others', async () => {
    const s = build();
    const ns = BigInt(Date.now()) * 1_000_000n;
    const values = [[ns.toString(), 'kept'], ...Array.from({ length: 13 }, () => ['yesterday', 'bad'])];
    const res = await post(
      s.app,
      '/loki/api/v1/push',
      JSON.stringify({ streams: [{ stream: { app: 'x' }, values }] }),
      {
        'content-type': 'application/json',
      },
    );
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: string };
    expect(error).toMatch(/^13 entries or streams rejected \(the other 1 entries were stored\): stream 0 entry 1: /);
    expect(error.split('; stream 0 entry ')).toHaveLength(10);
    expect(error).toMatch(/; and 3 more$/);
    expect(s.logs.batches).toHaveLength(1);
    expect(await s.counters()).toEqual([
      'pivot_ingest_items_accepted_total{signal="logs"} 1',
      'pivot_ingest_items_rejected_total{signal="logs",reason="invalid"} 13',
    ]);
  });

  it('answers 413 for a snappy bomb and 400 for an undecodable body, counting only the latter', async () => {
    const s = build();
    const bomb = await post(s.app, '/loki/api/v1/push', Uint8Array.of(0x80, 0x80, 0x80, 0x04, 0x00, 0x00), {
      'content-type': 'application/x-protobuf',
    });
    expect(bomb.status).toBe(413);
    const garbage = await post(s.app, '/loki/api/v1/push', '{"streams": 1', { 'content-type': 'application/json' });
    expect(garbage.status).toBe(400);
    expect(s.logs.batches).toEqual([]);
    expect(await s.counters()).toEqual(['pivot_ingest_items_rejected_total{signal="logs",reason="undecodable"} 1']);
  });
});

describe('NDJSON through the pipeline', () => {
  it('stores the valid lines, lists the refused ones and counts both', async () => {
    const s = build();
    const res = await post(s.app, '/api/v1/logs', '{"msg":"a"}\nnot json\n{"msg":"b"}\n', {
      'content-type': 'application/x-ndjson',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 2, rejectedCount: 1, rejected: [{ line: 2 }] });
    expect(s.logs.batches).toHaveLength(1);
    expect(await s.counters()).toEqual([
      'pivot_ingest_items_accepted_total{signal="logs"} 2',
      'pivot_ingest_items_rejected_total{signal="logs",reason="invalid"} 1',
    ]);
  });

  it('writes nothing when no line is valid', async () => {
    const s = build();
    const res = await post(s.app, '/api/v1/logs', 'nope\n', { 'content-type': 'application/x-ndjson' });
    expect(res.status).toBe(400);
    expect(s.logs.batches).toEqual([]);
  });
});

describe('OTLP through the pipeline', () => {
  it('answers an undecodable export 400 with a google.rpc.Status and counts it', async () => {
    const s = build();
    const res = await post(s.app, '/v1/metrics', '{"resourceMetrics": 1}', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 3 });
    expect(await s.counters()).toEqual(['pivot_ingest_items_rejected_total{signal="metrics",reason="undecodable"} 1']);
  });

  it('does not write an export with no data point', async () => {
    const s = build();
    const res = await post(s.app, '/v1/metrics', '{}', { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{}');
    expect(s.samples.batches).toEqual([]);
  });
});
