import { describe, expect, it } from 'vitest';
import {
  expandTemplate,
  humanize,
  humanizeDuration,
  humanizePercentage,
  sprintf,
  formatV,
  labelsHash,
  xxhash64,
} from '../src/index.ts';

const data = {
  labels: { job: 'api', instance: 'a:9090' },
  externalLabels: { cluster: 'eu' },
  externalURL: 'http://pivot',
  value: 0.12345,
};

describe('templates', () => {
  it('expands labels, values and pipelines as Go does', () => {
    expect(expandTemplate('{{ $labels.job }} on {{$labels.instance}}', data)).toBe('api on a:9090');
    expect(expandTemplate('{{ $value }}', data)).toBe('0.12345');
    expect(expandTemplate('{{ $value | humanizePercentage }}', data)).toBe('12.35%');
    expect(expandTemplate('{{ printf "%.2f" $value }}', data)).toBe('0.12');
    expect(expandTemplate('{{ $value | printf "%.1f" }}', data)).toBe('0.1');
    expect(expandTemplate('{{ $externalLabels.cluster }}/{{ .Labels.job }}', data)).toBe('eu/api');
    expect(expandTemplate('{{ $labels.missing }}', data)).toBe('<no value>');
    expect(expandTemplate('a  {{- $labels.job -}}  b', data)).toBe('aapib');
    expect(expandTemplate('{{ humanize (printf "%d" 2048) }}', data)).toBe('2.048k');
  });

  it('humanizes as template.go does', () => {
    expect(humanize(1234567)).toBe('1.235M');
    expect(humanize(0.001234)).toBe('1.234m');
    expect(humanize(0)).toBe('0');
    expect(humanize(Infinity)).toBe('+Inf');
    expect(humanizePercentage(0.5)).toBe('50%');
    expect(humanizeDuration(90061)).toBe('1d 1h 1m 1s');
    expect(humanizeDuration(3.5)).toBe('3.5s');
    expect(humanizeDuration(0.0123)).toBe('12.3ms');
  });

  it('formats floats as Go %v and Sprintf do', () => {
    expect(formatV(1e21)).toBe('1e+21');
    expect(formatV(123456789)).toBe('123456789');
    expect(formatV(0.00001)).toBe('1e-05');
    expect(formatV(0.0001)).toBe('0.0001');
    expect(sprintf('%s=%d %q %%', ['a', 3, 'x'])).toBe('a=3 "x" %');
    expect(sprintf('%.3g', [1234.5678])).toBe('1.23e+03');
  });

  it('hashes as xxhash and labels.Hash do', () => {
    expect(xxhash64(new Uint8Array())).toBe(0xef46db3751d8e999n);
    expect(xxhash64(new TextEncoder().encode('abc'))).toBe(0x44bc2cf5ad770999n);
    const long = new TextEncoder().encode('Nobody inspects the spammish repetition');
    expect(xxhash64(long)).toBe(0xfbcea83c8a378bf1n);
    expect(labelsHash({ b: '2', a: '1' })).toBe(labelsHash({ a: '1', b: '2' }));
  });
});
