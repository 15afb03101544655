import type { SamplePair } from './types.ts';

/**
 * Go's strconv.FormatFloat(v, 'f', -1, 64), which Prometheus uses for sample values: the shortest
 * digits that round-trip (JavaScript computes the same ones), never in exponent notation.
 */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const neg = s[0] === '-';
  const mant = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mant.indexOf('.');
  const digits = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
  const intLen = (dot < 0 ? mant.length : dot) + exp;
  let out: string;
  if (intLen <= 0) out = '0.' + '0'.repeat(-intLen) + digits;
  else if (intLen >= digits.length) out = digits + '0'.repeat(intLen - digits.length);
  else out = digits.slice(0, intLen) + '.' + digits.slice(intLen);
  return neg ? '-' + out : out;
}

/** Go's %v / strconv 'g' with shortest precision (exponent form from 1e+06 and below 1e-04), used in error texts. */
export function formatGoG(v: number): string {
  if (!Number.isFinite(v) || v === 0) return formatFloat(v);
  const [mant, expText] = v.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return formatFloat(v);
}

/** Prometheus writes timestamps as seconds with millisecond precision. */
export const toSeconds = (ms: number): number => ms / 1000;

export const pair = (ms: number, v: number): SamplePair => [toSeconds(ms), formatFloat(v)];
