// Encodes model spans as an OTLP ExportTraceServiceRequest, to build benchmark payloads of any size.
import { Writer } from '@pivot/protobuf';
import type { AttrValue, Attributes, ResourceSpans } from '@pivot/model';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

function anyValue(w: Writer, v: AttrValue): void {
  if (typeof v === 'string') w.tag(1, 2).string(v);
  else if (typeof v === 'boolean') w.tag(2, 0).uint32(v ? 1 : 0);
  else if (typeof v === 'number' && Number.isInteger(v)) w.tag(3, 0).varint64(BigInt(v));
  else if (typeof v === 'number') w.tag(4, 1).double(v);
  else w.tag(1, 2).string(JSON.stringify(v));
}

function attributes(w: Writer, field: number, attrs: Attributes): void {
  for (const [k, v] of Object.entries(attrs)) {
    w.fork(field).tag(1, 2).string(k).fork(2);
    anyValue(w, v);
    w.join().join();
  }
}

export function encodeExportTraceRequest(batch: ResourceSpans[]): Uint8Array {
  const w = new Writer();
  for (const rs of batch) {
    w.fork(1).fork(1);
    attributes(w, 1, rs.resource.attributes);
    w.join();
    for (const ss of rs.scopeSpans) {
      w.fork(2).fork(1).tag(1, 2).string(ss.scope.name).tag(2, 2).string(ss.scope.version).join();
      for (const s of ss.spans) {
        w.fork(2);
        w.tag(1, 2).bytes(hex(s.traceId)).tag(2, 2).bytes(hex(s.spanId));
        if (s.parentSpanId) w.tag(4, 2).bytes(hex(s.parentSpanId));
        w.tag(5, 2).string(s.name).tag(6, 0).uint32(s.kind);
        w.tag(7, 1).fixed64(s.startTimeUnixNano).tag(8, 1).fixed64(s.endTimeUnixNano);
        attributes(w, 9, s.attributes);
        for (const e of s.events) {
          w.fork(11).tag(1, 1).fixed64(e.timeUnixNano).tag(2, 2).string(e.name);
          attributes(w, 3, e.attributes);
          w.join();
        }
        w.fork(15);
        if (s.status.message) w.tag(2, 2).string(s.status.message);
        w.tag(3, 0).uint32(s.status.code).join();
        w.tag(16, 5).fixed32(s.flags);
        w.join();
      }
      w.join();
    }
    w.join();
  }
  return w.finish();
}
