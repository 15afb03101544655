// Requests captured from Prometheus 2.42 scraping a prom-client histogram and counter with exemplars.
// Expected values were read from the fixtures with an independent throwaway protobuf dumper.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeWriteRequest } from '../src/index.ts';
import { unixMillis } from '@pivot/model';
import type { TimeSeries } from '@pivot/model';

const load = (n: number) =>
  new Uint8Array(readFileSync(new URL(`./fixtures/prom-remote-write-${n}.pb.snappy`, import.meta.url)));

const APP = { instance: '127.0.0.1:19091', job: 'app' };
const HTTP = { code: '200', ...APP, route: '/api/checkout', service: 'checkout-api' };
const LE = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '+Inf'];

interface Scrape {
  file: number;
  timestampMs: number;
  buckets: number[];
  sum: number;
  scrapeDuration: number;
  seriesAdded: number;
  /** [le or 'counter', value, timestampMs, traceId, spanId] in request order. */
  exemplars: [string, number, number, string, string][];
}

const SCRAPES: Scrape[] = [
  {
    file: 15,
    timestampMs: 1795554629753,
    buckets: [92, 193, 508, 1018, 1018, 1018, 1018, 1019, 1040, 1040, 1040],
    sum: 57.17766046671931,
    scrapeDuration: 0.010108685,
    seriesAdded: 14,
    exemplars: [
      ['0.005', 0.002497251597039252, 1795554629694, '8f41789876949a8a42cde8a75f525ab0', 'c75160f4554c767e'],
      ['0.01', 0.009645074678953182, 1795554629694, 'ccd219665e98cbdee4318272d8b5c9ee', 'c7d7f8aec7f8b81e'],
      ['0.025', 0.018825399937963307, 1795554629694, '152f2378d9d7186d7c4ba481fae7f359', 'd3305b2ecf815728'],
      ['0.05', 0.04265524632434379, 1795554629694, '7a2a23efb74cce70354fb83243cb7f66', 'd8765c1c86abb90e'],
      ['1', 0.9615010286637381, 1795554627286, '89d7d74e294a19d3416fc6651d29f3c6', 'e69430039a908a75'],
      ['2.5', 1.250852387803655, 1795554629493, '0aafb02dff3eff51eb301d61d4379c60', '4df5ab016544034f'],
      ['counter', 1, 1795554629694, '152f2378d9d7186d7c4ba481fae7f359', 'd3305b2ecf815728'],
    ],
  },
  {
    file: 16,
    timestampMs: 1795554631753,
    buckets: [137, 276, 701, 1408, 1408, 1408, 1408, 1410, 1440, 1440, 1440],
    sum: 80.20353997903923,
    scrapeDuration: 0.003183852,
    seriesAdded: 0,
    exemplars: [
      ['0.005', 0.003831171799627331, 1795554631700, '9c538238f7bd66c91318a5ce5983233c', '1c3a82ca2775c6a8'],
      ['0.01', 0.007244273425278592, 1795554631700, '5ebb53155bb35fb78a37ebb3a7de8d35', 'c1b20785557533cc'],
      ['0.025', 0.024045952047993327, 1795554631700, 'e32d7bd7c5410d76c016897a3c560546', '71151822b206dbf9'],
      ['0.05', 0.046622705248019036, 1795554631700, '58b5a3a650de6293dbea374471c727ec', '7c62f3a077eeed0d'],
      ['1', 0.9639606799960053, 1795554631200, '62a7892344bd778a6dbd71f50d4b3761', '73b998407e19c297'],
      ['2.5', 1.773186320092321, 1795554631299, '22fa4085f6ce65b3cd32bd7cd54f4179', '9a96c9014e4771c9'],
      ['counter', 1, 1795554631700, '58b5a3a650de6293dbea374471c727ec', '7c62f3a077eeed0d'],
    ],
  },
  {
    file: 18,
    timestampMs: 1795554633753,
    buckets: [171, 347, 892, 1804, 1804, 1804, 1804, 1806, 1840, 1840, 1840],
    sum: 95.97702471471054,
    scrapeDuration: 0.00215166,
    seriesAdded: 0,
    exemplars: [
      ['0.005', 0.0018757007550635808, 1795554633708, 'a85f56ecddf969125a97bbfbeb3f1111', '1d6d30c715c1fe2d'],
      ['0.01', 0.0051630429599242135, 1795554633708, '6d9834434f68ea270e6ab89366e52e64', 'dc4ae5b9c969864f'],
      ['0.025', 0.01451709086519758, 1795554633708, '3db06b89fee08682bdcf79f93820fb5c', 'b7e6729f8bed7984'],
      ['0.05', 0.033210639930056386, 1795554633708, 'ccc63913f594d1f22d6d722acd396cd2', '26ef7001ab2a0bee'],
      ['2.5', 1.6845158242994351, 1795554632804, '97b7963b8233831347e865ee5fafee55', '8d47651c134c821b'],
      ['counter', 1, 1795554633708, 'ccc63913f594d1f22d6d722acd396cd2', '26ef7001ab2a0bee'],
    ],
  },
  {
    file: 19,
    timestampMs: 1795554635753,
    buckets: [202, 425, 1087, 2195, 2195, 2195, 2195, 2199, 2240, 2240, 2240],
    sum: 116.52306862498597,
    scrapeDuration: 0.001905402,
    seriesAdded: 0,
    exemplars: [
      ['0.005', 0.004083052109976226, 1795554635715, '9baae04823bee1b37faa9ae18738cbb8', 'ce49bfc8073c30c8'],
      ['0.01', 0.007617746486492916, 1795554635614, 'f1d7c11b565a83fa8851f9d5bedc3f0d', '2e84578be6044534'],
      ['0.025', 0.022367803797750163, 1795554635715, '5b5cd17c5c2d1d9e8549c239c5785add', 'b5ac5d99340fa222'],
      ['0.05', 0.03077681570651053, 1795554635715, 'd4b64ceb1e3b6212efc1c1788f8f0b0c', 'b5da231525dcd4ea'],
      ['1', 0.9553061715213994, 1795554635212, '2b5c019be553c1d33ba38a3c7bac67c7', '8873a77ac9825550'],
      ['2.5', 1.2804966929987152, 1795554635513, 'a3589bec4e719fd2436eaa11fd716878', '43576fffd3a6c11e'],
      ['counter', 1, 1795554635715, '5b5cd17c5c2d1d9e8549c239c5785add', 'b5ac5d99340fa222'],
    ],
  },
  {
    file: 20,
    timestampMs: 1795554637753,
    buckets: [248, 510, 1280, 2584, 2584, 2584, 2584, 2590, 2640, 2640, 2640],
    sum: 140.26256722168912,
    scrapeDuration: 0.002329287,
    seriesAdded: 0,
    exemplars: [
      ['0.005', 0.0043681265510219225, 1795554637722, '54d51340a659579a87d5c79ab0bed60c', '2e6ee25de219d706'],
      ['0.01', 0.009482703003168603, 1795554637722, '8f3c10be4d46b3f45a6761794df3edea', '2ab8fc6f5ecddf50'],
      ['0.025', 0.020737310935818966, 1795554637722, 'b8e09b17ac1d8850ed1470370d34b57c', '2888a502af579123'],
      ['0.05', 0.032485843512107, 1795554637722, '731aef5af2f46c4db9dc4f71df40d1ec', '7a24a747efdd8e21'],
      ['1', 0.9598015816688018, 1795554637722, 'fe27cb97143e41606146cb663ef17dd4', '8a81abe95aab297c'],
      ['2.5', 1.58637244541223, 1795554637622, '374de39d5f2b603aee6d8bb44e965869', 'cc64a041a6a5c70d'],
      ['counter', 1, 1795554637722, 'fe27cb97143e41606146cb663ef17dd4', '8a81abe95aab297c'],
    ],
  },
];

