// Turns the fields of one structured log line (pino's JSON, or Loki structured metadata) into the
// parts of a LogRecord. Fields that describe the process rather than the event (service.*, pid,
// hostname) go to the resource, so that records of one process group together; everything not
// understood is kept as an attribute, nested objects as JSON values.
import type { AttrValue, Attributes, SpanId, TraceId, UnixNano } from '@pivot/model';
import { isPlainObject, takeNested } from './fields.ts';
import type { Fields } from './fields.ts';
import { setOwn } from './set-own.ts';
import { parseSeverity } from './severity.ts';
import type { Severity } from './severity.ts';
import { parseTimestamp } from './timestamp.ts';
import { takeTraceContext } from './trace-context.ts';

export interface Interpreted {
  /** Resource attributes found in the line: service.*, process.pid, host.name. */
  resource: Attributes;
  attributes: Attributes;
  severity: Severity | null;
  timeUnixNano: UnixNano | null;
  /** Undefined when the fields hold no message. */
  body: AttrValue | undefined;
  traceId: TraceId | null;
  spanId: SpanId | null;
  flags: number;
}

export interface InterpretOptions {
  /** Take `msg` (or `message`) as the body; off for Loki lines that are not JSON. */
  body: boolean;
  /** Take `time` as the record time; off when the transport carries the time. */
  time: boolean;
}

const isScalar = (v: unknown): v is string | number | boolean =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

export function asAttrValue(v: unknown): AttrValue {
  if (v === null || isScalar(v) || typeof v === 'object') return v as AttrValue;
  // What is left: undefined, bigint, symbol or function, none of which JSON produces; String() names it.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  return String(v);
}

function takeResource(fields: Fields): Attributes {
  const resource: Attributes = {};
  for (const [k, v] of fields) {
    if (k.startsWith('service.') && isScalar(v) && v !== '') {
      setOwn(resource, k, v);
      fields.delete(k);
    }
  }
  const service = fields.get('service');
  if (!Object.hasOwn(resource, 'service.name')) {
    if (typeof service === 'string' && service !== '') {
      resource['service.name'] = service;
      fields.delete('service');
    } else if (isPlainObject(service) && typeof service.name === 'string' && service.name !== '') {
      const name = service.name;
      takeNested(fields, 'service', 'name', () => true);
      resource['service.name'] = name;
    }
  }
  const pid = fields.get('pid');
  if (typeof pid === 'number' && Number.isSafeInteger(pid)) {
    resource['process.pid'] = pid;
    fields.delete('pid');
  }
  const hostname = fields.get('hostname');
  if (typeof hostname === 'string' && hostname !== '') {
    resource['host.name'] = hostname;
    fields.delete('hostname');
  }
  return resource;
}

export function interpret(fields: Fields, opts: InterpretOptions): Interpreted {
  const severity = fields.has('level') ? parseSeverity(fields.get('level')) : null;
  if (severity) fields.delete('level');

  let timeUnixNano: UnixNano | null = null;
  if (opts.time && fields.has('time')) {
    timeUnixNano = parseTimestamp(fields.get('time'));
    if (timeUnixNano !== null) fields.delete('time');
  }

  let body: AttrValue | undefined;
  if (opts.body) {
    const key = fields.has('msg') ? 'msg' : fields.has('message') ? 'message' : null;
    if (key !== null) {
      body = asAttrValue(fields.get(key));
      fields.delete(key);
    }
  }

  const resource = takeResource(fields);
  const trace = takeTraceContext(fields);
  const attributes: Attributes = {};
  for (const [k, v] of fields) setOwn(attributes, k, asAttrValue(v));
  return { resource, attributes, severity, timeUnixNano, body, ...trace };
}
