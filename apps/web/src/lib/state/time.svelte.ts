// The page's time range and auto-refresh, both read from and written to the URL (from, to, refresh).
import { page } from '$app/state';
import {
  DEFAULT_RANGE,
  isRelative,
  parseDurationMs,
  resolveRange,
  type ResolvedRange,
  type TimeRange,
} from '../model/time-range.ts';
import { setParams } from './url.ts';

export const REFRESH_CHOICES = ['', '5s', '10s', '30s', '1m', '5m'];

export function rangeFromUrl(def: TimeRange = DEFAULT_RANGE): TimeRange {
  return { from: page.url.searchParams.get('from') || def.from, to: page.url.searchParams.get('to') || def.to };
}

export function setRange(r: TimeRange): Promise<void> {
  return setParams({ from: r.from, to: r.to }, { push: true });
}

/**
 * A clock for pages: `now` advances on each auto-refresh tick (and on demand), so a relative range
 * such as now-1h re-resolves and everything that depends on it reloads.
 */
export class RefreshClock {
  now = $state(Date.now());
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor() {
    $effect(() => {
      const every = parseDurationMs(page.url.searchParams.get('refresh') ?? '');
      const range = rangeFromUrl();
      clearInterval(this.#timer);
      // An absolute range cannot change: refreshing it would only reload the same data.
      if (every && isRelative(range)) this.#timer = setInterval(() => this.tick(), Math.max(every, 2000));
      return () => clearInterval(this.#timer);
    });
  }

  tick(): void {
    if (typeof document !== 'undefined' && document.hidden) return;
    this.now = Date.now();
  }

  resolve(r: TimeRange): ResolvedRange {
    return resolveRange(r, this.now);
  }
}
