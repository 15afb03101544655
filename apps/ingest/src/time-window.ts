// Items are stored only when dated within a window: not further ahead than INGEST_MAX_FUTURE, nor
// further back than the signal's retention. Every stored day gets a partition, so without this, 20
// spans dated 2200–2201 made 20 partitions that retention never reaches, and a token holder could make
// 100,000. An item outside the window is refused alone, with a message, like any other invalid item.
import type { MetricsBatch, ResourceLogs, ResourceSpans, Signal } from '@pivot/model';

export interface TimeWindow {
  minNs: bigint;
  maxNs: bigint;
}

export interface TimeWindowOptions {
  /** How far ahead of this server's clock an item may be dated. */
  maxFutureMs: number;
  /** Each signal's retention; 0 keeps forever (no lower bound). */
  retentionMs: Record<Signal, number>;
  now?: () => number;
}

const NS_PER_MS = 1_000_000n;

export function windowFor(signal: Signal, opts: TimeWindowOptions): TimeWindow {
  const now = BigInt(Math.floor((opts.now ?? Date.now)()));
  const retention = opts.retentionMs[signal];
  return {
    minNs: retention > 0 ? (now - BigInt(retention)) * NS_PER_MS : 0n,
    maxNs: (now + BigInt(opts.maxFutureMs)) * NS_PER_MS,
  };
}

export interface WindowResult<B> {
  batch: B;
  /** Items dropped for their time. */
  dropped: number;
  /** The first one, described for the answer's message. */
  first: string;
}

const iso = (ns: bigint) => {
  const ms = Number(ns / NS_PER_MS);
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : `${ns} ns`;
};

function describeWindow(what: string, ns: bigint, w: TimeWindow): string {
  const side = ns > w.maxNs ? `after ${iso(w.maxNs)} (INGEST_MAX_FUTURE)` : `before ${iso(w.minNs)} (retention)`;
  return `${what} dated ${iso(ns)} is ${side}`;
}

/** Keeps the spans whose start time is inside the window. */
export function spansWithin(batch: ResourceSpans[], w: TimeWindow): WindowResult<ResourceSpans[]> {
  let dropped = 0;
  let first = '';
  const out = batch.map((rs) => ({
    ...rs,
    scopeSpans: rs.scopeSpans.map((ss) => ({
      ...ss,
      spans: ss.spans.filter((s) => {
        const t = s.startTimeUnixNano;
        if (t >= w.minNs && t <= w.maxNs) return true;
        if (!dropped++) first = describeWindow(`span ${s.spanId}`, t, w);
        return false;
      }),
    })),
  }));
  return { batch: dropped ? out : batch, dropped, first };
}

/** Keeps the log records whose time (or observed time, when they carry none) is inside the window. */
export function logsWithin(batch: ResourceLogs[], w: TimeWindow): WindowResult<ResourceLogs[]> {
  let dropped = 0;
  let first = '';
  const out = batch.map((rl) => ({
    ...rl,
    scopeLogs: rl.scopeLogs.map((sl) => ({
      ...sl,
      logRecords: sl.logRecords.filter((r) => {
        const t = r.timeUnixNano || r.observedTimeUnixNano;
        if (t >= w.minNs && t <= w.maxNs) return true;
        if (!dropped++) first = describeWindow('log record', t, w);
        return false;
      }),
    })),
  }));
  return { batch: dropped ? out : batch, dropped, first };
}

/** Keeps the samples (and exemplars) inside the window; a series left without either is dropped. */
export function samplesWithin(batch: MetricsBatch, w: TimeWindow): WindowResult<MetricsBatch> {
  const minMs = Number(w.minNs / NS_PER_MS);
  const maxMs = Number(w.maxNs / NS_PER_MS);
  let dropped = 0;
  let first = '';
  const inside = (ms: number, what: () => string) => {
    if (ms >= minMs && ms <= maxMs) return true;
    if (!dropped++) first = describeWindow(what(), BigInt(Math.trunc(ms)) * NS_PER_MS, w);
    return false;
  };
  const series = [];
  for (const s of batch.series) {
    const samples = s.samples.filter((x) =>
      inside(x.timestampMs, () => `sample of ${s.labels['__name__'] ?? 'series'}`),
    );
    // Exemplars are not items of their own (the answer counts samples): dropped without a count.
    const exemplars = s.exemplars.filter((e) => e.timestampMs >= minMs && e.timestampMs <= maxMs);
    if (samples.length || exemplars.length || (!s.samples.length && !s.exemplars.length))
      series.push(
        samples.length === s.samples.length && exemplars.length === s.exemplars.length
          ? s
          : { ...s, samples, exemplars },
      );
  }
  return { batch: dropped ? { ...batch, series } : batch, dropped, first };
}

/** The window filter of each signal's batch type. */
export function keepWithin(signal: Signal, batch: unknown, w: TimeWindow): WindowResult<unknown> {
  switch (signal) {
    case 'traces':
      return spansWithin(batch as ResourceSpans[], w);
    case 'logs':
      return logsWithin(batch as ResourceLogs[], w);
    case 'metrics':
      return samplesWithin(batch as MetricsBatch, w);
  }
}
