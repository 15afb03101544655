// Tails PostgreSQL's log files (PG_LOG_PATHS: files or globs, jsonlog `*.json` or csvlog `*.csv`) into
// the log store. Exactly once, across rotation and restarts:
//   - a file is known by its identity (device:inode), not its name, so a renamed (rotated) file keeps
//     its offset, and one that no longer matches the globs is read to its end through the handle kept
//     open before it is let go;
//   - its first bytes (head) tell a reused inode, or a file truncated and rewritten between two polls,
//     from the file it was; a file shorter than its offset was truncated (copytruncate): read from 0;
//   - only complete entries are read (a csvlog entry may span lines); the records of a chunk and the
//     offset past them are committed in one transaction (PgLogOffsets.commit), so a crash at any point
//     resumes at the last committed offset: nothing lost, nothing stored twice.
// A malformed entry is reported (log line and the rejected counter) and skipped.
import { constants } from 'node:fs';
import { access, open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { ResourceLogs } from '@pivot/model';
import { decodeCsvlog, decodeJsonlog, type PgLogResult } from '@pivot/pglog';
import type { Logger } from '@pivot/server-kit';
import type { PgLogFileOffset, PgServerLogFiles } from '@pivot/store';
import type { IngestMetrics } from './metrics.ts';
import { logsWithin, type TimeWindow } from './time-window.ts';

/** Where offsets and records go: PgLogOffsets of @pivot/store. */
export interface PgLogOffsetStore {
  get(fileKey: string): Promise<PgLogFileOffset | null>;
  commit(batch: ResourceLogs[], offset: PgLogFileOffset): Promise<number>;
  /** Forgets the offsets of files not read for `olderThanMs`; returns how many. */
  forgetOlderThan?(olderThanMs: number): Promise<number>;
}

export interface PgTailOptions {
  /** Files or globs (`*`, `?` in the file name part). */
  paths: readonly string[];
  service: string;
  offsets: PgLogOffsetStore;
  logger: Logger;
  metrics?: IngestMetrics;
  maxLineBytes?: number;
  pollMs?: number;
  /** The times records may carry (time-window.ts); absent: any. */
  timeWindow?: () => TimeWindow;
  /** Bytes read per commit; a longer entry is refused. Default 1 MiB. */
  chunkBytes?: number;
  /**
   * Offsets of files not read for this long are forgotten (RETENTION_LOGS: a file that old holds only
   * entries the time window refuses anyway); 0 or absent: kept forever. Checked every forgetEveryMs (1 h).
   */
  forgetAfterMs?: number;
  forgetEveryMs?: number;
  /** The server's log_timezone (IANA), for timestamps written with a zone abbreviation. */
  timeZone?: string | undefined;
}

export interface TailReport {
  path: string;
  /** Byte offset of the refused entry in the file. */
  offset: number;
  message: string;
}

export interface PollResult {
  /** Records stored by this pass (new rows). */
  stored: number;
  /** Entries refused by this pass. */
  refused: TailReport[];
}

interface OpenFile {
  key: string;
  path: string;
  handle: FileHandle;
  offset: number;
  head: string;
  format: 'jsonlog' | 'csvlog';
}

const HEAD_BYTES = 64;
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const GLOB_CHARS = /[*?[]/;

function globRegExp(pattern: string): RegExp {
  let re = '';
  for (const ch of pattern) re += ch === '*' ? '[^/]*' : ch === '?' ? '[^/]' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${re}$`);
}

/** The files the patterns match now, sorted (a glob only in the file name part). */
export async function expandPaths(patterns: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const p of patterns) {
    if (!GLOB_CHARS.test(basename(p))) {
      out.add(p);
      continue;
    }
    const dir = dirname(p);
    const re = globRegExp(basename(p));
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const n of names.sort()) if (re.test(n)) out.add(join(dir, n));
  }
  return [...out];
}

/** What `PG_LOG_PATHS=auto` found: the globs to tail, or why there are none. */
export interface AutoPaths {
  paths: string[];
  /** The server's log_timezone, for timestamps written with a zone abbreviation. */
  timeZone?: string;
  /** Why nothing (or not jsonlog) is tailed, said at start-up; null when all is well. */
  problem: string | null;
}

/**
 * `PG_LOG_PATHS=auto`: the directory of the server's current jsonlog file (else csvlog), as
 * pg_current_logfile gives it, relative to data_directory unless absolute. Every file of that format
 * in the directory is tailed, so the tailer follows the server's rotations. The files must be readable
 * here: the server runs on this host, or its log directory is mounted.
 */
export async function resolveAutoPaths(files: PgServerLogFiles | null): Promise<AutoPaths> {
  const none = (problem: string): AutoPaths => ({ paths: [], problem });
  if (!files) return none('PG_LOG_PATHS=auto needs PostgreSQL (DATABASE_URL): PGlite writes no server log to tail');
  if (!files.loggingCollector)
    return none(
      "logging_collector is off: the server writes no log file to tail (set logging_collector = on and log_destination = 'jsonlog', then restart the server)",
    );
  const format = files.destinations.includes('jsonlog')
    ? 'jsonlog'
    : files.destinations.includes('csvlog')
      ? 'csvlog'
      : null;
  if (!format)
    return none(
      `log_destination is '${files.destinations.join(',')}': add jsonlog (or csvlog) for the server's lines to be read`,
    );
  if (files.denied)
    return none(
      `cannot ask the server where it logs (superuser or pg_monitor and pg_read_all_settings needed): ${files.denied}; set PG_LOG_PATHS to the files instead`,
    );
  const current = files[format];
  if (!current) return none(`the server names no current ${format} file (pg_current_logfile)`);
  const path = isAbsolute(current) || !files.dataDirectory ? current : join(files.dataDirectory, current);
  const dir = dirname(path);
  const ok = await access(dir, constants.R_OK).then(
    () => true,
    () => false,
  );
  if (!ok)
    return none(
      `the server logs to ${dir}, which cannot be read here (is the server on another host? mount its log directory and set PG_LOG_PATHS)`,
    );
  return {
    paths: [join(dir, format === 'jsonlog' ? '*.json' : '*.csv')],
    timeZone: files.logTimezone,
    problem: null,
  };
}

const formatOf = (path: string, first: number | undefined): 'jsonlog' | 'csvlog' =>
  path.endsWith('.json') ? 'jsonlog' : path.endsWith('.csv') ? 'csvlog' : first === 0x7b ? 'jsonlog' : 'csvlog';

export class PgLogTailer {
  private readonly files = new Map<string, OpenFile>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PollResult> | null = null;
  private closed = false;
  private readonly chunkBytes: number;
  private lastUpkeep = 0;

  constructor(private readonly opts: PgTailOptions) {
    this.chunkBytes = opts.chunkBytes ?? 1024 * 1024;
  }

  /** Polls every pollMs until close(); a failed pass (database down) is logged and retried. */
  start(): void {
    const tick = async () => {
      try {
        await this.poll();
        if (Date.now() - this.lastUpkeep >= (this.opts.forgetEveryMs ?? 3_600_000)) {
          this.lastUpkeep = Date.now();
          await this.upkeep();
        }
      } catch (err) {
        this.opts.logger.warn({ err }, 'PostgreSQL log tail pass failed; retrying');
      }
      if (!this.closed) this.timer = setTimeout(() => void tick(), this.opts.pollMs ?? 1000);
    };
    this.timer = setTimeout(() => void tick(), 0);
  }

  /** One pass over every file; passes never overlap. */
  poll(): Promise<PollResult> {
    const prev = this.running ?? Promise.resolve(null);
    const next = prev.catch(() => null).then(() => this.pass());
    this.running = next;
    return next;
  }

  /**
   * Forgets the offsets of files long gone (pg_log_offsets would otherwise keep a row per rotated file
   * for ever). The files still open are committed again first, so that a file read long ago but still
   * matched keeps its offset: a restart must not read it again from the start.
   */
  async upkeep(): Promise<number> {
    const afterMs = this.opts.forgetAfterMs ?? 0;
    if (!afterMs || !this.opts.offsets.forgetOlderThan) return 0;
    const run = async () => {
      for (const f of this.files.values())
        if (f.offset > 0)
          await this.opts.offsets.commit([], { fileKey: f.key, path: f.path, byteOffset: f.offset, headHex: f.head });
      return this.opts.offsets.forgetOlderThan!(afterMs);
    };
    // Not during a pass, which moves the offsets being committed here.
    const prev = this.running ?? Promise.resolve(null);
    const forgotten = prev.catch(() => null).then(run);
    this.running = forgotten.then(() => ({ stored: 0, refused: [] }));
    const n = await forgotten;
    if (n)
      this.opts.logger.info({ files: n }, 'forgot the offsets of PostgreSQL log files not read within the retention');
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    for (const f of this.files.values()) await f.handle.close().catch(() => undefined);
    this.files.clear();
  }

  private async pass(): Promise<PollResult> {
    const result: PollResult = { stored: 0, refused: [] };
    const current = new Map<string, string>();
    for (const path of await expandPaths(this.opts.paths)) {
      const st = await stat(path).catch(() => null);
      if (!st?.isFile()) continue;
      const key = `${st.dev}:${st.ino}`;
      if (!current.has(key)) current.set(key, path);
    }
    // First the files rotated out of the patterns (renamed, or deleted), read to their end through the
    // handle kept open: their entries are older than the new file's.
    for (const [key, file] of this.files) {
      if (current.has(key)) continue;
      await this.readNew(file, result);
      await file.handle.close().catch(() => undefined);
      this.files.delete(key);
    }
    for (const [key, path] of current) {
      const file = this.files.get(key) ?? (await this.openFile(key, path));
      if (!file) continue;
      file.path = path;
      await this.readNew(file, result);
    }
    return result;
  }

  private async openFile(key: string, path: string): Promise<OpenFile | null> {
    const handle = await open(path, 'r').catch(() => null);
    if (!handle) return null;
    const first = await this.readAt(handle, 0, HEAD_BYTES);
    const saved = await this.opts.offsets.get(key);
    let offset = 0;
    let head = '';
    // The saved head must begin the file: else the inode was reused, or the file rewritten.
    if (saved && hex(first).startsWith(saved.headHex)) {
      offset = saved.byteOffset;
      head = saved.headHex;
    } else if (saved)
      this.opts.logger.info({ path }, 'PostgreSQL log file replaced under the same inode; reading it from the start');
    const file: OpenFile = { key, path, handle, offset, head, format: formatOf(path, first[0]) };
    this.files.set(key, file);
    return file;
  }

  private async readAt(handle: FileHandle, position: number, length: number): Promise<Uint8Array> {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buf, 0, length, position);
    return buf.subarray(0, bytesRead);
  }

  private async readNew(file: OpenFile, result: PollResult): Promise<void> {
    const { size } = await file.handle.stat();
    const first = await this.readAt(file.handle, 0, HEAD_BYTES);
    if (size < file.offset || !hex(first).startsWith(file.head)) {
      this.opts.logger.info(
        { path: file.path, offset: file.offset, size },
        'PostgreSQL log file truncated; reading it from the start',
      );
      file.offset = 0;
      file.head = '';
    }
    while (file.offset < size) {
      const chunk = await this.readAt(file.handle, file.offset, Math.min(this.chunkBytes, size - file.offset));
      if (chunk.length === 0) break;
      const decode = file.format === 'jsonlog' ? decodeJsonlog : decodeCsvlog;
      const out: PgLogResult = decode(chunk, {
        service: this.opts.service,
        final: false,
        ...(this.opts.timeZone ? { timeZone: this.opts.timeZone } : {}),
        ...(this.opts.maxLineBytes ? { maxLineBytes: this.opts.maxLineBytes } : {}),
      });
      let consumed = out.consumedBytes;
      const refused: TailReport[] = out.errors.map((e) => ({
        path: file.path,
        offset: file.offset + e.offset,
        message: e.message,
      }));
      if (consumed === 0) {
        // No complete entry yet: wait for the rest, unless it can never fit in a chunk.
        if (chunk.length < this.chunkBytes) break;
        refused.push({
          path: file.path,
          offset: file.offset,
          message: `entry longer than ${this.chunkBytes} bytes, skipped`,
        });
        consumed = chunk.length;
      }
      let batch = out.resourceLogs;
      let accepted = out.accepted;
      const window = this.opts.timeWindow?.();
      if (window && accepted > 0) {
        const kept = logsWithin(batch, window);
        if (kept.dropped) {
          refused.push({
            path: file.path,
            offset: file.offset,
            message: `${kept.dropped} entries outside the accepted time window, first: ${kept.first}`,
          });
          batch = kept.batch;
          accepted -= kept.dropped;
        }
      }
      const next = file.offset + consumed;
      const head = file.head.length >= HEAD_BYTES * 2 ? file.head : hex(first.subarray(0, Math.min(HEAD_BYTES, next)));
      // Records and offset in one transaction: a failure here leaves both as they were, to be read again.
      const stored = await this.opts.offsets.commit(batch, {
        fileKey: file.key,
        path: file.path,
        byteOffset: next,
        headHex: head,
      });
      file.offset = next;
      file.head = head;
      result.stored += stored;
      result.refused.push(...refused);
      this.opts.metrics?.accepted.inc({ signal: 'logs' }, accepted);
      // Refused lines, a skipped oversized entry, and records outside the time window.
      const rejected = out.errors.length + (out.consumedBytes === 0 ? 1 : 0) + (out.accepted - accepted);
      if (rejected) this.opts.metrics?.rejected.inc({ signal: 'logs', reason: 'invalid' }, rejected);
      for (const r of refused) this.opts.logger.warn(r, 'refused a PostgreSQL log entry');
    }
  }
}
