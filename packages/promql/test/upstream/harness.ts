// Runs the eval commands of Prometheus' test scripts against anything that answers like
// /api/v1/query(_range), exactly as (*Test).exec and (*evalCmd).compareResult in promql/test.go do:
// the query at its time and, unless it calls an @-unsafe function, the same query with @ pinned on
// every selector at five other times; each instant result checked, then the same query as a range
// query over [t − 1m, t + 1m] step 1m checked at t.
// https://github.com/prometheus/prometheus/blob/v2.42.0/promql/test.go#L565
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Labels } from '@pivot/model';
import type { QueryResult, StoredSeries } from '../../src/index.ts';
import { withAtModifiers } from './print.ts';
import { parseScript, type Command, type EvalCommand, type ExpectedSample } from './script.ts';

export const TESTDATA_DIR = join(import.meta.dirname, 'testdata');

/** The engine options of the harness's clear(): MaxSamples 10000, 1m default subquery step. */
export const HARNESS_MAX_SAMPLES = 10_000;

export type Outcome = { ok: true; data: QueryResult } | { ok: false; errorType: string; error: string };

/** Asks one /api/v1/query (params: query, time) or /api/v1/query_range (query, start, end, step). */
export type Ask = (params: Record<string, string>) => Promise<Outcome>;

export interface ScriptFile {
  name: string;
  commands: Command[];
}

/** The upstream .test files, or null when get-testdata.sh has not been run. */
export function readTestdata(dir = TESTDATA_DIR): ScriptFile[] | null {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.test'));
  } catch {
    return null;
  }
  if (names.length === 0) return null;
  return names.sort().map((name) => ({ name, commands: parseScript(readFileSync(join(dir, name), 'utf8')) }));
}

/** An eval command with the series loaded at that point of its script (since the last clear). */
export interface EvalCase {
  file: string;
  cmd: EvalCommand;
  /** Index of the storage state (one per clear) within the file, starting at 0. */
  segment: number;
  series: StoredSeries[];
}

/** Replays load and clear commands, so that each eval knows the storage it runs against. */
export function evalCases(file: ScriptFile): EvalCase[] {
  const out: EvalCase[] = [];
  let segment = 0;
  let storage = new Map<string, StoredSeries>();
  // One array per storage state: evals between the same loads share it, so a backend can tell when to reload.
  let snapshot: StoredSeries[] = [];
  for (const c of file.commands) {
    if (c.kind === 'clear') {
      storage = new Map();
      segment++;
      snapshot = [];
    } else if (c.kind === 'load') {
      for (const s of c.series) {
        const k = labelsKey(s.labels);
        const prev = storage.get(k);
        storage.set(k, prev ? append(prev, s, file.name, c.line) : s);
      }
      snapshot = [...storage.values()];
    } else out.push({ file: file.name, cmd: c, segment, series: snapshot });
  }
  return out;
}

/** A later load of the same series appends to it, as the TSDB does; going back in time is an error there. */
function append(a: StoredSeries, b: StoredSeries, file: string, line: number): StoredSeries {
  if (b.timestamps.length === 0) return a;
  if (a.timestamps.length && b.timestamps[0]! <= a.timestamps[a.timestamps.length - 1]!)
    throw new Error(`${file}:${line}: out-of-order samples for ${JSON.stringify(a.labels)}`);
  const timestamps = new Float64Array(a.timestamps.length + b.timestamps.length);
  timestamps.set(a.timestamps);
  timestamps.set(b.timestamps, a.timestamps.length);
  // Copied as raw words: a stale marker's NaN payload must survive.
  const values = new Float64Array(timestamps.length);
  new BigUint64Array(values.buffer).set(new BigUint64Array(a.values.buffer, a.values.byteOffset, a.values.length));
  new BigUint64Array(values.buffer).set(
    new BigUint64Array(b.values.buffer, b.values.byteOffset, b.values.length),
    a.values.length,
  );
  return { labels: a.labels, timestamps, values };
}

export const labelsKey = (l: Labels): string =>
  JSON.stringify(
    Object.keys(l)
      .sort()
      .map((k) => [k, l[k]]),
  );

const MIN_NORMAL = 2.2250738585072014e-308;
const EPSILON = 0.000001;

/** almostEqual in promql/test.go: relative error below 1e-6, NaN equal to NaN. */
export function almostEqual(a: number, b: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || diff < MIN_NORMAL) return diff < EPSILON * MIN_NORMAL;
  return diff / (Math.abs(a) + Math.abs(b)) < EPSILON;
}

const parseValue = (s: string): number => (s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : Number(s));

type Got = { kind: 'vector'; samples: { labels: Labels; value: number }[] } | { kind: 'scalar'; value: number };

