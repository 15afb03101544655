import type { Labels } from '@pivot/model';

// Label sets are compared and grouped through string keys built once per series: 0xff never occurs in
// valid UTF-8, so it separates names and values unambiguously (the same trick as Prometheus' label hashing).
const SEP = '\xff';

export const METRIC_NAME = '__name__';

export function sortedNames(l: Labels): string[] {
  return Object.keys(l).sort();
}

/** Identity of a whole label set. Empty values are the same as absent labels. */
export function labelsKey(l: Labels): string {
  let k = '';
  for (const n of sortedNames(l)) {
    const v = l[n]!;
    if (v !== '') k += n + SEP + v + SEP;
  }
  return k;
}

/** Key over only `names` (pre-sorted), as Prometheus' HashForLabels / BytesWithLabels. */
export function keyWith(l: Labels, names: readonly string[]): string {
  let k = '';
  for (const n of names) {
    const v = l[n];
    if (v !== undefined && v !== '') k += n + SEP + v + SEP;
  }
  return k;
}

/** Key over all labels except `excluded`, as Prometheus' HashWithoutLabels / BytesWithoutLabels. */
export function keyWithout(l: Labels, excluded: ReadonlySet<string>): string {
  let k = '';
  for (const n of sortedNames(l)) {
    if (excluded.has(n)) continue;
    const v = l[n]!;
    if (v !== '') k += n + SEP + v + SEP;
  }
  return k;
}

export function dropMetricName(l: Labels): Labels {
  if (!(METRIC_NAME in l)) return l;
  const out: Labels = {};
  for (const n in l) if (n !== METRIC_NAME) out[n] = l[n]!;
  return out;
}

export function keepLabels(l: Labels, names: readonly string[]): Labels {
  const out: Labels = {};
  for (const n of names) {
    const v = l[n];
    if (v !== undefined && v !== '') out[n] = v;
  }
  return out;
}

export function withoutLabels(l: Labels, names: ReadonlySet<string>): Labels {
  const out: Labels = {};
  for (const n in l) if (!names.has(n)) out[n] = l[n]!;
  return out;
}

/** Same label set with keys in name order, so JSON output is deterministic like Prometheus'. */
export function sortLabels(l: Labels): Labels {
  const out: Labels = {};
  for (const n of sortedNames(l)) if (l[n] !== '') out[n] = l[n]!;
  return out;
}

/** prometheus/model/labels.Compare: pairwise by name then value, then shorter first. */
export function compareLabels(a: Labels, b: Labels): number {
  const an = sortedNames(a);
  const bn = sortedNames(b);
  const n = Math.min(an.length, bn.length);
  for (let i = 0; i < n; i++) {
    const x = an[i]!;
    const y = bn[i]!;
    if (x !== y) return x < y ? -1 : 1;
    const xv = a[x]!;
    const yv = b[y]!;
    if (xv !== yv) return xv < yv ? -1 : 1;
  }
  return an.length - bn.length;
}

/**
 * A string whose ordering equals labels.Compare's (for label text without NUL): NUL sorts below every
 * other character, so a shorter name or value orders first, as in a pairwise comparison.
 */
export function labelsSortKey(l: Labels): string {
  let k = '';
  for (const n of sortedNames(l)) k += n + '\x00' + l[n]! + '\x00';
  return k;
}

/** labelsKey and labelsSortKey together, sorting the names once (done for every fetched series). */
export function labelKeys(l: Labels): { key: string; sortKey: string } {
  let key = '';
  let sortKey = '';
  for (const n of sortedNames(l)) {
    const v = l[n]!;
    if (v !== '') key += n + SEP + v + SEP;
    sortKey += n + '\x00' + v + '\x00';
  }
  return { key, sortKey };
}

/** Prometheus' Labels.String(): {a="1", b="2"}, used inside error messages. */
export function labelsString(l: Labels): string {
  return (
    '{' +
    sortedNames(l)
      .map((n) => `${n}=${JSON.stringify(l[n])}`)
      .join(', ') +
    '}'
  );
}

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const isValidLabelName = (n: string): boolean => LABEL_NAME_RE.test(n);
