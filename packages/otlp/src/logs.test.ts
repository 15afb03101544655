// Logs from the captured fixtures, and the rule that a broken trace link never costs the log line.
import { describe, expect, it } from 'vitest';
import type { LogRecord } from '@pivot/model';
import {
  decodeExportLogsRequest,
  decodeExportLogsRequestJson,
  decodeExportTraceRequest,
  decodeExportTraceRequestJson,
  type DecodedLogs,
} from './index.ts';
import { fixture, fixtureText } from '../testing/fixtures.ts';
import { encodeLogs, hexBytes, type TAny, type TLog } from '../testing/otlp-writer.ts';

const FIXTURES: {
  file: string;
  decode: () => DecodedLogs;
  traces: () => { traceId: string; spanId: string; status: { code: number } }[];
  times: bigint[];
  links: [string, string][];
}[] = [
  {
    file: 'otlp-logs-04.pb',
    decode: () => decodeExportLogsRequest(fixture('otlp-logs-04.pb')),
    traces: () => decodeExportTraceRequest(fixture('otlp-traces-03.pb')).resourceSpans[0]!.scopeSpans[0]!.spans,
    times: [
      1795554617713000000n,
      1795554617715000000n,
      1795554617715000000n,
      1795554617716000000n,
      1795554617716000000n,
    ],
    links: [
      ['e4bc196cd68f11b2effe2dbb2b74c424', 'b0ad221f11b79076'],
      ['f5a1ed2415ad8f0a5dbe577b092db082', 'b764a595cd54b281'],
      ['e62cf4dc26073b0d3029b3e09cf40f15', '0a5f66940a15b021'],
      ['d0a817dbe89cfd368067ab70d1c42f72', '5405ab76eb124952'],
      ['9dd078ca9f3bdcd2c85de7956e715672', '9b2fc2998abae98a'],
    ],
  },
  {
    file: 'otlp-logs-09.json',
    decode: () => decodeExportLogsRequestJson(fixtureText('otlp-logs-09.json')),
    traces: () =>
      decodeExportTraceRequestJson(fixtureText('otlp-traces-08.json')).resourceSpans[0]!.scopeSpans[0]!.spans,
    times: [
      1795554618170000000n,
      1795554618171000000n,
      1795554618172000000n,
      1795554618172000000n,
      1795554618173000000n,
    ],
    links: [
      ['adab2fffcf82d6a7246ab88c7674413b', '31df648cf76267bd'],
      ['9fa916b8ff0db556037de2c75a8eb94d', '17d7a03ca2a75009'],
      ['ef37547f3e9af590fa6bfe575b1e873f', '5c7ae1fe0454c2b8'],
      ['7409c5f1e11e806d62bd75ef535e13a1', 'e99caf31257204c4'],
      ['def05dd1fdfa6c68abd4a311e1ca656f', 'fb04bf17167625e3'],
    ],
  },
  {
    file: 'otlp-logs-14.pb.gzip',
    decode: () => decodeExportLogsRequest(fixture('otlp-logs-14.pb.gzip')),
    traces: () => decodeExportTraceRequest(fixture('otlp-traces-13.pb.gzip')).resourceSpans[0]!.scopeSpans[0]!.spans,
    times: [
      1795554618612000000n,
      1795554618613000000n,
      1795554618613000000n,
      1795554618614000000n,
      1795554618614000000n,
    ],
    links: [
      ['61c0bcbd4541eab5247c52014db5ec59', '35b6d6292ccc3be2'],
      ['79581d3b8099c6e26f8fcf2cadd01085', '43846152a502fba7'],
      ['d62f315ec685cb8eccbcbdb823dbfe53', 'e3228bf71e9c3f7c'],
      ['3f23bc759b95dfba406dafc97f2edd49', '8b0fc980685b5772'],
      ['012b94be9ea4c16655dafb94a57d22dc', 'c1ee920edc32705c'],
    ],
  },
];

