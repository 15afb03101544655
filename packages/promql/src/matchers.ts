import type { LabelMatcher } from './types.ts';

export { matchValue, matchesAll } from '@pivot/matchers';

/** Canonical identity of a selector's matcher set, so equal selectors are fetched once. */
export function matchersKey(matchers: readonly LabelMatcher[]): string {
  return matchers
    .map((m) => `${m.name}\xff${m.type}\xff${m.value}`)
    .sort()
    .join('\xfe');
}
