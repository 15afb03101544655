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
 * tell. Samples per minute, the most of any series, minute by minute over the last ten minutes of
 * the range (a cheap query, whatever the number of series; the median minute ignores series that
 * start or stop within it); for a range whose last ten minutes have no data, over the whole range,
 * then per ten minutes for slow scrapes.
 */
export async function scrapeInterval(
  selector: string,
  startS: number,
  endS: number,
  signal?: AbortSignal,
): Promise<number | null> {
  const hit = cached(selector);
  if (hit !== null) return hit;
  const counts = async (from: number, windowS: number) => {
    const step = Math.max(windowS, Math.ceil((endS - from) / 200));
    const res = await api.queryRange(`max(count_over_time(${selector}[${windowS}s]))`, from, endS, step, signal);
    return (res.result[0]?.values ?? []).map(([, v]) => Number(v));
  };
  const tail = await counts(Math.max(startS, endS - 600), 60);
  let s = scrapeIntervalFromCounts(tail, 60);
  if (s === null && tail.length === 0 && endS - startS > 600)
    s = scrapeIntervalFromCounts(await counts(startS, 60), 60);
  if (s === null) s = scrapeIntervalFromCounts(await counts(startS, 600), 600);
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
