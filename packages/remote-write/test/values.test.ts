// Sample values must reach the store bit for bit: NaN, ±Inf, -0 and Prometheus' stale marker, whose
// exact bit pattern is how staleness is recognised.
import { describe, expect, it } from 'vitest';
import { unixMillis } from '@pivot/model';
import type { MetricsBatch } from '@pivot/model';
import { decodeWriteRequest, encodeWriteRequest, isStaleMarker, staleMarker, STALE_NAN_BITS } from '../src/index.ts';
import { rawRequest, okSeries } from './raw.ts';

const bitsOf = (v: number): bigint => {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, v);
  return dv.getBigUint64(0);
};

describe('special values', () => {
  it('keeps NaN, ±Inf, -0, the stale marker and a NaN payload bit-exact', () => {
    const patterns = [
      0x7ff8000000000000n,
      0x7ff0000000000000n,
      0xfff0000000000000n,
      0x8000000000000000n,
      STALE_NAN_BITS,
      0x7ff80000deadbeefn,
    ];
    const samples = patterns.map((b, i): [bigint, number] => [b, 1000 + i]);
    const { batch } = decodeWriteRequest(rawRequest([{ ...okSeries('m'), samples }]));
    expect(batch.series[0]!.samples.map((s) => bitsOf(s.value))).toEqual(patterns);
    expect(batch.series[0]!.samples.map((s) => s.timestampMs)).toEqual([1000, 1001, 1002, 1003, 1004, 1005]);
  });

  it('recognises the stale marker, also after V8 quietened it in a double array', () => {
    const { batch } = decodeWriteRequest(
      rawRequest([
        {
          ...okSeries('m'),
          samples: [
            [STALE_NAN_BITS, 1],
            [NaN, 2],
          ],
        },
      ]),
    );
    const [stale, nan] = batch.series[0]!.samples;
    expect(bitsOf(stale!.value)).toBe(STALE_NAN_BITS);
    expect(isStaleMarker(stale!.value)).toBe(true);
    expect(isStaleMarker(nan!.value)).toBe(false);
    expect(isStaleMarker(0)).toBe(false);
    expect(bitsOf(staleMarker())).toBe(STALE_NAN_BITS);
    const quietened = [1.5];
    quietened.push(stale!.value);
    expect(bitsOf(quietened[1]!)).toBe(STALE_NAN_BITS | 0x0008000000000000n);
    expect(isStaleMarker(quietened[1]!)).toBe(true);
  });

  it('keeps negative and pre-1970 timestamps and large int64 values up to the storable limit', () => {
    const { batch } = decodeWriteRequest(
      rawRequest([
        {
          ...okSeries('m'),
          samples: [
            [1, -1],
            [2, 0],
            [3, 9_000_000_000_000],
            [4, -(2 ** 40)],
          ],
        },
      ]),
    );
    expect(batch.series[0]!.samples.map((s) => s.timestampMs)).toEqual([-1, 0, 9_000_000_000_000, -(2 ** 40)]);
  });
});

describe('encodeWriteRequest', () => {
  it('round-trips a batch, sorting label names', () => {
    const batch: MetricsBatch = {
      series: [
        {
          labels: { job: 'api', __name__: 'http_requests_total', code: '500' },
          samples: [{ timestampMs: unixMillis(1700000000000), value: 42 }],
          exemplars: [
            {
              labels: { trace_id: '4BF92F3577B34DA6A3CE929D0E0E4736', span_id: '00f067aa0ba902b7', user: 'x' },
              value: 0.25,
              timestampMs: unixMillis(1700000000001),
              traceId: null,
              spanId: null,
            },
          ],
        },
      ],
      metadata: [{ metricFamilyName: 'http_requests', type: 'counter', help: 'Requests.', unit: 'requests' }],
    };
    const { batch: out, rejected } = decodeWriteRequest(encodeWriteRequest(batch));
    expect(rejected).toEqual([]);
    expect(Object.keys(out.series[0]!.labels)).toEqual(['__name__', 'code', 'job']);
    expect(out.metadata).toEqual(batch.metadata);
    const e = out.series[0]!.exemplars[0]!;
    // IDs are lower-cased when linked; the labels stay as they arrived.
    expect(e.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(e.spanId).toBe('00f067aa0ba902b7');
    expect(e.labels).toEqual({ span_id: '00f067aa0ba902b7', trace_id: '4BF92F3577B34DA6A3CE929D0E0E4736', user: 'x' });
  });
});

describe('exemplar trace links', () => {
  const exemplarWith = (labels: Record<string, string>) =>
    decodeWriteRequest(
      encodeWriteRequest({
        series: [
          {
            labels: { __name__: 'm' },
            samples: [],
            exemplars: [{ labels, value: 1, timestampMs: unixMillis(5), traceId: null, spanId: null }],
          },
        ],
        metadata: [],
      }),
    ).batch.series[0]!.exemplars[0]!;

  it.each([
    ['trace_id', 'span_id'],
    ['traceId', 'spanId'],
    ['traceID', 'spanID'],
  ])('reads %s / %s', (t, s) => {
    const e = exemplarWith({ [t]: 'a'.repeat(32), [s]: 'b'.repeat(16) });
    expect([e.traceId, e.spanId]).toEqual(['a'.repeat(32), 'b'.repeat(16)]);
  });

  it('gives null for invalid or all-zero IDs but keeps the labels', () => {
    const e = exemplarWith({ trace_id: 'not-a-trace', span_id: '0'.repeat(16) });
    expect([e.traceId, e.spanId]).toEqual([null, null]);
    expect(e.labels).toEqual({ span_id: '0'.repeat(16), trace_id: 'not-a-trace' });
  });

  it('falls back to the next spelling when the first is invalid', () => {
    const e = exemplarWith({ trace_id: 'bad', traceId: 'c'.repeat(32) });
    expect(e.traceId).toBe('c'.repeat(32));
  });
});

describe('timestamps the store cannot hold', async () => {
  const { encodeWriteRequest, decodeWriteRequest } = await import('../src/index.ts');
  const { unixMillis } = await import('@pivot/model');
  it('reject their series alone', () => {
    const body = encodeWriteRequest({
      series: [
        {
          labels: { __name__: 'ok' },
          samples: [{ timestampMs: unixMillis(1_700_000_000_000), value: 1 }],
          exemplars: [],
        },
        { labels: { __name__: 'far' }, samples: [{ timestampMs: unixMillis(2 ** 53 - 1), value: 1 }], exemplars: [] },
      ],
      metadata: [],
    });
    const { batch, rejected } = decodeWriteRequest(body);
    expect(batch.series.map((s) => s.labels.__name__)).toEqual(['ok']);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.message).toMatch(/beyond the storable range/);
  });
});
