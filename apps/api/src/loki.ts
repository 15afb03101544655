// The Loki HTTP API (/loki/api/v1/*) over pivot's logs, so Grafana's Loki data source works unmodified.
// What Grafana sends and parses, followed here:
//   grafana/grafana pkg/tsdb/loki/api.go (makeDataRequest: query, direction, limit, start/end in ns,
//     step as "<n>ms", time for instant queries; X-Query-Tags; errors read from a JSON `message`),
//   pkg/tsdb/loki/healthcheck.go (the instant query vector(1)+vector(1) must answer 2),
//   pkg/tsdb/loki/testdata/streams_structured_metadata.json (categorize-labels: encodingFlags and a third
//     value per entry with structuredMetadata and parsed),
//   public/app/plugins/datasource/loki/LanguageProvider.ts and datasource.ts (labels, label/{name}/values,
//     series with match[], index/stats, index/volume, index/volume_range, detected_fields, all with
//     start/end in ns and an optional query).
import { Hono, type Context } from 'hono';
import { upgradeWebSocket } from '@hono/node-server';
import type { WSContext } from 'hono/ws';
import { unixNano, type UnixNano } from '@pivot/model';
import {
  LogQLError,
  evalMetric,
  isLogQuery,
  labelsKey,
  parse,
  parseDuration,
  parseLogfmt,
  type Labels,
  type LogQuery,
  type Matcher,
  type MetricResult,
  type Query,
} from '@pivot/logql';
import { LogqlTooManyRowsError, type LogqlEntry, type LogqlQueries, type StreamStats } from '@pivot/store';
import { HttpError, badRequest, type AppEnv, type Logger } from '@pivot/server-kit';
import { TailSlots } from './logs.ts';
import { parseTimeNs } from './params.ts';

const NS_PER_S = 1_000_000_000n;
const NS_PER_MS = 1_000_000n;
const DEFAULT_RANGE_NS = 3_600n * NS_PER_S;
/** Loki's max_entries_limit_per_query default. */
export const LOKI_MAX_LIMIT = 5000;
/** Loki refuses range queries of more points than this (max_query_points). */
const MAX_POINTS = 11_000n;
const CATEGORIZE = 'categorize-labels';

const nowNs = (): UnixNano => unixNano(BigInt(Date.now()) * NS_PER_MS);

/** Loki's float formatting (strconv.FormatFloat 'f', -1) with its spellings of the special values. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  if (!s.includes('e')) return s;
  // Exponent forms become plain digits, as Go's 'f' format writes them.
  return v.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 20 });
}

/** Seconds with millisecond precision, as Loki writes sample times. */
const seconds = (ns: bigint): number => Number(ns / NS_PER_MS) / 1000;

function time(c: Context, name: string, def: UnixNano): UnixNano {
  const raw = c.req.query(name);
  return raw === undefined || raw === '' ? def : parseTimeNs(name, raw);
}

/** Loki's step: a duration ("15s", "15000ms", "1m30s") or a number of seconds. */
function parseStep(raw: string): bigint {
  const s = raw.trim();
  if (/^\d+(\.\d+)?$/.test(s)) {
    const ns = BigInt(Math.round(Number(s) * 1e9));
    if (ns <= 0n) throw badRequest('step: must be positive');
    return ns;
  }
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d|w|y))+$/.test(s))
    throw badRequest(`step: invalid duration "${raw.slice(0, 50)}" (e.g. 15s, 15000ms or 15)`);
  return parseDuration(s, 0);
}

function parseQuery(raw: string | undefined, name = 'query'): Query {
  if (raw === undefined || raw === '') throw badRequest(`${name}: missing LogQL query`);
  return parse(raw);
}

function logQueryOf(raw: string | undefined, name = 'query'): LogQuery {
  const q = parseQuery(raw, name);
  if (!isLogQuery(q)) throw badRequest(`${name}: expected a log stream selector such as {service_name="x"}`);
  return q;
}

