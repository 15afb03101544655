// Query-string parsing for the API: durations and times in the forms Jaeger, Tempo and Grafana send.
import { unixNano, type UnixNano } from '@pivot/model';
import { badRequest } from '@pivot/server-kit';

const DURATION_UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** "250ms", "1.5s", "2m", "100us"; a bare number is milliseconds. Returns nanoseconds. */
export function parseDurationNs(name: string, raw: string): bigint {
  const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)?$/.exec(raw.trim());
  if (!m) throw badRequest(`${name}: invalid duration "${raw}" (e.g. 250ms, 1.5s, 2m)`);
  const unit = DURATION_UNITS[m[2] ?? 'ms']!;
  const [int, frac = ''] = m[1]!.split('.');
  // Fixed-point arithmetic keeps "1.5s" exact in nanoseconds.
  const scale = 10n ** BigInt(frac.length);
  return ((BigInt(int!) * scale + BigInt(frac || '0')) * unit) / scale;
}

/**
 * RFC 3339, or a Unix time whose unit is told by its magnitude: seconds (may have decimals),
 * milliseconds, microseconds or nanoseconds. Returns nanoseconds.
 */
export function parseTimeNs(name: string, raw: string): UnixNano {
  const s = raw.trim();
  if (/^\d+(\.\d+)?$/.test(s)) {
    if (s.includes('.')) return unixNano(BigInt(Math.round(Number(s) * 1e6)) * 1000n);
    const n = BigInt(s);
    if (s.length <= 11) return unixNano(n * 1_000_000_000n);
    if (s.length <= 14) return unixNano(n * 1_000_000n);
    if (s.length <= 17) return unixNano(n * 1_000n);
    return unixNano(n);
  }
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) throw badRequest(`${name}: invalid time "${raw}" (RFC 3339 or Unix seconds/ms/µs/ns)`);
  return unixNano(BigInt(ms) * 1_000_000n);
}

export function parseLimit(raw: string | undefined, def: number, max: number): number {
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw badRequest(`limit: must be a positive integer, got "${raw}"`);
  return Math.min(n, max);
}
