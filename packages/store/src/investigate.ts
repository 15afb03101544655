// The pure half of cohort comparison (investigate-queries.ts runs the aggregates): how a log message
// becomes a pattern, how a dimension is scored and ranked, and how a trace's critical path is split
// into self time per operation. Nothing here touches the database, so each rule is unit-tested alone.

/** Where a dimension comes from: the spans in scope, their resources, the traces' logs, the critical path. */
export type DimensionSource = 'span' | 'resource' | 'log' | 'path';

/** The order sources are listed in when scores tie. */
export const SOURCE_ORDER: readonly DimensionSource[] = ['span', 'log', 'path', 'resource'];

export interface Dimension {
  source: DimensionSource;
  key: string;
  value: string;
  /** An attribute (span, resource or log); false for a span's name, status or event, a log's severity,
   * service or pattern, and the critical path's operations. */
  attribute: boolean;
  /** Share of the cohort's sampled traces that have the value (for `path`: mean share of the duration). */
  cohort: number;
  baseline: number;
  /** |cohort − baseline|: the difference of proportions. */
  score: number;
  /** Rows of the same source present in exactly the same traces, folded into this one. */
  same?: { key: string; value: string; attribute: boolean }[];
}

/** A dimension as counted by the database, before scoring. */
export interface CountedDimension {
  source: DimensionSource;
  key: string;
  value: string;
  attribute: boolean;
  /** Sampled traces with the value, per side. */
  cohortTraces: number;
  baselineTraces: number;
  /** An order-free fingerprint of the set of traces with the value (equal sets, equal fingerprints). */
  fingerprint: string;
  /** For `path` only: the mean share per side, already computed. */
  cohortShare?: number;
  baselineShare?: number;
}

/** Support needed before a value is scored: in at least this share of either side's traces… */
export const MIN_SUPPORT_SHARE = 0.05;
/** …and in at least this many traces of either side, so that one odd trace never ranks. */
export const MIN_SUPPORT_TRACES = 3;
/** A critical-path row needs at least this mean share on one side to be listed. */
export const MIN_PATH_SHARE = 0.01;

/**
 * Masks what varies between messages of one kind. Tokens that hold a digit become `<n>` when they are
 * a plain number and `<id>` otherwise (order IDs, hex IDs, UUIDs, IPs, versions): so
 * "payment timed out for order 53e89b4f" → "payment timed out for order <id>". The same two
 * rewrites run in PostgreSQL (LOG_NUMBER_REGEX, LOG_ID_REGEX, then LOG_HEX_REGEX) so patterns can be grouped there;
 * both regexes are written in the subset that JavaScript and PostgreSQL's ARE read alike.
 */
export const LOG_NUMBER_REGEX = '(?<![A-Za-z0-9_.:-])-?[0-9]+([.][0-9]+)?(?![A-Za-z0-9_-]|[.:][A-Za-z0-9])';
export const LOG_ID_REGEX = '[A-Za-z0-9_-]*[0-9][A-Za-z0-9_-]*([.:][A-Za-z0-9_-]+)*';
/** Last, hex IDs that happen to hold no digit ("deadbeef"): 8 or more hex letters standing alone. */
export const LOG_HEX_REGEX = '(?<![A-Za-z0-9_<>-])[0-9a-fA-F]{8,}(?![A-Za-z0-9_<>-])';
/** Only the start of a message is read: patterns are for grouping, not for showing whole bodies. */
export const LOG_PATTERN_CHARS = 200;

const NUMBER = new RegExp(LOG_NUMBER_REGEX, 'g');
const ID = new RegExp(LOG_ID_REGEX, 'g');
const HEX = new RegExp(LOG_HEX_REGEX, 'g');

export function logPattern(message: string): string {
  return message.slice(0, LOG_PATTERN_CHARS).replace(NUMBER, '<n>').replace(ID, '<id>').replace(HEX, '<id>');
}

const sourceRank = (s: DimensionSource) => SOURCE_ORDER.indexOf(s);

/** Within a source, which of several rows present in the same traces is kept to stand for them. */
const KEY_PRIORITY: Record<string, number> = { event: 0, pattern: 0, status: 1, severity: 1, name: 2, service: 2 };
const keyRank = (d: CountedDimension) => (d.attribute ? 3 : (KEY_PRIORITY[d.key] ?? 3));

function compareRows(a: Dimension, b: Dimension): number {
  return (
    b.score - a.score ||
    sourceRank(a.source) - sourceRank(b.source) ||
    Number(a.attribute) - Number(b.attribute) ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) ||
    (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)
  );
}

/**
 * Scores counted dimensions and ranks them, best first. Score: |p_c − p_b|, where p is the share of a
 * side's sampled traces with the value (for `path`, the mean share of the duration). A value is scored
 * only with MIN_SUPPORT_TRACES traces and MIN_SUPPORT_SHARE of the traces on one side. Rows of one
 * source present in exactly the same traces (a retry event and the `retry.attempt=2` attribute of the
 * same spans) fold into one, kept by KEY_PRIORITY, the rest listed in `same`. Ties: source, key, value.
 */