function direction(c: Context): 'forward' | 'backward' {
  const d = (c.req.query('direction') ?? 'backward').toLowerCase();
  if (d !== 'forward' && d !== 'backward') throw badRequest(`direction: expected forward or backward, got "${d}"`);
  return d;
}

function limit(c: Context, def: number): number {
  const raw = c.req.query('limit');
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`limit: must be a non-negative integer, got "${raw}"`);
  if (n > LOKI_MAX_LIMIT)
    throw badRequest(
      `limit: max entries limit per query exceeded, limit > max_entries_limit (${n} > ${LOKI_MAX_LIMIT})`,
    );
  return n === 0 ? def : n;
}

/** Answers errors in the shape Grafana reads (`message`), keeping Loki's status codes. */
async function answer(c: Context, fn: () => Promise<Response>): Promise<Response> {
  try {
    return await fn();
  } catch (err) {
    let status: number;
    let message: string;
    if (err instanceof LogQLError) {
      status = 400;
      message = `parse error at position ${err.position + 1}: ${err.message}`;
    } else if (err instanceof LogqlTooManyRowsError) {
      status = 422;
      message = err.message;
    } else if (err instanceof HttpError && err.status < 500) {
      status = err.status;
      message = err.message;
    } else throw err;
    return c.json({ status: 'error', errorType: 'bad_data', error: message, message }, status as 400);
  }
}

interface StreamOut {
  stream: Labels;
  values: (string | Labels | Record<string, Labels>)[][];
}

/** Entries grouped into Loki streams: by stream labels (categorized) or by every label (classic). */
function streamsOf(entries: LogqlEntry[], categorize: boolean): StreamOut[] {
  const out = new Map<string, StreamOut>();
  for (const e of entries) {
    const labels = categorize ? e.labels.stream : { ...e.labels.stream, ...e.labels.metadata, ...e.labels.parsed };
    const key = labelsKey(labels);
    let s = out.get(key);
    if (!s) out.set(key, (s = { stream: labels, values: [] }));
    if (categorize) {
      const extra: Record<string, Labels> = {};
      if (Object.keys(e.labels.metadata).length) extra.structuredMetadata = e.labels.metadata;
      if (Object.keys(e.labels.parsed).length) extra.parsed = e.labels.parsed;
      s.values.push([e.timeNs.toString(), e.line, extra]);
    } else s.values.push([e.timeNs.toString(), e.line]);
  }
  return [...out.values()];
}

function statsOf(entries: number, bytes: number, ms: number) {
  return {
    summary: {
      bytesProcessedPerSecond: ms > 0 ? Math.round((bytes * 1000) / ms) : bytes,
      linesProcessedPerSecond: ms > 0 ? Math.round((entries * 1000) / ms) : entries,
      totalBytesProcessed: bytes,
      totalLinesProcessed: entries,
      execTime: ms / 1000,
      totalEntriesReturned: entries,
    },
  };
}

function matrixOf(result: MetricResult, steps: bigint[]) {
  if (result.kind === 'scalar')
    return [{ metric: {}, values: steps.map((t) => [seconds(t), formatValue(result.value)]) }];
  return result.series
    .map((s) => ({
      metric: s.labels,
      values: [...s.points].sort((a, b) => a[0] - b[0]).map(([i, v]) => [seconds(steps[i]!), formatValue(v)]),
    }))
    .sort((a, b) => labelsKey(a.metric).localeCompare(labelsKey(b.metric)));
}

/** The matchers of `query` (a selector, or any LogQL whose first selector is taken), if given. */
function selectorOf(raw: string | undefined): Matcher[] | undefined {
  if (raw === undefined || raw.trim() === '' || raw.trim() === '{}') return undefined;
  const q = parse(raw);
  const first = (x: Query): LogQuery | undefined =>
    x.kind === 'log'
      ? x
      : x.kind === 'range'
        ? x.query
        : x.kind === 'aggregate'
          ? first(x.expr)
          : x.kind === 'binary'
            ? (first(x.left) ?? first(x.right))
            : undefined;
  const log = first(q);
  if (!log) throw badRequest('query: expected a stream selector such as {service_name="x"}');
  return log.matchers;
}

