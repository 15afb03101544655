// Builds snappy-compressed logproto.PushRequest bodies, as Promtail, Alloy or the Loki Go client send them.
import { Writer, WireType } from '@pivot/protobuf';
import { compress } from 'snappyjs';

export interface ProtoEntry {
  /** Nanoseconds; split into Timestamp seconds and nanos. */
  ts: bigint;
  line: string;
  metadata?: [string, string][];
  /** Overrides the Timestamp nanos field, to send invalid ones. */
  rawNanos?: number;
}

export interface ProtoStream {
  labels: string;
  entries: ProtoEntry[];
}

export function pushRequestProtobuf(streams: ProtoStream[]): Uint8Array {
  const w = new Writer();
  for (const s of streams) {
    w.fork(1);
    w.tag(1, WireType.LEN).string(s.labels);
    for (const e of s.entries) {
      w.fork(2);
      w.fork(1);
      w.tag(1, WireType.VARINT).varint64(e.ts / 1_000_000_000n);
      w.tag(2, WireType.VARINT).varint64(BigInt(e.rawNanos ?? Number(e.ts % 1_000_000_000n)));
      w.join();
      w.tag(2, WireType.LEN).string(e.line);
      for (const [name, value] of e.metadata ?? []) {
        w.fork(3);
        w.tag(1, WireType.LEN).string(name);
        w.tag(2, WireType.LEN).string(value);
        w.join();
      }
      w.join();
    }
    w.tag(3, WireType.VARINT).varint64(0xfedcba9876543210n); // hash, ignored
    w.join();
  }
  return w.finish();
}

export const pushRequest = (streams: ProtoStream[]): Uint8Array => compress(pushRequestProtobuf(streams));

/** Loki's label string for a label map, with Go escaping of the values. */
export function labelString(labels: Record<string, string>): string {
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ')}}`;
}
