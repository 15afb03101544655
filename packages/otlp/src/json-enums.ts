// OTLP/JSON may write enums by their proto names (SPAN_KIND_SERVER, STATUS_CODE_ERROR,
// SEVERITY_NUMBER_WARN2); the numbers are the model's.
import { SEVERITY_BANDS, SeverityNumber, SpanKind, StatusCode } from '@pivot/model';

const prefixed = (prefix: string, values: Readonly<Record<string, number>>): Readonly<Record<string, number>> =>
  Object.fromEntries(Object.entries(values).map(([name, n]) => [prefix + name, n]));

export const SPAN_KIND_ENUM = prefixed('SPAN_KIND_', SpanKind);
export const STATUS_CODE_ENUM = prefixed('STATUS_CODE_', StatusCode);

/** SEVERITY_NUMBER_UNSPECIFIED, then each band's four numbers: SEVERITY_NUMBER_TRACE, _TRACE2, … _FATAL4. */
export const SEVERITY_NUMBER_ENUM: Readonly<Record<string, number>> = Object.fromEntries(
  SEVERITY_BANDS.flatMap((band): [string, number][] =>
    band === 'UNSPECIFIED'
      ? [['SEVERITY_NUMBER_UNSPECIFIED', SeverityNumber.UNSPECIFIED]]
      : [0, 1, 2, 3].map((i) => [`SEVERITY_NUMBER_${band}${i === 0 ? '' : i + 1}`, SeverityNumber[band] + i]),
  ),
);
