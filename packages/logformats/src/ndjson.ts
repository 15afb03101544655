// Newline-delimited JSON logs, as pino (and most structured loggers) write them: one object per line.
// A bad line is reported with its 1-based number and the others are kept; nothing here throws.
import type { ResourceLogs } from '@pivot/model';
import { fieldsOf, isPlainObject } from './fields.ts';
import { interpret } from './interpret.ts';
import { DEFAULT_MAX_LINE_BYTES } from './limits.ts';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.ts';
import { observedTime } from './observed-time.ts';
import { buildRecord } from './record.ts';
import { ResourceGroups } from './resource-groups.ts';
import { exceedsBytes, utf8Length } from './utf8-length.ts';

export interface NdjsonOptions {
  /** service.name for lines that name no service (`service.name` or `service` field). */
  service?: string;
  /** Longer lines are refused with an error, not truncated. Default 256 KiB. */
  maxLineBytes?: number;
  /** Receive time; also the record time of lines without a usable `time`. Default: now. */
  observedTimeUnixNano?: bigint;
}

export interface LineError {
  /** 1-based line number. */
  line: number;
  message: string;
}

export interface NdjsonResult {
  resourceLogs: ResourceLogs[];
  accepted: number;
  errors: LineError[];
}

const lossyUtf8 = new TextDecoder();
const MAX_MESSAGE = 200;

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`);
const shorten = (s: string): string => (s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}…` : s);

export function decodeNdjson(body: string | Uint8Array, opts: NdjsonOptions = {}): NdjsonResult {
  const text = typeof body === 'string' ? body.replace(/^\uFEFF/, '') : lossyUtf8.decode(body);
  const maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const observed = observedTime(opts.observedTimeUnixNano);
  const groups = new ResourceGroups();
  const errors: LineError[] = [];
  let accepted = 0;

  const decodeLine = (line: string, lineNo: number): void => {
    if (exceedsBytes(line, maxLineBytes)) {
      errors.push({ line: lineNo, message: `line is ${utf8Length(line)} bytes, over the limit of ${maxLineBytes}` });
      return;
    }
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      errors.push({ line: lineNo, message: shorten(`invalid JSON: ${(err as Error).message}`) });
      return;
    }
    if (!isPlainObject(value)) {
      errors.push({ line: lineNo, message: `expected a JSON object, got ${kindOf(value)}` });
      return;
    }
    if (nestsDeeperThan(value, MAX_JSON_DEPTH)) {
      errors.push({ line: lineNo, message: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` });
      return;
    }
    const it = interpret(fieldsOf(value), { body: true, time: true });
    const resource = { ...it.resource };
    resource['service.name'] ??= opts.service || 'unknown_service';
    groups.add(
      resource,
      buildRecord(it, {
        timeUnixNano: it.timeUnixNano ?? observed,
        observedTimeUnixNano: observed,
        body: it.body ?? '',
      }),
    );
    accepted++;
  };

  let lineNo = 0;
  for (let start = 0; start <= text.length;) {
    let nl = text.indexOf('\n', start);
    if (nl === -1) nl = text.length;
    const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    decodeLine(text.slice(start, end), ++lineNo);
    start = nl + 1;
  }
  return { resourceLogs: groups.toArray(), accepted, errors };
}
