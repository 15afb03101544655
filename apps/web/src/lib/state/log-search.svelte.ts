// The logs page's state: a newest-first result list paged by cursor (infinite scroll), the severity
// histogram, and the live tail (server-sent events) that prepends new records. The logs of one trace
// (a trace ID and no time range) are read as the trace page reads them: all of them, oldest first,
// with the histogram over the trace's own window.
import { api, ApiError, isAbort, query } from '../api/client.ts';
import type { LogRecord } from '@pivot/api-types';
import { makeBuckets, niceStepMs, stackByBucket } from '../model/bucketing.ts';
import { carriesTraceId } from '../model/db-logs.ts';
import { SEVERITIES, logMatches, mergeNewestFirst, mergeOldestFirst, severityOf } from '../model/logs.ts';
import { nsStringToMs } from '../model/units.ts';

export interface LogQuery {
  traceId?: string | undefined;
  service?: string | undefined;
  q?: string | undefined;
  severity?: string | undefined;
  /** Facet filters as the API names them (level, not.service, attr.<key>, not.attr.<key>…). */
  filters?: Record<string, string[]> | undefined;
  /** Unix ms; absent for a trace's logs, which are not bounded in time. */
  startMs?: number | undefined;
  endMs?: number | undefined;
}

export interface Histogram {
  starts: number[];
  stepMs: number;
  stack: Map<string, number[]>;
  /** False when computed from the loaded page only (no stats endpoint). */
  complete: boolean;
}

const PAGE = 100;
const MAX_ROWS = 5000;
const TRACE_LOGS_MAX = 10_000;

/** Records an NDJSON export asks for (the API's default bound). */
export const EXPORT_LIMIT = 10_000;

function params(q: LogQuery) {
  return {
    ...q.filters,
    traceId: q.traceId,
    service: q.service,
    q: q.q,
    severity: q.severity,
    start: q.startMs !== undefined ? Math.floor(q.startMs) : undefined,
    end: q.endMs !== undefined ? Math.ceil(q.endMs) : undefined,
  };
}

/** A trace ID without a time range: the whole trace, however old. */
export const traceMode = (q: LogQuery): boolean => !!q.traceId && q.startMs === undefined;

/** The URL of the search's result as NDJSON (a download, newest first, at most EXPORT_LIMIT records). */
export function exportUrl(q: LogQuery): string {
  return `/api/logs${query({ ...params(q), format: 'ndjson', limit: EXPORT_LIMIT })}`;
}

export class LogSearch {
  logs = $state.raw<LogRecord[]>([]);
  nextCursor = $state<string | null>(null);
  loading = $state(false);
  loadingMore = $state(false);
  error = $state.raw<unknown>(undefined);
  histogram = $state.raw<Histogram | null>(null);
  live = $state(false);
  liveError = $state<string | null>(null);
  /** The logs of one trace, oldest first (see traceMode). */
  oldestFirst = $state(false);
  truncated = $state(false);
  /** A paused tail keeps receiving: the new records wait here (newest first) and are counted. */
  paused = $state(false);
  pending = $state.raw<LogRecord[]>([]);
  #query: LogQuery = {};
  #ctrl: AbortController | undefined;
  #source: EventSource | undefined;

