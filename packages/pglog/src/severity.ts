// error_severity → OpenTelemetry severity (elog.c's levels): DEBUG1…5 debug, LOG/INFO/NOTICE info,
// WARNING warn, ERROR error, FATAL/PANIC fatal. The text is the band's name, as for every other log path.
import { SeverityNumber } from '@pivot/model';

export interface Severity {
  number: number;
  text: string;
}

const band = (text: keyof typeof SeverityNumber): Severity => ({ number: SeverityNumber[text], text });
const BY_NAME: Record<string, Severity> = {
  LOG: band('INFO'),
  INFO: band('INFO'),
  NOTICE: band('INFO'),
  WARNING: band('WARN'),
  ERROR: band('ERROR'),
  FATAL: band('FATAL'),
  PANIC: band('FATAL'),
};
const DEBUG = band('DEBUG');
const UNKNOWN = (text: string): Severity => ({ number: 0, text: text.slice(0, 32) });

export function pgSeverity(errorSeverity: string): Severity {
  const s = errorSeverity.trim().toUpperCase();
  if (/^DEBUG[1-5]?$/.test(s)) return DEBUG;
  return BY_NAME[s] ?? UNKNOWN(s);
}
