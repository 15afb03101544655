// Log times arrive as epoch numbers in whatever unit the logger chose (pino: ms by default, seconds
// with unixTime, ns strings from pino-loki and custom timestamp functions) or as RFC 3339 strings.
// The unit of an epoch number is inferred from its magnitude, which is unambiguous for any date
// between 1973 and 5138.
import { unixNano } from '@pivot/model';
import type { UnixNano } from '@pivot/model';

const MAX_INT64 = 2n ** 63n - 1n;

// Upper bounds (exclusive) of the magnitude of an epoch in s, ms and µs; anything larger is ns.
const SECONDS_BELOW = 1e11;
const MILLIS_BELOW = 1e14;
const MICROS_BELOW = 1e17;

const RFC3339 = /^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:?\d{2})$/;
const DECIMAL = /^(\d{1,20})(?:\.(\d{1,9}))?$/;

function checked(ns: bigint): UnixNano | null {
  return ns > 0n && ns <= MAX_INT64 ? unixNano(ns) : null;
}

/** Scale factor from the inferred unit to nanoseconds, for an integer part of this magnitude. */
function nanosPerUnit(intPart: bigint): bigint {
  if (intPart < BigInt(SECONDS_BELOW)) return 1_000_000_000n;
  if (intPart < BigInt(MILLIS_BELOW)) return 1_000_000n;
  if (intPart < BigInt(MICROS_BELOW)) return 1_000n;
  return 1n;
}

function fromNumber(v: number): UnixNano | null {
  if (!Number.isFinite(v) || v <= 0) return null;
  // Round to µs: doubles carry ~16 digits, so finer digits of a seconds or ms epoch are noise.
  if (v < SECONDS_BELOW) return checked(BigInt(Math.round(v * 1e6)) * 1000n);
  if (v < MILLIS_BELOW) return checked(BigInt(Math.round(v * 1e3)) * 1000n);
  if (v < MICROS_BELOW) return checked(BigInt(Math.round(v)) * 1000n);
  return checked(BigInt(Math.round(v)));
}

/** Decimal strings are exact: "1700000000123456789" keeps every nanosecond. */
function fromDecimalString(intDigits: string, fraction: string | undefined): UnixNano | null {
  const int = BigInt(intDigits);
  const scale = nanosPerUnit(int);
  let ns = int * scale;
  if (fraction && scale > 1n) {
    const digits = scale.toString().length - 1;
    ns += BigInt(fraction.slice(0, digits).padEnd(digits, '0'));
  }
  return checked(ns);
}

function fromRfc3339(whole: string, fraction: string | undefined, zone: string): UnixNano | null {
  // Date.parse only takes the extended zone form (+01:00).
  const z = zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone.toUpperCase();
  const ms = Date.parse(`${whole.replace(' ', 'T')}${z}`);
  if (Number.isNaN(ms)) return null;
  const subSecond = BigInt((fraction ?? '').padEnd(9, '0'));
  return checked(BigInt(ms) * 1_000_000n + subSecond);
}

export function parseTimestamp(v: unknown): UnixNano | null {
  if (typeof v === 'number') return fromNumber(v);
  if (typeof v !== 'string') return null;
  const s = v.trim();
  const dec = DECIMAL.exec(s);
  if (dec) return fromDecimalString(dec[1]!, dec[2]);
  const iso = RFC3339.exec(s);
  if (iso) return fromRfc3339(iso[1]!, iso[2], iso[3]!);
  return null;
}