// follows (*evalCmd).compareResult
function compare(cmd: EvalCommand, got: Got): string | null {
  if (got.kind === 'scalar') {
    if (cmd.expect.kind !== 'scalar') return `got scalar ${got.value}, expected a vector`;
    return almostEqual(cmd.expect.value, got.value) ? null : `expected scalar ${cmd.expect.value} but got ${got.value}`;
  }
  // A number line expects a scalar; its entry has no labels, so any sample is unexpected.
  const expected: ExpectedSample[] = cmd.expect.kind === 'vector' ? cmd.expect.samples : [];
  const byKey = new Map(expected.map((e) => [labelsKey(e.labels), e]));
  const seen = new Set<string>();
  for (let pos = 0; pos < got.samples.length; pos++) {
    const s = got.samples[pos]!;
    const k = labelsKey(s.labels);
    const exp = byKey.get(k);
    if (!exp) return `unexpected metric ${k} in result`;
    if (cmd.ordered && exp.pos !== pos + 1)
      return `expected metric ${k} with ${exp.value} at position ${exp.pos} but was at ${pos + 1}`;
    if (!almostEqual(exp.value, s.value)) return `expected ${exp.value} for ${k} but got ${s.value}`;
    seen.add(k);
  }
  if (cmd.expect.kind === 'scalar') return `expected scalar ${cmd.expect.value}, got a vector`;
  for (const e of expected)
    if (!seen.has(labelsKey(e.labels)))
      return `expected metric ${labelsKey(e.labels)} with ${e.value} not found (got ${JSON.stringify(got.samples)})`;
  return null;
}

function instantGot(data: QueryResult): Got | string {
  switch (data.resultType) {
    case 'vector':
      return {
        kind: 'vector',
        samples: data.result.map((s) => ({ labels: s.metric, value: parseValue(s.value[1]) })),
      };
    case 'scalar':
      return { kind: 'scalar', value: parseValue(data.result[1]) };
    case 'matrix':
      return 'received range result on instant evaluation';
    case 'string':
      return 'received a string result, which the harness cannot compare';
  }
}

/** The points of a range result at exactly `timeMs`, as the vector (or scalar) the harness compares. */
function rangeGotAt(data: QueryResult, timeMs: number, scalar: boolean): Got | string {
  if (data.resultType !== 'matrix') return `range query returned ${data.resultType}`;
  const samples: { labels: Labels; value: number }[] = [];
  for (const s of data.result) {
    const p = s.values.find((v) => v[0] * 1000 === timeMs);
    if (p) samples.push({ labels: s.metric, value: parseValue(p[1]) });
  }
  if (scalar) return samples.length ? { kind: 'scalar', value: samples[0]!.value } : 'range query has no point at t';
  return { kind: 'vector', samples };
}

/** The queries an eval runs: the original at its time, then the @-pinned variants (atModifierTestCases). */
export function evalQueries(cmd: EvalCommand): { expr: string; timeMs: number }[] {
  const ts = cmd.timeMs;
  const out = [{ expr: cmd.expr, timeMs: ts }];
  const pinned = withAtModifiers(cmd.expr, ts);
  if (pinned === null) return out;
  const times = ts === 0 ? [-1000, 0, 1000] : [-10 * ts, 0, Math.trunc(ts / 5), ts, 10 * ts];
  for (const t of times) out.push({ expr: pinned, timeMs: t });
  return out;
}

const secs = (ms: number): string => String(ms / 1000);

/** Runs one eval command; returns null when it passes, else what went wrong first. */
export async function runEval(cmd: EvalCommand, ask: Ask): Promise<string | null> {
  for (const q of evalQueries(cmd)) {
    const where = `${q.expr} at ${q.timeMs / 1000}s`;
    const res = await ask({ query: q.expr, time: secs(q.timeMs) });
    if (!res.ok) {
      // A failure the harness accepts is an evaluation error; a query refused as malformed is not one.
      if (cmd.fail && res.errorType === 'execution') continue;
      return `error evaluating ${where}: ${res.errorType}: ${res.error}`;
    }
    if (cmd.fail) return `expected error evaluating ${where} but got none`;
    const got = instantGot(res.data);
    const err = typeof got === 'string' ? got : compare(cmd, got);
    if (err) return `${where}: ${err}`;
    const range = await ask({
      query: q.expr,
      start: secs(q.timeMs - 60_000),
      end: secs(q.timeMs + 60_000),
      step: '60',
    });
    if (!range.ok) return `error evaluating ${where} in range mode: ${range.errorType}: ${range.error}`;
    if (cmd.ordered) continue;
    const at = rangeGotAt(range.data, q.timeMs, res.data.resultType === 'scalar');
    const rerr = typeof at === 'string' ? at : compare(cmd, at);
    if (rerr) return `${where} range mode: ${rerr}`;
  }
  return null;
}