function rangeOf(c: Context): { startNs: UnixNano; endNs: UnixNano } {
  const endNs = time(c, 'end', nowNs());
  const startNs = time(c, 'start', unixNano(endNs - DEFAULT_RANGE_NS));
  if (startNs > endNs) throw badRequest('start: must not be after end');
  // Loki's end is exclusive; a range of one instant still reads that instant.
  return { startNs, endNs: endNs === startNs ? unixNano(endNs + 1n) : endNs };
}

const success = (c: Context, data: unknown) => c.json({ status: 'success', data });

export interface LokiRouteOptions {
  /** How often a live tail polls the store. */
  tailIntervalMs?: number;
  logger?: Logger;
  /** With login on: a tail ends when its session does, and is counted per user. */
  session?: { stillValid(c: Context): Promise<boolean>; owner(c: Context): string | null };
  /** Live tails open at once, in the process and per user, as for /api/logs/tail. */
  maxTails?: number;
  maxTailsPerUser?: number;
  /** Shared with /api/logs/tail (app.ts passes one); built from maxTails/maxTailsPerUser when absent. */
  tailSlots?: TailSlots;
}

/** Rows committed out of time order still reach a tail this late (as in logs.ts). */
const TAIL_LOOKBACK_NS = 2_000n * NS_PER_MS;
const TAIL_MAX_SEEN = 1_000;

