// Model spans back to OTLP: the protobuf TracesData (opentelemetry-proto trace/v1/trace.proto) and its
// OTLP/JSON form. Tempo's trace-by-ID bodies are this message under another package name (tempopb.Trace
// is field 1 = repeated ResourceSpans, wire-identical to TracesData), so the Tempo API serves it as is.
// Attribute values come from the model's JSON form: a whole number becomes int_value, any other number
// double_value, and bytes (stored as base64 text) a string, so those two types do not round-trip.
import { Writer } from '@pivot/protobuf';
import type { AttrValue, Attributes, ResourceSpans } from '@pivot/model';

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function writeAnyValue(w: Writer, field: number, v: AttrValue): void {
  w.fork(field);
  if (typeof v === 'string') w.tag(1, LEN).string(v);
  else if (typeof v === 'boolean') w.tag(2, VARINT).uint32(v ? 1 : 0);
  else if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) w.tag(3, VARINT).varint64(BigInt(v));
    else w.tag(4, I64).double(v);
  } else if (Array.isArray(v)) {
    w.fork(5);
    for (const x of v) writeAnyValue(w, 1, x);
    w.join();
  } else if (v !== null) {
    w.fork(6);
    writeKeyValues(w, 1, v);
    w.join();
  }
  w.join();
}

function writeKeyValues(w: Writer, field: number, attrs: Attributes): void {
  for (const [k, v] of Object.entries(attrs)) {
    w.fork(field).tag(1, LEN).string(k);
    writeAnyValue(w, 2, v);
    w.join();
  }
}

/** OTLP TracesData (field 1: repeated ResourceSpans), also a Tempo `Trace`. */
export function encodeTracesData(resourceSpans: ResourceSpans[]): Uint8Array {
  const w = new Writer();
  for (const rs of resourceSpans) {
    w.fork(1);
    w.fork(1);
    writeKeyValues(w, 1, rs.resource.attributes);
    if (rs.resource.droppedAttributesCount) w.tag(2, VARINT).uint32(rs.resource.droppedAttributesCount);
    w.join();
    for (const ss of rs.scopeSpans) {
      w.fork(2);
      w.fork(1);
      if (ss.scope.name) w.tag(1, LEN).string(ss.scope.name);
      if (ss.scope.version) w.tag(2, LEN).string(ss.scope.version);
      writeKeyValues(w, 3, ss.scope.attributes);
      w.join();
      for (const s of ss.spans) {
        w.fork(2);
        w.tag(1, LEN).bytes(hexBytes(s.traceId));
        w.tag(2, LEN).bytes(hexBytes(s.spanId));
        if (s.traceState) w.tag(3, LEN).string(s.traceState);
        if (s.parentSpanId) w.tag(4, LEN).bytes(hexBytes(s.parentSpanId));
        w.tag(5, LEN).string(s.name);
        if (s.kind) w.tag(6, VARINT).uint32(s.kind);
        w.tag(7, I64).fixed64(s.startTimeUnixNano);
        w.tag(8, I64).fixed64(s.endTimeUnixNano);
        writeKeyValues(w, 9, s.attributes);
        if (s.droppedAttributesCount) w.tag(10, VARINT).uint32(s.droppedAttributesCount);
        for (const e of s.events) {
          w.fork(11).tag(1, I64).fixed64(e.timeUnixNano).tag(2, LEN).string(e.name);
          writeKeyValues(w, 3, e.attributes);
          if (e.droppedAttributesCount) w.tag(4, VARINT).uint32(e.droppedAttributesCount);
          w.join();
        }
        if (s.droppedEventsCount) w.tag(12, VARINT).uint32(s.droppedEventsCount);
        for (const l of s.links) {
          w.fork(13).tag(1, LEN).bytes(hexBytes(l.traceId)).tag(2, LEN).bytes(hexBytes(l.spanId));
          if (l.traceState) w.tag(3, LEN).string(l.traceState);
          writeKeyValues(w, 4, l.attributes);
          if (l.droppedAttributesCount) w.tag(5, VARINT).uint32(l.droppedAttributesCount);
          if (l.flags) w.tag(6, I32).fixed32(l.flags);
          w.join();
        }
        if (s.droppedLinksCount) w.tag(14, VARINT).uint32(s.droppedLinksCount);
        if (s.status.code || s.status.message) {
          w.fork(15);
          if (s.status.message) w.tag(2, LEN).string(s.status.message);
          if (s.status.code) w.tag(3, VARINT).uint32(s.status.code);
          w.join();
        }
        if (s.flags) w.tag(16, I32).fixed32(s.flags);
        w.join();
      }
      w.join();
    }
    w.join();
  }
  return w.finish();
}

type JsonAny = Record<string, unknown>;

function anyValueJson(v: AttrValue): JsonAny {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isSafeInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValueJson) } };
  if (v === null) return {};
  return { kvlistValue: { values: keyValuesJson(v) } };
}

/** OTLP/JSON KeyValue list (int64 as decimal strings, as the OTLP JSON mapping requires). */
export function keyValuesJson(attrs: Attributes): { key: string; value: JsonAny }[] {
  return Object.entries(attrs).map(([key, value]) => ({ key, value: anyValueJson(value) }));
}

/** The OTLP/JSON form of TracesData's resourceSpans: IDs in hex, times as decimal strings. */
export function tracesDataJson(resourceSpans: ResourceSpans[]): JsonAny[] {
  return resourceSpans.map((rs) => ({
    resource: {
      attributes: keyValuesJson(rs.resource.attributes),
      droppedAttributesCount: rs.resource.droppedAttributesCount,
    },
    scopeSpans: rs.scopeSpans.map((ss) => ({
      scope: { name: ss.scope.name, version: ss.scope.version, attributes: keyValuesJson(ss.scope.attributes) },
      spans: ss.spans.map((s) => ({
        traceId: s.traceId,
        spanId: s.spanId,
        ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
        traceState: s.traceState,
        flags: s.flags,
        name: s.name,
        kind: s.kind,
        startTimeUnixNano: s.startTimeUnixNano.toString(),
        endTimeUnixNano: s.endTimeUnixNano.toString(),
        attributes: keyValuesJson(s.attributes),
        droppedAttributesCount: s.droppedAttributesCount,
        events: s.events.map((e) => ({
          timeUnixNano: e.timeUnixNano.toString(),
          name: e.name,
          attributes: keyValuesJson(e.attributes),
          droppedAttributesCount: e.droppedAttributesCount,
        })),
        droppedEventsCount: s.droppedEventsCount,
        links: s.links.map((l) => ({
          traceId: l.traceId,
          spanId: l.spanId,
          traceState: l.traceState,
          attributes: keyValuesJson(l.attributes),
          droppedAttributesCount: l.droppedAttributesCount,
          flags: l.flags,
        })),
        droppedLinksCount: s.droppedLinksCount,
        status: { code: s.status.code, message: s.status.message },
      })),
    })),
  }));
}
