// Exemplars carry their trace as ordinary labels, spelled differently by each client library:
// prom-client uses traceId/spanId, OpenTelemetry trace_id/span_id, Grafana Agent traceID.
import { parseSpanId, parseTraceId } from '@pivot/model';
import type { Labels, SpanId, TraceId } from '@pivot/model';

const TRACE_ID_LABELS = ['trace_id', 'traceId', 'traceID'];
const SPAN_ID_LABELS = ['span_id', 'spanId', 'spanID'];

function first<T>(labels: Labels, names: string[], parse: (s: string) => T | null): T | null {
  for (const name of names) {
    const v = Object.hasOwn(labels, name) ? labels[name] : undefined;
    if (v !== undefined) {
      const id = parse(v);
      if (id !== null) return id;
    }
  }
  return null;
}

/** The exemplar's trace link; invalid IDs give null, and the labels are left as they are either way. */
export function exemplarTrace(labels: Labels): { traceId: TraceId | null; spanId: SpanId | null } {
  return { traceId: first(labels, TRACE_ID_LABELS, parseTraceId), spanId: first(labels, SPAN_ID_LABELS, parseSpanId) };
}
