// Runs a log pipeline (line filters, parsers, label filters, drop, label_format) over one entry, as
// Loki's pkg/logql/log does: parsers add labels (with `_extracted` when the name is already taken),
// a failed parse or numeric conversion sets `__error__` and keeps the line, and filters see the labels
// as earlier stages left them.
import type { LabelFilter, LabelFormat, Matcher, Stage, TemplateArg, TemplatePart } from './ast.ts';
import { matchesWhole, matchesWithin } from './regex.ts';

export type Labels = Record<string, string>;

/** One log line with the labels it is stored with. */
export interface LogEntry {
  line: string;
  /** Stream labels: what `{…}` selects and what identifies a stream. */
  stream: Labels;
  /** Structured metadata: per-line labels such as trace_id and the record's attributes. */
  metadata: Labels;
}

/** The labels of an entry after its pipeline, in Loki's three categories. */
export interface Processed {
  stream: Labels;
  metadata: Labels;
  parsed: Labels;
}

export const ERROR_LABEL = '__error__';
export const ERROR_DETAILS_LABEL = '__error_details__';

/** Loki's label-name sanitising (prometheus model's LabelName rules): other characters become `_`. */
export function sanitizeLabelName(name: string): string {
  let s = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (/^[0-9]/.test(s)) s = `_${s}`;
  return s;
}

class LabelSet {
  constructor(
    readonly stream: Labels,
    readonly metadata: Labels,
    readonly parsed: Labels,
  ) {}
  get(name: string): string | undefined {
    if (Object.hasOwn(this.parsed, name)) return this.parsed[name];
    if (Object.hasOwn(this.metadata, name)) return this.metadata[name];
    if (Object.hasOwn(this.stream, name)) return this.stream[name];
    return undefined;
  }
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }
  /** A label a parser found: renamed with `_extracted` when the stream or metadata already has it. */
  addParsed(name: string, value: string): void {
    const key = Object.hasOwn(this.stream, name) || Object.hasOwn(this.metadata, name) ? `${name}_extracted` : name;
    if (!Object.hasOwn(this.parsed, key)) this.parsed[key] = value;
  }
  set(name: string, value: string): void {
    this.parsed[name] = value;
  }
  delete(name: string): void {
    delete this.parsed[name];
    delete this.metadata[name];
    delete this.stream[name];
  }
  setError(kind: string, details: string): void {
    this.parsed[ERROR_LABEL] = kind;
    this.parsed[ERROR_DETAILS_LABEL] = details;
  }
}

export function matchMatcher(m: Matcher, value: string | undefined): boolean {
  const v = value ?? '';
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return matchesWhole(m.value, v);
    case '!~':
      return !matchesWhole(m.value, v);
  }
}

function flattenJson(value: unknown, prefix: string, out: (k: string, v: string) => void): void {
  if (value === null || value === undefined || Array.isArray(value)) return;
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      flattenJson(v, prefix ? `${prefix}_${sanitizeLabelName(k)}` : sanitizeLabelName(k), out);
    return;
  }
  if (typeof value === 'string') out(prefix, value);
  else if (typeof value === 'number' || typeof value === 'boolean') out(prefix, String(value));
}

function parseJson(line: string, set: LabelSet): void {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch (err) {
    set.setError('JSONParserErr', (err as Error).message);
    return;
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    set.setError('JSONParserErr', "Value looks like object, but can't find closing '}' symbol");
    return;
  }
  flattenJson(obj, '', (k, v) => set.addParsed(k, v));
}

/** go-logfmt's decoder: `key=value`, `key="quoted \" value"`, bare `key`; errors on stray quotes or `=`. */
export function parseLogfmt(line: string): { pairs: [string, string][]; error?: string } {
  const pairs: [string, string][] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && line.charCodeAt(i) <= 32) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && line.charCodeAt(i) > 32 && line[i] !== '=' && line[i] !== '"') i++;
    if (i === start) return { pairs, error: `logfmt syntax error at pos ${i + 1}: unexpected '${line[i]}'` };
    const key = line.slice(start, i);
    if (i < n && line[i] === '"') return { pairs, error: `logfmt syntax error at pos ${i + 1}: unexpected '"'` };
    if (i >= n || line[i] !== '=') {
      pairs.push([key, '']);
      continue;
    }
    i++;
    if (i < n && line[i] === '"') {
      let j = i + 1;
      let value = '';
      let closed = false;
      while (j < n) {
        const c = line[j]!;
        if (c === '\\' && j + 1 < n) {
          const e = line[j + 1]!;
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
          j += 2;
          continue;
        }
        if (c === '"') {
          closed = true;
          break;
        }
        value += c;
        j++;
      }
      if (!closed) return { pairs, error: `logfmt syntax error at pos ${n + 1}: unterminated quoted value` };
      pairs.push([key, value]);
      i = j + 1;
      continue;
    }
    const vs = i;
    while (i < n && line.charCodeAt(i) > 32) {
      if (line[i] === '=' || line[i] === '"')
        return { pairs, error: `logfmt syntax error at pos ${i + 1}: unexpected '${line[i]}'` };
      i++;
    }
    pairs.push([key, line.slice(vs, i)]);
  }
  return { pairs };
}

