// Log levels as pino numbers (10…60) or as names in any case, mapped onto OpenTelemetry severity
// numbers through the model's severity bands. The text is always the band's canonical upper-case
// name, so that queries need not know how each sender spelled "warning".
import { SEVERITY_BANDS, SeverityNumber, severityBandOfName, type SeverityBand } from '@pivot/model';

export interface Severity {
  number: number;
  text: string;
}

type Band = Exclude<SeverityBand, 'UNSPECIFIED'>;
/** One shared Severity per band. */
const BY_BAND = Object.fromEntries(
  SEVERITY_BANDS.filter((b) => b !== 'UNSPECIFIED').map((b) => [b, { number: SeverityNumber[b], text: b }]),
) as Readonly<Record<Band, Severity>>;
const severity = (band: Band): Severity => BY_BAND[band];

/** pino's levels; custom levels in between fall into the band of the next standard one up. */
function fromPinoNumber(n: number): Severity | null {
  if (!Number.isFinite(n) || n <= 0) return null;
  if (n <= 10) return severity('TRACE');
  if (n <= 20) return severity('DEBUG');
  if (n <= 30) return severity('INFO');
  if (n <= 40) return severity('WARN');
  if (n <= 50) return severity('ERROR');
  return severity('FATAL');
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
  const band = severityBandOfName(s);
  return band ? severity(band) : s.length <= 32 ? { number: 0, text: s.toUpperCase() } : null;
}
