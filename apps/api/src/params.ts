// Query-string parsing for the API: durations and times in the forms Jaeger, Tempo and Grafana send.
import { MAX_STORABLE_TIME_NS, parseTraceId, unixNano, type TraceId, type UnixNano } from '@pivot/model';
import { badRequest } from '@pivot/server-kit';

/** The longest duration a filter may name: a bigger one cannot be compared with a stored int64. */
const MAX_DURATION_NS = MAX_STORABLE_TIME_NS;
/** Digits accepted in a number before parsing it, so a 400-digit value costs nothing to refuse. */
const MAX_DIGITS = 40;

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
  const m = raw.length <= MAX_DIGITS + 3 ? /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)?$/.exec(raw.trim()) : null;
  if (!m) throw badRequest(`${name}: invalid duration "${raw.slice(0, 50)}" (e.g. 250ms, 1.5s, 2m)`);
  const unit = DURATION_UNITS[m[2] ?? 'ms']!;
  const [int, frac = ''] = m[1]!.split('.');
  // Fixed-point arithmetic keeps "1.5s" exact in nanoseconds.
  const scale = 10n ** BigInt(frac.length);
  const ns = ((BigInt(int!) * scale + BigInt(frac || '0')) * unit) / scale;
  if (ns > MAX_DURATION_NS) throw badRequest(`${name}: duration "${raw}" is too long (at most about 292 years)`);
  return ns;
}

/**
 * RFC 3339, or a Unix time whose unit is told by its magnitude: seconds (may have decimals),
 * milliseconds, microseconds or nanoseconds. Returns nanoseconds.
 */
export function parseTimeNs(name: string, raw: string): UnixNano {
  const s = raw.trim();
  const invalid = () => badRequest(`${name}: invalid time "${raw.slice(0, 50)}" (RFC 3339 or Unix seconds/ms/µs/ns)`);
  if (s.length > MAX_DIGITS) throw invalid();
  let ns: bigint;
  if (/^\d+(\.\d+)?$/.test(s)) {
    if (s.includes('.')) {
      const seconds = Number(s);
      if (!Number.isFinite(seconds)) throw invalid();
      ns = BigInt(Math.round(seconds * 1e6)) * 1000n;
    } else {
      const n = BigInt(s);
      ns = s.length <= 11 ? n * 1_000_000_000n : s.length <= 14 ? n * 1_000_000n : s.length <= 17 ? n * 1_000n : n;
    }
  } else {
    const ms = Date.parse(s);
    if (Number.isNaN(ms)) throw invalid();
    ns = BigInt(ms) * 1_000_000n;
  }
  // Past the year 2262 a time no longer fits the int64 the database compares it with.
  if (ns < 0n || ns > MAX_STORABLE_TIME_NS) throw badRequest(`${name}: time "${raw.slice(0, 50)}" is out of range`);
  return unixNano(ns);
}

export function parseLimit(raw: string | undefined, def: number, max: number): number {
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw badRequest(`limit: must be a positive integer, got "${raw}"`);
  return Math.min(n, max);
}

/**
 * Attribute filters from repeated `<prefix><key>=<value>` parameters (`attr.http.route=/checkout`, or
 * a facet's exclusion `not.attr.http.route=/healthz`), in the order given.
 */
export function attrPairs(queries: Record<string, string[]>, prefix: string): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, values] of Object.entries(queries)) {
    if (!k.startsWith(prefix)) continue;
    const key = k.slice(prefix.length);
    if (!key) throw badRequest(`${prefix}: attribute filters look like ${prefix}http.route=/checkout`);
    for (const v of values) out.push([key, v]);
  }
  return out;
}

/** A trace ID from a route parameter or query value, or a 400 that says what one looks like. */
export function traceIdParam(raw: string, name = 'traceId'): TraceId {
  const id = parseTraceId(raw);
  if (!id) throw badRequest(`${name}: "${raw.slice(0, 64)}" is not a trace ID (32 hex characters, not all zero)`);
  return id;
}
