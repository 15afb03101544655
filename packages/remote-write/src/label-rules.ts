// The remote-write 1.0 rules a series' labels must satisfy, as messages that name the rule broken.
// Checked on the labels as they arrive on the wire, before empty-valued ones are dropped.

export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const METRIC_NAME_LABEL = '__name__';

const MAX_QUOTED = 64;

/** Quotes a value for an error message, shortened so that a huge label cannot make a huge message. */
export function quote(s: string): string {
  const q = s.length > MAX_QUOTED ? `${s.slice(0, MAX_QUOTED)}…` : s;
  return JSON.stringify(q);
}

/** Checks the next label name against the previous one; returns what is wrong, or null. */
export function checkLabelName(name: string, previous: string | null): string | null {
  if (!LABEL_NAME_RE.test(name)) return `label name ${quote(name)} does not match [a-zA-Z_][a-zA-Z0-9_]*`;
  if (previous !== null) {
    if (name === previous) return `duplicate label name ${quote(name)}`;
    // Valid names are ASCII, so UTF-16 order equals the byte order the spec means.
    if (name < previous) return `labels not sorted by name: ${quote(name)} comes after ${quote(previous)}`;
  }
  return null;
}

export function checkMetricName(name: string | undefined): string | null {
  if (name === undefined || name === '') return `missing ${METRIC_NAME_LABEL} label`;
  if (!METRIC_NAME_RE.test(name)) return `metric name ${quote(name)} does not match [a-zA-Z_:][a-zA-Z0-9_:]*`;
  return null;
}
