// OTLP/JSON ExportTraceServiceRequest → model ResourceSpans, with the same partial-success rules as the
// protobuf decoder. IDs are hex in OTLP/JSON (not base64 as plain protobuf JSON would have them).
import { timeNsProblem } from '@pivot/model';
import type { Attributes, ResourceSpans, ScopeSpans, Span, SpanEvent, SpanId, SpanLink, TraceId } from '@pivot/model';
import { checkHexId } from './hex.ts';
import { SPAN_KIND_ENUM, STATUS_CODE_ENUM } from './json-enums.ts';
import { JsonCtx, parseJsonBody, type JsonObject } from './json.ts';
import { jsonResource, jsonScope } from './json-resource.ts';
import { resolveLimits, type DecodeOptions } from './options.ts';
import { Rejections } from './rejections.ts';
import type { DecodedTraces } from './traces.ts';

export function decodeExportTraceRequestJson(body: string | Uint8Array, options?: DecodeOptions): DecodedTraces {
  const c = new JsonCtx(resolveLimits(options), 'ExportTraceServiceRequest');
  const root = c.rootObject(parseJsonBody(body, 'ExportTraceServiceRequest'));
  const rej = new Rejections('span');
  const list = c.arr(root, 'resourceSpans', 'resource_spans');
  const resourceSpans: ResourceSpans[] = [];
  c.push('resourceSpans');
  for (let i = 0; i < list.length; i++) {
    c.at(i);
    const rs = c.elem(list[i]);
    const resource = jsonResource(c, rs);
    const scopes = c.arr(rs, 'scopeSpans', 'scope_spans');
    const scopeSpans: ScopeSpans[] = [];
    c.push('scopeSpans');
    for (let j = 0; j < scopes.length; j++) {
      c.at(j);
      const ss = c.elem(scopes[j]);
      const scope = jsonScope(c, ss);
      const items = c.arr(ss, 'spans', 'spans');
      const spans: Span[] = [];
      c.push('spans');
      for (let k = 0; k < items.length; k++) {
        c.at(k);
        const span = jsonSpan(c, c.elem(items[k]), rej);
        if (span !== null) {
          spans.push(span);
          rej.accepted++;
        }
      }
      c.pop();
      scopeSpans.push({ scope, spans });
    }
    c.pop();
    resourceSpans.push({ resource, scopeSpans });
  }
  c.pop();
  return { resourceSpans, accepted: rej.accepted, rejected: rej.rejected, message: rej.message() };
}

/** Why a hex ID is unusable, or null; `optional` lets an empty value through (a root's parent). */
function hexIdProblem(field: string, s: string, nbytes: number, optional: boolean): string | null {
  switch (checkHexId(s, nbytes)) {
    case 'ok':
      return null;
    case 'empty':
      return optional ? null : `${field} is empty`;
    case 'zero':
      // See traces.ts: an all-zero parent reads as "no parent".
      return optional ? null : `${field} is all zeros`;
    case 'length':
      return `${field} must be ${nbytes * 2} hex digits${optional ? ' or empty' : ''}, got ${s.length}`;
    case 'hex':
      return `${field} is not hex`;
  }
}

function jsonSpan(c: JsonCtx, o: JsonObject, rej: Rejections): Span | null {
  const traceId = c.str(o, 'traceId', 'trace_id');
  const spanId = c.str(o, 'spanId', 'span_id');
  const parent = c.str(o, 'parentSpanId', 'parent_span_id');
  const startTimeUnixNano = c.nanos(o, 'startTimeUnixNano', 'start_time_unix_nano');
  const endTimeUnixNano = c.nanos(o, 'endTimeUnixNano', 'end_time_unix_nano');
  const problem =
    hexIdProblem('trace_id', traceId, 16, false) ??
    hexIdProblem('span_id', spanId, 8, false) ??
    hexIdProblem('parent_span_id', parent, 8, true) ??
    timeNsProblem('start_time_unix_nano', startTimeUnixNano) ??
    timeNsProblem('end_time_unix_nano', endTimeUnixNano);
  if (problem !== null) {
    rej.reject(problem);
    return null;
  }
  const attributes: Attributes = {};
  const dropped = c.attributes(o, 'attributes', 'attributes', attributes);

  const events: SpanEvent[] = [];
  const ev = c.arr(o, 'events', 'events');
  c.push('events');
  for (let i = 0; i < ev.length; i++) {
    c.at(i);
    const e = c.elem(ev[i]);
    const attrs: Attributes = {};
    const d = c.attributes(e, 'attributes', 'attributes', attrs);
    events.push({
      timeUnixNano: c.nanos(e, 'timeUnixNano', 'time_unix_nano'),
      name: c.str(e, 'name', 'name'),
      attributes: attrs,
      droppedAttributesCount: c.int32(e, 'droppedAttributesCount', 'dropped_attributes_count', false) + d,
    });
  }
  c.pop();

  const links: SpanLink[] = [];
  let brokenLinks = 0;
  const ln = c.arr(o, 'links', 'links');
  c.push('links');
  for (let i = 0; i < ln.length; i++) {
    c.at(i);
    const l = c.elem(ln[i]);
    const lt = c.str(l, 'traceId', 'trace_id');
    const ls = c.str(l, 'spanId', 'span_id');
    const attrs: Attributes = {};
    const d = c.attributes(l, 'attributes', 'attributes', attrs);
    const droppedAttributesCount = c.int32(l, 'droppedAttributesCount', 'dropped_attributes_count', false) + d;
    const traceState = c.str(l, 'traceState', 'trace_state');
    const flags = c.int32(l, 'flags', 'flags', false);
    // As in traces.ts: a link that cannot be followed counts as dropped.
    if (checkHexId(lt, 16) !== 'ok' || checkHexId(ls, 8) !== 'ok') {
      brokenLinks++;
      continue;
    }
    links.push({
      traceId: lt.toLowerCase() as TraceId,
      spanId: ls.toLowerCase() as SpanId,
      traceState,
      attributes: attrs,
      droppedAttributesCount,
      flags,
    });
  }
  c.pop();

  const st = c.obj(o, 'status', 'status');
  let status = { code: 0, message: '' };
  if (st !== null) {
    c.push('status');
    status = { code: c.enumValue(st, 'code', 'code', STATUS_CODE_ENUM), message: c.str(st, 'message', 'message') };
    c.pop();
  }

  return {
    traceId: traceId.toLowerCase() as TraceId,
    spanId: spanId.toLowerCase() as SpanId,
    parentSpanId: checkHexId(parent, 8) === 'ok' ? (parent.toLowerCase() as SpanId) : null,
    traceState: c.str(o, 'traceState', 'trace_state'),
    flags: c.int32(o, 'flags', 'flags', false),
    name: c.str(o, 'name', 'name'),
    kind: c.enumValue(o, 'kind', 'kind', SPAN_KIND_ENUM),
    startTimeUnixNano,
    endTimeUnixNano,
    attributes,
    droppedAttributesCount: c.int32(o, 'droppedAttributesCount', 'dropped_attributes_count', false) + dropped,
    events,
    droppedEventsCount: c.int32(o, 'droppedEventsCount', 'dropped_events_count', false),
    links,
    droppedLinksCount: c.int32(o, 'droppedLinksCount', 'dropped_links_count', false) + brokenLinks,
    status,
  };
}
