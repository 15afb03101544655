// What the "open a trace" box accepts: a trace ID as people paste it. 32 hex digits in any case, or
// 16 (a 64-bit Jaeger or Zipkin ID, which OpenTelemetry left-pads with zeros), with spaces around.
// Parse errors are data, so the box can say what is wrong as the user types.
export type TraceIdInput = { ok: true; id: string } | { ok: false; error: string };

export function parseTraceIdInput(raw: string): TraceIdInput {
  const s = raw.trim();
  if (s === '') return { ok: false, error: 'Paste a trace ID (32 or 16 hex digits)' };
  if (!/^[0-9a-fA-F]+$/.test(s)) return { ok: false, error: 'A trace ID has only hex digits (0-9, a-f)' };
  if (s.length !== 32 && s.length !== 16)
    return { ok: false, error: `A trace ID has 32 hex digits (or 16), not ${s.length}` };
  const id = s.toLowerCase().padStart(32, '0');
  if (/^0+$/.test(id)) return { ok: false, error: 'The all-zero trace ID is invalid' };
  return { ok: true, id };
}
