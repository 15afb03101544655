import { describe, expect, it } from 'vitest';
import type { LogRecord } from '@pivot/api-types';
import {
  bodyText,
  compareNs,
  logMatches,
  logsBySpan,
  mergeNewestFirst,
  mergeOldestFirst,
  searchTerms,
  severityOf,
} from './logs.ts';

const log = (t: string, body: string, spanId: string | null = null, sev = 9): LogRecord => ({
  timeUnixNano: t,
  severityNumber: sev,
  severityText: '',
  body,
  attributes: {},
  traceId: null,
  spanId,
  service: 's',
});

describe('logs', () => {
  it('maps OpenTelemetry severity numbers and texts to levels', () => {
    expect(severityOf({ severityNumber: 9, severityText: '' })).toBe('INFO');
    expect(severityOf({ severityNumber: 17, severityText: 'whatever' })).toBe('ERROR');
    expect(severityOf({ severityNumber: 24, severityText: '' })).toBe('FATAL');
    expect(severityOf({ severityNumber: 0, severityText: 'warning' })).toBe('WARN');
    expect(severityOf({ severityNumber: 0, severityText: '' })).toBe('UNSPECIFIED');
  });

  it('writes structured bodies as JSON', () => {
    expect(bodyText('x')).toBe('x');
    expect(bodyText({ a: 1 })).toBe('{"a":1}');
  });

  it('groups by span', () => {
    const by = logsBySpan([log('1', 'a', 's1'), log('2', 'b'), log('3', 'c', 's1')]);
    expect(by.get('s1')!.map((l) => l.body)).toEqual(['a', 'c']);
    expect(by.size).toBe(1);
  });

  it('merges newer records in front without duplicates', () => {
    const old = [log('20', 'b'), log('10', 'a')];
    const merged = mergeNewestFirst(old, [log('20', 'b'), log('30', 'c'), log('25', 'd')]);
    expect(merged.map((l) => l.body)).toEqual(['c', 'd', 'b', 'a']);
  });

  it('keeps a live tail in time order when a later batch holds older records', () => {
    // checkout-api's batch came first, payment-service's (older lines) committed a poll later.
    const shown = mergeNewestFirst([log('10', 'a')], [log('30', 'checkout 30'), log('40', 'checkout 40')]);
    const merged = mergeNewestFirst(shown, [log('20', 'payment 20'), log('35', 'payment 35')]);
    expect(merged.map((l) => l.body)).toEqual(['checkout 40', 'payment 35', 'checkout 30', 'payment 20', 'a']);
    expect(mergeNewestFirst(merged, [log('35', 'payment 35')], 3).map((l) => l.body)).toEqual([
      'checkout 40',
      'payment 35',
      'checkout 30',
    ]);
  });

  it('compares nanosecond strings numerically', () => {
    expect(compareNs('999', '1000')).toBeLessThan(0);
    expect(compareNs('1700000000000000001', '1700000000000000000')).toBeGreaterThan(0);
  });

  it('keeps the logs of a trace oldest first when more arrive', () => {
    const merged = mergeOldestFirst([log('10', 'a'), log('30', 'c')], [log('20', 'b'), log('30', 'c')]);
    expect(merged.map((l) => l.body)).toEqual(['a', 'b', 'c']);
  });

  it('filters a list as the logs API does', () => {
    expect(searchTerms('card -"timed out" x')).toEqual([
      { text: 'card', negated: false },
      { text: 'timed out', negated: true },
      { text: 'x', negated: false },
    ]);
    const l = log('1', 'Card gateway timed out', null, 17);
    expect(logMatches(l, { q: 'card' })).toBe(true);
    expect(logMatches(l, { q: 'card -"timed out"' })).toBe(false);
    expect(logMatches(l, { severity: 'warn' })).toBe(true);
    expect(logMatches(l, { severity: 'fatal' })).toBe(false);
    expect(logMatches(l, { severity: '17' })).toBe(true);
    expect(logMatches(l, { service: 'other' })).toBe(false);
  });

  it('applies facet filters to a list, as the logs API does (the logs of one trace)', () => {
    const l = { ...log('1', 'x', null, 17), attributes: { code: 500, route: '/pay' } };
    expect(logMatches(l, { filters: { level: ['error'] } })).toBe(true);
    expect(logMatches(l, { filters: { level: ['WARN', 'ERROR'] } })).toBe(true);
    expect(logMatches(l, { filters: { level: ['INFO'] } })).toBe(false);
    expect(logMatches(l, { filters: { 'not.level': ['ERROR'] } })).toBe(false);
    expect(logMatches(l, { filters: { 'not.service': ['s'] } })).toBe(false);
    expect(logMatches(l, { filters: { 'not.service': ['t'] } })).toBe(true);
    expect(logMatches(l, { filters: { 'attr.code': ['500'] } })).toBe(true);
    expect(logMatches(l, { filters: { 'attr.code': ['500', '404'] } })).toBe(false);
    expect(logMatches(l, { filters: { 'not.attr.route': ['/pay'] } })).toBe(false);
    expect(logMatches(l, { filters: { 'attr.missing': ['1'] } })).toBe(false);
    expect(logMatches(l, { filters: { 'not.attr.missing': ['1'], 'not.level': [] } })).toBe(true);
  });
});
