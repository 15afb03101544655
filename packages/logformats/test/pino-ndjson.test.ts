// A real pino logger writing to memory, with trace context from real OpenTelemetry spans; its output
// decoded as NDJSON must keep every line's severity, time, trace link, attributes and message.
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Tracer } from '@opentelemetry/api';
import { decodeNdjson } from '../src/index.ts';
import { startTracing, stopTracing, traceMixin } from './otel.ts';

let tracer: Tracer;
beforeAll(() => {
  tracer = startTracing();
});
afterAll(stopTracing);

function memoryLogger(options: pino.LoggerOptions = {}) {
  const lines: string[] = [];
  const logger = pino({ level: 'trace', mixin: traceMixin, ...options }, { write: (s: string) => void lines.push(s) });
  return { logger, text: () => lines.join('') };
}

const OBSERVED = 1_800_000_000_000_000_000n;

describe('pino output as NDJSON', () => {
  it('maps every pino level, time, message and attribute', () => {
    const { logger, text } = memoryLogger();
    const child = logger.child({ module: 'payments' });
    let spanIds: { traceId: string; spanId: string } | undefined;
    tracer.startActiveSpan('checkout', (span) => {
      spanIds = span.spanContext();
      child.info({ orderId: 42, cart: { items: 3, total: 99.5 }, tags: ['a', 'b'] }, 'order placed');
      child.error({ err: new Error('card declined') }, 'payment failed');
      span.end();
    });
    logger.trace('t');
    logger.debug('d');
    logger.warn('w');
    logger.fatal('f');

    const raw = text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { time: number });
    const out = decodeNdjson(text(), { observedTimeUnixNano: OBSERVED });
    expect(out.errors).toEqual([]);
    expect(out.accepted).toBe(6);
    expect(out.resourceLogs).toHaveLength(1);
    const rl = out.resourceLogs[0]!;
    expect(rl.resource.attributes).toEqual({
      'process.pid': process.pid,
      'host.name': hostname(),
      'service.name': 'unknown_service',
    });
    const records = rl.scopeLogs[0]!.logRecords;

    expect(records.map((r) => [r.severityNumber, r.severityText, r.body])).toEqual([
      [9, 'INFO', 'order placed'],
      [17, 'ERROR', 'payment failed'],
      [1, 'TRACE', 't'],
      [5, 'DEBUG', 'd'],
      [13, 'WARN', 'w'],
      [21, 'FATAL', 'f'],
    ]);
    expect(records.map((r) => r.timeUnixNano)).toEqual(raw.map((l) => BigInt(l.time) * 1_000_000n));
    expect(records.every((r) => r.observedTimeUnixNano === OBSERVED)).toBe(true);

    const [placed, failed, ...untraced] = records;
    expect(placed!.traceId).toBe(spanIds!.traceId);
    expect(placed!.spanId).toBe(spanIds!.spanId);
    expect(placed!.flags).toBe(1);
    expect(failed!.traceId).toBe(spanIds!.traceId);
    expect(placed!.attributes).toEqual({
      module: 'payments',
      orderId: 42,
      cart: { items: 3, total: 99.5 },
      tags: ['a', 'b'],
    });
    // pino's error serializer output stays one structured attribute.
    expect(failed!.attributes.err).toMatchObject({ type: 'Error', message: 'card declined' });
    expect((failed!.attributes.err as { stack: string }).stack).toContain('Error: card declined');
    for (const r of untraced) {
      expect([r.traceId, r.spanId, r.flags]).toEqual([null, null, 0]);
      expect(r.attributes).toEqual({});
    }
  });

  it('reads string levels and ISO times from pino formatters, and the service from the base', () => {
    const { logger, text } = memoryLogger({
      base: { service: 'checkout-api', pid: 7 },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    });
    logger.warn({ region: 'eu' }, 'slow');
    const line = JSON.parse(text()) as { time: string; level: string };
    expect(line.level).toBe('warn');
    const out = decodeNdjson(text(), { service: 'ignored-because-the-line-names-one' });
    const rl = out.resourceLogs[0]!;
    expect(rl.resource.attributes).toEqual({ 'service.name': 'checkout-api', 'process.pid': 7 });
    const r = rl.scopeLogs[0]!.logRecords[0]!;
    expect([r.severityNumber, r.severityText, r.body]).toEqual([13, 'WARN', 'slow']);
    expect(r.timeUnixNano).toBe(BigInt(Date.parse(line.time)) * 1_000_000n);
    expect(r.attributes).toEqual({ region: 'eu' });
  });

  it('reads epoch seconds (unixTime) and nanosecond strings', () => {
    const secs = memoryLogger({ base: null, timestamp: pino.stdTimeFunctions.unixTime });
    secs.logger.info('s');
    const t = (JSON.parse(secs.text()) as { time: number }).time;
    expect(decodeNdjson(secs.text()).resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.timeUnixNano).toBe(
      BigInt(t) * 1_000_000_000n,
    );

    const ns = memoryLogger({ base: null, timestamp: () => ',"time":"1700000000123456789"' });
    ns.logger.info('n');
    expect(decodeNdjson(ns.text()).resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.timeUnixNano).toBe(
      1700000000123456789n,
    );
  });

  it('uses opts.service when the lines name none, grouping by process', () => {
    const a = memoryLogger({ base: { pid: 1, hostname: 'h' } });
    const b = memoryLogger({ base: { pid: 2, hostname: 'h' } });
    a.logger.info('a1');
    b.logger.info('b1');
    a.logger.info('a2');
    const out = decodeNdjson(a.text() + b.text(), { service: 'worker' });
    expect(
      out.resourceLogs.map((rl) => [rl.resource.attributes, rl.scopeLogs[0]!.logRecords.map((r) => r.body)]),
    ).toEqual([
      [{ 'process.pid': 1, 'host.name': 'h', 'service.name': 'worker' }, ['a1', 'a2']],
      [{ 'process.pid': 2, 'host.name': 'h', 'service.name': 'worker' }, ['b1']],
    ]);
  });
});
