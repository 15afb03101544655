// Builds a remote-write request from a batch, for tests and benchmarks (the servers only receive them).
// Label names are written sorted, as the spec requires of senders.
import { Writer, WireType } from '@pivot/protobuf';
import type { Labels, MetricType, MetricsBatch } from '@pivot/model';
import { compress } from 'snappyjs';

const METRIC_TYPE_NUMBERS: Record<MetricType, number> = {
  unknown: 0,
  counter: 1,
  gauge: 2,
  histogram: 3,
  gaugehistogram: 4,
  summary: 5,
  info: 6,
  stateset: 7,
};

function writeLabels(w: Writer, field: number, labels: Labels): void {
  for (const name of Object.keys(labels).sort()) {
    w.fork(field);
    w.tag(1, WireType.LEN).string(name);
    w.tag(2, WireType.LEN).string(labels[name]!);
    w.join();
  }
}

/** The protobuf WriteRequest before snappy, for tests that need to corrupt or inspect it. */
export function encodeWriteRequestProtobuf(batch: MetricsBatch): Uint8Array {
  const w = new Writer();
  for (const s of batch.series) {
    w.fork(1);
    writeLabels(w, 1, s.labels);
    for (const sample of s.samples) {
      w.fork(2);
      w.tag(1, WireType.I64).double(sample.value);
      w.tag(2, WireType.VARINT).varint64(BigInt(sample.timestampMs));
      w.join();
    }
    for (const e of s.exemplars) {
      w.fork(3);
      writeLabels(w, 1, e.labels);
      w.tag(2, WireType.I64).double(e.value);
      w.tag(3, WireType.VARINT).varint64(BigInt(e.timestampMs));
      w.join();
    }
    w.join();
  }
  for (const m of batch.metadata) {
    w.fork(3);
    w.tag(1, WireType.VARINT).uint32(METRIC_TYPE_NUMBERS[m.type]);
    w.tag(2, WireType.LEN).string(m.metricFamilyName);
    w.tag(4, WireType.LEN).string(m.help);
    w.tag(5, WireType.LEN).string(m.unit);
    w.join();
  }
  return w.finish();
}

/** A snappy-compressed WriteRequest, as Prometheus sends it. */
export function encodeWriteRequest(batch: MetricsBatch): Uint8Array {
  return compress(encodeWriteRequestProtobuf(batch));
}
