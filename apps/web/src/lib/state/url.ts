// Every view keeps its state in its URL, so any view can be shared or reloaded. These helpers
// change query parameters without a new history entry for every keystroke.
import { goto } from '$app/navigation';
import { page } from '$app/state';

export type ParamUpdates = Record<string, string | number | null | undefined | string[]>;

export function urlWith(updates: ParamUpdates, base: URL = page.url): string {
  const url = new URL(base);
  for (const [k, v] of Object.entries(updates)) {
    url.searchParams.delete(k);
    if (Array.isArray(v)) for (const x of v) url.searchParams.append(k, x);
    else if (v !== null && v !== undefined && v !== '') url.searchParams.set(k, String(v));
  }
  return url.pathname + url.search + url.hash;
}

/** Updates query parameters; `push` adds a history entry (a new query), else it replaces. */
export function setParams(updates: ParamUpdates, opts: { push?: boolean } = {}): Promise<void> {
  return goto(urlWith(updates), { replaceState: !opts.push, keepFocus: true, noScroll: true });
}

export function param(name: string, def = ''): string {
  return page.url.searchParams.get(name) ?? def;
}
