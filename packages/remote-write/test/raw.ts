// Builds WriteRequests label by label, so that tests can send what encodeWriteRequest would never
// produce: unsorted, duplicate, empty or invalid labels, histograms, unknown fields.
import { Writer, WireType } from '@pivot/protobuf';
import { compress } from 'snappyjs';

export interface RawSeries {
  labels: [string, string | Uint8Array][];
  /** A bigint value is written as raw IEEE-754 bits: NaN payloads do not survive a JS array of numbers. */
  samples?: [value: number | bigint, timestampMs: number][];
  histograms?: number;
}

export function rawRequest(series: RawSeries[]): Uint8Array {
  const w = new Writer();
  for (const s of series) {
    w.fork(1);
    for (const [name, value] of s.labels) {
      w.fork(1);
      w.tag(1, WireType.LEN).string(name);
      if (typeof value === 'string') w.tag(2, WireType.LEN).string(value);
      else w.tag(2, WireType.LEN).bytes(value);
      w.join();
    }
    for (const [value, ts] of s.samples ?? [[1, 1000]]) {
      w.fork(2);
      if (typeof value === 'bigint') w.tag(1, WireType.I64).fixed64(value);
      else w.tag(1, WireType.I64).double(value);
      w.tag(2, WireType.VARINT).varint64(BigInt(ts));
      w.join();
    }
    for (let i = 0; i < (s.histograms ?? 0); i++) {
      w.fork(4);
      w.tag(1, WireType.VARINT).uint32(3); // count_int
      w.join();
    }
    w.join();
  }
  return compress(w.finish());
}

export const okSeries = (name: string, extra: [string, string | Uint8Array][] = []): RawSeries => ({
  labels: [['__name__', name], ...extra],
});
