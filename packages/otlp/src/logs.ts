// ExportLogsServiceRequest (protobuf) → model ResourceLogs. A log line is worth keeping even when its
// trace link is broken, so bad IDs become null and the raw value is kept as an attribute for debugging.
import { Reader } from '@pivot/protobuf';
import type {
  AttrValue,
  Attributes,
  LogRecord,
  ResourceLogs,
  Scope,
  ScopeLogs,
  SpanId,
  TraceId,
  UnixNano,
} from '@pivot/model';
import { setAttr, readAnyValue, takeAttribute } from './anyvalue.ts';
import { toDecodeError } from './errors.ts';
import { allZero, toHex } from './hex.ts';
import { resolveLimits, type DecodeOptions, type Limits } from './options.ts';
import { Rejections } from './rejections.ts';
import { emptyResource, emptyScope, readResource, readScope } from './resource.ts';
import { I32, I64, LEN, VARINT, badWire, readString, skipField } from './wire.ts';

/** What the logs decoders return; log records are never rejected for content, only whole requests fail. */
export interface DecodedLogs {
  resourceLogs: ResourceLogs[];
  accepted: number;
  rejected: number;
  message: string;
}

/** Attribute that receives the hex of a trace_id that is present but unusable (wrong length or zero). */
export const INVALID_TRACE_ID_ATTR = 'otel.invalid_trace_id';
export const INVALID_SPAN_ID_ATTR = 'otel.invalid_span_id';

const ZERO_NS = 0n as UnixNano;

export function decodeExportLogsRequest(bytes: Uint8Array, options?: DecodeOptions): DecodedLogs {
  const lim = resolveLimits(options);
  const rej = new Rejections('log record');
  const resourceLogs: ResourceLogs[] = [];
  const r = new Reader(bytes);
  try {
    while (r.pos < r.end) {
      const k = r.tag();
      if (k >>> 3 === 1) {
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'ExportLogsServiceRequest.resource_logs');
        resourceLogs.push(readResourceLogs(r, lim, rej));
      } else skipField(r, k);
    }
  } catch (e) {
    throw toDecodeError(e, 'invalid ExportLogsServiceRequest');
  }
  return { resourceLogs, accepted: rej.accepted, rejected: rej.rejected, message: rej.message() };
}

function readResourceLogs(r: Reader, lim: Limits, rej: Rejections): ResourceLogs {
  const outer = r.enter();
  let resource = emptyResource();
  const scopeLogs: ScopeLogs[] = [];
  while (r.pos < r.end) {
    const k = r.tag();
    switch (k >>> 3) {
      case 1:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'ResourceLogs.resource');
        resource = readResource(r, lim);
        break;
      case 2:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'ResourceLogs.scope_logs');
        scopeLogs.push(readScopeLogs(r, lim, rej));
        break;
      default:
        skipField(r, k);
    }
  }
  r.leave(outer);
  return { resource, scopeLogs };
}

function readScopeLogs(r: Reader, lim: Limits, rej: Rejections): ScopeLogs {
  const outer = r.enter();
  let scope: Scope = emptyScope();
  const logRecords: LogRecord[] = [];
  while (r.pos < r.end) {
    const k = r.tag();
    switch (k >>> 3) {
      case 1:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'ScopeLogs.scope');
        scope = readScope(r, lim);
        break;
      case 2:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'ScopeLogs.log_records');
        logRecords.push(readLogRecord(r, lim));
        rej.accepted++;
        break;
      default:
        skipField(r, k);
    }
  }
  r.leave(outer);
  return { scope, logRecords };
}

function readLogRecord(r: Reader, lim: Limits): LogRecord {
  const outer = r.enter();
  const buf = r.buf;
  let time = ZERO_NS;
  let observed = ZERO_NS;
  let severityNumber = 0;
  let severityText = '';
  let body: AttrValue = null;
  const attributes: Attributes = {};
  let kept = 0;
  let dropped = 0;
  let sentDropped = 0;
  let flags = 0;
  let traceAt = 0;
  let traceLen = 0;
  let spanAt = 0;
  let spanLen = 0;
  let eventName = '';
  while (r.pos < r.end) {
    const k = r.tag();
    switch (k >>> 3) {
      case 1:
        if ((k & 7) !== I64) badWire(r, k, I64, 'LogRecord.time_unix_nano');
        time = r.fixed64() as UnixNano;
        break;
      case 2:
        if ((k & 7) !== VARINT) badWire(r, k, VARINT, 'LogRecord.severity_number');
        severityNumber = r.int32();
        break;
      case 3:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'LogRecord.severity_text');
        severityText = readString(r);
        break;
      case 5:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'LogRecord.body');
        body = readAnyValue(r, lim, lim.maxBodyLength, 1);
        break;
      case 6:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'LogRecord.attributes');
        if (takeAttribute(r, attributes, kept, lim)) kept++;
        else dropped++;
        break;
      case 7:
        if ((k & 7) !== VARINT) badWire(r, k, VARINT, 'LogRecord.dropped_attributes_count');
        sentDropped = r.uint32();
        break;
      case 8:
        if ((k & 7) !== I32) badWire(r, k, I32, 'LogRecord.flags');
        flags = r.fixed32();
        break;
      case 9:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'LogRecord.trace_id');
        traceLen = r.len();
        traceAt = r.pos;
        r.pos += traceLen;
        break;
      case 10:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'LogRecord.span_id');
        spanLen = r.len();
        spanAt = r.pos;
        r.pos += spanLen;
        break;
      case 11:
        if ((k & 7) !== I64) badWire(r, k, I64, 'LogRecord.observed_time_unix_nano');
        observed = r.fixed64() as UnixNano;
        break;
      case 12:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'LogRecord.event_name');
        eventName = readString(r);
        break;
      default:
        skipField(r, k);
    }
  }
  r.leave(outer);

  let traceId: TraceId | null = null;
  if (traceLen === 16 && !allZero(buf, traceAt, 16)) traceId = toHex(buf, traceAt, 16) as TraceId;
  else if (traceLen !== 0) keepInvalidId(attributes, INVALID_TRACE_ID_ATTR, buf, traceAt, traceLen, lim);
  let spanId: SpanId | null = null;
  if (spanLen === 8 && !allZero(buf, spanAt, 8)) spanId = toHex(buf, spanAt, 8) as SpanId;
  else if (spanLen !== 0) keepInvalidId(attributes, INVALID_SPAN_ID_ATTR, buf, spanAt, spanLen, lim);

  return {
    timeUnixNano: time,
    observedTimeUnixNano: observed,
    severityNumber,
    severityText,
    body,
    attributes,
    droppedAttributesCount: sentDropped + dropped,
    flags,
    traceId,
    spanId,
    eventName,
  };
}

function keepInvalidId(attrs: Attributes, key: string, buf: Uint8Array, at: number, len: number, lim: Limits): void {
  setAttr(attrs, key, toHex(buf, at, Math.min(len, Math.floor(lim.maxAttributeValueLength / 2))));
}
