// Prometheus' PromQL test-script language (promql/test.go at v2.42.0), read into commands:
//   load <interval>        series descriptions, one a line, until a blank line
//   clear                  empties the storage
//   eval[_fail|_ordered] instant at <duration> <expr>
//                          expected samples (series descriptions with one value) or one number
// https://github.com/prometheus/prometheus/blob/v2.42.0/promql/test.go
import type { Labels } from '@pivot/model';
import type { StoredSeries } from '../../src/index.ts';
import { writeStaleMarker } from '../../src/index.ts';
import { parseGoFloat } from '../../src/functions/histogram.ts';
import { parseDuration, parseNumber, unquote } from '../../src/parser/literals.ts';

/** A value of a series description: a number, Prometheus' stale marker, or nothing at that step (`_`). */
export type SequenceValue = number | 'stale' | 'omitted';

export interface SeriesDescription {
  labels: Labels;
  values: SequenceValue[];
}

export interface LoadCommand {
  kind: 'load';
  line: number;
  intervalMs: number;
  series: StoredSeries[];
}

export interface ClearCommand {
  kind: 'clear';
  line: number;
}

export interface ExpectedSample {
  labels: Labels;
  value: number;
  /** 1-based position among the expectation lines (eval_ordered compares it). */
  pos: number;
}

export interface EvalCommand {
  kind: 'eval';
  line: number;
  expr: string;
  timeMs: number;
  fail: boolean;
  ordered: boolean;
  /** A scalar result (one number line), or the samples of a vector result (possibly none). */
  expect: { kind: 'scalar'; value: number } | { kind: 'vector'; samples: ExpectedSample[] };
}

export type Command = LoadCommand | ClearCommand | EvalCommand;

export class ScriptError extends Error {
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
  }
}

const PAT_LOAD = /^load\s+(.+?)$/;
const PAT_EVAL = /^eval(?:_(fail|ordered))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$/;

/** Reads a whole test file. Line numbers are 1-based, as Go reports them. */
export function parseScript(input: string): Command[] {
  // getLines: trimmed, and comment lines blanked.
  const lines = input.split('\n').map((l) => {
    const t = l.trim();
    return t.startsWith('#') ? '' : t;
  });
  const cmds: Command[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l === '') continue;
    const word = l.split(/[\t ]+/, 1)[0]!.toLowerCase();
    if (word === 'clear') cmds.push({ kind: 'clear', line: i + 1 });
    else if (word === 'load') {
      const m = PAT_LOAD.exec(l);
      if (!m) throw new ScriptError(i + 1, 'invalid load command. (load <step:duration>)');
      const intervalMs = parseDuration(m[1]!);
      const line = i + 1;
      // Within one load a later description of the same series replaces the earlier one (cmd.set).
      const defs = new Map<string, StoredSeries>();
      while (i + 1 < lines.length && lines[i + 1] !== '') {
        i++;
        const desc = parseSeriesDesc(lines[i]!, i + 1);
        defs.set(JSON.stringify(sortedEntries(desc.labels)), toStored(desc, intervalMs));
      }
      cmds.push({ kind: 'load', line, intervalMs, series: [...defs.values()] });
    } else if (word.startsWith('eval')) {
      const m = PAT_EVAL.exec(l);
      if (!m) throw new ScriptError(i + 1, 'invalid evaluation command');
      const line = i + 1;
      const cmd: EvalCommand = {
        kind: 'eval',
        line,
        expr: m[3]!,
        timeMs: parseDuration(m[2] ?? ''),
        fail: m[1] === 'fail',
        ordered: m[1] === 'ordered',
        expect: { kind: 'vector', samples: [] },
      };
      for (let j = 1; i + 1 < lines.length && lines[i + 1] !== ''; j++) {
        i++;
        const def = lines[i]!;
        const f = goParseNumber(def);
        if (f !== null) {
          cmd.expect = { kind: 'scalar', value: f };
          break;
        }
        const desc = parseSeriesDesc(def, i + 1);
        if (desc.values.length > 1)
          throw new ScriptError(i + 1, 'expecting multiple values in instant evaluation not allowed');
        const v = desc.values[0];
        if (cmd.expect.kind === 'vector')
          cmd.expect.samples.push({ labels: desc.labels, value: typeof v === 'number' ? v : NaN, pos: j });
      }
      cmds.push(cmd);
    } else throw new ScriptError(i + 1, `invalid command ${JSON.stringify(l)}`);
  }
  return cmds;
}

const sortedEntries = (l: Labels): [string, string][] => Object.entries(l).sort(([a], [b]) => (a < b ? -1 : 1));

