import { describe, expect, it } from 'vitest';
import { SEVERITY_BANDS, SeverityNumber, severityBand, severityBandOfName } from './index.ts';

describe('severity bands', () => {
  it('puts 1–24 in six bands of four, each starting at its SeverityNumber', () => {
    const bands = Array.from({ length: 24 }, (_, i) => severityBand(i + 1));
    expect(bands).toEqual(SEVERITY_BANDS.slice(1).flatMap((b) => [b, b, b, b]));
    for (const b of SEVERITY_BANDS.slice(1)) expect(severityBand(SeverityNumber[b])).toBe(b);
  });

  it('indexes SEVERITY_BANDS by (n - 1) / 4 + 1, as SQL computes the band', () => {
    for (let n = 1; n <= 24; n++) expect(SEVERITY_BANDS[Math.floor((n - 1) / 4) + 1]).toBe(severityBand(n));
  });

  it('calls 0, out-of-range and fractional numbers UNSPECIFIED', () => {
    for (const n of [0, -1, 25, 100, 1.5, NaN]) expect(severityBand(n)).toBe('UNSPECIFIED');
  });

  it('reads level names in any case, with the usual aliases', () => {
    expect(['trace', 'DEBUG', 'Info', 'notice', 'warning', 'ERR', 'critical', 'panic'].map(severityBandOfName)).toEqual(
      ['TRACE', 'DEBUG', 'INFO', 'INFO', 'WARN', 'ERROR', 'FATAL', 'FATAL'],
    );
    expect(severityBandOfName('verbose')).toBeUndefined();
    expect(severityBandOfName('unspecified')).toBeUndefined();
    expect(severityBandOfName('toString')).toBeUndefined();
  });
});
