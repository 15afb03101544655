// OTLP/JSON ExportLogsServiceRequest → model ResourceLogs, with the protobuf decoder's trace-link rules.
import type { AttrValue, Attributes, LogRecord, ResourceLogs, ScopeLogs, SpanId, TraceId } from '@pivot/model';
import { setAttr } from './anyvalue.ts';
import { checkHexId } from './hex.ts';
import { SEVERITY_NUMBER_ENUM } from './json-enums.ts';
import { JsonCtx, parseJsonBody, type JsonObject } from './json.ts';
import { jsonResource, jsonScope } from './json-resource.ts';
import { INVALID_SPAN_ID_ATTR, INVALID_TRACE_ID_ATTR, type DecodedLogs } from './logs.ts';
import { resolveLimits, type DecodeOptions } from './options.ts';
import { Rejections } from './rejections.ts';
import { truncate } from './wire.ts';

export function decodeExportLogsRequestJson(body: string | Uint8Array, options?: DecodeOptions): DecodedLogs {
  const c = new JsonCtx(resolveLimits(options), 'ExportLogsServiceRequest');
  const root = c.rootObject(parseJsonBody(body, 'ExportLogsServiceRequest'));
  const rej = new Rejections('log record');
  const list = c.arr(root, 'resourceLogs', 'resource_logs');
  const resourceLogs: ResourceLogs[] = [];
  c.push('resourceLogs');
  for (let i = 0; i < list.length; i++) {
    c.at(i);
    const rl = c.elem(list[i]);
    const resource = jsonResource(c, rl);
    const scopes = c.arr(rl, 'scopeLogs', 'scope_logs');
    const scopeLogs: ScopeLogs[] = [];
    c.push('scopeLogs');
    for (let j = 0; j < scopes.length; j++) {
      c.at(j);
      const sl = c.elem(scopes[j]);
      const scope = jsonScope(c, sl);
      const items = c.arr(sl, 'logRecords', 'log_records');
      const logRecords: LogRecord[] = [];
      c.push('logRecords');
      for (let k = 0; k < items.length; k++) {
        c.at(k);
        logRecords.push(jsonLogRecord(c, c.elem(items[k])));
        rej.accepted++;
      }
      c.pop();
      scopeLogs.push({ scope, logRecords });
    }
    c.pop();
    resourceLogs.push({ resource, scopeLogs });
  }
  c.pop();
  return { resourceLogs, accepted: rej.accepted, rejected: rej.rejected, message: rej.message() };
}

function jsonLogRecord(c: JsonCtx, o: JsonObject): LogRecord {
  const attributes: Attributes = {};
  const dropped = c.attributes(o, 'attributes', 'attributes', attributes);
  const rawBody = o.body;
  let body: AttrValue = null;
  if (rawBody !== undefined && rawBody !== null) {
    c.push('body');
    body = c.anyValue(rawBody, c.lim.maxBodyLength, 1);
    c.pop();
  }

  const t = c.str(o, 'traceId', 'trace_id');
  let traceId: TraceId | null = null;
  if (checkHexId(t, 16) === 'ok') traceId = t.toLowerCase() as TraceId;
  else if (t !== '') setAttr(attributes, INVALID_TRACE_ID_ATTR, truncate(t, c.lim.maxAttributeValueLength));
  const s = c.str(o, 'spanId', 'span_id');
  let spanId: SpanId | null = null;
  if (checkHexId(s, 8) === 'ok') spanId = s.toLowerCase() as SpanId;
  else if (s !== '') setAttr(attributes, INVALID_SPAN_ID_ATTR, truncate(s, c.lim.maxAttributeValueLength));

  return {
    timeUnixNano: c.nanos(o, 'timeUnixNano', 'time_unix_nano'),
    observedTimeUnixNano: c.nanos(o, 'observedTimeUnixNano', 'observed_time_unix_nano'),
    severityNumber: c.enumValue(o, 'severityNumber', 'severity_number', SEVERITY_NUMBER_ENUM),
    severityText: c.str(o, 'severityText', 'severity_text'),
    body,
    attributes,
    droppedAttributesCount: c.int32(o, 'droppedAttributesCount', 'dropped_attributes_count', false) + dropped,
    flags: c.int32(o, 'flags', 'flags', false),
    traceId,
    spanId,
    eventName: c.str(o, 'eventName', 'event_name'),
  };
}
