// Assembles a LogRecord from an interpreted line and what the transport adds (times, a fallback
// severity, the body when the line itself is the message).
import type { AttrValue, LogRecord, UnixNano } from '@pivot/model';
import type { Interpreted } from './interpret.ts';
import type { Severity } from './severity.ts';

export interface RecordParts {
  timeUnixNano: UnixNano;
  observedTimeUnixNano: UnixNano;
  body: AttrValue;
  fallbackSeverity?: Severity | null;
}

export function buildRecord(it: Interpreted, parts: RecordParts): LogRecord {
  const severity = it.severity ?? parts.fallbackSeverity ?? null;
  return {
    timeUnixNano: parts.timeUnixNano,
    observedTimeUnixNano: parts.observedTimeUnixNano,
    severityNumber: severity?.number ?? 0,
    severityText: severity?.text ?? '',
    body: parts.body,
    attributes: it.attributes,
    droppedAttributesCount: 0,
    flags: it.flags,
    traceId: it.traceId,
    spanId: it.spanId,
    eventName: '',
  };
}
