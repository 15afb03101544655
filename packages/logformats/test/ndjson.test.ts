// NDJSON edge cases: bad lines among good ones, limits, every trace-context spelling, odd times.
import { describe, expect, it } from 'vitest';
import type { LogRecord } from '@pivot/model';
import { decodeNdjson } from '../src/index.ts';

const OBSERVED = 1_800_000_000_000_000_000n;
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

const records = (body: string | Uint8Array, opts = {}): LogRecord[] =>
  decodeNdjson(body, { observedTimeUnixNano: OBSERVED, ...opts }).resourceLogs.flatMap(
    (rl) => rl.scopeLogs[0]!.logRecords,
  );
const one = (line: object): LogRecord => {
  const [r] = records(JSON.stringify(line));
  return r!;
};

describe('lines', () => {
  it('reports invalid lines with 1-based numbers and keeps the good ones', () => {
    const body = [
      '{"msg":"one"}',
      'not json',
      '',
      '{"msg":"two"}',
      '[1,2]',
      '42',
      'null',
      '{"msg":"three"',
      '{"msg":"four"}',
    ].join('\n');
    const out = decodeNdjson(body, { observedTimeUnixNano: OBSERVED });
    expect(out.accepted).toBe(3);
    expect(out.resourceLogs[0]!.scopeLogs[0]!.logRecords.map((r) => r.body)).toEqual(['one', 'two', 'four']);
    expect(out.errors.map((e) => e.line)).toEqual([2, 5, 6, 7, 8]);
    expect(out.errors[0]!.message).toMatch(/^invalid JSON: /);
    expect(out.errors.slice(1, 4).map((e) => e.message)).toEqual([
      'expected a JSON object, got an array',
      'expected a JSON object, got a number',
      'expected a JSON object, got null',
    ]);
  });

  it('accepts CRLF, blank and whitespace-only lines, a trailing newline and a BOM', () => {
    const body = '\uFEFF{"msg":"a"}\r\n\r\n   \r\n{"msg":"b"}\r\n';
    const out = decodeNdjson(body);
    expect(out.errors).toEqual([]);
    expect(out.accepted).toBe(2);
    expect(decodeNdjson(new TextEncoder().encode(body)).accepted).toBe(2);
  });

  it('counts line numbers across CRLF and blank lines', () => {
    expect(decodeNdjson('{}\r\n\r\nbad\r\n').errors).toEqual([
      { line: 3, message: expect.stringMatching(/^invalid JSON/) },
    ]);
  });

  it('refuses a line over maxLineBytes (256 KiB by default) and keeps the rest', () => {
    const huge = JSON.stringify({ msg: 'x'.repeat(300 * 1024) });
    const out = decodeNdjson(`{"msg":"a"}\n${huge}\n{"msg":"b"}`);
    expect(out.accepted).toBe(2);
    expect(out.errors).toEqual([{ line: 2, message: `line is ${huge.length} bytes, over the limit of 262144` }]);
  });

  it('measures the line limit in UTF-8 bytes', () => {
    const line = JSON.stringify({ msg: 'é'.repeat(60) }); // 10 ASCII bytes + 120: 70 characters, 130 bytes
    expect(decodeNdjson(line, { maxLineBytes: 129 }).errors).toHaveLength(1);
    expect(decodeNdjson(line, { maxLineBytes: 130 }).errors).toHaveLength(0);
  });

  it('refuses objects nested deeper than 32 levels', () => {
    const deep = '{"a":'.repeat(40) + '1' + '}'.repeat(40);
    expect(decodeNdjson(deep).errors).toEqual([{ line: 1, message: 'JSON nested deeper than 32 levels' }]);
    const ok = '{"a":'.repeat(31) + '1' + '}'.repeat(31);
    expect(decodeNdjson(ok).errors).toEqual([]);
  });

  it('keeps a "__proto__" field as an attribute without touching prototypes', () => {
    const r = records('{"msg":"x","__proto__":{"polluted":true}}')[0]!;
    expect(Object.getPrototypeOf(r.attributes)).toBe(Object.prototype);
    expect(Object.keys(r.attributes)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('message, severity and time', () => {
  it('takes msg, else message, as the body; none gives an empty body', () => {
    expect(one({ msg: 'a', message: 'b' })).toMatchObject({ body: 'a', attributes: { message: 'b' } });
    expect(one({ message: 'b' }).body).toBe('b');
    expect(one({ foo: 1 }).body).toBe('');
    expect(one({ msg: { structured: true } }).body).toEqual({ structured: true });
  });

  it.each([
    [10, 1, 'TRACE'],
    [20, 5, 'DEBUG'],
    [30, 9, 'INFO'],
    [35, 13, 'WARN'],
    [40, 13, 'WARN'],
    [50, 17, 'ERROR'],
    [60, 21, 'FATAL'],
    ['info', 9, 'INFO'],
    ['WARNING', 13, 'WARN'],
    ['ERROR', 17, 'ERROR'],
    ['critical', 21, 'FATAL'],
    ['30', 9, 'INFO'],
    ['verbose', 0, 'VERBOSE'],
  ])('level %j → %i %s', (level, number, text) => {
    const r = one({ level, msg: 'x' });
    expect([r.severityNumber, r.severityText]).toEqual([number, text]);
    expect(r.attributes).toEqual({});
  });

  it('leaves an unusable level as an attribute with unspecified severity', () => {
    const r = one({ level: { nested: 1 } });
    expect([r.severityNumber, r.severityText]).toEqual([0, '']);
    expect(r.attributes).toEqual({ level: { nested: 1 } });
    expect(one({}).severityNumber).toBe(0);
  });

  it.each([
    [1700000000123, 1700000000123000000n],
    [1700000000, 1700000000000000000n],
    [1700000000.5, 1700000000500000000n],
    ['1700000000123456789', 1700000000123456789n],
    ['1700000000123', 1700000000123000000n],
    ['1700000000123456', 1700000000123456000n],
    ['2023-11-14T22:13:20.123456789Z', 1700000000123456789n],
    ['2023-11-14T23:13:20+01:00', 1700000000000000000n],
    ['2023-11-14T23:13:20.5+0100', 1700000000500000000n],
  ])('time %j → %s ns', (time, ns) => {
    const r = one({ time });
    expect(r.timeUnixNano).toBe(ns);
    expect(r.attributes).toEqual({});
  });

  it.each([['yesterday'], [-5], [0], ['2023-11-14T22:13:20'], [true]])(
    'unusable time %j → observed time, kept as attribute',
    (time) => {
      const r = one({ time });
      expect(r.timeUnixNano).toBe(OBSERVED);
      expect(r.attributes).toEqual({ time });
    },
  );

  it('uses the observed time when there is no time', () => {
    expect(one({ msg: 'x' })).toMatchObject({ timeUnixNano: OBSERVED, observedTimeUnixNano: OBSERVED });
  });
});

describe('trace context', () => {
  it.each([
    [{ trace_id: TRACE, span_id: SPAN, trace_flags: '01' }],
    [{ traceId: TRACE.toUpperCase(), spanId: SPAN, traceFlags: 1 }],
    [{ 'trace.id': TRACE, 'span.id': SPAN, 'trace.flags': '1' }],
    [{ trace: { id: TRACE, flags: 1 }, span: { id: SPAN } }],
    [{ traceparent: `00-${TRACE}-${SPAN}-01` }],
  ])('links %j', (fields) => {
    const r = one({ msg: 'x', ...fields });
    expect([r.traceId, r.spanId, r.flags]).toEqual([TRACE, SPAN, 1]);
    expect(r.attributes).toEqual({});
  });

  it('keeps the rest of a nested trace object', () => {
    const r = one({ trace: { id: TRACE, state: 'x=1' } });
    expect(r.traceId).toBe(TRACE);
    expect(r.attributes).toEqual({ trace: { state: 'x=1' } });
  });

  it('keeps invalid IDs as attributes and does not link', () => {
    const r = one({ trace_id: 'not-a-trace-id', span_id: SPAN, trace_flags: '01' });
    expect([r.traceId, r.spanId, r.flags]).toEqual([null, null, 0]);
    expect(r.attributes).toEqual({ trace_id: 'not-a-trace-id', span_id: SPAN, trace_flags: '01' });
    const zero = one({ trace_id: '0'.repeat(32) });
    expect(zero.traceId).toBeNull();
    expect(zero.attributes).toEqual({ trace_id: '0'.repeat(32) });
  });

  it('links the trace and keeps an invalid span ID as an attribute', () => {
    const r = one({ trace_id: TRACE, span_id: 'xyz' });
    expect([r.traceId, r.spanId]).toEqual([TRACE, null]);
    expect(r.attributes).toEqual({ span_id: 'xyz' });
  });

  it('refuses a malformed traceparent but keeps it', () => {
    for (const tp of [`ff-${TRACE}-${SPAN}-01`, `00-${TRACE}-${SPAN}`, 'garbage']) {
      const r = one({ traceparent: tp });
      expect(r.traceId).toBeNull();
      expect(r.attributes).toEqual({ traceparent: tp });
    }
  });
});

describe('resource', () => {
  it('takes service.name, service.* and the service field', () => {
    const out = decodeNdjson(
      [
        JSON.stringify({ 'service.name': 'a', 'service.version': '1.2', msg: 'x' }),
        JSON.stringify({ service: 'b', msg: 'y' }),
        JSON.stringify({ service: { name: 'c', team: 'core' }, msg: 'z' }),
        JSON.stringify({ msg: 'w' }),
      ].join('\n'),
      { service: 'fallback' },
    );
    expect(out.resourceLogs.map((rl) => rl.resource.attributes)).toEqual([
      { 'service.name': 'a', 'service.version': '1.2' },
      { 'service.name': 'b' },
      { 'service.name': 'c' },
      { 'service.name': 'fallback' },
    ]);
    expect(out.resourceLogs[2]!.scopeLogs[0]!.logRecords[0]!.attributes).toEqual({ service: { team: 'core' } });
  });

  it('falls back to unknown_service', () => {
    expect(decodeNdjson('{}').resourceLogs[0]!.resource.attributes).toEqual({ 'service.name': 'unknown_service' });
  });
});