/** Samples of a description loaded at 0, interval, 2·interval, … (loadCmd.set). */
function toStored(desc: SeriesDescription, intervalMs: number): StoredSeries {
  const kept = desc.values.map((v, i) => [i * intervalMs, v] as const).filter(([, v]) => v !== 'omitted');
  const timestamps = new Float64Array(kept.length);
  const values = new Float64Array(kept.length);
  kept.forEach(([t, v], k) => {
    timestamps[k] = t;
    if (v === 'stale') writeStaleMarker(values, k);
    else values[k] = v as number;
  });
  return { labels: desc.labels, timestamps, values };
}

/** The test harness's parseNumber: strconv.ParseInt(s, 0, 64), then strconv.ParseFloat(s, 64). */
export function goParseNumber(s: string): number | null {
  if (/^[+-]?(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/.test(s)) {
    const neg = s.startsWith('-');
    const body = s.replace(/^[+-]/, '').replace(/_/g, '');
    const n = /^0[0-7]+$/.test(body) ? BigInt('0o' + body.slice(1)) : BigInt(body);
    if (n < 2n ** 63n + (neg ? 1n : 0n)) return Number(neg ? -n : n);
  }
  return parseGoFloat(s);
}

// A number token of a series description: Go's scanNumber without hex (ambiguous with the x of
// repetitions), or the keywords inf and nan.
const NUM = String.raw`(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d*)?|[iI][nN][fF]|[nN][aA][nN])`;
const ITEM = new RegExp(String.raw`^(?:_(?:x(\d+))?|stale|([+-]?)(${NUM})(?:([+-])(${NUM}))?(?:x(\d+))?)$`);

/**
 * A series description: `metric{label="value", …} values…` (parser.ParseSeriesDesc). Values are
 * `_` (nothing), `stale`, numbers, `_xN` (N steps with nothing), `axN` (a, N more times) and `a+bxN` /
 * `a-bxN` (a, then N more steps adding b each time, by repeated float addition as Go does).
 */
export function parseSeriesDesc(text: string, line: number): SeriesDescription {
  const labels: Labels = {};
  let i = 0;
  const name = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(text);
  if (name) {
    labels['__name__'] = name[0];
    i = name[0].length;
  }
  if (text[i] === '{') {
    i++;
    const item = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)\s*(,?)/y;
    for (;;) {
      const rest = text.slice(i);
      const close = /^\s*\}/.exec(rest);
      if (close) {
        i += close[0].length;
        break;
      }
      item.lastIndex = i;
      const m = item.exec(text);
      if (!m) throw new ScriptError(line, `unexpected input in label set: ${JSON.stringify(rest)}`);
      // labels.NewBuilder(...).Set: the metric name given outside the braces wins over __name__ inside.
      if (!(m[1] === '__name__' && name)) labels[m[1]!] = unquote(m[2]!);
      i = item.lastIndex;
      if (m[3] !== ',' && !/^\s*\}/.test(text.slice(i)))
        throw new ScriptError(line, 'expected "," or "}" in label set');
    }
  }
  const rest = text.slice(i);
  if (rest !== '' && !/^\s/.test(rest))
    throw new ScriptError(line, `unexpected ${JSON.stringify(rest)} after the metric`);
  const values: SequenceValue[] = [];
  for (const tok of rest.split(/\s+/).filter((t) => t !== '')) {
    const m = ITEM.exec(tok);
    if (!m) throw new ScriptError(line, `invalid series value ${JSON.stringify(tok)}`);
    if (tok.startsWith('_')) {
      const n = m[1] === undefined ? 1 : Number(m[1]);
      for (let k = 0; k < n; k++) values.push('omitted');
      continue;
    }
    if (tok === 'stale') {
      values.push('stale');
      continue;
    }
    let v = seriesNumber(m[3]!, line);
    if (m[2] === '-') v = -v;
    const times = m[6] === undefined ? 0 : Number(m[6]);
    if (m[4] !== undefined && m[6] === undefined)
      throw new ScriptError(line, `missing repetition in ${JSON.stringify(tok)}`);
    let inc = m[5] === undefined ? 0 : seriesNumber(m[5], line);
    if (m[4] === '-') inc = -inc;
    for (let k = 0; k <= times; k++) {
      values.push(v);
      v += inc;
    }
  }
  return { labels, values };
}

function seriesNumber(text: string, line: number): number {
  try {
    return parseNumber(text);
  } catch (err) {
    throw new ScriptError(line, (err as Error).message);
  }
}
