// `alerting.yml` in Prometheus' format (config/config.go at v2.42.0, AlertmanagerConfig): only
// `alerting.alertmanagers[]` with static_configs targets, scheme, path_prefix and timeout. Pure, so an
// invalid file can be refused with a clear error while the caller keeps the last good list.
import { parse } from 'yaml';
import { parsePromDuration } from './rulefile.ts';

export interface AlertmanagerTarget {
  /** Base URL without the trailing slash: `${scheme}://${target}${path_prefix}`. */
  url: string;
  timeoutMs: number;
}

export type AlertingFileResult = { ok: true; targets: AlertmanagerTarget[] } | { ok: false; errors: string[] };

export function parseAlertingFile(text: string, file = 'alerting.yml'): AlertingFileResult {
  const errors: string[] = [];
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    return { ok: false, errors: [`${file}: ${(err as Error).message}`] };
  }
  const ams = (doc as { alerting?: { alertmanagers?: unknown } } | null)?.alerting?.alertmanagers;
  if (ams === undefined) return { ok: true, targets: [] };
  if (!Array.isArray(ams)) return { ok: false, errors: [`${file}: alerting.alertmanagers must be a list`] };
  const targets: AlertmanagerTarget[] = [];
  ams.forEach((am: Record<string, unknown>, i) => {
    const at = `${file}: alerting.alertmanagers[${i}]`;
    const rawScheme = am?.scheme ?? 'http';
    const scheme = rawScheme === 'https' ? 'https' : 'http';
    if (rawScheme !== 'http' && rawScheme !== 'https')
      errors.push(`${at}.scheme must be http or https, got ${JSON.stringify(rawScheme)}`);
    const prefix = (typeof am?.path_prefix === 'string' ? am.path_prefix : '').replace(/\/+$/, '');
    if (prefix && !prefix.startsWith('/')) errors.push(`${at}.path_prefix must start with /`);
    let timeoutMs = 10_000; // Prometheus' default
    if (am?.timeout !== undefined) {
      const ms = typeof am.timeout === 'string' ? parsePromDuration(am.timeout) : null;
      if (ms === null || ms <= 0) errors.push(`${at}.timeout: invalid duration ${JSON.stringify(am.timeout)}`);
      else timeoutMs = ms;
    }
    const statics = am?.static_configs;
    if (!Array.isArray(statics)) {
      errors.push(`${at}.static_configs must be a list (other service discovery is not supported)`);
      return;
    }
    statics.forEach((sc: { targets?: unknown }, j) => {
      if (!Array.isArray(sc?.targets)) errors.push(`${at}.static_configs[${j}].targets must be a list`);
      else
        for (const t of sc.targets)
          if (typeof t !== 'string' || !/^[^\s/]+$/.test(t))
            errors.push(`${at}.static_configs[${j}].targets: expected host:port, got ${JSON.stringify(t)}`);
          else targets.push({ url: `${scheme}://${t}${prefix}`, timeoutMs });
    });
  });
  return errors.length ? { ok: false, errors } : { ok: true, targets };
}
