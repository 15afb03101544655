import { describe, expect, it } from 'vitest';
import { parseTraceIdInput } from './trace-id.ts';

describe('parseTraceIdInput', () => {
  it('accepts 32 hex digits in any case, and 16 left-padded with zeros', () => {
    expect(parseTraceIdInput(' ADAB2FFFCF82D6A7246AB88C7674413B\n')).toEqual({
      ok: true,
      id: 'adab2fffcf82d6a7246ab88c7674413b',
    });
    expect(parseTraceIdInput('246AB88C7674413b')).toEqual({ ok: true, id: '0000000000000000246ab88c7674413b' });
  });

  it('says what is wrong with anything else', () => {
    expect(parseTraceIdInput('')).toEqual({ ok: false, error: 'Paste a trace ID (32 or 16 hex digits)' });
    expect(parseTraceIdInput('trace-123')).toEqual({ ok: false, error: 'A trace ID has only hex digits (0-9, a-f)' });
    expect(parseTraceIdInput('abc123')).toEqual({ ok: false, error: 'A trace ID has 32 hex digits (or 16), not 6' });
    expect(parseTraceIdInput('0'.repeat(32))).toEqual({ ok: false, error: 'The all-zero trace ID is invalid' });
    expect(parseTraceIdInput('0'.repeat(16))).toEqual({ ok: false, error: 'The all-zero trace ID is invalid' });
  });
});
