// Trace context as loggers write it: OpenTelemetry's pino instrumentation writes trace_id/span_id/
// trace_flags, others traceId/spanId, ECS trace.id/span.id (flat or nested), proxies a W3C traceparent.
// Only valid IDs link the record to a trace; invalid ones stay as attributes so nothing is lost.
import { parseSpanId, parseTraceId } from '@pivot/model';
import type { SpanId, TraceId } from '@pivot/model';
import { takeFirst, takeNested } from './fields.ts';
import type { Fields } from './fields.ts';

export interface TraceContext {
  traceId: TraceId | null;
  spanId: SpanId | null;
  /** W3C trace flags (bit 0: sampled), 0 when unknown. */
  flags: number;
}

const TRACE_ID_FIELDS = ['trace_id', 'traceId', 'traceID', 'trace.id'];
const SPAN_ID_FIELDS = ['span_id', 'spanId', 'spanID', 'span.id'];
const FLAGS_FIELDS = ['trace_flags', 'traceFlags', 'trace.flags'];
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/i;

function parseFlags(v: unknown): number | null {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v <= 255 ? v : null;
  if (typeof v === 'string' && /^[0-9a-f]{1,2}$/i.test(v)) return parseInt(v, 16);
  return null;
}

function parseTraceparent(v: unknown): { traceId: TraceId; spanId: SpanId | null; flags: number } | null {
  if (typeof v !== 'string') return null;
  const m = TRACEPARENT.exec(v.trim());
  // Version ff is forbidden by the W3C spec.
  if (!m || m[1]!.toLowerCase() === 'ff') return null;
  const traceId = parseTraceId(m[2]!);
  return traceId ? { traceId, spanId: parseSpanId(m[3]!), flags: parseInt(m[4]!, 16) } : null;
}

/** Takes the trace context out of `fields`, leaving anything invalid (or unlinked) in place. */
export function takeTraceContext(fields: Fields): TraceContext {
  // Filled by the `accept` callbacks as they validate candidates.
  const found: { traceId: TraceId | null; spanId: SpanId | null; flags: number | null } = {
    traceId: null,
    spanId: null,
    flags: null,
  };
  const asTrace = (v: unknown) => typeof v === 'string' && (found.traceId = parseTraceId(v)) !== null;
  const asSpan = (v: unknown) => typeof v === 'string' && (found.spanId = parseSpanId(v)) !== null;
  const asFlags = (v: unknown) => (found.flags = parseFlags(v)) !== null;

  if (!takeFirst(fields, TRACE_ID_FIELDS, asTrace)) takeNested(fields, 'trace', 'id', asTrace);
  const tp = parseTraceparent(fields.get('traceparent'));
  if (tp && (found.traceId === null || found.traceId === tp.traceId)) {
    fields.delete('traceparent');
    Object.assign(found, tp);
  }
  // A span or flags without a trace would link to nothing: they then stay attributes.
  if (found.traceId === null) return { traceId: null, spanId: null, flags: 0 };
  if (found.spanId === null && !takeFirst(fields, SPAN_ID_FIELDS, asSpan)) takeNested(fields, 'span', 'id', asSpan);
  if (found.flags === null && !takeFirst(fields, FLAGS_FIELDS, asFlags)) takeNested(fields, 'trace', 'flags', asFlags);
  return { traceId: found.traceId, spanId: found.spanId, flags: found.flags ?? 0 };
}
