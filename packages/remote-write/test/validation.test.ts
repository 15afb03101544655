// Per-series rules of remote-write 1.0: a bad series is rejected with a message naming its index, the
// label and the rule, and the good series of the same request are kept.
import { describe, expect, it } from 'vitest';
import { decodeWriteRequest } from '../src/index.ts';
import { okSeries, rawRequest } from './raw.ts';
import type { RawSeries } from './raw.ts';

/** Decodes [good, bad, good] and returns the one rejection message. */
function rejectMessage(bad: RawSeries, limits = {}): string {
  const { batch, rejected } = decodeWriteRequest(rawRequest([okSeries('before'), bad, okSeries('after')]), limits);
  expect(batch.series.map((s) => s.labels.__name__)).toEqual(['before', 'after']);
  expect(rejected).toHaveLength(1);
  expect(rejected[0]!.index).toBe(1);
  expect(rejected[0]!.message).toMatch(/^series 1\b/);
  return rejected[0]!.message;
}

describe('label rules', () => {
  it('rejects unsorted labels, naming both', () => {
    const msg = rejectMessage({
      labels: [
        ['__name__', 'm'],
        ['job', 'a'],
        ['instance', 'b'],
      ],
    });
    expect(msg).toBe('series 1 ("m"): labels not sorted by name: "instance" comes after "job"');
  });

  it('rejects duplicate label names', () => {
    const msg = rejectMessage({
      labels: [
        ['__name__', 'm'],
        ['job', 'a'],
        ['job', 'b'],
      ],
    });
    expect(msg).toBe('series 1 ("m"): duplicate label name "job"');
  });

  it('rejects a series without __name__', () => {
    expect(rejectMessage({ labels: [['job', 'a']] })).toBe('series 1: missing __name__ label');
  });

  it('rejects an empty __name__ (empty labels count as absent)', () => {
    expect(
      rejectMessage({
        labels: [
          ['__name__', ''],
          ['job', 'a'],
        ],
      }),
    ).toBe('series 1: missing __name__ label');
  });

  it('rejects an invalid metric name', () => {
    expect(rejectMessage({ labels: [['__name__', 'http-requests']] })).toBe(
      'series 1 ("http-requests"): metric name "http-requests" does not match [a-zA-Z_:][a-zA-Z0-9_:]*',
    );
  });

  it('accepts colons in metric names (recording rules) but not in label names', () => {
    const { batch, rejected } = decodeWriteRequest(rawRequest([okSeries('job:rate5m:sum')]));
    expect(rejected).toEqual([]);
    expect(batch.series[0]!.labels.__name__).toBe('job:rate5m:sum');
    expect(rejectMessage(okSeries('m', [['a:b', 'x']]))).toBe(
      'series 1 ("m"): label name "a:b" does not match [a-zA-Z_][a-zA-Z0-9_]*',
    );
  });

  it.each([['0abc'], ['with-dash'], ['dotted.name'], [''], ['é']])('rejects label name %j', (name) => {
    expect(rejectMessage(okSeries('m', [[name, 'x']]))).toContain(`label name ${JSON.stringify(name)} does not match`);
  });

  it('drops empty-valued labels, as Prometheus treats them as absent', () => {
    const { batch, rejected } = decodeWriteRequest(
      rawRequest([
        okSeries('m', [
          ['a', ''],
          ['b', 'x'],
        ]),
      ]),
    );
    expect(rejected).toEqual([]);
    expect(batch.series[0]!.labels).toEqual({ __name__: 'm', b: 'x' });
  });

  it('still checks the order of empty-valued labels', () => {
    expect(
      rejectMessage(
        okSeries('m', [
          ['b', 'x'],
          ['a', ''],
        ]),
      ),
    ).toContain('"a" comes after "b"');
  });

  it('rejects a label value over the limit (4096 bytes by default), without quoting it whole', () => {
    const msg = rejectMessage(okSeries('m', [['big', 'v'.repeat(4097)]]));
    expect(msg).toBe('series 1 ("m"): value of label "big" is 4097 bytes, longer than 4096 bytes');
    const { rejected } = decodeWriteRequest(rawRequest([okSeries('m', [['big', 'v'.repeat(4096)]])]));
    expect(rejected).toEqual([]);
  });

  it('measures label values in UTF-8 bytes', () => {
    // 1366 × "é" is 2732 bytes: under 4096 chars but over a 2000-byte limit.
    expect(rejectMessage(okSeries('m', [['v', 'é'.repeat(1366)]]), { maxLabelValueBytes: 2000 })).toContain(
      'is 2732 bytes, longer than 2000 bytes',
    );
  });

  it('rejects a huge (1 MiB) label value cheaply', () => {
    const msg = rejectMessage(okSeries('m', [['big', 'x'.repeat(1 << 20)]]));
    expect(msg).toContain('is 1048576 bytes');
    expect(msg.length).toBeLessThan(200);
  });

  it('rejects more labels than the limit', () => {
    const labels: [string, string][] = Array.from({ length: 10 }, (_, i) => [`l${String(i).padStart(2, '0')}`, 'v']);
    expect(rejectMessage(okSeries('m', labels), { maxLabelsPerSeries: 10 })).toBe(
      'series 1 ("m"): more than 10 labels',
    );
    expect(decodeWriteRequest(rawRequest([okSeries('m', labels)]), { maxLabelsPerSeries: 11 }).rejected).toEqual([]);
  });

  it('rejects a label name over the name limit', () => {
    expect(rejectMessage(okSeries('m', [['n'.repeat(20), 'v']]), { maxLabelNameBytes: 16 })).toContain(
      'label name of 20 bytes is longer than 16 bytes',
    );
  });

  it('holds the metric name to the label-name limit (1024 bytes by default), the other series kept', () => {
    const { batch, rejected } = decodeWriteRequest(rawRequest([okSeries('m'.repeat(3000), []), okSeries('ok', [])]));
    expect(rejected.map((r) => r.message)).toEqual(['series 0: metric name of 3000 bytes is longer than 1024 bytes']);
    expect(batch.series.map((s) => s.labels.__name__)).toEqual(['ok']);
    expect(decodeWriteRequest(rawRequest([okSeries('m'.repeat(1024), [])])).rejected).toEqual([]);
  });

  it('rejects label values that are not valid UTF-8, short or long', () => {
    const short = new Uint8Array([0x61, 0xff, 0x62]);
    const long = new Uint8Array(100).fill(0x61);
    long[70] = 0xc3; // a lead byte followed by ASCII
    expect(rejectMessage(okSeries('m', [['v', short]]))).toBe('series 1 ("m"): value of label "v" is not valid UTF-8');
    expect(rejectMessage(okSeries('m', [['v', long]]))).toBe('series 1 ("m"): value of label "v" is not valid UTF-8');
  });

  it('keeps unicode label values', () => {
    const { batch } = decodeWriteRequest(rawRequest([okSeries('m', [['city', 'Zürich 🏔']])]));
    expect(batch.series[0]!.labels.city).toBe('Zürich 🏔');
  });

  it('stores a label named __proto__ as a label, not a prototype', () => {
    const { batch, rejected } = decodeWriteRequest(rawRequest([okSeries('m', [['__proto__', 'x']])]));
    expect(rejected).toEqual([]);
    const labels = batch.series[0]!.labels;
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect(Object.keys(labels)).toEqual(['__name__', '__proto__']);
    expect(Object.getOwnPropertyDescriptor(labels, '__proto__')!.value).toBe('x');
  });

  it('rejects native histogram series with a message, keeping the others', () => {
    expect(rejectMessage({ ...okSeries('latency'), samples: [], histograms: 2 })).toBe(
      'series 1 ("latency"): native histograms are not supported (2 histogram samples); send classic histograms',
    );
  });

  it('reports each bad series with its own index', () => {
    const { batch, rejected } = decodeWriteRequest(
      rawRequest([
        okSeries('a'),
        { labels: [['job', 'x']] },
        okSeries('b'),
        okSeries('c', [
          ['x', '1'],
          ['x', '2'],
        ]),
      ]),
    );
    expect(batch.series.map((s) => s.labels.__name__)).toEqual(['a', 'b']);
    expect(rejected.map((r) => r.index)).toEqual([1, 3]);
  });
});
