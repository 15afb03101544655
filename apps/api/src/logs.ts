// Log routes: search with stable pagination, the logs of one trace, a live tail over Server-Sent
// Events, and counts by severity over time for the histogram above the results.
import { Hono, type Context } from 'hono';
import { stream, streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { parseSpanId, unixNano, type UnixNano } from '@pivot/model';
import {
  DEFAULT_LOG_FACET_LIMIT,
  DatabaseUnavailableError,
  SEVERITY_BANDS,
  parseLogText,
  type FacetQueries,
  type LogCursor,
  type LogFilter,
  type LogQueries,
  type SeverityBand,
  type StoredLog,
} from '@pivot/store';
import { HttpError, badRequest, notFound, type AppEnv, type Logger } from '@pivot/server-kit';
import { attrPairs, parseDurationNs, parseLimit, parseTimeNs, traceIdParam } from './params.ts';

export interface LogRouteOptions {
  /** How often a live tail polls the store. */
  tailIntervalMs?: number;
  /** Where a tail that fails for an unexpected reason is reported (the client only hears "internal error"). */
  logger?: Logger;
  /** With login on: a tail ends when its session does (logout, expiry), and is counted per user. */
  session?: { stillValid(c: Context): Promise<boolean>; owner(c: Context): string | null };
  /** Live tails open at once, in the process and per user (each polls the database every tick). */
  maxTails?: number;
  maxTailsPerUser?: number;
  /** Shared with other tails (the Loki WebSocket); built from maxTails/maxTailsPerUser when absent. */
  tailSlots?: TailSlots;
  /** GET /api/logs/facets; absent: that route answers 404. */
  facets?: FacetQueries;
}

export const DEFAULT_MAX_TAILS = 64;
export const DEFAULT_MAX_TAILS_PER_USER = 4;

/**
 * The live tails open in the process and per user. One is shared by every kind of tail (this SSE one and
 * the Loki WebSocket), since each polls the database every tick whichever protocol carries it.
 */
export class TailSlots {
  private open = 0;
  private readonly byOwner = new Map<string, number>();
  constructor(
    readonly max = DEFAULT_MAX_TAILS,
    readonly maxPerUser = DEFAULT_MAX_TAILS_PER_USER,
  ) {}

  /** 429 when the process or the user has no slot left. */
  check(owner: string): void {
    const mine = this.byOwner.get(owner) ?? 0;
    if (this.open >= this.max)
      throw new HttpError(429, `${this.max} live tails are open on this server; close one or retry later`, {
        'Retry-After': '10',
      });
    if (mine >= this.maxPerUser)
      throw new HttpError(429, `you have ${mine} live tails open (at most ${this.maxPerUser}); close one first`, {
        'Retry-After': '10',
      });
  }

  /** Takes a slot (after check); the returned function gives it back, once. */
  take(owner: string): () => void {
    this.check(owner);
    this.open++;
    this.byOwner.set(owner, (this.byOwner.get(owner) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open--;
      const n = (this.byOwner.get(owner) ?? 1) - 1;
      if (n > 0) this.byOwner.set(owner, n);
      else this.byOwner.delete(owner);
    };
  }
}

const SEVERITY_NAMES: Record<string, number> = {
  trace: 1,
  debug: 5,
  info: 9,
  warn: 13,
  warning: 13,
  error: 17,
  fatal: 21,
};
const NS_PER_MS = 1_000_000n;
const MIN_FINGERPRINT = -(2n ** 63n);
/** Rows committed out of time order (concurrent group commits) still reach a tail this late. */
const TAIL_LOOKBACK_NS = 2_000n * NS_PER_MS;
/**
 * Keys a tail remembers so as not to repeat the rows of its look-back window. Every poll re-reads that
 * window, so past this many (a very busy filter) the tail gives up the look-back rather than load the
 * database with it.
 */
const TAIL_MAX_SEEN = 1_000;
const TAIL_KEEPALIVE_MS = 15_000;
const STATS_TARGET_BUCKETS = 60n;
const STATS_MAX_BUCKETS = 11_000n;
/** Bucket widths the automatic step rounds up to, in ms. */
const NICE_STEPS_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5, 108e5,
  216e5, 432e5, 864e5,
].map((ms) => BigInt(ms) * NS_PER_MS);

export function logJson(l: StoredLog) {
  return {
    /** The record's key, for /api/logs/context (the same encoding as a cursor). */
    id: encodeCursor({ timeNs: l.timeUnixNano, fingerprint: l.fingerprint }),
    timeUnixNano: l.timeUnixNano.toString(),
    observedTimeUnixNano: l.observedTimeUnixNano.toString(),
    severityNumber: l.severityNumber,
    severityText: l.severityText,
    body: l.body,
    attributes: l.attributes,
    traceId: l.traceId,
    spanId: l.spanId,
    traceFlags: l.traceFlags,
    service: l.service,
    resource: l.resource,
    scope: l.scope,
    eventName: l.eventName,
    droppedAttributesCount: l.droppedAttributesCount,
  };
}

/** Cursors are opaque to clients: base64url of "<time_ns>.<fingerprint>". */
export function encodeCursor(c: LogCursor): string {
  return Buffer.from(`${c.timeNs}.${c.fingerprint}`).toString('base64url');
}

export function decodeCursor(name: string, raw: string): LogCursor {
  const m = /^(\d{1,19})\.(-?\d{1,19})$/.exec(Buffer.from(raw, 'base64url').toString('latin1'));
  const cursor = m ? { timeNs: unixNano(BigInt(m[1]!)), fingerprint: BigInt(m[2]!) } : null;
  if (!cursor || cursor.fingerprint < MIN_FINGERPRINT || cursor.fingerprint >= 2n ** 63n)
    throw badRequest(`${name}: not a cursor this API returned`);
  return cursor;
}

function parseSeverity(raw: string): number {
  const s = raw.trim().toLowerCase();
  if (/^\d+$/.test(s) && Number(s) >= 1 && Number(s) <= 24) return Number(s);
  const n = Object.hasOwn(SEVERITY_NAMES, s) ? SEVERITY_NAMES[s] : undefined;
  if (n === undefined)
    throw badRequest(`severity: expected trace, debug, info, warn, error, fatal or a number 1-24, got "${raw}"`);
  return n;
}

function parseBand(name: string, raw: string): SeverityBand {
  const band = SEVERITY_BANDS.find((b) => b === raw.trim().toUpperCase());
  if (!band) throw badRequest(`${name}: expected one of ${SEVERITY_BANDS.join(', ')}, got "${raw.slice(0, 50)}"`);
  return band;
}

/** The filters every log route shares, from the query string. */
export function parseLogFilter(c: Context): LogFilter {
  const q = c.req.query();
  const f: LogFilter = {};
  if (q.traceId) {
    f.traceId = traceIdParam(q.traceId);
  }
  if (q.spanId) {
    const id = parseSpanId(q.spanId);
    if (!id) throw badRequest(`spanId: "${q.spanId}" is not a span ID (16 hex characters, not all zero)`);
    if (!f.traceId) throw badRequest('spanId: give traceId too (span IDs are only unique within a trace)');
    f.spanId = id;
  }
  if (q.service) f.service = q.service;
  if (q.severity) f.minSeverity = parseSeverity(q.severity);
  if (q.q) {
    const text = parseLogText(q.q);
    if (!text.ok) throw badRequest(`q: ${text.message}`);
    f.include = text.include;
    f.exclude = text.exclude;
  }
  const all = c.req.queries();
  const attributes = attrPairs(all, 'attr.');
  if (attributes.length) f.attributes = attributes;
  // A facet's exclusions, and severity bands as the facet names them (severity= stays a minimum).
  const excludeAttributes = attrPairs(all, 'not.attr.');
  if (excludeAttributes.length) f.excludeAttributes = excludeAttributes;
  if (all['not.service']?.length) f.excludeServices = all['not.service'];
  if (all.level?.length) f.levels = all.level.map((v) => parseBand('level', v));
  if (all['not.level']?.length) f.excludeLevels = all['not.level'].map((v) => parseBand('not.level', v));
  if (q.start) f.startNs = parseTimeNs('start', q.start);
  if (q.end) f.endNs = parseTimeNs('end', q.end);
  return f;
}

export const MAX_LOG_FACET_LIMIT = 100_000;
const DEFAULT_CONTEXT_LINES = 5;
const MAX_CONTEXT_LINES = 200;
/** Records an NDJSON export writes when no limit is given, and at most. */
export const DEFAULT_EXPORT_LIMIT = 10_000;
export const MAX_EXPORT_LIMIT = 100_000;
const EXPORT_PAGE = 1_000;

/**
 * The search's records, newest first, one JSON object a line, read page by page as the client takes
 * them (so memory stays one page whatever the limit). A last line `{"truncated":true}` is not written:
 * the X-Pivot-Limit header says the bound, and a file with exactly that many lines may have been cut.
 */
function exportNdjson(c: Context, queries: LogQueries, filter: LogFilter) {
  const limit = parseLimit(c.req.query('limit'), DEFAULT_EXPORT_LIMIT, MAX_EXPORT_LIMIT);
  c.header('content-type', 'application/x-ndjson; charset=UTF-8');
  c.header('content-disposition', 'attachment; filename="logs.ndjson"');
  c.header('x-pivot-limit', String(limit));
  return stream(c, async (out) => {
    let aborted = false;
    out.onAbort(() => {
      aborted = true;
    });
    let cursor: LogCursor | undefined;
    let left = limit;
    while (left > 0 && !aborted) {
      const page = await queries.search(filter, { limit: Math.min(EXPORT_PAGE, left), cursor });
      if (page.logs.length) await out.write(page.logs.map((l) => `${JSON.stringify(logJson(l))}\n`).join(''));
      left -= page.logs.length;
      if (!page.next) break;
      cursor = page.next;
    }
  });
}

const nowNs = (): UnixNano => unixNano(BigInt(Date.now()) * NS_PER_MS);
const keyOf = (l: StoredLog) => `${l.timeUnixNano}.${l.fingerprint}`;
const isAfter = (a: LogCursor, b: LogCursor) =>
  a.timeNs > b.timeNs || (a.timeNs === b.timeNs && a.fingerprint > b.fingerprint);

/** The automatic step: the range in about 60 buckets, rounded up to a round width. */
function autoStep(rangeNs: bigint): bigint {
  const raw = (rangeNs + STATS_TARGET_BUCKETS - 1n) / STATS_TARGET_BUCKETS;
  const nice = NICE_STEPS_MS.find((s) => s >= raw);
  if (nice !== undefined) return nice;
  const day = NICE_STEPS_MS.at(-1)!;
  return ((raw + day - 1n) / day) * day;
}

/**
 * Polls for rows after the newest one sent. Rows whose commit lands after a newer row was already
 * sent (two group commits finishing out of order) are still picked up within TAIL_LOOKBACK_NS: the
 * query reaches that far back and the keys already sent are skipped.
 */
async function runTail(
  stream: SSEStreamingApi,
  queries: LogQueries,
  filter: LogFilter,
  start: LogCursor,
  limit: number,
  intervalMs: number,
  stillValid: () => Promise<boolean>,
): Promise<void> {
  let aborted = false;
  let wake: (() => void) | undefined;
  stream.onAbort(() => {
    aborted = true;
    wake?.();
  });
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  const seen = new Map<string, bigint>();
  let newest = start;
  let floor = start;
  let quietMs = 0;
  let failing = false;
  await stream.writeSSE({
    event: 'ready',
    data: JSON.stringify({ cursor: encodeCursor(start) }),
    id: encodeCursor(start),
  });
  while (!aborted) {
    if (!(await stillValid())) {
      await stream.writeSSE({ event: 'end', data: JSON.stringify({ reason: 'session ended: log in again' }) });
      return;
    }
    let full = false;
    try {
      const back: LogCursor = { timeNs: unixNano(newest.timeNs - TAIL_LOOKBACK_NS), fingerprint: MIN_FINGERPRINT };
      const fetchLimit = limit + seen.size;
      const rows = await queries.after(filter, isAfter(back, floor) ? back : floor, fetchLimit);
      full = rows.length === fetchLimit;
      const fresh = rows.filter((r) => !seen.has(keyOf(r))).slice(0, limit);
      for (const r of fresh) {
        seen.set(keyOf(r), r.timeUnixNano);
        const c = { timeNs: r.timeUnixNano, fingerprint: r.fingerprint };
        if (isAfter(c, newest)) newest = c;
      }
      for (const [k, t] of seen) if (t < newest.timeNs - TAIL_LOOKBACK_NS) seen.delete(k);
      if (seen.size > TAIL_MAX_SEEN) {
        seen.clear();
        floor = newest;
      }
      failing = false;
      if (fresh.length && !aborted) {
        await stream.writeSSE({
          event: 'logs',
          data: JSON.stringify({ logs: fresh.map(logJson) }),
          id: encodeCursor(newest),
        });
        quietMs = 0;
      }
    } catch (err) {
      if (!(err instanceof DatabaseUnavailableError)) throw err;
      // Said once per outage; the tail keeps polling and resumes where it was.
      if (!failing) await stream.writeSSE({ event: 'error', data: JSON.stringify({ error: err.message }) });
      failing = true;
    }
    if (!aborted && quietMs >= TAIL_KEEPALIVE_MS) {
      // A comment line: keeps proxies from closing an idle stream, and finds a client that left.
      await stream.write(': keep-alive\n\n');
      quietMs = 0;
    }
    // A full page means the tail is behind: the next one comes sooner, still bounded per tick.
    const wait = full ? Math.min(100, intervalMs) : intervalMs;
    await sleep(wait);
    quietMs += wait;
  }
}

export function logRoutes(queries: LogQueries, opts: LogRouteOptions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const tailIntervalMs = opts.tailIntervalMs ?? 1000;
  const slots = opts.tailSlots ?? new TailSlots(opts.maxTails, opts.maxTailsPerUser);

  app.get('/api/logs', async (c) => {
    const filter = parseLogFilter(c);
    if (c.req.query('format') === 'ndjson') return exportNdjson(c, queries, filter);
    const cursor = c.req.query('cursor') ? decodeCursor('cursor', c.req.query('cursor')!) : undefined;
    const page = await queries.search(filter, { limit: parseLimit(c.req.query('limit'), 100, 1000), cursor });
    return c.json({ logs: page.logs.map(logJson), nextCursor: page.next ? encodeCursor(page.next) : null });
  });

  app.get('/api/logs/facets', async (c) => {
    if (!opts.facets) throw notFound('no route for GET /api/logs/facets');
    const filter = parseLogFilter(c);
    const limit = parseLimit(c.req.query('limit'), DEFAULT_LOG_FACET_LIMIT, MAX_LOG_FACET_LIMIT);
    return c.json(await opts.facets.logs(filter, { limit }));
  });

  app.get('/api/logs/context', async (c) => {
    const raw = c.req.query('id');
    if (!raw) throw badRequest('id: give the id of a log record (as /api/logs returns it)');
    const key = decodeCursor('id', raw);
    const count = (name: string) => {
      const v = c.req.query(name);
      if (v === undefined || v === '') return DEFAULT_CONTEXT_LINES;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw badRequest(`${name}: must be a whole number, got "${v.slice(0, 50)}"`);
      return Math.min(n, MAX_CONTEXT_LINES);
    };
    const ctx = await queries.context(key, { before: count('before'), after: count('after') });
    if (!ctx) throw notFound(`no log record with id ${raw}`);
    return c.json({ before: ctx.before.map(logJson), record: logJson(ctx.record), after: ctx.after.map(logJson) });
  });

  app.get('/api/logs/stats', async (c) => {
    const filter = parseLogFilter(c);
    const endNs = filter.endNs ?? nowNs();
    const startNs = filter.startNs ?? unixNano(endNs - 3_600_000n * NS_PER_MS);
    if (startNs >= endNs) throw badRequest('start: must be before end');
    const step = c.req.query('step');
    const stepNs = step ? parseDurationNs('step', step) : autoStep(endNs - startNs);
    if (stepNs <= 0n) throw badRequest('step: must be positive');
    if ((endNs - startNs) / stepNs >= STATS_MAX_BUCKETS)
      throw badRequest(`step: more than ${STATS_MAX_BUCKETS} buckets; use a larger step`);
    const buckets = await queries.stats(filter, { startNs, endNs, stepNs });
    return c.json({
      startTimeUnixNano: startNs.toString(),
      endTimeUnixNano: endNs.toString(),
      stepNano: stepNs.toString(),
      buckets: buckets.map((b) => ({ timeUnixNano: b.startNs.toString(), total: b.total, counts: b.counts })),
    });
  });

  app.get('/api/logs/tail', (c) => {
    const filter = parseLogFilter(c);
    const limit = parseLimit(c.req.query('limit'), 100, 1000);
    // A reconnecting EventSource sends the last id it saw: resume right after it.
    const lastId = c.req.header('last-event-id');
    const start: LogCursor = lastId
      ? decodeCursor('Last-Event-ID', lastId)
      : { timeNs: filter.startNs ?? nowNs(), fingerprint: MIN_FINGERPRINT };
    // The tail has no end, and its start is where it begins, not a bound on every poll.
    const tailFilter: LogFilter = { ...filter, startNs: undefined, endNs: undefined };
    const owner = opts.session?.owner(c) ?? '';
    const release = slots.take(owner);
    const stillValid = async () => (await opts.session?.stillValid(c)) ?? true;
    return streamSSE(c, async (stream) => {
      try {
        await runTail(stream, queries, tailFilter, start, limit, tailIntervalMs, stillValid);
      } catch (err) {
        opts.logger?.error({ reqId: c.get('requestId'), err }, 'log tail failed');
        await stream.writeSSE({
          event: 'error',
          data: JSON.stringify({ error: 'internal error', requestId: c.get('requestId') }),
        });
      } finally {
        release();
      }
    });
  });

  app.get('/api/traces/:traceId/logs', async (c) => {
    const traceId = traceIdParam(c.req.param('traceId'));
    const limit = parseLimit(c.req.query('limit'), 1000, 10_000);
    const [logs, inferred] = await Promise.all([
      queries.byTrace(traceId, { limit: limit + 1 }),
      queries.inferredServerLogs(traceId),
    ]);
    // The database's own lines for the trace's statements: those the statement's sqlcommenter comment
    // linked are ordinary logs of the trace (marked); those linked by inference get the span's IDs here
    // and `link: "inferred"`. Both kinds, merged in time order.
    const rows = [
      ...logs.map((l) => ({
        t: l.timeUnixNano,
        json: l.attributes['pg.link'] === 'sqlcommenter' ? { ...logJson(l), link: 'sqlcommenter' } : logJson(l),
      })),
      ...inferred.map((i) => ({
        t: i.log.timeUnixNano,
        json: { ...logJson(i.log), traceId, spanId: i.spanId, link: 'inferred' },
      })),
    ].sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
    return c.json({
      traceId,
      logs: rows.slice(0, limit).map((r) => r.json),
      truncated: logs.length > limit || rows.length > limit,
    });
  });
  return app;
}
