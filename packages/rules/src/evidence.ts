// The evidence an alert carries into Alertmanager: up to five trace IDs from exemplars of the alert's
// series in its window (pivot_exemplar_traces), and a link to the metrics page at that window
// (pivot_url), where those exemplars are drawn and open their traces and logs.
import type { Labels } from '@pivot/model';

export interface ExemplarGroup {
  seriesLabels: Labels;
  exemplars: { value: number; timestampMs: number; traceId: string | null }[];
}

/** Exemplars of series that agree with the alert on every label both have; the highest values first. */
export function pickExemplarTraces(groups: readonly ExemplarGroup[], alertLabels: Labels, max = 5): string[] {
  const candidates: { value: number; ts: number; traceId: string }[] = [];
  for (const g of groups) {
    const agrees = Object.entries(g.seriesLabels).every(
      ([k, v]) => k === '__name__' || !(k in alertLabels) || alertLabels[k] === v,
    );
    if (!agrees) continue;
    for (const e of g.exemplars)
      if (e.traceId) candidates.push({ value: e.value, ts: e.timestampMs, traceId: e.traceId });
  }
  // The slowest (largest) first: for a latency alert these are the traces worth opening.
  candidates.sort((a, b) => b.value - a.value || b.ts - a.ts);
  const out: string[] = [];
  for (const c of candidates) {
    if (!out.includes(c.traceId)) out.push(c.traceId);
    if (out.length === max) break;
  }
  return out;
}

/** The dashboard's metrics page with the rule's expression over the alert's window, the window selected. */
export function alertPageURL(externalURL: string, expr: string, fromMs: number, toMs: number): string {
  const pad = Math.max(60_000, Math.round((toMs - fromMs) / 4));
  const q = new URLSearchParams({
    q: expr,
    from: String(fromMs - pad),
    to: String(toMs + pad),
    wfrom: String(fromMs),
    wto: String(toMs),
  });
  return `${externalURL}/metrics?${q.toString()}`;
}
