// Encodes prometheus.WriteRequest (prompb/remote.proto) with the repo's protobuf Writer.
import { Writer } from '@pivot/protobuf';
import { compress } from 'snappyjs';
import type { StoredSeries } from '../src/index.ts';
import { STALE_NAN_BITS, isStaleMarker } from '../src/index.ts';

export function encodeWriteRequest(series: StoredSeries[]): Uint8Array {
  const w = new Writer();
  for (const s of series) {
    w.fork(1); // TimeSeries
    for (const name of Object.keys(s.labels).sort()) {
      w.fork(1).tag(1, 2).string(name).tag(2, 2).string(s.labels[name]!).join();
    }
    for (let i = 0; i < s.timestamps.length; i++) {
      w.fork(2); // Sample
      w.tag(1, 1);
      // The stale marker's NaN payload must reach the wire bit-exact.
      if (isStaleMarker(s.values, i)) w.fixed64(STALE_NAN_BITS);
      else w.double(s.values[i]!);
      w.tag(2, 0).varint64(BigInt(s.timestamps[i]!));
      w.join();
    }
    w.join();
  }
  return w.finish();
}

export async function remoteWrite(baseUrl: string, series: StoredSeries[]): Promise<void> {
  const body = compress(encodeWriteRequest(series));
  const res = await fetch(`${baseUrl}/api/v1/write`, {
    method: 'POST',
    headers: {
      'Content-Encoding': 'snappy',
      'Content-Type': 'application/x-protobuf',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
    },
    body,
  });
  if (res.status >= 300) throw new Error(`remote write failed: ${res.status} ${await res.text()}`);
}