function applyLogfmt(line: string, set: LabelSet): void {
  const { pairs, error } = parseLogfmt(line);
  for (const [k, v] of pairs) {
    const key = sanitizeLabelName(k);
    // Loki skips bare keys (no value), which go-logfmt reports with a nil value.
    if (key && v !== '') set.addParsed(key, v);
  }
  if (error) set.setError('LogfmtParserErr', error);
}

function evalFilter(f: LabelFilter, set: LabelSet): boolean {
  if (f.kind !== 'compare')
    return f.kind === 'and'
      ? evalFilter(f.left, set) && evalFilter(f.right, set)
      : evalFilter(f.left, set) || evalFilter(f.right, set);
  const v = set.get(f.name);
  if (!f.numeric) {
    const op = f.op === '=' || f.op === '==' ? '=' : (f.op as Matcher['op']);
    return matchMatcher({ name: f.name, op, value: f.value }, v);
  }
  // Loki's NumericLabelFilter: a missing label passes only `!=`; a value that is not a number keeps the
  // line with __error__ set, so that `| __error__=""` or `| drop __error__` decides.
  if (v === undefined) return f.op === '!=';
  const x = v.trim() === '' ? NaN : Number(v);
  if (Number.isNaN(x)) {
    set.setError('LabelFilterErr', `strconv.ParseFloat: parsing ${JSON.stringify(v)}: invalid syntax`);
    return true;
  }
  const y = Number(f.value);
  switch (f.op) {
    case '==':
    case '=':
      return x === y;
    case '!=':
      return x !== y;
    case '>':
      return x > y;
    case '>=':
      return x >= y;
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    default:
      return false;
  }
}

function templateArg(a: TemplateArg, set: LabelSet, line: string): string {
  return a.kind === 'string' ? a.value : a.kind === 'line' ? line : (set.get(a.name) ?? '');
}

function renderTemplate(parts: TemplatePart[], set: LabelSet, line: string): string {
  let out = '';
  for (const p of parts) {
    if (p.kind === 'text') out += p.text;
    else if (p.kind === 'line') out += line;
    else if (p.kind === 'label') out += set.get(p.name) ?? '';
    // Sprig's contains: strings.Contains(haystack, needle).
    else out += String(templateArg(p.haystack, set, line).includes(templateArg(p.needle, set, line)));
  }
  return out;
}

function applyFormats(formats: LabelFormat[], set: LabelSet, line: string): void {
  // All templates of one stage see the labels as they were before it (Loki renders then sets).
  const values = formats.map((f) =>
    f.kind === 'rename' ? (set.get(f.source) ?? '') : renderTemplate(f.parts, set, line),
  );
  formats.forEach((f, i) => {
    if (f.kind === 'rename' && f.source !== f.name) set.delete(f.source);
    set.set(f.name, values[i]!);
  });
}

export function lineFilterMatches(op: '|=' | '!=' | '|~' | '!~', value: string, line: string): boolean {
  switch (op) {
    case '|=':
      return line.includes(value);
    case '!=':
      return !line.includes(value);
    case '|~':
      return matchesWithin(value, line);
    case '!~':
      return !matchesWithin(value, line);
  }
}

/** Runs `stages` over an entry: its labels afterwards, or null when a filter drops it. */
export function runPipeline(stages: readonly Stage[], entry: LogEntry): Processed | null {
  const set = new LabelSet({ ...entry.stream }, { ...entry.metadata }, {});
  for (const s of stages) {
    switch (s.kind) {
      case 'line':
        if (!lineFilterMatches(s.op, s.value, entry.line)) return null;
        break;
      case 'json':
        parseJson(entry.line, set);
        break;
      case 'logfmt':
        applyLogfmt(entry.line, set);
        break;
      case 'labelFilter':
        if (!evalFilter(s.filter, set)) return null;
        break;
      case 'drop':
        for (const n of s.names) {
          set.delete(n);
          if (n === ERROR_LABEL) set.delete(ERROR_DETAILS_LABEL);
        }
        break;
      case 'labelFormat':
        applyFormats(s.formats, set, entry.line);
        break;
    }
  }
  return { stream: set.stream, metadata: set.metadata, parsed: set.parsed };
}

/** Every label of a processed entry in one set, as Loki shows them without categorize-labels. */
export function allLabels(p: Processed): Labels {
  return { ...p.stream, ...p.metadata, ...p.parsed };
}

/** Loki's label-set string, `{a="1", b="2"}`, sorted by name: a stable key for streams and series. */
export function labelsKey(labels: Labels): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(', ')}}`;
}
