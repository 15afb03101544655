// Items dated outside the accepted window (INGEST_MAX_FUTURE ahead, retention behind) are refused one
// by one on every way in, with a message, and the rest of the request is stored. Before this, 20
// spans dated 2200–2201 created 20 day partitions that retention never removed.
import { describe, expect, it } from 'vitest';
import { CapturingSink } from '../testing/index.ts';
import { unixMillis, type MetricsBatch, type ResourceLogs, type ResourceSpans } from '@pivot/model';
import { encodeWriteRequest } from '@pivot/remote-write';
import { createLogger } from '@pivot/server-kit';
import { createIngestApp, createIngestMetrics } from '../src/index.ts';
import { withTimeWindow } from '../src/pipeline.ts';

const NOW_MS = 1_800_000_000_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const YEAR_2200_MS = Date.UTC(2200, 0, 1);

function build() {
  const spans = new CapturingSink<ResourceSpans[]>();
  const samples = new CapturingSink<MetricsBatch>();
  const logs = new CapturingSink<ResourceLogs[]>();
  const window = {
    maxFutureMs: HOUR_MS,
    retentionMs: { traces: 7 * DAY_MS, logs: 7 * DAY_MS, metrics: 0 },
    now: () => NOW_MS,
  };
  const app = createIngestApp({
    logger: createLogger('silent', 'test'),
    metrics: createIngestMetrics(false),
    limits: { maxBodyBytes: 1 << 20, maxDecompressedBytes: 4 << 20 },
    spans: withTimeWindow(spans, 'traces', window),
    samples: withTimeWindow(samples, 'metrics', window),
    logs: withTimeWindow(logs, 'logs', window),
    ready: () => Promise.resolve(),
  });
  return { app, spans, samples, logs };
}

const ns = (ms: number) => BigInt(ms) * 1_000_000n;
const span = (spanId: string, startMs: number) => ({
  traceId: 'ab'.repeat(16),
  spanId,
  name: 'op',
  startTimeUnixNano: ns(startMs).toString(),
  endTimeUnixNano: ns(startMs + 5).toString(),
});
const otlpJson = (spans: ReturnType<typeof span>[]) =>
  JSON.stringify({
    resourceSpans: [
      { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeSpans: [{ spans }] },
    ],
  });

describe('the accepted time window', () => {
  it('refuses OTLP spans dated in 2200 or before retention, alone, and stores the others', async () => {
    const s = build();
    const dated = [
      span('0000000000000001', NOW_MS),
      span('0000000000000002', NOW_MS + 30 * 60_000),
      ...Array.from({ length: 20 }, (_, i) =>
        span(`10000000000000${String(i).padStart(2, '0')}`, YEAR_2200_MS + i * DAY_MS),
      ),
      span('0000000000000003', NOW_MS - 8 * DAY_MS),
    ];
    const res = await s.app.request('/v1/traces', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: otlpJson(dated),
    });
    expect(res.status).toBe(200);
    const answer = ((await res.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } })
      .partialSuccess;
    expect(Number(answer.rejectedSpans)).toBe(21);
    expect(answer.errorMessage).toMatch(
      /21 spans outside the accepted time window, first: span 1000000000000000 dated 2200-01-01T00:00:00.000Z is after .* \(INGEST_MAX_FUTURE\)/,
    );
    const stored = s.spans.batches.flatMap((b) => b.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
    expect(stored.map((x) => x.spanId).sort()).toEqual(['0000000000000001', '0000000000000002']);
  });

  it('answers remote-write with 400 naming the future samples, having stored the rest', async () => {
    const s = build();
    const body = encodeWriteRequest({
      series: [
        {
          labels: { __name__: 'up', job: 'j' },
          samples: [
            { timestampMs: unixMillis(NOW_MS), value: 1 },
            { timestampMs: unixMillis(YEAR_2200_MS), value: 2 },
          ],
          exemplars: [],
        },
        // Metrics keep forever here (retention 0): an old sample is fine.
        {
          labels: { __name__: 'old', job: 'j' },
          samples: [{ timestampMs: unixMillis(1_000), value: 3 }],
          exemplars: [],
        },
      ],
      metadata: [],
    });
    const res = await s.app.request('/api/v1/write', {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
      body,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(
      /^1 samples outside the accepted time window, first: sample of up dated 2200-01-01T00:00:00.000Z .*\(the other 2 samples were stored\)$/,
    );
    expect(s.samples.batches[0]!.series.map((x) => [x.labels.__name__, x.samples.map((p) => p.value)])).toEqual([
      ['up', [1]],
      ['old', [3]],
    ]);
  });

  it('reports NDJSON log lines outside the window in the answer and stores the others', async () => {
    const s = build();
    const lines = [
      { time: NOW_MS, msg: 'now' },
      { time: YEAR_2200_MS, msg: 'future' },
      { time: NOW_MS - 30 * DAY_MS, msg: 'too old' },
    ].map((l) => JSON.stringify(l));
    const res = await s.app.request('/api/v1/logs?service=svc', {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: lines.join('\n'),
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { accepted: number; rejectedCount: number; message: string };
    expect(answer).toMatchObject({ accepted: 1, rejectedCount: 2 });
    expect(answer.message).toMatch(/2 log records outside the accepted time window/);
    const bodies = s.logs.batches.flatMap((b) =>
      b.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords.map((r) => r.body))),
    );
    expect(bodies).toEqual(['now']);
  });
});
