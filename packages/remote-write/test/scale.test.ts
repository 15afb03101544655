// One request with 100 000 series: it must decode whole, in well under a second on a laptop.
import { describe, expect, it } from 'vitest';
import { unixMillis } from '@pivot/model';
import type { TimeSeries } from '@pivot/model';
import { decodeWriteRequest, encodeWriteRequest } from '../src/index.ts';

describe('100k series in one request', () => {
  it('decodes every series and reports the time', () => {
    const series: TimeSeries[] = Array.from({ length: 100_000 }, (_, i) => ({
      labels: {
        __name__: 'node_cpu_seconds_total',
        cpu: String(i % 64),
        instance: `host-${i >> 6}:9100`,
        job: 'node',
        mode: 'idle',
      },
      samples: [{ timestampMs: unixMillis(1700000000000 + i), value: i * 0.5 }],
      exemplars: [],
    }));
    const body = encodeWriteRequest({ series, metadata: [] });
    const t0 = performance.now();
    const { batch, rejected } = decodeWriteRequest(body, { maxDecompressedBytes: 256 * 1024 * 1024 });
    const ms = performance.now() - t0;
    console.log(`100k series: ${body.length} compressed bytes decoded in ${ms.toFixed(0)} ms`);
    expect(rejected).toEqual([]);
    expect(batch.series).toHaveLength(100_000);
    expect(batch.series[99_999]).toEqual(series[99_999]);
    expect(batch.series[12_345]).toEqual(series[12_345]);
    // A sanity bound for loaded CI machines; bench/decode.bench.ts measures throughput.
    expect(ms).toBeLessThan(15_000);
  });
});
