// The real pino-loki transport (v3, JSON pushes) against a local server, live and from the saved
// capture; and the same logs as a protobuf push, which must decode to the same records.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tracer } from '@opentelemetry/api';
import type { LogRecord } from '@pivot/model';
import { decodeLokiPushJson, decodeLokiPushProtobuf } from '../src/index.ts';
import { startTracing, stopTracing } from './otel.ts';
import { capturePinoLokiPush } from './pino-loki-capture.ts';
import { labelString, pushRequest } from './loki-proto.ts';

const OBSERVED = 1_800_000_000_000_000_000n;
const fixtureBody = readFileSync(new URL('./fixtures/pino-loki-push.json', import.meta.url), 'utf8');
const fixtureMeta = JSON.parse(
  readFileSync(new URL('./fixtures/pino-loki-push.meta.json', import.meta.url), 'utf8'),
) as {
  span: { traceId: string; spanId: string };
};

const summary = (r: LogRecord) => [
  r.severityNumber,
  r.severityText,
  r.body,
  r.timeUnixNano,
  r.traceId,
  r.spanId,
  r.flags,
];

describe('pino-loki fixture (captured JSON push)', () => {
  const out = decodeLokiPushJson(fixtureBody, { observedTimeUnixNano: OBSERVED });
  const { traceId, spanId } = fixtureMeta.span;

  it('accepts all five entries into one resource (the level label is not part of it)', () => {
    expect(out.errors).toEqual([]);
    expect(out.accepted).toBe(5);
    expect(out.resourceLogs).toHaveLength(1);
    expect(out.resourceLogs[0]!.resource.attributes).toEqual({
      hostname: 'vm',
      application: 'checkout-api',
      env: 'test',
      'service.name': 'checkout-api',
      'process.pid': 19632,
    });
  });

  it('reads severity, message, time and trace link from each JSON line', () => {
    const records = out.resourceLogs[0]!.scopeLogs[0]!.logRecords;
    expect(records.map(summary)).toEqual([
      [9, 'INFO', 'order placed', 1795557340009000000n, traceId, spanId, 1],
      [13, 'WARN', 'payment provider slow', 1795557340010000000n, traceId, spanId, 1],
      [5, 'DEBUG', 'cart loaded', 1795557340011000000n, null, null, 0],
      [17, 'ERROR', 'payment failed', 1795557340011000000n, null, null, 0],
      [21, 'FATAL', 'shutting down', 1795557340013000000n, null, null, 0],
    ]);
    expect(records.every((r) => r.observedTimeUnixNano === OBSERVED)).toBe(true);
  });

  it('keeps the other fields and the structured metadata as attributes', () => {
    const records = out.resourceLogs[0]!.scopeLogs[0]!.logRecords;
    // pino-loki sends `meta` both inside the line and as structured metadata.
    expect(records[0]!.attributes).toEqual({ orderId: 42, meta: { tenant: 'acme' }, tenant: 'acme' });
    expect(records[1]!.attributes).toEqual({ latencyMs: 1834 });
    expect(records[2]!.attributes).toEqual({ cache: 'miss' });
    expect(records[3]!.attributes.err).toMatchObject({ type: 'Error', message: 'card declined' });
    expect(records[4]!.attributes).toEqual({});
  });

  it('decodes the same logs sent as a protobuf push to the same result', () => {
    const push = JSON.parse(fixtureBody) as {
      streams: { stream: Record<string, string>; values: [string, string, Record<string, string>?][] }[];
    };
    const body = pushRequest(
      push.streams.map((s) => ({
        labels: labelString(s.stream),
        entries: s.values.map(([ts, line, md]) => ({ ts: BigInt(ts), line, metadata: Object.entries(md ?? {}) })),
      })),
    );
    expect(decodeLokiPushProtobuf(body, { observedTimeUnixNano: OBSERVED })).toEqual(out);
  });
});

describe('pino-loki live', () => {
  let tracer: Tracer;
  beforeAll(() => {
    tracer = startTracing();
  });
  afterAll(stopTracing);

  it('POSTs JSON to /loki/api/v1/push that decodes with the spans the logs were written under', async () => {
    const push = await capturePinoLokiPush(tracer);
    expect(push.path).toBe('/loki/api/v1/push');
    expect(push.contentType).toBe('application/json');
    const out = decodeLokiPushJson(push.body);
    expect(out.errors).toEqual([]);
    expect(out.accepted).toBe(5);
    expect(out.resourceLogs).toHaveLength(1);
    expect(out.resourceLogs[0]!.resource.attributes).toMatchObject({
      'service.name': 'checkout-api',
      'process.pid': process.pid,
    });
    const records = out.resourceLogs[0]!.scopeLogs[0]!.logRecords;
    expect(records.map((r) => [r.severityText, r.body, r.traceId, r.spanId])).toEqual([
      ['INFO', 'order placed', push.span.traceId, push.span.spanId],
      ['WARN', 'payment provider slow', push.span.traceId, push.span.spanId],
      ['DEBUG', 'cart loaded', null, null],
      ['ERROR', 'payment failed', null, null],
      ['FATAL', 'shutting down', null, null],
    ]);
  });
});
