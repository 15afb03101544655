// Loki's protobuf push (application/x-protobuf, always snappy block-compressed):
//   logproto.PushRequest { repeated StreamAdapter streams = 1 }
//   StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3 }
//   EntryAdapter { Timestamp timestamp = 1; string line = 2; repeated LabelPairAdapter structuredMetadata = 3 }
// Framing faults (snappy, protobuf) fail the whole push; a bad label string or entry only itself.
import { ProtobufError, Reader, WireType } from '@pivot/protobuf';
import { SnappyError, snappyDecompress } from '@pivot/snappy';
import { LogDecodeError, LogPayloadTooLargeError } from './errors.ts';
import { DEFAULT_MAX_DECOMPRESSED_BYTES } from './limits.ts';
import { LabelStringError, parseLabelString } from './loki-labels.ts';
import { LokiDecoder } from './loki-stream.ts';
import type { LokiOptions, LokiResult } from './loki-stream.ts';

interface RawEntry {
  /** null when the Timestamp message is malformed (nanos out of range). */
  timeUnixNano: bigint | null;
  line: string;
  metadata: [string, string][];
}

interface RawStream {
  labels: string;
  entries: RawEntry[];
}

function decompress(body: Uint8Array, maxBytes: number): Uint8Array {
  try {
    return snappyDecompress(body, maxBytes);
  } catch (err) {
    if (!(err instanceof SnappyError)) throw err;
    if (err.declaredBytes !== null) throw new LogPayloadTooLargeError(err.declaredBytes, maxBytes);
    throw new LogDecodeError(`invalid snappy block: ${err.message} (at byte ${err.offset})`, err.offset);
  }
}

/** Reads fields of a message until its end, handing each known one to `on` (which returns false for unknown fields). */
function fields(r: Reader, on: (field: number, key: number) => boolean): void {
  while (!r.eof()) {
    const key = r.tag();
    if (!on(key >>> 3, key)) r.skip(key & 7);
  }
}

function nested<T>(r: Reader, key: number, read: () => T): T {
  r.expect(key, WireType.LEN);
  const outer = r.enter();
  const v = read();
  r.leave(outer);
  return v;
}

function readTimestamp(r: Reader): bigint | null {
  let seconds = 0n;
  let nanos = 0;
  fields(r, (field, key) => {
    if (field !== 1 && field !== 2) return false;
    r.expect(key, WireType.VARINT);
    if (field === 1) seconds = r.varint64();
    else nanos = r.int32();
    return true;
  });
  return nanos >= 0 && nanos < 1e9 ? seconds * 1_000_000_000n + BigInt(nanos) : null;
}

function readPair(r: Reader): [string, string] {
  const pair: [string, string] = ['', ''];
  fields(r, (field, key) => {
    if (field !== 1 && field !== 2) return false;
    r.expect(key, WireType.LEN);
    pair[field - 1] = r.string();
    return true;
  });
  return pair;
}

function readEntry(r: Reader): RawEntry {
  const e: RawEntry = { timeUnixNano: 0n, line: '', metadata: [] };
  fields(r, (field, key) => {
    switch (field) {
      case 1:
        e.timeUnixNano = nested(r, key, () => readTimestamp(r));
        return true;
      case 2:
        r.expect(key, WireType.LEN);
        e.line = r.string();
        return true;
      case 3:
        e.metadata.push(nested(r, key, () => readPair(r)));
        return true;
      default:
        return false;
    }
  });
  return e;
}

function readStream(r: Reader): RawStream {
  const s: RawStream = { labels: '', entries: [] };
  fields(r, (field, key) => {
    switch (field) {
      case 1:
        r.expect(key, WireType.LEN);
        s.labels = r.string();
        return true;
      case 2:
        s.entries.push(nested(r, key, () => readEntry(r)));
        return true;
      default:
        return false;
    }
  });
  return s;
}

function readPushRequest(buf: Uint8Array): RawStream[] {
  const r = new Reader(buf);
  const streams: RawStream[] = [];
  try {
    fields(r, (field, key) => {
      if (field !== 1) return false;
      streams.push(nested(r, key, () => readStream(r)));
      return true;
    });
  } catch (err) {
    if (err instanceof ProtobufError)
      throw new LogDecodeError(`invalid PushRequest protobuf: ${err.message} of the decompressed body`, err.offset);
    throw err;
  }
  return streams;
}

export function decodeLokiPushProtobuf(body: Uint8Array, opts: LokiOptions = {}): LokiResult {
  const streams = readPushRequest(decompress(body, opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES));
  const dec = new LokiDecoder(opts);
  streams.forEach((s, i) => {
    let labels: Map<string, string>;
    try {
      labels = parseLabelString(s.labels);
    } catch (err) {
      if (!(err instanceof LabelStringError)) throw err;
      return dec.streamError(i, `invalid labels ${JSON.stringify(s.labels.slice(0, 100))}: ${err.message}`);
    }
    const ctx = dec.stream(i, labels);
    s.entries.forEach((e, j) => {
      if (e.timeUnixNano === null) dec.entryError(ctx, j, 'timestamp nanos must be within [0, 1e9)');
      else dec.entry(ctx, j, e.timeUnixNano, e.line, e.metadata);
    });
  });
  return dec.result();
}
