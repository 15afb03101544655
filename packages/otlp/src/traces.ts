// ExportTraceServiceRequest (protobuf) → model ResourceSpans, decoded straight off the wire. A span with
// an unusable trace, span or parent ID is refused on its own (OTLP partial success), not the request.
import { Reader } from '@pivot/protobuf';
import type {
  Attributes,
  ResourceSpans,
  Scope,
  ScopeSpans,
  Span,
  SpanEvent,
  SpanId,
  SpanLink,
  TraceId,
  UnixNano,
} from '@pivot/model';
import { timeNsProblem } from '@pivot/model';
import { toDecodeError } from './errors.ts';
import { allZero, toHex } from './hex.ts';
import { resolveLimits, type DecodeOptions, type Limits } from './options.ts';
import { Rejections } from './rejections.ts';
import { emptyResource, emptyScope, readResource, readScope } from './resource.ts';
import { takeAttribute } from './anyvalue.ts';
import { I32, I64, LEN, VARINT, badWire, readString, skipField } from './wire.ts';

/** What the traces decoders return; `accepted` + `rejected` is the number of spans in the request. */
export interface DecodedTraces {
  resourceSpans: ResourceSpans[];
  accepted: number;
  rejected: number;
  /** Why spans were rejected; empty when none were. */
  message: string;
}

const ZERO_NS = 0n as UnixNano;

export function decodeExportTraceRequest(bytes: Uint8Array, options?: DecodeOptions): DecodedTraces {
  const lim = resolveLimits(options);
  const rej = new Rejections('span');
  const resourceSpans: ResourceSpans[] = [];
  const r = new Reader(bytes);
  try {
    while (r.pos < r.end) {
      const k = r.tag();
      if (k >>> 3 === 1) {
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'ExportTraceServiceRequest.resource_spans');
        resourceSpans.push(readResourceSpans(r, lim, rej));
      } else skipField(r, k);
    }
  } catch (e) {
    throw toDecodeError(e, 'invalid ExportTraceServiceRequest');
  }
  return { resourceSpans, accepted: rej.accepted, rejected: rej.rejected, message: rej.message() };
}

function readResourceSpans(r: Reader, lim: Limits, rej: Rejections): ResourceSpans {
  const outer = r.enter();
  let resource = emptyResource();
  const scopeSpans: ScopeSpans[] = [];
  while (r.pos < r.end) {
    const k = r.tag();
    switch (k >>> 3) {
      case 1:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'ResourceSpans.resource');
        resource = readResource(r, lim);
        break;
      case 2:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'ResourceSpans.scope_spans');
        scopeSpans.push(readScopeSpans(r, lim, rej));
        break;
      default:
        skipField(r, k);
    }
  }
  r.leave(outer);
  return { resource, scopeSpans };
}

function readScopeSpans(r: Reader, lim: Limits, rej: Rejections): ScopeSpans {
  const outer = r.enter();
  let scope: Scope = emptyScope();
  const spans: Span[] = [];
  while (r.pos < r.end) {
    const k = r.tag();
    switch (k >>> 3) {
      case 1:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'ScopeSpans.scope');
        scope = readScope(r, lim);
        break;
      case 2: {
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'ScopeSpans.spans');
        const span = readSpan(r, lim, rej);
        if (span !== null) {
          spans.push(span);
          rej.accepted++;
        }
        break;
      }
      default:
        skipField(r, k);
    }
  }
  r.leave(outer);
  return { scope, spans };
}

/** Why an ID field cannot be used, or null when it is a well-formed non-zero ID. */
function idProblem(field: string, buf: Uint8Array, start: number, len: number, want: number): string | null {
  if (len !== want) return len === 0 ? `${field} is empty` : `${field} must be ${want} bytes, got ${len}`;
  return allZero(buf, start, len) ? `${field} is all zeros` : null;
}

