// Shared by both decoders: options, the result shape, and turning entries into one ResourceLogs.
import { unixNano, type LogRecord, type ResourceLogs, type UnixNano } from '@pivot/model';
import { interpretEntry, type PgLogEntry } from './interpret.ts';
import { parsePgTimestamp } from './timestamp.ts';

/** Loki's default max_line_size, as for the other log formats. */
export const DEFAULT_MAX_LINE_BYTES = 256 * 1024;
export const DEFAULT_SERVICE = 'postgresql';
/** One scope for both formats: an entry shipped as jsonlog and as csvlog is the same row (same content hash). */
const SCOPE = 'postgresql';

export interface PgLogOptions {
  /** service.name of the records (PG_LOG_SERVICE). Default `postgresql`. */
  service?: string;
  /** A longer entry is refused with an error, not truncated. Default 256 KiB. */
  maxLineBytes?: number;
  /** Receive time; also the time of an entry whose timestamp cannot be read. Default: now. */
  observedTimeUnixNano?: bigint;
  /**
   * true (default): the bytes are complete, a last entry without its newline is read too. false (a
   * file being tailed): it is left for the next read, and `consumedBytes` stops before it.
   */
  final?: boolean;
  /**
   * The server's log_timezone (an IANA name such as `Europe/Paris`), to read timestamps written with a
   * zone abbreviation (`CET`); UTC and numeric offsets need none. Unset: such an entry gets the observed time.
   */
  timeZone?: string;
}

export interface PgLogError {
  /** 1-based line of the bytes where the entry starts. */
  line: number;
  /** Byte offset in the bytes where the entry starts. */
  offset: number;
  message: string;
}

export interface PgLogResult {
  resourceLogs: ResourceLogs[];
  accepted: number;
  errors: PgLogError[];
  /** Bytes read up to the end of the last complete entry (all of them when `final`). */
  consumedBytes: number;
}

export class RecordCollector {
  private readonly records: LogRecord[] = [];
  private readonly observed: UnixNano;

  constructor(private readonly opts: PgLogOptions) {
    this.observed = unixNano(opts.observedTimeUnixNano ?? BigInt(Date.now()) * 1_000_000n);
  }

  add(e: PgLogEntry): void {
    const it = interpretEntry(e);
    this.records.push({
      timeUnixNano: parsePgTimestamp(e.timestamp, this.opts.timeZone) ?? this.observed,
      observedTimeUnixNano: this.observed,
      severityNumber: it.severity.number,
      severityText: it.severity.text,
      body: it.body,
      attributes: it.attributes,
      droppedAttributesCount: 0,
      flags: it.flags,
      traceId: it.traceId,
      spanId: it.spanId,
      eventName: '',
    });
  }

  get count(): number {
    return this.records.length;
  }

  toResourceLogs(): ResourceLogs[] {
    if (!this.records.length) return [];
    return [
      {
        resource: {
          attributes: { 'service.name': this.opts.service || DEFAULT_SERVICE, 'db.system': 'postgresql' },
          droppedAttributesCount: 0,
        },
        scopeLogs: [{ scope: { name: SCOPE, version: '', attributes: {} }, logRecords: this.records }],
      },
    ];
  }
}
