// Log levels as pino numbers (10…60) or as names in any case, mapped onto OpenTelemetry severity
// numbers. The text is always the canonical upper-case name, so that queries need not know how each
// sender spelled "warning".

export interface Severity {
  number: number;
  text: string;
}

const TRACE: Severity = { number: 1, text: 'TRACE' };
const DEBUG: Severity = { number: 5, text: 'DEBUG' };
const INFO: Severity = { number: 9, text: 'INFO' };
const WARN: Severity = { number: 13, text: 'WARN' };
const ERROR: Severity = { number: 17, text: 'ERROR' };
const FATAL: Severity = { number: 21, text: 'FATAL' };

const BY_NAME: Record<string, Severity> = {
  trace: TRACE,
  debug: DEBUG,
  info: INFO,
  information: INFO,
  informational: INFO,
  notice: INFO,
  warn: WARN,
  warning: WARN,
  error: ERROR,
  err: ERROR,
  fatal: FATAL,
  critical: FATAL,
  crit: FATAL,
  alert: FATAL,
  emerg: FATAL,
  emergency: FATAL,
  panic: FATAL,
};

/** pino's levels; custom levels in between fall into the band of the next standard one up. */
function fromPinoNumber(n: number): Severity | null {
  if (!Number.isFinite(n) || n <= 0) return null;
  if (n <= 10) return TRACE;
  if (n <= 20) return DEBUG;
  if (n <= 30) return INFO;
  if (n <= 40) return WARN;
  if (n <= 50) return ERROR;
  return FATAL;
}

/**
 * A severity from a `level` value; null when the value cannot be a level (it then stays an attribute).
 * An unknown name keeps its text with severity number 0 (unspecified).
 */
export function parseSeverity(v: unknown): Severity | null {
  if (typeof v === 'number') return fromPinoNumber(v);
  if (typeof v !== 'string') return null;
  const s = v.trim();
  if (s === '') return null;
  if (/^\d+$/.test(s)) return fromPinoNumber(Number(s));
  const known = Object.hasOwn(BY_NAME, s.toLowerCase()) ? BY_NAME[s.toLowerCase()] : undefined;
  return known ?? (s.length <= 32 ? { number: 0, text: s.toUpperCase() } : null);
}