  async search(q: LogQuery): Promise<void> {
    this.#query = q;
    this.#ctrl?.abort();
    const ctrl = new AbortController();
    this.#ctrl = ctrl;
    this.loading = true;
    this.error = undefined;
    this.oldestFirst = traceMode(q);
    if (this.oldestFirst) return this.searchTrace(q, ctrl);
    try {
      const [page] = await Promise.all([
        api.logs({ ...params(q), limit: PAGE }, ctrl.signal),
        this.loadHistogram(q, ctrl.signal),
      ]);
      if (ctrl.signal.aborted) return;
      this.logs = page.logs ?? [];
      this.nextCursor = page.nextCursor ?? null;
      if (!this.histogram?.complete) this.histogram = this.localHistogram();
    } catch (e) {
      if (isAbort(e) || ctrl.signal.aborted) return;
      this.error = e;
      this.logs = [];
      this.nextCursor = null;
    } finally {
      if (this.#ctrl === ctrl) this.loading = false;
    }
  }

  /** All the logs of one trace, as /api/traces/{id}/logs gives them (oldest first), filtered here. */
  private async searchTrace(q: LogQuery, ctrl: AbortController): Promise<void> {
    try {
      const res = await api.traceLogs(q.traceId!, ctrl.signal, TRACE_LOGS_MAX);
      if (ctrl.signal.aborted) return;
      // Records that carry the trace ID, as /api/logs?traceId= finds them: not the inferred server lines.
      this.logs = (res.logs ?? []).filter((l) => carriesTraceId(l) && logMatches(l, q));
      this.truncated = res.truncated === true;
      this.nextCursor = null;
      this.histogram = this.localHistogram();
    } catch (e) {
      if (isAbort(e) || ctrl.signal.aborted) return;
      this.error = e;
      this.logs = [];
      this.histogram = null;
    } finally {
      if (this.#ctrl === ctrl) this.loading = false;
    }
  }

  async more(): Promise<void> {
    if (!this.nextCursor || this.loadingMore || this.loading || this.logs.length >= MAX_ROWS) return;
    const ctrl = this.#ctrl;
    this.loadingMore = true;
    try {
      const page = await api.logs({ ...params(this.#query), limit: PAGE, cursor: this.nextCursor }, ctrl?.signal);
      if (ctrl?.signal.aborted) return;
      this.logs = [...this.logs, ...(page.logs ?? [])];
      this.nextCursor = page.nextCursor ?? null;
      if (!this.histogram?.complete) this.histogram = this.localHistogram();
    } catch (e) {
      if (!isAbort(e)) this.error = e;
    } finally {
      this.loadingMore = false;
    }
  }

  private async loadHistogram(q: LogQuery, signal: AbortSignal): Promise<void> {
    try {
      const res = (await api.logStats(params(q), signal)) as {
        stepNano?: string;
        buckets?: { timeUnixNano: string; counts: Record<string, number> }[];
      };
      if (!Array.isArray(res.buckets)) throw new Error('unexpected stats shape');
      const stack = new Map<string, number[]>();
      for (const s of SEVERITIES)
        stack.set(
          s,
          res.buckets.map((b) => b.counts?.[s] ?? 0),
        );
      this.histogram = {
        starts: res.buckets.map((b) => nsStringToMs(b.timeUnixNano)),
        stepMs: Number(res.stepNano ?? 0) / 1e6,
        stack,
        complete: true,
      };
    } catch (e) {
      if (isAbort(e)) throw e;
      // No stats endpoint (or an error there): count what the list has loaded instead.
      this.histogram = null;
      if (!(e instanceof ApiError)) console.warn('log stats', e);
    }
  }

  private localHistogram(): Histogram | null {
    if (this.logs.length === 0) return null;
    const times = this.logs.map((l) => nsStringToMs(l.timeUnixNano));
    let start = this.#query.startMs ?? Math.min(...times);
    let end = this.#query.endMs ?? Math.max(...times) + 1;
    if (this.#query.startMs === undefined) {
      // The window of the records themselves (one trace's), with a little room on each side.
      const pad = Math.max(5, (end - start) * 0.05);
      [start, end] = [start - pad, end + pad];
    }
    const minStep = this.#query.startMs === undefined ? 1 : 1000;
    const b = makeBuckets(start, end, niceStepMs(Math.max(minStep, end - start), 60, minStep));
    return {
      starts: b.starts,
      stepMs: b.stepMs,
      stack: stackByBucket(
        b,
        this.logs,
        (l) => nsStringToMs(l.timeUnixNano),
        (l) => severityOf(l),
        SEVERITIES,
      ),
      complete: false,
    };
  }

  /** Stops showing new tail records (they are still received and counted) or shows them again. */
  setPaused(on: boolean): void {
    this.paused = on;
    if (on || this.pending.length === 0) return;
    this.logs = this.oldestFirst
      ? mergeOldestFirst(this.logs, this.pending, TRACE_LOGS_MAX)
      : mergeNewestFirst(this.logs, this.pending, MAX_ROWS);
    this.pending = [];
  }

  setLive(on: boolean): void {
    this.#source?.close();
    this.#source = undefined;
    this.paused = false;
    this.pending = [];
    this.live = on;
    this.liveError = null;
    if (!on) return;
    const { startMs: _s, endMs: _e, ...rest } = this.#query;
    const src = new EventSource(`/api/logs/tail${query(params(rest))}`);
    this.#source = src;
    src.addEventListener('logs', (ev) => {
      try {
        const data = JSON.parse((ev as MessageEvent<string>).data) as { logs?: LogRecord[] };
        const fresh = data.logs ?? [];
        if (fresh.length && this.paused) this.pending = mergeNewestFirst(this.pending, fresh, MAX_ROWS);
        else if (fresh.length)
          this.logs = this.oldestFirst
            ? mergeOldestFirst(this.logs, fresh, TRACE_LOGS_MAX)
            : mergeNewestFirst(this.logs, fresh, MAX_ROWS);
        this.liveError = null;
      } catch {
        // a malformed event is skipped; the next one may be fine
      }
    });
    src.addEventListener('error', (ev) => {
      const data = (ev as MessageEvent<string>).data;
      // EventSource reconnects by itself (resuming from the last event ID); say so meanwhile.
      this.liveError = data
        ? ((JSON.parse(data) as { error?: string }).error ?? 'tail error')
        : src.readyState === EventSource.CLOSED
          ? 'live tail unavailable on this server'
          : 'reconnecting…';
      if (src.readyState === EventSource.CLOSED) this.live = false;
    });
    src.addEventListener('ready', () => (this.liveError = null));
  }

  destroy(): void {
    this.#ctrl?.abort();
    this.#source?.close();
  }
}
