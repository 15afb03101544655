// Builds an ingest app with log ingest over a real store, and Loki protobuf pushes as Promtail and
// Alloy send them, for the log ingest tests.
import { Writer, WireType } from '@pivot/protobuf';
import { createLogger } from '@pivot/server-kit';
import { LogQueries, LogWriter, PartitionManager, SpanWriter, type Database } from '@pivot/store';
import { createIngestApp, createIngestMetrics, flushRecorder } from '../src/index.ts';

export function buildLogIngest(
  database: Database,
  opts: {
    limits?: { maxBodyBytes: number; maxDecompressedBytes: number };
    maxLineBytes?: number;
    maxQueuedItems?: number;
  } = {},
) {
  const metrics = createIngestMetrics(false);
  const partitions = new PartitionManager(database);
  const spans = new SpanWriter(database, partitions);
  const logs = new LogWriter(database, partitions, {
    onFlush: flushRecorder(metrics, 'logs'),
    ...(opts.maxQueuedItems ? { maxQueuedItems: opts.maxQueuedItems } : {}),
  });
  const app = createIngestApp({
    logger: createLogger('silent', 'test'),
    metrics,
    limits: opts.limits ?? { maxBodyBytes: 1 << 20, maxDecompressedBytes: 4 << 20 },
    spans,
    logs,
    logLimits: opts.maxLineBytes ? { maxLineBytes: opts.maxLineBytes } : {},
    ready: () => database.ping(),
  });
  return {
    app,
    logs,
    metrics,
    queries: new LogQueries(database),
    async close() {
      await Promise.all([logs.close(), spans.close()]);
    },
  };
}

export interface PushEntry {
  ns: bigint;
  line: string;
  metadata?: [string, string][];
}

/** logproto.PushRequest { repeated StreamAdapter streams = 1 }, uncompressed. */
export function lokiPushProtobuf(streams: { labels: string; entries: PushEntry[] }[]): Uint8Array {
  const w = new Writer();
  for (const s of streams) {
    w.fork(1).tag(1, WireType.LEN).string(s.labels);
    for (const e of s.entries) {
      w.fork(2).fork(1);
      w.tag(1, WireType.VARINT)
        .varint64(e.ns / 1_000_000_000n)
        .tag(2, WireType.VARINT)
        .varint64(e.ns % 1_000_000_000n);
      w.join().tag(2, WireType.LEN).string(e.line);
      for (const [k, v] of e.metadata ?? [])
        w.fork(3).tag(1, WireType.LEN).string(k).tag(2, WireType.LEN).string(v).join();
      w.join();
    }
    w.join();
  }
  return w.finish();
}

/**
 * A valid snappy block made of literals only: enough for a decoder under test, without depending on a
 * compressor. Each literal holds up to 64 KiB (tag 61: a 2-byte length follows).
 */
export function snappyLiterals(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let n = data.length;
  do {
    out.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  const parts: Uint8Array[] = [Uint8Array.from(out)];
  for (let i = 0; i < data.length; i += 65536) {
    const chunk = data.subarray(i, i + 65536);
    const len = chunk.length - 1;
    parts.push(Uint8Array.of(61 << 2, len & 0xff, len >>> 8), chunk);
  }
  return Buffer.concat(parts);
}
