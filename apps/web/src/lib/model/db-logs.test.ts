import { describe, expect, it } from 'vitest';
import type { Attributes, LogRecord } from '@pivot/api-types';
import { carriesTraceId, dbMarker, dbServerBySpan, dbServerView, isDbServerLine, prettyPlan } from './db-logs.ts';

const line = (body: string, attributes: Attributes, link?: LogRecord['link']): LogRecord => ({
  timeUnixNano: '1',
  severityNumber: 9,
  severityText: 'LOG',
  body,
  attributes,
  traceId: 'a'.repeat(32),
  spanId: 'b'.repeat(16),
  service: 'postgresql',
  ...(link ? { link } : {}),
});
const app: LogRecord = { ...line('charged', {}), service: 'payment' };

describe('database server lines of a span', () => {
  it('tells server lines from the application logs', () => {
    expect(isDbServerLine(app)).toBe(false);
    expect(isDbServerLine(line('x', {}))).toBe(true);
    expect(isDbServerLine({ ...app, link: 'inferred' })).toBe(true);
  });

  it('sums up duration, lock waits, errors and plans, and marks the row', () => {
    const v = dbServerView([
      app,
      line(
        'process 4242 still waiting for ShareLock on transaction 1234 after 200.051 ms',
        { 'pg.event': 'lock_wait', 'pg.wait_event': 'ShareLock on transaction 1234', 'pg.wait_ms': 200.051 },
        'sqlcommenter',
      ),
      line('duration: 912.345 ms', { 'pg.event': 'duration', 'pg.duration_ms': 912.345 }, 'sqlcommenter'),
      line(
        'plan',
        { 'pg.event': 'plan', 'pg.plan': '{"Plan":{"Node Type":"Seq Scan"}}', 'pg.plan_format': 'json' },
        'sqlcommenter',
      ),
    ])!;
    expect(v.lines).toHaveLength(3);
    expect(v.durationMs).toBe(912.345);
    expect(v.lockWaits).toEqual([{ waitEvent: 'ShareLock on transaction 1234', waitMs: 200.051 }]);
    expect(v.plans).toEqual([{ format: 'json', text: '{\n  "Plan": {\n    "Node Type": "Seq Scan"\n  }\n}' }]);
    expect(v.link).toBe('sqlcommenter');
    expect(dbMarker(v)).toBe('db 912ms · lock wait');
  });

  it('marks inferred links and errors, and reads nothing from the application logs', () => {
    const v = dbServerView([
      line('duration: 3.2 ms', { 'pg.event': 'duration', 'pg.duration_ms': 3.2 }, 'inferred'),
      line('deadlock detected', { 'pg.event': 'deadlock', 'pg.sql_state': '40P01' }, 'inferred'),
    ])!;
    expect(v.link).toBe('inferred');
    expect(v.errors).toEqual([{ message: 'deadlock detected', sqlState: '40P01', deadlock: true }]);
    expect(dbMarker(v)).toBe('db 3.20ms · deadlock');
    expect(dbServerView([app])).toBeNull();
    expect([
      ...dbServerBySpan(
        new Map([
          ['s1', [app]],
          ['s2', v.lines],
        ]),
      ).keys(),
    ]).toEqual(['s2']);
  });

  it('keeps a text plan, or a JSON plan that does not parse, as logged', () => {
    expect(prettyPlan('Seq Scan on stock', 'text')).toEqual({ format: 'text', text: 'Seq Scan on stock' });
    expect(prettyPlan('{broken', 'json')).toEqual({ format: 'json', text: '{broken' });
  });
});

describe('the logs that carry the trace ID', () => {
  it('leaves out only the server lines linked by inference', () => {
    expect(carriesTraceId(app)).toBe(true);
    expect(carriesTraceId(line('d', {}, 'sqlcommenter'))).toBe(true);
    expect(carriesTraceId(line('d', {}, 'inferred'))).toBe(false);
  });
});
