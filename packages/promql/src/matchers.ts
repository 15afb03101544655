import type { Labels } from '@pivot/model';
import type { LabelMatcher } from './types.ts';
import { matchesAnchored } from './regex.ts';

/** Whether one matcher accepts a label value; an absent label has the value "". */
export function matchValue(m: LabelMatcher, value: string): boolean {
  switch (m.type) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return matchesAnchored(m.value, value);
    case '!~':
      return !matchesAnchored(m.value, value);
  }
}

export function matchesAll(matchers: readonly LabelMatcher[], labels: Labels): boolean {
  for (const m of matchers) if (!matchValue(m, labels[m.name] ?? '')) return false;
  return true;
}

/** Canonical identity of a selector's matcher set, so equal selectors are fetched once. */
export function matchersKey(matchers: readonly LabelMatcher[]): string {
  return matchers
    .map((m) => `${m.name}\xff${m.type}\xff${m.value}`)
    .sort()
    .join('\xfe');
}
