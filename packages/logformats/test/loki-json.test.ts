// Loki JSON pushes: shape errors, per-stream and per-entry errors, labels, metadata and plain lines.
import { describe, expect, it } from 'vitest';
import type { LogRecord } from '@pivot/model';
import { decodeLokiPushJson, LogDecodeError } from '../src/index.ts';

const OBSERVED = 1_800_000_000_000_000_000n;
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

const decode = (push: unknown, opts = {}) =>
  decodeLokiPushJson(JSON.stringify(push), { observedTimeUnixNano: OBSERVED, ...opts });
const recordsOf = (push: unknown): LogRecord[] =>
  decode(push).resourceLogs.flatMap((rl) => rl.scopeLogs[0]!.logRecords);

describe('decodeLokiPushJson', () => {
  it('refuses a body that is not JSON or not a push, as a whole', () => {
    expect(() => decodeLokiPushJson('{"streams":')).toThrow(LogDecodeError);
    expect(() => decodeLokiPushJson('{"streams":')).toThrow(/^invalid JSON: /);
    for (const body of ['[]', '{}', '{"streams":{}}', 'null', '"x"'])
      expect(() => decodeLokiPushJson(body)).toThrow('expected a Loki push body: {"streams": [...]}');
  });

  it('keeps plain-text lines as the body, with the time from the entry', () => {
    const [r] = recordsOf({ streams: [{ stream: { job: 'nginx' }, values: [['1700000000123456789', 'GET / 200']] }] });
    expect(r).toMatchObject({
      body: 'GET / 200',
      timeUnixNano: 1700000000123456789n,
      observedTimeUnixNano: OBSERVED,
      severityNumber: 0,
      attributes: {},
    });
  });

  it('reports bad streams and entries by index and keeps the rest', () => {
    const out = decode({
      streams: [
        {
          stream: { job: 'a' },
          values: [
            ['1', 'ok'],
            ['x', 'bad ts'],
            ['2'],
            ['3', 42],
            ['4', 'ok', { k: { nested: 1 } }],
            ['5', 'ok', 'md'],
          ],
        },
        'not a stream',
        { stream: { job: 7 }, values: [['1', 'x']] },
        { stream: { job: 'b' } },
        { values: [['1', 'x']] },
        {
          stream: { job: 'c' },
          values: [
            ['6', 'ok'],
            ['0', 'zero'],
            ['99999999999999999999', 'too far'],
          ],
        },
      ],
    });
    expect(out.accepted).toBe(2);
    expect(out.errors).toEqual([
      { stream: 0, entry: 1, message: 'timestamp must be a string of Unix epoch nanoseconds' },
      { stream: 0, entry: 2, message: 'expected [timestamp, line] or [timestamp, line, metadata]' },
      { stream: 0, entry: 3, message: 'line must be a string' },
      { stream: 0, entry: 4, message: 'structured metadata "k" must be a string' },
      { stream: 0, entry: 5, message: 'structured metadata must be an object' },
      { stream: 1, entry: null, message: 'stream must be an object' },
      { stream: 2, entry: null, message: 'label "job" must have a string value' },
      { stream: 3, entry: null, message: '"values" must be an array' },
      { stream: 4, entry: null, message: '"stream" must be an object of labels' },
      { stream: 5, entry: 1, message: 'timestamp 0 ns is out of range' },
      { stream: 5, entry: 2, message: 'timestamp 99999999999999999999 ns is out of range' },
    ]);
  });

  it('refuses a line over maxLineBytes for its entry only', () => {
    const out = decode(
      {
        streams: [
          {
            stream: {},
            values: [
              ['1', 'x'.repeat(100)],
              ['2', 'ok'],
            ],
          },
        ],
      },
      { maxLineBytes: 50 },
    );
    expect(out.accepted).toBe(1);
    expect(out.errors).toEqual([{ stream: 0, entry: 0, message: 'line is 100 bytes, over the limit of 50' }]);
  });

  it.each([
    [{ service_name: 'svc', app: 'other', job: 'j' }, 'svc'],
    [{ service: 's', app: 'a', job: 'j' }, 's'],
    [{ app: 'a', job: 'j' }, 'a'],
    [{ container: 'c', job: 'j' }, 'c'],
    [{ job: 'j', filename: '/var/log/x' }, 'j'],
    [{ filename: '/var/log/x' }, 'unknown_service'],
  ])('names the service from labels %j → %s', (stream, service) => {
    const out = decode({ streams: [{ stream, values: [['1', 'x']] }] });
    const attrs = out.resourceLogs[0]!.resource.attributes;
    expect(attrs['service.name']).toBe(service);
    // Labels stay resource attributes, except service_name which becomes service.name.
    for (const [k, v] of Object.entries(stream)) if (k !== 'service_name') expect(attrs[k]).toBe(v);
    expect(attrs).not.toHaveProperty('service_name');
  });

  it('lets a service_name or discovered label win over a service field in the line', () => {
    const line = JSON.stringify({ service: 'from-line', msg: 'x' });
    expect(
      decode({ streams: [{ stream: { app: 'a' }, values: [['1', line]] }] }).resourceLogs[0]!.resource.attributes[
        'service.name'
      ],
    ).toBe('a');
    expect(
      decode({ streams: [{ stream: { env: 'p' }, values: [['1', line]] }] }).resourceLogs[0]!.resource.attributes[
        'service.name'
      ],
    ).toBe('from-line');
  });

  it('takes severity from the line, else structured metadata, else the level label', () => {
    const records = recordsOf({
      streams: [
        {
          stream: { level: 'warning' },
          values: [
            ['1', JSON.stringify({ level: 50, msg: 'line wins' }), { level: 'info' }],
            ['2', 'plain', { level: 'debug' }],
            ['3', 'plain'],
          ],
        },
        { stream: { detected_level: 'ERROR' }, values: [['4', 'plain']] },
      ],
    });
    expect(records.map((r) => [r.severityText, r.body])).toEqual([
      ['INFO', 'line wins'],
      ['DEBUG', 'plain'],
      ['WARN', 'plain'],
      ['ERROR', 'plain'],
    ]);
  });

  it.each([
    ['trace_id', 'span_id'],
    ['traceID', 'spanID'],
    ['traceId', 'spanId'],
  ])('links trace context from structured metadata %s / %s', (t, s) => {
    const [r] = recordsOf({
      streams: [{ stream: {}, values: [['1', 'plain line', { [t]: TRACE, [s]: SPAN, user: 'u1' }]] }],
    });
    expect([r!.traceId, r!.spanId, r!.body]).toEqual([TRACE, SPAN, 'plain line']);
    expect(r!.attributes).toEqual({ user: 'u1' });
  });

  it('keeps an invalid trace ID in metadata as an attribute, unlinked', () => {
    const [r] = recordsOf({ streams: [{ stream: {}, values: [['1', 'x', { trace_id: 'abc' }]] }] });
    expect(r!.traceId).toBeNull();
    expect(r!.attributes).toEqual({ trace_id: 'abc' });
  });

  it('reads JSON lines like NDJSON: msg as body, fields as attributes; a plain line keeps msg-like metadata', () => {
    const [json, plain] = recordsOf({
      streams: [
        {
          stream: {},
          values: [
            ['1', JSON.stringify({ msg: 'hi', user: 'u', time: 5 })],
            ['2', 'text', { msg: 'not a body' }],
          ],
        },
      ],
    });
    expect(json).toMatchObject({ body: 'hi', attributes: { user: 'u' }, timeUnixNano: 1n });
    expect(plain).toMatchObject({ body: 'text', attributes: { msg: 'not a body' } });
  });

  it('keeps a JSON-looking line that does not parse, or nests too deep, as text', () => {
    const deep = '{"a":'.repeat(40) + '1' + '}'.repeat(40);
    const records = recordsOf({
      streams: [
        {
          stream: {},
          values: [
            ['1', '{not json'],
            ['2', deep],
            ['3', '[1,2]'],
          ],
        },
      ],
    });
    expect(records.map((r) => r.body)).toEqual(['{not json', deep, '[1,2]']);
  });

  it('accepts numeric timestamps below 2^53 and a Uint8Array body', () => {
    const body = new TextEncoder().encode(
      JSON.stringify({ streams: [{ stream: {}, values: [[1700000000000, 'x']] }] }),
    );
    const out = decodeLokiPushJson(body);
    expect(out.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.timeUnixNano).toBe(1700000000000n);
  });
});
