// Partial success: spans with unusable IDs are refused one by one, and the message says why.
import { describe, expect, it } from 'vitest';
import { decodeExportTraceRequest, decodeExportTraceRequestJson } from './index.ts';
import { encodeTraces, type TSpan } from '../testing/otlp-writer.ts';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';
const PARENT = '00f067aa0ba902b7';

function request(spans: TSpan[]): Uint8Array {
  return encodeTraces([{ attributes: { 'service.name': 'svc' }, scopes: [{ name: 'lib', items: spans }] }]);
}

describe('span rejection (protobuf)', () => {
  it('keeps the valid span and counts each invalid one with its reason', () => {
    const d = decodeExportTraceRequest(
      request([
        { traceId: TRACE, spanId: SPAN, parentSpanId: PARENT, name: 'good' },
        { traceId: '00000000000000000000000000000000', spanId: SPAN, name: 'zero trace' },
        { traceId: 'deadbeef', spanId: SPAN, name: 'short trace' },
        { traceId: TRACE, spanId: '0000000000000000', name: 'zero span' },
        { traceId: TRACE, spanId: 'b7ad6b71', name: 'short span' },
        { traceId: TRACE, spanId: SPAN, parentSpanId: 'abcdef', name: 'short parent' },
        { traceId: new Uint8Array(0), spanId: SPAN, name: 'no trace' },
      ]),
    );
    const spans = d.resourceSpans[0]!.scopeSpans[0]!.spans;
    expect(spans.map((s) => s.name)).toEqual(['good']);
    expect(spans[0]).toMatchObject({ traceId: TRACE, spanId: SPAN, parentSpanId: PARENT });
    expect(d.accepted).toBe(1);
    expect(d.rejected).toBe(6);
    expect(d.message).toBe(
      'rejected 6 of 7 spans: trace_id is all zeros (1); trace_id must be 16 bytes, got 4 (1); span_id is all zeros (1); ' +
        'span_id must be 8 bytes, got 4 (1); parent_span_id must be 8 bytes or empty, got 3 (1); trace_id is empty (1)',
    );
  });

  it('reads an empty parent, and an all-zero one, as a root', () => {
    const d = decodeExportTraceRequest(
      request([
        { traceId: TRACE, spanId: SPAN, parentSpanId: new Uint8Array(0) },
        { traceId: TRACE, spanId: 'b7ad6b7169203332', parentSpanId: '0000000000000000' },
        { traceId: TRACE, spanId: 'b7ad6b7169203333' },
      ]),
    );
    expect(d.resourceSpans[0]!.scopeSpans[0]!.spans.map((s) => s.parentSpanId)).toEqual([null, null, null]);
    expect(d).toMatchObject({ accepted: 3, rejected: 0, message: '' });
  });

  it('aggregates repeated reasons and keeps scopes whose spans were all rejected', () => {
    const zero = '00000000000000000000000000000000';
    const d = decodeExportTraceRequest(
      request([
        { traceId: zero, spanId: SPAN },
        { traceId: zero, spanId: SPAN },
        { traceId: zero, spanId: SPAN },
      ]),
    );
    expect(d.resourceSpans[0]!.scopeSpans[0]!.spans).toEqual([]);
    expect(d.message).toBe('rejected 3 of 3 spans: trace_id is all zeros (3)');
  });

  it('refuses a span whose times the store cannot hold (beyond year 2262), not the request', () => {
    const d = decodeExportTraceRequest(
      request([
        { traceId: TRACE, spanId: SPAN, name: 'ok' },
        { traceId: TRACE, spanId: SPAN, start: 2n ** 64n - 1n, name: 'far future' },
      ]),
    );
    expect(d.resourceSpans[0]!.scopeSpans[0]!.spans.map((s) => s.name)).toEqual(['ok']);
    expect(d.message).toBe(
      'rejected 1 of 2 spans: start_time_unix_nano 18446744073709551615 is beyond the latest storable time (year 2262) (1)',
    );
    const j = decodeExportTraceRequestJson(
      JSON.stringify({
        resourceSpans: [
          { scopeSpans: [{ spans: [{ traceId: TRACE, spanId: SPAN, endTimeUnixNano: '18446744073709551615' }] }] },
        ],
      }),
    );
    expect(j).toMatchObject({ accepted: 0, rejected: 1 });
  });

  it('drops links that cannot be followed and counts them as dropped links', () => {
    const d = decodeExportTraceRequest(
      request([
        {
          traceId: TRACE,
          spanId: SPAN,
          links: [
            { traceId: TRACE, spanId: PARENT, attributes: { why: 'retry-of' }, flags: 1 },
            { traceId: '00000000000000000000000000000000', spanId: PARENT },
            { traceId: TRACE, spanId: 'abcd' },
          ],
        },
      ]),
    );
    const span = d.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    expect(span.links).toEqual([
      {
        traceId: TRACE,
        spanId: PARENT,
        traceState: '',
        attributes: { why: 'retry-of' },
        droppedAttributesCount: 0,
        flags: 1,
      },
    ]);
    expect(span.droppedLinksCount).toBe(2);
  });
});

describe('span rejection (JSON)', () => {
  const body = (spans: object[]) => JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] });

  it('applies the same rules to hex IDs', () => {
    const d = decodeExportTraceRequestJson(
      body([
        { traceId: TRACE.toUpperCase(), spanId: SPAN, parentSpanId: PARENT, name: 'good' },
        { traceId: '0'.repeat(32), spanId: SPAN },
        { traceId: TRACE.slice(0, 30), spanId: SPAN },
        { traceId: 'zz' + TRACE.slice(2), spanId: SPAN },
        { traceId: TRACE, spanId: '' },
        { traceId: TRACE, spanId: SPAN, parentSpanId: 'abc' },
        { traceId: TRACE, spanId: SPAN, parentSpanId: '' },
      ]),
    );
    const spans = d.resourceSpans[0]!.scopeSpans[0]!.spans;
    expect(spans.map((s) => [s.traceId, s.parentSpanId])).toEqual([
      [TRACE, PARENT],
      [TRACE, null],
    ]);
    expect(d.rejected).toBe(5);
    expect(d.message).toBe(
      'rejected 5 of 7 spans: trace_id is all zeros (1); trace_id must be 32 hex digits, got 30 (1); trace_id is not hex (1); ' +
        'span_id is empty (1); parent_span_id must be 16 hex digits or empty, got 3 (1)',
    );
  });
});