/** The 19 series of one scrape, in the order Prometheus sent them. */
function expectedSampleSeries(s: Scrape): TimeSeries[] {
  const one = (labels: Record<string, string>, value: number): TimeSeries => ({
    labels,
    samples: [{ timestampMs: unixMillis(s.timestampMs), value }],
    exemplars: [],
  });
  const count = s.buckets.at(-1)!;
  return [
    ...LE.map((le, i) => one({ __name__: 'http_server_duration_seconds_bucket', ...HTTP, le }, s.buckets[i]!)),
    one({ __name__: 'http_server_duration_seconds_sum', ...HTTP }, s.sum),
    one({ __name__: 'http_server_duration_seconds_count', ...HTTP }, count),
    one({ __name__: 'http_requests_total', code: '200', ...APP, service: 'checkout-api' }, count),
    one({ __name__: 'up', ...APP }, 1),
    one({ __name__: 'scrape_duration_seconds', ...APP }, s.scrapeDuration),
    one({ __name__: 'scrape_samples_scraped', ...APP }, 14),
    one({ __name__: 'scrape_samples_post_metric_relabeling', ...APP }, 14),
    one({ __name__: 'scrape_series_added', ...APP }, s.seriesAdded),
  ];
}

describe('Prometheus 2.42 fixtures', () => {
  for (const scrape of SCRAPES) {
    describe(`prom-remote-write-${scrape.file}`, () => {
      const { batch, rejected } = decodeWriteRequest(load(scrape.file));

      it('has every series, none rejected, no metadata', () => {
        expect(rejected).toEqual([]);
        expect(batch.metadata).toEqual([]);
        expect(batch.series).toHaveLength(19 + scrape.exemplars.length);
      });

      it('has the exact labels, values and timestamps of the 19 sample series', () => {
        expect(batch.series.slice(0, 19)).toEqual(expectedSampleSeries(scrape));
      });

      it('keeps label order sorted as sent', () => {
        for (const s of batch.series) expect(Object.keys(s.labels)).toEqual(Object.keys(s.labels).sort());
      });

      it('sends exemplars in sample-less series of their own, linked to traces', () => {
        const exemplarSeries = batch.series.slice(19);
        expect(exemplarSeries.map((s) => s.samples.length)).toEqual(scrape.exemplars.map(() => 0));
        expect(
          exemplarSeries.map((s) => {
            const [e] = s.exemplars;
            const which = s.labels.__name__ === 'http_requests_total' ? 'counter' : s.labels.le!;
            return [which, e!.value, e!.timestampMs, e!.traceId, e!.spanId];
          }),
        ).toEqual(scrape.exemplars);
        for (const s of exemplarSeries) {
          expect(s.exemplars).toHaveLength(1);
          const e = s.exemplars[0]!;
          // prom-client labels exemplars traceId/spanId; the labels themselves are kept.
          expect(e.labels).toEqual({ spanId: e.spanId, traceId: e.traceId });
        }
      });
    });
  }

  for (const file of [17, 21]) {
    it(`prom-remote-write-${file} carries metadata only`, () => {
      const { batch, rejected } = decodeWriteRequest(load(file));
      expect(rejected).toEqual([]);
      expect(batch.series).toEqual([]);
      expect(batch.metadata).toEqual([
        { metricFamilyName: 'http_server_duration_seconds', type: 'histogram', help: 'request latency', unit: '' },
        { metricFamilyName: 'http_requests', type: 'counter', help: 'requests', unit: '' },
      ]);
    });
  }

  it('histogram buckets are cumulative and +Inf equals _count in every scrape', () => {
    for (const s of SCRAPES) {
      const series = decodeWriteRequest(load(s.file)).batch.series;
      const buckets = series.filter(
        (x) => x.labels.__name__ === 'http_server_duration_seconds_bucket' && x.samples.length,
      );
      const values = buckets.map((b) => b.samples[0]!.value);
      expect(values).toEqual([...values].sort((a, b) => a - b));
      const count = series.find((x) => x.labels.__name__ === 'http_server_duration_seconds_count')!;
      expect(values.at(-1)).toBe(count.samples[0]!.value);
    }
  });
});
