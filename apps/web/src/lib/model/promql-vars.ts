// Grafana's range variables in PromQL typed on the metrics page, and what the page suggests.
// `$__rate_interval` is max(step + scrape interval, 4 × scrape interval), as Grafana defines it: the
// shortest window that still holds enough samples for rate(), so a short incident is not averaged
// away by a fixed [5m]. `$__interval` is the step. The server never sees the variables: the page
// expands them, and maps the server's parse-error positions back to what was typed.

export const RATE_INTERVAL = '$__rate_interval';
const VARS = /\$__rate_interval|\$__interval|\$__range/g;

/** Grafana's default when the scrape interval is unknown. */
export const DEFAULT_SCRAPE_S = 15;

export function hasVars(q: string): boolean {
  return /\$__(rate_interval|interval|range)\b/.test(q);
}

export function rateIntervalSeconds(stepS: number, scrapeS: number): number {
  return Math.max(stepS + scrapeS, 4 * scrapeS);
}

/** A duration as PromQL writes it: 20s, 1500ms, 2m, 1h30m. */
export function promDuration(seconds: number): string {
  const ms = Math.max(1, Math.round(seconds * 1000));
  if (ms % 1000 !== 0) return `${ms}ms`;
  let s = ms / 1000;
  let out = '';
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (s >= size) {
      out += `${Math.floor(s / size)}${unit}`;
      s %= size;
    }
  }
  return out;
}

export interface Expanded {
  query: string;
  /** A position in the expanded query back to the position in the query as typed. */
  toTyped: (pos: number) => number;
}

export function expandVars(q: string, v: { rateIntervalS: number; intervalS: number; rangeS: number }): Expanded {
  const edits: { from: number; to: number; newFrom: number; newTo: number }[] = [];
  let shift = 0;
  const query = q.replace(VARS, (m, offset: number) => {
    const text = promDuration(m === RATE_INTERVAL ? v.rateIntervalS : m === '$__interval' ? v.intervalS : v.rangeS);
    edits.push({ from: offset, to: offset + m.length, newFrom: offset + shift, newTo: offset + shift + text.length });
    shift += text.length - m.length;
    return text;
  });
  return {
    query,
    toTyped: (pos) => {
      let delta = 0;
      for (const e of edits) {
        if (pos < e.newFrom) break;
        if (pos < e.newTo) return e.from;
        delta = e.to - e.newTo;
      }
      return pos + delta;
    },
  };
}

/**
 * The selector whose sample count tells the scrape interval: the first one ranged by a variable, with a
 * histogram's _bucket read as its _count (one series per label set instead of one per bucket).
 */
export function probeSelector(q: string): string | null {
  const m = /([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(\{[^}]*\})?\s*\[\s*\$__(?:rate_interval|interval|range)\s*\]/.exec(q);
  if (!m || (!m[1] && !m[2])) return null;
  const name = m[1]?.replace(/_bucket$/, '_count') ?? '';
  return `${name}${m[2] ?? ''}`;
}

/**
 * The scrape interval from `max(count_over_time(selector[window]))` sampled over a range: the window
 * over the median number of samples it held (windows at the edges of the data hold fewer, and
 * the median ignores them); null when the windows hold too few samples to tell (< 3).
 */
export function scrapeIntervalFromCounts(counts: readonly number[], windowS: number): number | null {
  const c = counts.filter((x) => Number.isFinite(x) && x > 0).sort((a, b) => a - b);
  if (c.length === 0) return null;
  const median = c[c.length >> 1]!;
  if (median < 3) return null;
  return +(windowS / median).toPrecision(3);
}

/** histogram_quantile(φ, …) at the top of a query: φ, and the same query at another φ. */
export function quantileOf(q: string): { phi: number; at(phi: number): string } | null {
  const m = /^(\s*histogram_quantile\s*\(\s*)([0-9]*\.?[0-9]+)(\s*,)/.exec(q);
  if (!m) return null;
  const phi = Number(m[2]);
  if (!(phi >= 0 && phi <= 1)) return null;
  return { phi, at: (p) => `${m[1]}${p}${m[3]}${q.slice(m[0].length)}` };
}

export const QUANTILES = [0.5, 0.95, 0.99];
export const quantileLabel = (phi: number): string => `P${+(phi * 100).toFixed(2)}`;

/**
 * Queries to start from, for the metrics that exist: the P99 of each latency histogram (a name
 * whose _bucket, _count and _sum all exist), then the per-job rate of counters.
 */
export function suggestQueries(names: readonly string[], types: Record<string, string> = {}, max = 6): string[] {
  const all = new Set(names);
  const histograms = names
    .filter((n) => n.endsWith('_bucket'))
    .map((n) => n.slice(0, -7))
    .filter((b) => all.has(`${b}_count`) || types[b] === 'histogram');
  // Latencies first: that is where exemplars and the pivot to traces are.
  const rank = (n: string) => (/(duration|latency)_seconds$/.test(n) ? 0 : /_seconds$/.test(n) ? 1 : 2);
  histograms.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const out = histograms.map((b) => `histogram_quantile(0.99, sum by (le) (rate(${b}_bucket[${RATE_INTERVAL}])))`);
  const hist = new Set(histograms);
  for (const n of names) {
    if (out.length >= max) break;
    const counter = n.endsWith('_total') || types[n] === 'counter';
    if (counter && !hist.has(n.replace(/_(count|sum)$/, ''))) out.push(`sum by (job) (rate(${n}[${RATE_INTERVAL}]))`);
  }
  return out.slice(0, max);
}
