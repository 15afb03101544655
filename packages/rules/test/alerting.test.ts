import { describe, expect, it } from 'vitest';
import { parseAlertingFile } from '../src/alerting.ts';

describe('parseAlertingFile', () => {
  it("reads Prometheus' alerting.alertmanagers static targets", () => {
    const res = parseAlertingFile(`
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['am1:9093', 'am2:9093']
    - scheme: https
      path_prefix: /am/
      timeout: 3s
      static_configs:
        - targets: [am.example.com]
`);
    expect(res).toEqual({
      ok: true,
      targets: [
        { url: 'http://am1:9093', timeoutMs: 10_000 },
        { url: 'http://am2:9093', timeoutMs: 10_000 },
        { url: 'https://am.example.com/am', timeoutMs: 3000 },
      ],
    });
  });

  it('refuses invalid files naming what is wrong', () => {
    const res = parseAlertingFile(`
alerting:
  alertmanagers:
    - scheme: ftp
      timeout: soon
      static_configs:
        - targets: ['http://am:9093']
`);
    expect(res.ok).toBe(false);
    const errors = res.ok ? [] : res.errors.join('\n');
    expect(errors).toContain('scheme must be http or https');
    expect(errors).toContain('invalid duration "soon"');
    expect(errors).toContain('expected host:port');
    expect(parseAlertingFile('alerting: [').ok).toBe(false);
  });
});
