// Export responses: protobuf bytes checked field by field, JSON checked literally, and both read back
// with the OpenTelemetry JS exporter's own response deserializers when those are installed.
import { describe, expect, it } from 'vitest';
import { Reader } from '@pivot/protobuf';
import type { Signal } from '@pivot/model';
import { encodeExportResponse } from './index.ts';

/** Reads ExportXServiceResponse { partial_success = 1 { rejected = 1; error_message = 2 } }. */
function readResponse(b: Uint8Array): { rejected?: bigint; message?: string } | null {
  const r = new Reader(b);
  let out: { rejected?: bigint; message?: string } | null = null;
  while (!r.eof()) {
    expect(r.tag()).toBe((1 << 3) | 2);
    const sub = r.sub();
    out = {};
    while (!sub.eof()) {
      const k = sub.tag();
      if (k === ((1 << 3) | 0)) out.rejected = sub.varint64();
      else if (k === ((2 << 3) | 2)) out.message = sub.string();
      else throw new Error(`unexpected key ${k}`);
    }
  }
  return out;
}

describe('encodeExportResponse', () => {
  it.each<Signal>(['traces', 'logs', 'metrics'])('encodes a %s partial success as protobuf', (signal) => {
    const b = encodeExportResponse(signal, { rejected: 2, message: 'trace_id is all zeros (2)' }, 'protobuf');
    expect(readResponse(b)).toEqual({ rejected: 2n, message: 'trace_id is all zeros (2)' });
    expect([...encodeExportResponse(signal, { rejected: 2, message: 'x' }, 'protobuf')]).toEqual([
      0x0a, 0x05, 0x08, 0x02, 0x12, 0x01, 0x78,
    ]);
  });

  it('encodes full success as an empty message', () => {
    expect(encodeExportResponse('traces', null, 'protobuf')).toEqual(new Uint8Array(0));
    expect(encodeExportResponse('logs', { rejected: 0, message: '' }, 'protobuf')).toEqual(new Uint8Array(0));
    expect(encodeExportResponse('metrics', null, 'json')).toBe('{}');
    expect(encodeExportResponse('traces', { rejected: 0, message: '' }, 'json')).toBe('{}');
  });

  it('encodes JSON with the per-signal field name and int64 as a string', () => {
    expect(encodeExportResponse('traces', { rejected: 2, message: 'bad ids' }, 'json')).toBe(
      '{"partialSuccess":{"rejectedSpans":"2","errorMessage":"bad ids"}}',
    );
    expect(encodeExportResponse('logs', { rejected: 1, message: 'm' }, 'json')).toBe(
      '{"partialSuccess":{"rejectedLogRecords":"1","errorMessage":"m"}}',
    );
    expect(encodeExportResponse('metrics', { rejected: 3, message: '' }, 'json')).toBe(
      '{"partialSuccess":{"rejectedDataPoints":"3"}}',
    );
  });

  it('sends a warning message with nothing rejected, as the spec allows', () => {
    expect(encodeExportResponse('traces', { rejected: 0, message: 'slow down' }, 'json')).toBe(
      '{"partialSuccess":{"errorMessage":"slow down"}}',
    );
    expect(readResponse(encodeExportResponse('traces', { rejected: 0, message: 'slow down' }, 'protobuf'))).toEqual({
      message: 'slow down',
    });
  });

  it('is understood by the OpenTelemetry JS exporter', async () => {
    // Present in the workspace through apps/platform; the check is skipped where it is not installed.
    const otel = await import('@opentelemetry/otlp-transformer').catch(() => null);
    if (otel === null) return;
    expect(
      otel.ProtobufTraceSerializer.deserializeResponse(
        encodeExportResponse('traces', { rejected: 2, message: 'bad ids' }, 'protobuf'),
      ),
    ).toEqual({
      partialSuccess: { rejectedSpans: 2, errorMessage: 'bad ids' },
    });
    expect(
      otel.ProtobufLogsSerializer.deserializeResponse(
        encodeExportResponse('logs', { rejected: 3, message: 'x' }, 'protobuf'),
      ),
    ).toEqual({
      partialSuccess: { rejectedLogRecords: 3, errorMessage: 'x' },
    });
    expect(
      otel.ProtobufMetricsSerializer.deserializeResponse(
        encodeExportResponse('metrics', { rejected: 4, message: 'y' }, 'protobuf'),
      ),
    ).toEqual({
      partialSuccess: { rejectedDataPoints: 4, errorMessage: 'y' },
    });
    expect(otel.ProtobufTraceSerializer.deserializeResponse(encodeExportResponse('traces', null, 'protobuf'))).toEqual(
      {},
    );
    const json = new TextEncoder().encode(encodeExportResponse('traces', { rejected: 2, message: 'bad' }, 'json'));
    expect(otel.JsonTraceSerializer.deserializeResponse(json)).toEqual({
      partialSuccess: { rejectedSpans: '2', errorMessage: 'bad' },
    });
  });
});
