// The OTLP/JSON enum names, derived from the model's numbers, spelled out once as opentelemetry-proto has them.
import { describe, expect, it } from 'vitest';
import { SEVERITY_NUMBER_ENUM, SPAN_KIND_ENUM, STATUS_CODE_ENUM } from './json-enums.ts';

describe('OTLP/JSON enum names', () => {
  it('maps span kinds and status codes', () => {
    expect(SPAN_KIND_ENUM).toEqual({
      SPAN_KIND_UNSPECIFIED: 0,
      SPAN_KIND_INTERNAL: 1,
      SPAN_KIND_SERVER: 2,
      SPAN_KIND_CLIENT: 3,
      SPAN_KIND_PRODUCER: 4,
      SPAN_KIND_CONSUMER: 5,
    });
    expect(STATUS_CODE_ENUM).toEqual({ STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 });
  });

  it('maps all 25 severity numbers', () => {
    const levels = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
    const expected: Record<string, number> = { SEVERITY_NUMBER_UNSPECIFIED: 0 };
    levels.forEach((level, i) => {
      expected[`SEVERITY_NUMBER_${level}`] = i * 4 + 1;
      for (const k of [2, 3, 4]) expected[`SEVERITY_NUMBER_${level}${k}`] = i * 4 + k;
    });
    expect(SEVERITY_NUMBER_ENUM).toEqual(expected);
  });
});
