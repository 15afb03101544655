// Undecodable requests fail as a whole with OtlpDecodeError, naming the problem and where it is.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Writer } from '@pivot/protobuf';
import {
  decodeExportLogsRequest,
  decodeExportLogsRequestJson,
  decodeExportMetricsRequest,
  decodeExportMetricsRequestJson,
  decodeExportTraceRequest,
  decodeExportTraceRequestJson,
  OtlpDecodeError,
} from './index.ts';
import { fixture, PROTOBUF_FIXTURES } from '../testing/fixtures.ts';

function decoderFor(file: string): (b: Uint8Array) => unknown {
  if (file.includes('traces')) return decodeExportTraceRequest;
  if (file.includes('logs')) return decodeExportLogsRequest;
  return decodeExportMetricsRequest;
}

function decodeError(fn: () => unknown): OtlpDecodeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OtlpDecodeError);
    return e as OtlpDecodeError;
  }
  throw new Error('expected an OtlpDecodeError, but decoding succeeded');
}

const bytes = (...b: number[]) => new Uint8Array(b);

describe('truncated protobuf', () => {
  it.each(PROTOBUF_FIXTURES)('%s: every proper prefix fails with OtlpDecodeError or decodes to a prefix', (file) => {
    const full = fixture(file);
    const decode = decoderFor(file);
    const started = performance.now();
    let decoded = 0;
    for (let n = 0; n < full.length; n++) {
      try {
        decode(full.subarray(0, n));
        decoded++;
      } catch (e) {
        if (!(e instanceof OtlpDecodeError)) throw e;
        expect(e.message).toMatch(/ at byte \d+$/);
        expect(e.offset).toBeGreaterThanOrEqual(0);
        expect(e.offset).toBeLessThanOrEqual(n);
      }
    }
    // Each fixture is one top-level message, so only the empty prefix is itself a valid request.
    expect(decoded).toBe(1);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('names the length and the byte of a truncated field', () => {
    const full = fixture('otlp-traces-03.pb');
    const e = decodeError(() => decodeExportTraceRequest(full.subarray(0, 40)));
    // The ResourceSpans at byte 0 declares 1681 bytes (its length varint is at byte 1); only 37 follow.
    expect(e.message).toBe(
      'invalid ExportTraceServiceRequest: truncated length-delimited field (length 1681) at byte 1',
    );
    expect(e.offset).toBe(1);
  });
});

describe('malformed protobuf', () => {
  it('rejects a wrong wire type on a known field, naming the field', () => {
    // resource_spans { scope_spans { spans { trace_id as a varint } } }
    const e = decodeError(() => decodeExportTraceRequest(bytes(0x0a, 0x06, 0x12, 0x04, 0x12, 0x02, 0x08, 0x05)));
    expect(e.message).toBe(
      'invalid ExportTraceServiceRequest: Span.trace_id (field 1) has wire type varint, expected length-delimited at byte 6',
    );
    expect(e.offset).toBe(6);
    expect(decodeError(() => decodeExportTraceRequest(bytes(0x08, 0x01))).message).toBe(
      'invalid ExportTraceServiceRequest: ExportTraceServiceRequest.resource_spans (field 1) has wire type varint, expected length-delimited at byte 0',
    );
    const w = new Writer();
    w.fork(1).fork(2).fork(2).tag(9, 0).uint32(1).join().join().join();
    expect(decodeError(() => decodeExportLogsRequest(w.finish())).message).toBe(
      'invalid ExportLogsServiceRequest: LogRecord.trace_id (field 9) has wire type varint, expected length-delimited at byte 6',
    );
  });

  it('rejects a declared length beyond the input', () => {
    const e = decodeError(() => decodeExportMetricsRequest(bytes(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00)));
    expect(e.message).toBe(
      'invalid ExportMetricsServiceRequest: truncated length-delimited field (length 4294967295) at byte 1',
    );
    const e2 = decodeError(() => decodeExportTraceRequest(bytes(0x0a, 0x80, 0x80, 0x80, 0x80, 0x01)));
    expect(e2.message).toMatch(/truncated length-delimited field \(length 268435456\) at byte 1$/);
  });

  it('rejects field number 0, invalid wire types and stray end-group tags', () => {
    expect(decodeError(() => decodeExportTraceRequest(bytes(0x00))).message).toBe(
      'invalid ExportTraceServiceRequest: invalid field number 0 at byte 0',
    );
    expect(decodeError(() => decodeExportTraceRequest(bytes(0x0f))).message).toBe(
      'invalid ExportTraceServiceRequest: invalid wire type 7 at byte 0',
    );
    expect(decodeError(() => decodeExportTraceRequest(bytes(0x14))).message).toBe(
      'invalid ExportTraceServiceRequest: unexpected end-group tag at byte 0',
    );
  });

  it('skips unknown fields of every wire type, including groups', () => {
    const w = new Writer();
    w.tag(99, 0).varint64(123n).tag(98, 1).fixed64(1n).tag(97, 5).fixed32(1).tag(96, 2).string('x');
    w.tag(95, 3).tag(94, 0).uint32(1).tag(95, 4);
    expect(decodeExportTraceRequest(w.finish())).toEqual({ resourceSpans: [], accepted: 0, rejected: 0, message: '' });
  });

  it('walks nested groups without recursion (a million levels fail fast, not with a stack overflow)', () => {
    const deep = new Uint8Array(1_000_000).fill(0x13); // field 2, start-group, over and over
    const started = performance.now();
    expect(decodeError(() => decodeExportLogsRequest(deep)).message).toMatch(/unterminated group at byte 1000000$/);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('rejects gzip bytes handed over without inflating them', () => {
    const gz = new Uint8Array(readFileSync(new URL('../test/fixtures/otlp-traces-13.pb.gzip', import.meta.url)));
    expect(() => decodeExportTraceRequest(gz)).toThrow(OtlpDecodeError);
  });

  it('rejects plain garbage', () => {
    expect(() => decodeExportTraceRequest(new TextEncoder().encode('hello, world'))).toThrow(OtlpDecodeError);
    expect(() =>
      decodeExportMetricsRequest(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])),
    ).toThrow(/varint longer than 10 bytes|invalid wire type/);
  });
});

describe('malformed JSON', () => {
  it('reports a syntax error with its position', () => {
    const e = decodeError(() => decodeExportTraceRequestJson('{"resourceSpans" []}'));
    expect(e.message).toBe(
      "invalid JSON in ExportTraceServiceRequest: Expected ':' after property name in JSON at position 17",
    );
    expect(e.offset).toBe(17);
    expect(decodeError(() => decodeExportTraceRequestJson('{"resourceSpans": [')).offset).toBe(19);
    expect(decodeError(() => decodeExportTraceRequestJson('{"resourceSpans": [}')).message).toMatch(
      /^invalid JSON in ExportTraceServiceRequest: Unexpected token/,
    );
    expect(() => decodeExportLogsRequestJson('')).toThrow(/^invalid JSON in ExportLogsServiceRequest/);
    expect(() => decodeExportMetricsRequestJson(new Uint8Array([0x7b, 0xff]))).toThrow(OtlpDecodeError);
  });

  it.each<[string, () => unknown, string]>([
    [
      'a top-level array',
      () => decodeExportTraceRequestJson('[]'),
      'ExportTraceServiceRequest: expected a JSON object, got array',
    ],
    [
      'a top-level null',
      () => decodeExportLogsRequestJson('null'),
      'ExportLogsServiceRequest: expected a JSON object, got null',
    ],
    [
      'resourceSpans not an array',
      () => decodeExportTraceRequestJson('{"resourceSpans":{"resource":{}}}'),
      'ExportTraceServiceRequest.resourceSpans: expected an array, got object',
    ],
    [
      'a span that is not an object',
      () => decodeExportTraceRequestJson('{"resourceSpans":[{"scopeSpans":[{"spans":[7]}]}]}'),
      'ExportTraceServiceRequest.resourceSpans[0].scopeSpans[0].spans[0]: expected an object, got number',
    ],
    [
      'a numeric traceId',
      () => decodeExportTraceRequestJson('{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":5}]}]}]}'),
      'ExportTraceServiceRequest.resourceSpans[0].scopeSpans[0].spans[0].traceId: expected a string, got number',
    ],
    [
      'resource attributes as an object',
      () => decodeExportTraceRequestJson('{"resourceSpans":[{"resource":{"attributes":{"k":"v"}}}]}'),
      'ExportTraceServiceRequest.resourceSpans[0].resource.attributes: expected an array, got object',
    ],
    [
      'a log body that is a bare string',
      () => decodeExportLogsRequestJson('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{},{"body":"hi"}]}]}]}'),
      'ExportLogsServiceRequest.resourceLogs[0].scopeLogs[0].logRecords[1].body: expected an AnyValue object, got string',
    ],
    [
      'gauge data points as a string',
      () =>
        decodeExportMetricsRequestJson(
          '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"g","gauge":{"dataPoints":"x"}}]}]}]}',
        ),
      'ExportMetricsServiceRequest.resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints: expected an array, got string',
    ],
    [
      'a bucket count that is not an integer',
      () =>
        decodeExportMetricsRequestJson(
          '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"h","histogram":{"dataPoints":[{"bucketCounts":[1,"x"]}]}}]}]}]}',
        ),
      'ExportMetricsServiceRequest.resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0].bucketCounts[1]: expected an integer or a decimal string, got "x"',
    ],
  ])('rejects %s, naming the field', (_what, run, message) => {
    expect(decodeError(run).message).toBe(message);
  });
});