describe.each(FIXTURES)('logs fixture $file', (f) => {
  const d = f.decode();
  const recs = d.resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords));

  it('has one resource, one scope and five records', () => {
    expect(d).toMatchObject({ accepted: 5, rejected: 0, message: '' });
    expect(d.resourceLogs).toHaveLength(1);
    expect(d.resourceLogs[0]!.resource).toEqual({
      attributes: { 'service.name': 'checkout-api' },
      droppedAttributesCount: 0,
    });
    expect(d.resourceLogs[0]!.scopeLogs.map((s) => s.scope)).toEqual([
      { name: 'checkout', version: '1.0.0', attributes: {} },
    ]);
  });

  it('decodes severities, bodies, attributes and times', () => {
    expect(recs.map((r) => [r.severityNumber, r.severityText, r.body])).toEqual([
      [9, 'INFO', 'charge ok'],
      [9, 'INFO', 'charge ok'],
      [9, 'INFO', 'charge ok'],
      [9, 'INFO', 'charge ok'],
      [17, 'ERROR', 'charge failed: card processor timeout'],
    ]);
    expect(recs.map((r) => r.attributes)).toEqual([0, 1, 2, 3, 4].map((i) => ({ 'order.id': `ord-${i}` })));
    expect(recs.map((r) => r.timeUnixNano)).toEqual(f.times);
    expect(recs.map((r) => r.observedTimeUnixNano)).toEqual(f.times);
    expect(recs.every((r) => r.flags === 1 && r.droppedAttributesCount === 0 && r.eventName === '')).toBe(true);
  });

  it('links each record to a span of the matching trace capture, the ERROR one to the failed charge', () => {
    expect(recs.map((r) => [r.traceId, r.spanId])).toEqual(f.links);
    const spans = f.traces();
    for (const r of recs) expect(spans.find((s) => s.spanId === r.spanId)?.traceId).toBe(r.traceId);
    expect(spans.find((s) => s.spanId === recs[4]!.spanId)!.status.code).toBe(2);
  });
});

describe('log trace links', () => {
  const T = '0af7651916cd43dd8448eb211c80319c';
  const S = 'b7ad6b7169203331';
  const one = (l: TLog): LogRecord =>
    decodeExportLogsRequest(encodeLogs([{ scopes: [{ items: [l] }] }])).resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;

  it('keeps a record with an unusable trace or span ID, moving the raw value into attributes', () => {
    expect(one({ body: 'a', traceId: '00000000000000000000000000000000', spanId: S })).toMatchObject({
      traceId: null,
      spanId: S,
      attributes: { 'otel.invalid_trace_id': '00000000000000000000000000000000' },
    });
    expect(one({ body: 'b', traceId: 'abcd', spanId: '0000000000000000' })).toMatchObject({
      traceId: null,
      spanId: null,
      attributes: { 'otel.invalid_trace_id': 'abcd', 'otel.invalid_span_id': '0000000000000000' },
    });
    expect(one({ body: 'c', traceId: new Uint8Array(0), spanId: new Uint8Array(0) })).toMatchObject({
      traceId: null,
      spanId: null,
      attributes: {},
    });
    expect(one({ body: 'd', traceId: T, spanId: S })).toMatchObject({ traceId: T, spanId: S, attributes: {} });
  });

  it('does the same for JSON', () => {
    const d = decodeExportLogsRequestJson(
      JSON.stringify({
        resourceLogs: [
          {
            scopeLogs: [
              {
                logRecords: [
                  { traceId: 'xyz', spanId: S.toUpperCase() },
                  { traceId: T, spanId: '' },
                ],
              },
            ],
          },
        ],
      }),
    );
    const [a, b] = d.resourceLogs[0]!.scopeLogs[0]!.logRecords;
    expect(a).toMatchObject({ traceId: null, spanId: S, attributes: { 'otel.invalid_trace_id': 'xyz' } });
    expect(b).toMatchObject({ traceId: T, spanId: null, attributes: {} });
  });
});

describe('log bodies', () => {
  it('keeps strings as strings and turns structured AnyValues into JSON values', () => {
    const bodies: TAny[] = [
      'text',
      { int: 42n },
      { int: -(2n ** 62n) },
      { double: 0.25 },
      true,
      { bytes: hexBytes('deadbeef') },
      ['a', { int: 1 }, [true]],
      { kv: { user: { kv: { id: { int: 7 }, tags: ['x'] } }, nothing: null } },
      null,
    ];
    const d = decodeExportLogsRequest(encodeLogs([{ scopes: [{ items: bodies.map((body) => ({ body })) }] }]));
    expect(d.resourceLogs[0]!.scopeLogs[0]!.logRecords.map((r) => r.body)).toEqual([
      'text',
      42,
      '-4611686018427387904',
      0.25,
      true,
      '3q2+7w==',
      ['a', 1, [true]],
      { user: { id: 7, tags: ['x'] }, nothing: null },
      null,
    ]);
  });

  it('decodes an absent body as null and keeps event_name', () => {
    const d = decodeExportLogsRequest(
      encodeLogs([{ scopes: [{ items: [{ eventName: 'session.start', severityNumber: 5 }] }] }]),
    );
    expect(d.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]).toMatchObject({
      body: null,
      eventName: 'session.start',
      severityNumber: 5,
    });
  });
});
