// The evidence an alert carries into Alertmanager: up to five trace IDs from exemplars of the alert's
// series in its window (pivot_exemplar_traces), or, when those series have none (recording rules, log
// counts, span metrics summed by service), from the span or log data that the alert's labels point at;
// and a link to the metrics page at that window (pivot_url), where they open their traces and logs.
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

/**
 * Where to look for traces when the alert's series carry no exemplars: the store's
 * AlertEvidenceQueries.slowestTraces (kind `spans`) or .logTraces (kind `logs`).
 */
export type TraceEvidenceQuery =
  | { kind: 'spans'; service?: string; spanName?: string; errorsOnly?: boolean }
  | { kind: 'logs'; service?: string; minSeverity: number };

/** The log series pivot derives per service and severity band (servicegraph fold). */
export const LOG_RECORDS_METRIC = 'pivot_log_records_total';

/** OTLP severity numbers where each band starts (WARN 13, ERROR 17, FATAL 21). */
const SEVERITY_FLOOR: Record<string, number> = { warn: 13, error: 17, fatal: 21 };

/**
 * Which spans or logs match an alert, from its labels: `service` / `service_name` / `job` name the
 * service, `span_name` / `operation` the span name, a `status_code` that says error keeps error spans.
 * An alert over `pivot_log_records_total` (`metricNames`: the metrics its expression reads, through
 * recording rules) gets the traces of that service's error logs (or of its `severity` band when that is
 * warn or fatal). Null when the labels name nothing to match: any trace would be noise.
 */
export function traceEvidenceQuery(alertLabels: Labels, metricNames: readonly string[]): TraceEvidenceQuery | null {
  const service = alertLabels.service ?? alertLabels.service_name ?? alertLabels.job;
  const withService = service !== undefined && service !== '' ? { service } : {};
  if (metricNames.includes(LOG_RECORDS_METRIC)) {
    const band = SEVERITY_FLOOR[(alertLabels.severity ?? '').toLowerCase()];
    return { kind: 'logs', ...withService, minSeverity: band ?? SEVERITY_FLOOR.error! };
  }
  const spanName = alertLabels.span_name ?? alertLabels.operation;
  const errorsOnly = /error/i.test(alertLabels.status_code ?? '');
  if (!withService.service && !spanName && !errorsOnly) return null;
  return {
    kind: 'spans',
    ...withService,
    ...(spanName ? { spanName } : {}),
    ...(errorsOnly ? { errorsOnly } : {}),
  };
}