export function rankDimensions(
  counted: readonly CountedDimension[],
  sample: { cohort: number; baseline: number },
  limit = 50,
): Dimension[] {
  const share = (n: number, of: number) => (of > 0 ? n / of : 0);
  const groups = new Map<string, CountedDimension[]>();
  const rows: Dimension[] = [];
  for (const d of counted) {
    if (d.source === 'path') {
      const c = d.cohortShare ?? 0;
      const b = d.baselineShare ?? 0;
      if (Math.max(c, b) < MIN_PATH_SHARE) continue;
      rows.push({
        source: 'path',
        key: d.key,
        value: d.value,
        attribute: false,
        cohort: c,
        baseline: b,
        score: Math.abs(c - b),
      });
      continue;
    }
    const c = share(d.cohortTraces, sample.cohort);
    const b = share(d.baselineTraces, sample.baseline);
    const supported =
      (d.cohortTraces >= MIN_SUPPORT_TRACES && c >= MIN_SUPPORT_SHARE) ||
      (d.baselineTraces >= MIN_SUPPORT_TRACES && b >= MIN_SUPPORT_SHARE);
    if (!supported) continue;
    const id = `${d.source}\u0000${d.cohortTraces}\u0000${d.baselineTraces}\u0000${d.fingerprint}`;
    const g = groups.get(id);
    if (g) g.push(d);
    else groups.set(id, [d]);
  }
  for (const g of groups.values()) {
    const sorted = [...g].sort(
      (x, y) =>
        keyRank(x) - keyRank(y) ||
        (x.key < y.key ? -1 : x.key > y.key ? 1 : 0) ||
        (x.value < y.value ? -1 : x.value > y.value ? 1 : 0),
    );
    const [first, ...rest] = sorted;
    const c = share(first!.cohortTraces, sample.cohort);
    const b = share(first!.baselineTraces, sample.baseline);
    rows.push({
      source: first!.source,
      key: first!.key,
      value: first!.value,
      attribute: first!.attribute,
      cohort: c,
      baseline: b,
      score: Math.abs(c - b),
      ...(rest.length ? { same: rest.map((r) => ({ key: r.key, value: r.value, attribute: r.attribute })) } : {}),
    });
  }
  // Shares are rounded so that float noise never reorders rows that tie.
  for (const r of rows) {
    r.cohort = round(r.cohort);
    r.baseline = round(r.baseline);
    r.score = round(r.score);
  }
  return rows.sort(compareRows).slice(0, limit);
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** One span as the critical-path walk needs it: times in ns from any common origin (numbers are exact to 2^53). */
export interface PathSpan {
  spanId: string;
  parentSpanId: string | null;
  service: string;
  name: string;
  start: number;
  end: number;
}

/**
 * Critical-path self time per operation (`service\u0000name`) under `rootId`: walking back from the
 * root's end, at each point the last child to finish before it is what the parent waited on; where no
 * child ran, the span itself was the work. Jaeger UI's algorithm, as apps/web/src/lib/model/critical-path.ts
 * draws it on the waterfall; children are clipped to their parent.
 */
export function criticalSelfTime(spans: readonly PathSpan[], rootId: string): Map<string, number> {
  const byId = new Map<string, PathSpan>();
  for (const s of spans) byId.set(s.spanId, s);
  const kids = new Map<string, PathSpan[]>();
  for (const s of spans)
    if (s.parentSpanId !== null && byId.has(s.parentSpanId) && s.spanId !== rootId) {
      const k = kids.get(s.parentSpanId);
      if (k) k.push(s);
      else kids.set(s.parentSpanId, [s]);
    }
  const out = new Map<string, number>();
  const root = byId.get(rootId);
  if (!root) return out;
  const add = (s: PathSpan, ns: number) => {
    const op = `${s.service}\u0000${s.name}`;
    if (ns > 0) out.set(op, (out.get(op) ?? 0) + ns);
  };
  // Iterative, with an explicit stack of [span, clipped start, clipped end, section end].
  const walk = (span: PathSpan, lo: number, hi: number) => {
    const stack: [PathSpan, number, number, number][] = [[span, lo, hi, hi]];
    let steps = spans.length * 4 + 8;
    while (stack.length && steps-- > 0) {
      const top = stack[stack.length - 1]!;
      const [s, sLo, sHi, sectionEnd] = top;
      // The last child (clipped to the span) that ended at or before the section end.
      let best: PathSpan | undefined;
      let bestEnd = -Infinity;
      for (const c of kids.get(s.spanId) ?? []) {
        const cEnd = Math.min(c.end, sHi);
        const cStart = Math.max(c.start, sLo);
        if (cEnd < cStart || cStart >= sectionEnd) continue;
        const e = Math.min(cEnd, sectionEnd);
        if (e > bestEnd || (e === bestEnd && best && c.start > best.start)) {
          best = c;
          bestEnd = e;
        }
      }
      if (best) {
        const cStart = Math.max(best.start, sLo);
        add(s, sectionEnd - bestEnd);
        top[3] = cStart;
        stack.push([best, cStart, bestEnd, bestEnd]);
      } else {
        add(s, sectionEnd - sLo);
        stack.pop();
      }
    }
  };
  walk(root, root.start, root.end);
  return out;
}
