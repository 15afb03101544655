// error_severity → OpenTelemetry severity (elog.c's levels): DEBUG1…5 debug, LOG/INFO/NOTICE info,
// WARNING warn, ERROR error, FATAL/PANIC fatal. The text is the band's name, as for every other log path;
// the model's level names cover all of them but PostgreSQL's own LOG and numbered DEBUGn.
import { SeverityNumber, severityBandOfName } from '@pivot/model';

export interface Severity {
  number: number;
  text: string;
}

export function pgSeverity(errorSeverity: string): Severity {
  const s = errorSeverity.trim().toUpperCase();
  const band = s === 'LOG' ? 'INFO' : severityBandOfName(/^DEBUG[1-5]$/.test(s) ? 'DEBUG' : s);
  // TRACE is no PostgreSQL level; an unknown name keeps its text, unspecified.
  return band && band !== 'TRACE' ? { number: SeverityNumber[band], text: band } : { number: 0, text: s.slice(0, 32) };
}
