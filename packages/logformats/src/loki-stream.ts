// What Loki's JSON and protobuf pushes share once their framing is decoded: stream labels become the
// resource, and each entry becomes a record. A line that is itself a JSON object (pino-loki sends
// JSON.stringify(log)) is read as NDJSON would read it, so that a pino log looks the same in the store
// whichever way it was shipped: msg becomes the body, the other fields attributes.
import type { AttrValue, Attributes, ResourceLogs, UnixNano } from '@pivot/model';
import { unixNano } from '@pivot/model';
import { fieldsOf, isPlainObject } from './fields.ts';
import type { Fields } from './fields.ts';
import { interpret } from './interpret.ts';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.ts';
import { DEFAULT_MAX_LINE_BYTES } from './limits.ts';
import { observedTime } from './observed-time.ts';
import { buildRecord } from './record.ts';
import { ResourceGroups } from './resource-groups.ts';
import { setOwn } from './set-own.ts';
import { parseSeverity } from './severity.ts';
import type { Severity } from './severity.ts';
import { exceedsBytes, utf8Length } from './utf8-length.ts';

export interface LokiOptions {
  /** Longer lines are refused with an error for their entry. Default 256 KiB, as Loki's max_line_size. */
  maxLineBytes?: number;
  /** Snappy bodies declaring more are refused (413) before decompressing. Default 64 MiB. */
  maxDecompressedBytes?: number;
  observedTimeUnixNano?: bigint;
}

export interface EntryError {
  /** 0-based index of the stream in the push. */
  stream: number;
  /** 0-based index of the entry in its stream; null when the whole stream was refused. */
  entry: number | null;
  message: string;
}

export interface LokiResult {
  resourceLogs: ResourceLogs[];
  accepted: number;
  errors: EntryError[];
}

/**
 * Labels naming the service when there is no service_name label, in the order Loki's own
 * discover_service_name default tries them.
 */
export const SERVICE_NAME_LABELS = [
  'service',
  'app',
  'application',
  'app_name',
  'name',
  'app_kubernetes_io_name',
  'container',
  'container_name',
  'k8s_container_name',
  'component',
  'workload',
  'job',
  'k8s_job_name',
];
/** Stream labels that give the severity of entries whose line and metadata do not. */
const LEVEL_LABELS = ['level', 'detected_level'];

export interface StreamContext {
  index: number;
  resource: Attributes;
  /** service.name from the labels; a line's own service field only counts without it. */
  hasServiceName: boolean;
  severity: Severity | null;
}

export class LokiDecoder {
  private readonly groups = new ResourceGroups();
  private readonly errors: EntryError[] = [];
  private accepted = 0;
  private readonly maxLineBytes: number;
  private readonly observed: UnixNano;

  constructor(opts: LokiOptions) {
    this.maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.observed = observedTime(opts.observedTimeUnixNano);
  }

  stream(index: number, labels: Map<string, string>): StreamContext {
    const resource: Attributes = {};
    let severity: Severity | null = null;
    for (const [name, value] of labels) {
      if (LEVEL_LABELS.includes(name)) severity ??= parseSeverity(value);
      else if (name === 'service_name') resource['service.name'] = value;
      else setOwn(resource, name, value);
    }
    if (!Object.hasOwn(resource, 'service.name')) {
      const label = SERVICE_NAME_LABELS.find((l) => typeof labels.get(l) === 'string');
      if (label !== undefined) resource['service.name'] = labels.get(label)!;
    }
    return { index, resource, hasServiceName: Object.hasOwn(resource, 'service.name'), severity };
  }

  streamError(index: number, message: string): void {
    this.errors.push({ stream: index, entry: null, message });
  }

  entryError(ctx: StreamContext, entry: number, message: string): void {
    this.errors.push({ stream: ctx.index, entry, message });
  }

  /** One entry; `metadata` are its structured metadata pairs (string values, as Loki requires). */
  entry(ctx: StreamContext, index: number, timeUnixNano: bigint, line: string, metadata: [string, string][]): void {
    if (timeUnixNano <= 0n || timeUnixNano >= 2n ** 63n) {
      this.entryError(ctx, index, `timestamp ${timeUnixNano} ns is out of range`);
      return;
    }
    if (exceedsBytes(line, this.maxLineBytes)) {
      this.entryError(ctx, index, `line is ${utf8Length(line)} bytes, over the limit of ${this.maxLineBytes}`);
      return;
    }
    const lineObject = jsonObjectLine(line);
    const fields: Fields = lineObject ? fieldsOf(lineObject) : (new Map() as Fields);
    // Structured metadata is set explicitly by the sender, so it wins over a line field of the same name.
    for (const [k, v] of metadata) fields.set(k, v);
    const it = interpret(fields, { body: lineObject !== null, time: lineObject !== null });

    const resource: Attributes = { ...ctx.resource };
    for (const [k, v] of Object.entries(it.resource)) {
      if (k === 'service.name' && ctx.hasServiceName) continue;
      if (!Object.hasOwn(resource, k)) setOwn(resource, k, v);
    }
    resource['service.name'] ??= 'unknown_service';
    const body: AttrValue = lineObject ? (it.body ?? '') : line;
    this.groups.add(
      resource,
      buildRecord(it, {
        timeUnixNano: unixNano(timeUnixNano),
        observedTimeUnixNano: this.observed,
        body,
        fallbackSeverity: ctx.severity,
      }),
    );
    this.accepted++;
  }

  result(): LokiResult {
    return { resourceLogs: this.groups.toArray(), accepted: this.accepted, errors: this.errors };
  }
}

/** The line as a JSON object, or null when it is plain text (or JSON too deeply nested to keep). */
function jsonObjectLine(line: string): Record<string, unknown> | null {
  const first = line.trimStart();
  if (!first.startsWith('{')) return null;
  try {
    const v: unknown = JSON.parse(line);
    return isPlainObject(v) && !nestsDeeperThan(v, MAX_JSON_DEPTH) ? v : null;
  } catch {
    return null;
  }
}
