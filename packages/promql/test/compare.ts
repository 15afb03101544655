// Normalises and compares /api/v1/query(_range) `data` payloads within float tolerance.
import type { QueryResult } from '../src/index.ts';

const REL = 1e-9;
const ABS = 1e-12;

const parseValue = (s: string): number => (s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : Number(s));

export function closeEnough(a: string, b: string): boolean {
  if (a === b) return true;
  const x = parseValue(a);
  const y = parseValue(b);
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y);
  if (!Number.isFinite(x) || !Number.isFinite(y)) return x === y;
  const d = Math.abs(x - y);
  return d <= ABS || d <= REL * Math.max(Math.abs(x), Math.abs(y));
}

const labelKey = (m: Record<string, string>): string =>
  JSON.stringify(
    Object.keys(m)
      .sort()
      .map((k) => [k, m[k]]),
  );

type Entry = { metric: Record<string, string>; values: [number, string][] };

function entries(d: QueryResult, ordered: boolean): Entry[] {
  let out: Entry[];
  switch (d.resultType) {
    case 'vector':
      out = d.result.map((s) => ({ metric: s.metric, values: [s.value] }));
      break;
    case 'matrix':
      out = d.result.map((s) => ({ metric: s.metric, values: s.values }));
      break;
    default:
      return [{ metric: {}, values: [d.result] }];
  }
  if (!ordered) out = [...out].sort((a, b) => (labelKey(a.metric) < labelKey(b.metric) ? -1 : 1));
  return out;
}

/** Returns null when equal, else a description of the first difference. */
export function diff(expected: QueryResult, actual: QueryResult, ordered = false): string | null {
  if (expected.resultType !== actual.resultType)
    return `resultType: prometheus ${expected.resultType}, ours ${actual.resultType}`;
  if (expected.resultType === 'string') {
    return expected.result[0] === actual.result[0] && expected.result[1] === actual.result[1]
      ? null
      : `string: prometheus ${JSON.stringify(expected.result)}, ours ${JSON.stringify(actual.result)}`;
  }
  const e = entries(expected, ordered);
  const a = entries(actual, ordered);
  const eKeys = e.map((x) => labelKey(x.metric));
  const aKeys = a.map((x) => labelKey(x.metric));
  if (eKeys.join('\n') !== aKeys.join('\n'))
    return `series differ:\n  prometheus: ${eKeys.join(' ')}\n  ours:       ${aKeys.join(' ')}`;
  for (let i = 0; i < e.length; i++) {
    const ev = e[i]!.values;
    const av = a[i]!.values;
    const where = eKeys[i];
    if (ev.length !== av.length) {
      const et = ev.map((p) => p[0]);
      const at = av.map((p) => p[0]);
      const missing = et.filter((t) => !at.includes(t)).slice(0, 5);
      const extra = at.filter((t) => !et.includes(t)).slice(0, 5);
      return `${where}: ${ev.length} points in prometheus, ${av.length} in ours (missing ${missing.join(',')}, extra ${extra.join(',')})`;
    }
    for (let j = 0; j < ev.length; j++) {
      if (ev[j]![0] !== av[j]![0]) return `${where}: timestamp #${j} prometheus ${ev[j]![0]}, ours ${av[j]![0]}`;
      if (!closeEnough(ev[j]![1], av[j]![1]))
        return `${where} @${ev[j]![0]}: prometheus ${ev[j]![1]}, ours ${av[j]![1]}`;
    }
  }
  return null;
}