export function lokiRoutes(logql: LogqlQueries, opts: LokiRouteOptions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const tailIntervalMs = opts.tailIntervalMs ?? 1000;
  const slots = opts.tailSlots ?? new TailSlots(opts.maxTails, opts.maxTailsPerUser);

  // Live tail over a WebSocket, as Grafana's backend dials it (pkg/tsdb/loki/streaming.go: ws://…/loki/api/v1/tail
  // ?query=…; each message {"streams":[{"stream":{…},"values":[[ns, line]]}],"dropped_entries":null}).
  app.get(
    '/loki/api/v1/tail',
    async (c, next) => {
      const refusal = await answer(c, () => {
        logQueryOf(c.req.query('query'));
        if (c.req.query('start')) time(c, 'start', nowNs());
        limit(c, 100);
        slots.check(opts.session?.owner(c) ?? '');
        return Promise.resolve(new Response(null, { status: 204 }));
      });
      if (refusal.status !== 204) return refusal;
      if (c.req.header('upgrade')?.toLowerCase() !== 'websocket')
        return c.json({ status: 'error', message: 'the tail is a WebSocket: connect with Upgrade: websocket' }, 400);
      return next();
    },
    upgradeWebSocket((c) => {
      const query = logQueryOf(c.req.query('query'));
      const lim = limit(c, 100);
      const owner = opts.session?.owner(c) ?? '';
      let stopped = false;
      let release: (() => void) | undefined;
      let wake: (() => void) | undefined;
      const stop = () => {
        if (stopped) return;
        stopped = true;
        wake?.();
        release?.();
      };
      const sleep = (ms: number) =>
        new Promise<void>((resolve) => {
          const t = setTimeout(resolve, ms);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      const send = (ws: WSContext, entries: LogqlEntry[]) => {
        if (entries.length) ws.send(JSON.stringify({ streams: streamsOf(entries, false), dropped_entries: null }));
      };
      const run = async (ws: WSContext) => {
        const seen = new Map<string, bigint>();
        const keyOf = (e: LogqlEntry) => `${e.timeNs}.${e.fingerprint}`;
        const now = nowNs();
        // Loki's tail starts with the newest `limit` entries since `start` (default: an hour ago).
        const first = await logql.logs(query, {
          startNs: time(c, 'start', unixNano(now - DEFAULT_RANGE_NS)),
          endNs: unixNano(now + 1n),
          limit: lim,
          direction: 'backward',
        });
        first.reverse();
        let newest: bigint = first.at(-1)?.timeNs ?? now;
        for (const e of first) seen.set(keyOf(e), e.timeNs);
        send(ws, first);
        while (!stopped) {
          await sleep(tailIntervalMs);
          if (stopped) return;
          if (!((await opts.session?.stillValid(c)) ?? true)) {
            ws.close(1008, 'session ended: log in again');
            return;
          }
          const rows = await logql.logs(query, {
            startNs: unixNano(newest - TAIL_LOOKBACK_NS),
            endNs: unixNano(nowNs() + 1n),
            limit: lim + seen.size,
            direction: 'forward',
          });
          const fresh = rows.filter((e) => !seen.has(keyOf(e))).slice(0, lim);
          for (const e of fresh) {
            seen.set(keyOf(e), e.timeNs);
            if (e.timeNs > newest) newest = e.timeNs;
          }
          for (const [k, t] of seen) if (t < newest - TAIL_LOOKBACK_NS) seen.delete(k);
          if (seen.size > TAIL_MAX_SEEN) seen.clear();
          if (!stopped) send(ws, fresh);
        }
      };
      return {
        onOpen(_evt, ws) {
          try {
            // Checked before the upgrade; taken here, where a close is sure to follow and give it back.
            release = slots.take(owner);
          } catch (err) {
            stopped = true;
            ws.close(1013, (err as Error).message.slice(0, 120));
            return;
          }
          run(ws).catch((err: unknown) => {
            opts.logger?.error({ err }, 'Loki tail failed');
            if (!stopped) ws.close(1011, 'internal error');
          });
        },
        onClose: stop,
        onError: stop,
      };
    }),
  );

  async function metric(q: Exclude<Query, LogQuery>, steps: bigint[]): Promise<MetricResult> {
    return evalMetric(q, steps, (log, from, to) => logql.samples(log, from, to));
  }

  app.get('/loki/api/v1/query_range', (c) =>
    answer(c, async () => {
      const started = performance.now();
      const q = parseQuery(c.req.query('query'));
      const { startNs, endNs } = rangeOf(c);
      const categorize = (c.req.header('x-loki-response-encoding-flags') ?? '')
        .split(',')
        .map((s) => s.trim())
        .includes(CATEGORIZE);
      if (isLogQuery(q)) {
        const entries = await logql.logs(q, { startNs, endNs, limit: limit(c, 100), direction: direction(c) });
        const bytes = entries.reduce((n, e) => n + Buffer.byteLength(e.line), 0);
        return success(c, {
          resultType: 'streams',
          result: streamsOf(entries, categorize),
          stats: statsOf(entries.length, bytes, performance.now() - started),
          ...(categorize ? { encodingFlags: [CATEGORIZE] } : {}),
        });
      }
      const rawStep = c.req.query('step');
      // Loki's default: the range in about 250 points, at least a second.
      const span = endNs - startNs;
      const stepNs = rawStep ? parseStep(rawStep) : ((span / 250n + NS_PER_S - 1n) / NS_PER_S || 1n) * NS_PER_S;
      if (span / stepNs >= MAX_POINTS)
        throw badRequest(
          `exceeded maximum resolution of ${MAX_POINTS} points per timeseries. Try increasing the value of the step parameter`,
        );
      const steps: bigint[] = [];
      for (let t = startNs as bigint; t <= endNs; t += stepNs) steps.push(t);
      const result = await metric(q, steps);
      return success(c, {
        resultType: 'matrix',
        result: matrixOf(result, steps),
        stats: statsOf(0, 0, performance.now() - started),
      });
    }),
  );

  app.get('/loki/api/v1/query', (c) =>
    answer(c, async () => {
      const started = performance.now();
      const q = parseQuery(c.req.query('query'));
      const t = time(c, 'time', nowNs());
      if (isLogQuery(q))
        throw badRequest('log queries are answered by /loki/api/v1/query_range; /query evaluates metric queries');
      const result = await metric(q, [t]);
      const stats = statsOf(0, 0, performance.now() - started);
      if (result.kind === 'scalar')
        return success(c, { resultType: 'scalar', result: [seconds(t), formatValue(result.value)], stats });
      return success(c, {
        resultType: 'vector',
        result: result.series
          .filter((s) => s.points.has(0))
          .map((s) => ({ metric: s.labels, value: [seconds(t), formatValue(s.points.get(0)!)] })),
        stats,
      });
    }),
  );

  async function streams(c: Context, query: string | undefined): Promise<StreamStats[]> {
    return logql.streams(rangeOf(c), selectorOf(query));
  }

  app.get('/loki/api/v1/labels', (c) =>
    answer(c, async () => {
      const names = new Set<string>();
      for (const s of await streams(c, c.req.query('query'))) for (const k of Object.keys(s.labels)) names.add(k);
      return success(c, [...names].sort());
    }),
  );

  app.get('/loki/api/v1/label/:name/values', (c) =>
    answer(c, async () => {
      const name = c.req.param('name');
      const values = new Set<string>();
      for (const s of await streams(c, c.req.query('query'))) {
        const v = s.labels[name];
        if (v !== undefined && v !== '') values.add(v);
      }
      return success(c, [...values].sort());
    }),
  );

  app.get('/loki/api/v1/series', (c) =>
    answer(c, async () => {
      const selectors = [
        ...(c.req.queries('match[]') ?? []),
        ...(c.req.queries('match') ?? []),
        ...(c.req.queries('query') ?? []),
      ];
      if (!selectors.length) throw badRequest('match[]: give at least one stream selector');
      const seen = new Map<string, Labels>();
      for (const sel of selectors) for (const s of await streams(c, sel)) seen.set(labelsKey(s.labels), s.labels);
      return success(c, [...seen.values()]);
    }),
  );

  app.get('/loki/api/v1/index/stats', (c) =>
    answer(c, async () => {
      const all = await streams(c, c.req.query('query'));
      // Loki counts chunks; pivot has none, so each stream counts as one.
      return c.json({
        streams: all.length,
        chunks: all.length,
        entries: all.reduce((n, s) => n + s.entries, 0),
        bytes: all.reduce((n, s) => n + s.bytes, 0),
      });
    }),
  );

  /** Volume by the labels Loki would aggregate: targetLabels, else the selector's label names. */
  function volumeKeys(c: Context): (labels: Labels) => Labels {
    const matchers = selectorOf(c.req.query('query')) ?? [];
    const target = (c.req.query('targetLabels') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const byLabels = (c.req.query('aggregateBy') ?? 'series') === 'labels';
    const names = target.length ? target : [...new Set(matchers.map((m) => m.name))];
    return (labels) => {
      if (byLabels && !target.length) return labels;
      const out: Labels = {};
      for (const n of names) if (labels[n] !== undefined) out[n] = labels[n];
      return out;
    };
  }

  app.get('/loki/api/v1/index/volume', (c) =>
    answer(c, async () => {
      const keyOf = volumeKeys(c);
      const { endNs } = rangeOf(c);
      const totals = new Map<string, { labels: Labels; bytes: number }>();
      for (const s of await streams(c, c.req.query('query'))) {
        const labels = keyOf(s.labels);
        const k = labelsKey(labels);
        const e = totals.get(k) ?? { labels, bytes: 0 };
        e.bytes += s.bytes;
        totals.set(k, e);
      }
      const n = limit(c, 100);
      const result = [...totals.values()]
        .sort((a, b) => b.bytes - a.bytes)
        .slice(0, n)
        .map((t) => ({ metric: t.labels, value: [seconds(endNs), String(t.bytes)] }));
      return success(c, { resultType: 'vector', result, stats: statsOf(0, 0, 0) });
    }),
  );

  app.get('/loki/api/v1/index/volume_range', (c) =>
    answer(c, async () => {
      const keyOf = volumeKeys(c);
      const { startNs, endNs } = rangeOf(c);
      const rawStep = c.req.query('step');
      const span = endNs - startNs;
      const stepNs = rawStep ? parseStep(rawStep) : ((span / 250n + NS_PER_S - 1n) / NS_PER_S || 1n) * NS_PER_S;
      if (span / stepNs >= 1000n) throw badRequest('step: more than 1000 buckets; use a larger step');
      const matchers = selectorOf(c.req.query('query'));
      const series = new Map<string, { labels: Labels; points: Map<bigint, number> }>();
      for (let t = startNs as bigint; t < endNs; t += stepNs) {
        const bucketEnd = t + stepNs < endNs ? t + stepNs : endNs;
        for (const s of await logql.streams({ startNs: unixNano(t), endNs: unixNano(bucketEnd) }, matchers)) {
          const labels = keyOf(s.labels);
          const k = labelsKey(labels);
          let e = series.get(k);
          if (!e) series.set(k, (e = { labels, points: new Map() }));
          e.points.set(t, (e.points.get(t) ?? 0) + s.bytes);
        }
      }
      const result = [...series.values()].map((s) => ({
        metric: s.labels,
        values: [...s.points].map(([t, v]) => [seconds(t), String(v)]),
      }));
      return success(c, { resultType: 'matrix', result, stats: statsOf(0, 0, 0) });
    }),
  );

  app.get('/loki/api/v1/detected_fields', (c) =>
    answer(c, async () => {
      const q = logQueryOf(c.req.query('query'));
      const lineLimit = Math.min(Number(c.req.query('line_limit') ?? 1000) || 1000, LOKI_MAX_LIMIT);
      const fieldLimit = Number(c.req.query('limit') ?? 1000) || 1000;
      const entries = await logql.logs(q, { ...rangeOf(c), limit: lineLimit, direction: 'backward' });
      const fields = new Map<string, { values: Set<string>; parsers: Set<string>; type: string }>();
      const add = (name: string, value: string, parser: string | null) => {
        let f = fields.get(name);
        if (!f) fields.set(name, (f = { values: new Set(), parsers: new Set(), type: typeOf(value) }));
        if (f.type !== typeOf(value)) f.type = 'string';
        f.values.add(value);
        if (parser) f.parsers.add(parser);
      };
      for (const e of entries) {
        for (const [k, v] of Object.entries(e.labels.metadata)) add(k, v, null);
        for (const [k, v] of Object.entries(e.labels.parsed)) if (!k.startsWith('__')) add(k, v, null);
        const line = e.line.trimStart();
        if (line.startsWith('{')) {
          try {
            const obj = JSON.parse(line) as unknown;
            if (obj && typeof obj === 'object' && !Array.isArray(obj))
              for (const [k, v] of Object.entries(obj as Record<string, unknown>))
                if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
                  add(k.replace(/[^A-Za-z0-9_]/g, '_'), String(v), 'json');
          } catch {
            // Not JSON after all: nothing detected from this line.
          }
        } else {
          const { pairs, error } = parseLogfmt(line);
          if (!error) for (const [k, v] of pairs) if (v !== '') add(k.replace(/[^A-Za-z0-9_]/g, '_'), v, 'logfmt');
        }
      }
      return c.json({
        fields: [...fields].slice(0, fieldLimit).map(([label, f]) => ({
          label,
          type: f.type,
          cardinality: f.values.size,
          parsers: f.parsers.size ? [...f.parsers].sort() : null,
        })),
        limit: fieldLimit,
      });
    }),
  );

  // Grafana asks for the version to decide which features to use (LanguageProvider, datasource.ts).
  app.get('/loki/api/v1/status/buildinfo', (c) =>
    c.json({ version: '3.4.0', revision: 'pivot', branch: '', buildUser: '', buildDate: '', goVersion: '' }),
  );
  app.get('/loki/api/v1/format_query', (c) =>
    answer(c, () => {
      const raw = c.req.query('query') ?? '';
      parseQuery(raw);
      return Promise.resolve(success(c, raw));
    }),
  );

  return app;
}

function typeOf(v: string): string {
  if (v === 'true' || v === 'false') return 'boolean';
  if (/^-?\d+$/.test(v)) return 'int';
  if (/^-?\d*\.\d+(e[+-]?\d+)?$/i.test(v)) return 'float';
  if (/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(v)) return 'duration';
  if (/^\d+(\.\d+)?\s?([KMGTPE]i?B|B)$/.test(v)) return 'bytes';
  return 'string';
}
