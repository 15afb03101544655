// How often a metric is scraped (or remote-written), for $__rate_interval: counted by the server
// (count_over_time: a small answer whatever the number of series), and remembered for an hour per selector (scrape configs rarely
// change), so only the first view of a metric pays the extra request.
import { api } from '../api/client.ts';
import { scrapeIntervalFromCounts } from '../model/promql-vars.ts';

const TTL_MS = 3_600_000;
const mem = new Map<string, { s: number; at: number }>();
const key = (selector: string) => `pivot.scrape.${selector}`;

function cached(selector: string): number | null {
  const hit = mem.get(selector);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.s;
  try {
    const v = JSON.parse(localStorage.getItem(key(selector)) ?? 'null') as { s: number; at: number } | null;
    if (v && Date.now() - v.at < TTL_MS && v.s > 0) {
      mem.set(selector, v);
      return v.s;
    }
  } catch {
    // no storage: ask the server
  }
  return null;
}

/**
 * Seconds between samples of `selector` over [startS, endS]; null when it has too few samples to
 * tell. First the samples per series in the two minutes before `endS` (one cheap instant query);
 * when no series covers those two minutes (data that ends earlier, or started within them, or a
 * scrape slower than 15 s), per minute (or ten, for slow scrapes) across the range.
 */
export async function scrapeInterval(
  selector: string,
  startS: number,
  endS: number,
  signal?: AbortSignal,
): Promise<number | null> {
  const hit = cached(selector);
  if (hit !== null) return hit;
  // Only series sampled both just before the two minutes and at their end: a series that started
  // or stopped within them would count short.
  const recent = await api.query(
    `max(count_over_time(${selector}[120s]) and count_over_time(${selector}[15s] offset 120s) and count_over_time(${selector}[15s]))`,
    endS,
    signal,
  );
  let s = scrapeIntervalFromCounts(
    recent.result.map((r) => Number(r.value?.[1])),
    120,
  );
  for (const windowS of [60, 600]) {
    if (s !== null) break;
    const step = Math.max(windowS, Math.ceil((endS - startS) / 200));
    const res = await api.queryRange(`max(count_over_time(${selector}[${windowS}s]))`, startS, endS, step, signal);
    s = scrapeIntervalFromCounts(
      (res.result[0]?.values ?? []).map(([, v]) => Number(v)),
      windowS,
    );
  }
  if (s !== null) {
    const v = { s, at: Date.now() };
    mem.set(selector, v);
    try {
      localStorage.setItem(key(selector), JSON.stringify(v));
    } catch {
      // private mode: remembered for this page only
    }
  }
  return s;
}