function readSpan(r: Reader, lim: Limits, rej: Rejections): Span | null {
  const outer = r.enter();
  const buf = r.buf;
  // IDs are remembered as windows into the buffer and only hex-encoded once the span is known to be valid.
  let traceAt = 0;
  let traceLen = 0;
  let spanAt = 0;
  let spanLen = 0;
  let parentAt = 0;
  let parentLen = 0;
  let traceState = '';
  let flags = 0;
  let name = '';
  let kind = 0;
  let startTime = ZERO_NS;
  let endTime = ZERO_NS;
  const attributes: Attributes = {};
  let kept = 0;
  let dropped = 0;
  let sentDropped = 0;
  const events: SpanEvent[] = [];
  let droppedEvents = 0;
  const links: SpanLink[] = [];
  let droppedLinks = 0;
  let status = { code: 0, message: '' };
  while (r.pos < r.end) {
    const k = r.tag();
    switch (k >>> 3) {
      case 1:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Span.trace_id');
        traceLen = r.len();
        traceAt = r.pos;
        r.pos += traceLen;
        break;
      case 2:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Span.span_id');
        spanLen = r.len();
        spanAt = r.pos;
        r.pos += spanLen;
        break;
      case 3:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Span.trace_state');
        traceState = readString(r);
        break;
      case 4:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Span.parent_span_id');
        parentLen = r.len();
        parentAt = r.pos;
        r.pos += parentLen;
        break;
      case 5:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Span.name');
        name = readString(r);
        break;
      case 6:
        if ((k & 7) !== VARINT) badWire(r, k, VARINT, 'Span.kind');
        kind = r.int32();
        break;
      case 7:
        if ((k & 7) !== I64) badWire(r, k, I64, 'Span.start_time_unix_nano');
        startTime = r.fixed64() as UnixNano;
        break;
      case 8:
        if ((k & 7) !== I64) badWire(r, k, I64, 'Span.end_time_unix_nano');
        endTime = r.fixed64() as UnixNano;
        break;
      case 9:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Span.attributes');
        if (takeAttribute(r, attributes, kept, lim)) kept++;
        else dropped++;
        break;
      case 10:
        if ((k & 7) !== VARINT) badWire(r, k, VARINT, 'Span.dropped_attributes_count');
        sentDropped = r.uint32();
        break;
      case 11:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Span.events');
        events.push(readEvent(r, lim));
        break;
      case 12:
        if ((k & 7) !== VARINT) badWire(r, k, VARINT, 'Span.dropped_events_count');
        droppedEvents = r.uint32();
        break;
      case 13: {
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Span.links');
        const link = readLink(r, lim);
        // A link is only useful if it can be followed; a broken one is counted like an SDK-dropped one.
        if (link !== null) links.push(link);
        else droppedLinks++;
        break;
      }
      case 14:
        if ((k & 7) !== VARINT) badWire(r, k, VARINT, 'Span.dropped_links_count');
        droppedLinks += r.uint32();
        break;
      case 15:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Span.status');
        status = readStatus(r);
        break;
      case 16:
        if ((k & 7) !== I32) badWire(r, k, I32, 'Span.flags');
        flags = r.fixed32();
        break;
      default:
        skipField(r, k);
    }
  }
  r.leave(outer);

  const problem =
    idProblem('trace_id', buf, traceAt, traceLen, 16) ??
    idProblem('span_id', buf, spanAt, spanLen, 8) ??
    // Empty means root. An all-zero parent is the "invalid span ID" of W3C trace context, which some
    // bridges emit for "no parent", so it is read as root too rather than refusing the span.
    (parentLen !== 0 && parentLen !== 8 ? `parent_span_id must be 8 bytes or empty, got ${parentLen}` : null) ??
    // A fixed64 can exceed what the store's bigint and day partitions hold: refuse the span, not the request.
    timeNsProblem('start_time_unix_nano', startTime) ??
    timeNsProblem('end_time_unix_nano', endTime);
  if (problem !== null) {
    rej.reject(problem);
    return null;
  }
  return {
    traceId: toHex(buf, traceAt, 16) as TraceId,
    spanId: toHex(buf, spanAt, 8) as SpanId,
    parentSpanId: parentLen === 8 && !allZero(buf, parentAt, 8) ? (toHex(buf, parentAt, 8) as SpanId) : null,
    traceState,
    flags,
    name,
    kind,
    startTimeUnixNano: startTime,
    endTimeUnixNano: endTime,
    attributes,
    droppedAttributesCount: sentDropped + dropped,
    events,
    droppedEventsCount: droppedEvents,
    links,
    droppedLinksCount: droppedLinks,
    status,
  };
}

