// Loki protobuf pushes: snappy framing and bombs, protobuf faults with offsets, per-stream label
// errors and per-entry timestamp errors.
import { describe, expect, it } from 'vitest';
import { Writer, WireType } from '@pivot/protobuf';
import { compress } from 'snappyjs';
import { decodeLokiPushProtobuf, LogDecodeError, LogPayloadTooLargeError } from '../src/index.ts';
import { pushRequest, pushRequestProtobuf } from './loki-proto.ts';

const OBSERVED = 1_800_000_000_000_000_000n;
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('decodeLokiPushProtobuf', () => {
  it('decodes streams, entries, timestamps and structured metadata', () => {
    const out = decodeLokiPushProtobuf(
      pushRequest([
        {
          labels: '{service_name="api", namespace="prod", level="error"}',
          entries: [
            {
              ts: 1700000000123456789n,
              line: 'boom',
              metadata: [
                ['trace_id', TRACE],
                ['user', 'u1'],
              ],
            },
            { ts: 1700000001000000000n, line: '{"level":"info","msg":"fine","k":1}' },
          ],
        },
        { labels: '{job="batch"}', entries: [{ ts: 5n, line: 'x' }] },
      ]),
      { observedTimeUnixNano: OBSERVED },
    );
    expect(out.errors).toEqual([]);
    expect(out.accepted).toBe(3);
    expect(out.resourceLogs.map((rl) => rl.resource.attributes)).toEqual([
      { 'service.name': 'api', namespace: 'prod' },
      { job: 'batch', 'service.name': 'batch' },
    ]);
    const [boom, fine] = out.resourceLogs[0]!.scopeLogs[0]!.logRecords;
    expect(boom).toMatchObject({
      body: 'boom',
      timeUnixNano: 1700000000123456789n,
      severityText: 'ERROR',
      traceId: TRACE,
      attributes: { user: 'u1' },
    });
    expect(fine).toMatchObject({
      body: 'fine',
      timeUnixNano: 1700000001000000000n,
      severityText: 'INFO',
      traceId: null,
      attributes: { k: 1 },
    });
  });

  it('reports a stream with a bad label string, keeping the other streams', () => {
    const out = decodeLokiPushProtobuf(
      pushRequest([
        { labels: '{app="a"', entries: [{ ts: 1n, line: 'lost' }] },
        { labels: '{app="b"}', entries: [{ ts: 1n, line: 'kept' }] },
      ]),
    );
    expect(out.accepted).toBe(1);
    expect(out.errors).toEqual([
      {
        stream: 0,
        entry: null,
        message: `invalid labels "{app=\\"a\\"": expected '}' but the string ended at position 8`,
      },
    ]);
  });

  it('reports entries with an invalid or missing timestamp', () => {
    const out = decodeLokiPushProtobuf(
      pushRequest([
        {
          labels: '{}',
          entries: [
            { ts: 1n, line: 'ok' },
            { ts: 1n, line: 'bad nanos', rawNanos: 1_000_000_000 },
            { ts: 0n, line: 'zero' },
          ],
        },
      ]),
    );
    expect(out.accepted).toBe(1);
    expect(out.errors).toEqual([
      { stream: 0, entry: 1, message: 'timestamp nanos must be within [0, 1e9)' },
      { stream: 0, entry: 2, message: 'timestamp 0 ns is out of range' },
    ]);
  });

  it('refuses invalid snappy (for example an uncompressed body) as a whole', () => {
    const raw = pushRequestProtobuf([{ labels: '{}', entries: [{ ts: 1n, line: 'x' }] }]);
    const err = thrown(() => decodeLokiPushProtobuf(raw));
    expect(err).toBeInstanceOf(LogDecodeError);
    expect(err).not.toBeInstanceOf(LogPayloadTooLargeError);
    expect(err.message).toMatch(/^invalid snappy block: /);
    expect((err as LogDecodeError).status).toBe(400);
  });

  it('refuses a snappy bomb from its header (413), before decompressing', () => {
    const err = thrown(() =>
      decodeLokiPushProtobuf(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x08, 1, 2, 3])),
    ) as LogPayloadTooLargeError;
    expect(err).toBeInstanceOf(LogPayloadTooLargeError);
    expect(err).toBeInstanceOf(LogDecodeError);
    expect(err.status).toBe(413);
    expect(err.declaredBytes).toBe(2 ** 31);
    const small = pushRequest([{ labels: '{}', entries: [{ ts: 1n, line: 'x'.repeat(1000) }] }]);
    expect(() => decodeLokiPushProtobuf(small, { maxDecompressedBytes: 500 })).toThrow(LogPayloadTooLargeError);
  });

  it('names the byte offset of a protobuf fault', () => {
    const err = thrown(() =>
      decodeLokiPushProtobuf(compress(new Uint8Array([0x0a, 0x10, 0x0a, 0x02]))),
    ) as LogDecodeError;
    expect(err).toBeInstanceOf(LogDecodeError);
    expect(err.message).toBe(
      'invalid PushRequest protobuf: truncated length-delimited field (length 16) at byte 1 of the decompressed body',
    );
    expect(err.offset).toBe(1);
  });

  it('fails every truncated prefix with a typed error or decodes it', () => {
    const full = pushRequestProtobuf([
      {
        labels: '{app="a", env="b"}',
        entries: [
          { ts: 1700000000000000000n, line: 'hello', metadata: [['k', 'v']] },
          { ts: 2n, line: 'x' },
        ],
      },
    ]);
    for (let n = 0; n < full.length; n++) {
      try {
        decodeLokiPushProtobuf(compress(full.subarray(0, n)));
      } catch (e) {
        expect(e).toBeInstanceOf(LogDecodeError);
      }
    }
  });

  it('skips unknown fields, including Loki 3 parsed labels (field 4)', () => {
    const w = new Writer();
    w.fork(1);
    w.tag(1, WireType.LEN).string('{app="a"}');
    w.fork(2);
    w.fork(1).tag(1, WireType.VARINT).varint64(1n).join();
    w.tag(2, WireType.LEN).string('line');
    w.fork(4).tag(1, WireType.LEN).string('parsed').tag(2, WireType.LEN).string('v').join();
    w.join();
    w.tag(9, WireType.I64).fixed64(1n);
    w.join();
    const out = decodeLokiPushProtobuf(compress(w.finish()));
    expect(out.errors).toEqual([]);
    expect(out.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!).toMatchObject({
      body: 'line',
      timeUnixNano: 1_000_000_000n,
    });
  });
});