function readEvent(r: Reader, lim: Limits): SpanEvent {
  const outer = r.enter();
  let time = ZERO_NS;
  let name = '';
  const attributes: Attributes = {};
  let kept = 0;
  let dropped = 0;
  let sentDropped = 0;
  while (r.pos < r.end) {
    const k = r.tag();
    switch (k >>> 3) {
      case 1:
        if ((k & 7) !== I64) badWire(r, k, I64, 'Span.Event.time_unix_nano');
        time = r.fixed64() as UnixNano;
        break;
      case 2:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Span.Event.name');
        name = readString(r);
        break;
      case 3:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Span.Event.attributes');
        if (takeAttribute(r, attributes, kept, lim)) kept++;
        else dropped++;
        break;
      case 4:
        if ((k & 7) !== VARINT) badWire(r, k, VARINT, 'Span.Event.dropped_attributes_count');
        sentDropped = r.uint32();
        break;
      default:
        skipField(r, k);
    }
  }
  r.leave(outer);
  return { timeUnixNano: time, name, attributes, droppedAttributesCount: sentDropped + dropped };
}

function readLink(r: Reader, lim: Limits): SpanLink | null {
  const outer = r.enter();
  const buf = r.buf;
  let traceAt = 0;
  let traceLen = 0;
  let spanAt = 0;
  let spanLen = 0;
  let traceState = '';
  const attributes: Attributes = {};
  let kept = 0;
  let dropped = 0;
  let sentDropped = 0;
  let flags = 0;
  while (r.pos < r.end) {
    const k = r.tag();
    switch (k >>> 3) {
      case 1:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Span.Link.trace_id');
        traceLen = r.len();
        traceAt = r.pos;
        r.pos += traceLen;
        break;
      case 2:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Span.Link.span_id');
        spanLen = r.len();
        spanAt = r.pos;
        r.pos += spanLen;
        break;
      case 3:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Span.Link.trace_state');
        traceState = readString(r);
        break;
      case 4:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Span.Link.attributes');
        if (takeAttribute(r, attributes, kept, lim)) kept++;
        else dropped++;
        break;
      case 5:
        if ((k & 7) !== VARINT) badWire(r, k, VARINT, 'Span.Link.dropped_attributes_count');
        sentDropped = r.uint32();
        break;
      case 6:
        if ((k & 7) !== I32) badWire(r, k, I32, 'Span.Link.flags');
        flags = r.fixed32();
        break;
      default:
        skipField(r, k);
    }
  }
  r.leave(outer);
  if (traceLen !== 16 || spanLen !== 8 || allZero(buf, traceAt, 16) || allZero(buf, spanAt, 8)) return null;
  return {
    traceId: toHex(buf, traceAt, 16) as TraceId,
    spanId: toHex(buf, spanAt, 8) as SpanId,
    traceState,
    attributes,
    droppedAttributesCount: sentDropped + dropped,
    flags,
  };
}

function readStatus(r: Reader): { code: number; message: string } {
  const outer = r.enter();
  let code = 0;
  let message = '';
  while (r.pos < r.end) {
    const k = r.tag();
    switch (k >>> 3) {
      case 2:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Status.message');
        message = readString(r);
        break;
      case 3:
        if ((k & 7) !== VARINT) badWire(r, k, VARINT, 'Status.code');
        code = r.int32();
        break;
      default:
        skipField(r, k);
    }
  }
  r.leave(outer);
  return { code, message };
}
