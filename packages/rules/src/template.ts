// Go text/template for alert labels and annotations, the subset rule files use in practice:
// {{ $labels.x }}, {{ $value }}, {{ $externalLabels.x }}, {{ $externalURL }}, pipelines through humanize,
// humanize1024, humanizePercentage, humanizeDuration, printf, toUpper, toLower, parentheses and the
// {{- -}} trim markers. Prometheus' own functions are in template/template.go at v2.42.0. Anything else
// (if/range/with, query, reReplaceAll…) is refused when the file loads, with a message that says so,
// rather than expanded differently from Prometheus at 3 a.m.
import { formatG, formatValue, sprintf, type GoValue } from './gofmt.ts';

export interface TemplateData {
  labels: Readonly<Record<string, string>>;
  externalLabels: Readonly<Record<string, string>>;
  externalURL: string;
  value: number;
}

type Node = { kind: 'text'; text: string } | { kind: 'action'; pipe: Pipeline };
type Pipeline = Command[];
type Operand =
  | { kind: 'field'; root: '$labels' | '$externalLabels' | '$externalURL' | '$value' | '.'; path: string[] }
  | { kind: 'literal'; value: GoValue }
  | { kind: 'func'; name: string }
  | { kind: 'paren'; pipe: Pipeline };
type Command = Operand[];

export class TemplateError extends Error {}

const SUPPORTED = new Set([
  'humanize',
  'humanize1024',
  'humanizePercentage',
  'humanizeDuration',
  'printf',
  'toUpper',
  'toLower',
]);
// Prometheus' other template functions and Go's builtins: valid there, not implemented here.
const KNOWN = new Set([
  'query',
  'first',
  'label',
  'value',
  'strvalue',
  'args',
  'reReplaceAll',
  'safeHtml',
  'match',
  'title',
  'graphLink',
  'tableLink',
  'sortByLabel',
  'humanizeTimestamp',
  'pathPrefix',
  'externalURL',
  'stripPort',
  'stripDomain',
  'parseDuration',
  'toTime',
  'and',
  'or',
  'not',
  'len',
  'index',
  'slice',
  'print',
  'println',
  'html',
  'js',
  'urlquery',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'call',
]);
const KEYWORDS = new Set([
  'if',
  'else',
  'end',
  'range',
  'with',
  'define',
  'template',
  'block',
  'break',
  'continue',
  'nil',
]);

/** Parses a label or annotation template; throws TemplateError with Go's or pivot's message. */
export function parseTemplate(text: string, name: string): Node[] {
  const fail = (msg: string): never => {
    throw new TemplateError(`template: ${name}:1: ${msg}`);
  };
  const nodes: Node[] = [];
  let pos = 0;
  let trimNext = false;
  while (pos <= text.length) {
    const open = text.indexOf('{{', pos);
    let chunk = open < 0 ? text.slice(pos) : text.slice(pos, open);
    if (trimNext) chunk = chunk.replace(/^[ \t\r\n]+/, '');
    trimNext = false;
    let body = '';
    if (open >= 0) {
      const close = text.indexOf('}}', open + 2);
      if (close < 0) fail('unclosed action');
      body = text.slice(open + 2, close);
      if (/^-[ \t\r\n]/.test(body)) {
        chunk = chunk.replace(/[ \t\r\n]+$/, '');
        body = body.slice(1);
      }
      if (/[ \t\r\n]-$/.test(body)) {
        trimNext = true;
        body = body.slice(0, -1);
      }
      pos = close + 2;
    }
    if (chunk) nodes.push({ kind: 'text', text: chunk });
    if (open < 0) break;
    const trimmed = body.trim();
    if (trimmed.startsWith('/*')) {
      if (!trimmed.endsWith('*/')) fail('unclosed comment');
      continue;
    }
    if (trimmed === '') fail('missing value for command');
    nodes.push({ kind: 'action', pipe: parsePipeline(tokenize(trimmed, fail), fail) });
  }
  return nodes;
}

type Tok = { t: 'id' | 'str' | 'num' | 'pipe' | 'lp' | 'rp' | 'assign'; v: string };

function tokenize(s: string, fail: (m: string) => never): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) i++;
    else if (c === '|') {
      out.push({ t: 'pipe', v: c });
      i++;
    } else if (c === '(') {
      out.push({ t: 'lp', v: c });
      i++;
    } else if (c === ')') {
      out.push({ t: 'rp', v: c });
      i++;
    } else if (s.startsWith(':=', i) || c === '=') {
      out.push({ t: 'assign', v: c });
      i += c === '=' ? 1 : 2;
    } else if (c === '"') {
      const m = /^"(?:[^"\\\n]|\\.)*"/.exec(s.slice(i));
      if (!m) fail('unterminated quoted string');
      try {
        out.push({ t: 'str', v: JSON.parse(m[0]) as string });
      } catch {
        fail(`invalid syntax: ${m[0]}`);
      }
      i += m[0].length;
    } else if (c === '`') {
      const end = s.indexOf('`', i + 1);
      if (end < 0) fail('unterminated raw quoted string');
      out.push({ t: 'str', v: s.slice(i + 1, end) });
      i = end + 1;
    } else {
      const m = /^[^\s|()"`]+/.exec(s.slice(i))!;
      out.push({ t: /^[-+]?(\d|\.\d)/.test(m[0]) ? 'num' : 'id', v: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

function parsePipeline(toks: Tok[], fail: (m: string) => never): Pipeline {
  let i = 0;
  const pipeline = (): Pipeline => {
    const cmds: Command[] = [];
    let cmd: Command = [];
    while (i < toks.length && toks[i]!.t !== 'rp') {
      const tok = toks[i++]!;
      if (tok.t === 'pipe') {
        if (cmd.length === 0) fail('missing command');
        cmds.push(cmd);
        cmd = [];
      } else if (tok.t === 'assign') {
        fail("variable declarations are not supported by pivot's template subset");
      } else if (tok.t === 'lp') {
        const inner = pipeline();
        if (toks[i]?.t !== 'rp') fail('unclosed left paren');
        i++;
        cmd.push({ kind: 'paren', pipe: inner });
      } else cmd.push(operand(tok, fail));
    }
    if (cmd.length === 0) fail('missing command');
    cmds.push(cmd);
    // Only the first command of a pipeline may be a value; the rest are function calls.
    for (const c of cmds.slice(1))
      if (c[0]!.kind !== 'func') fail(`non executable command in pipeline stage ${cmds.indexOf(c) + 1}`);
    return cmds;
  };
  const p = pipeline();
  if (i < toks.length) fail(`unexpected ")" in command`);
  return p;
}

function operand(tok: Tok, fail: (m: string) => never): Operand {
  if (tok.t === 'str') return { kind: 'literal', value: tok.v };
  if (tok.t === 'num') {
    const n = Number(tok.v);
    if (Number.isNaN(n)) fail(`bad number syntax: "${tok.v}"`);
    return { kind: 'literal', value: n };
  }
  const v = tok.v;
  if (v.startsWith('$')) {
    const [root, ...path] = v.split('.');
    if (root === '$labels' || root === '$externalLabels' || root === '$externalURL' || root === '$value')
      return { kind: 'field', root, path };
    fail(`undefined variable "${root}"`);
  }
  if (v.startsWith('.')) {
    const [field, ...rest] = v.slice(1).split('.');
    const map: Record<string, '$labels' | '$externalLabels' | '$externalURL' | '$value'> = {
      Labels: '$labels',
      ExternalLabels: '$externalLabels',
      ExternalURL: '$externalURL',
      Value: '$value',
    };
    if (field === '') return { kind: 'field', root: '.', path: [] };
    if (!map[field!]) fail(`can't evaluate field ${field} in type template.tmplData`);
    return { kind: 'field', root: map[field!]!, path: rest };
  }
  if (KEYWORDS.has(v)) fail(`"${v}" actions are not supported by pivot's template subset`);
  if (SUPPORTED.has(v)) return { kind: 'func', name: v };
  if (KNOWN.has(v)) fail(`function "${v}" is not supported by pivot's template subset`);
  if (v === 'true' || v === 'false') fail("booleans are not supported by pivot's template subset");
  return fail(`function "${v}" not defined`);
}

function toFloat(v: GoValue, fn: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = Number(v);
    if (v.trim() === '' || Number.isNaN(n))
      throw new TemplateError(`error calling ${fn}: strconv.ParseFloat: parsing "${v}": invalid syntax`);
    return n;
  }
  throw new TemplateError(`error calling ${fn}: can't convert map to float`);
}

function scaled(v: number, steps: readonly string[], up: boolean, base = 1000): [number, string] {
  let prefix = '';
  for (const p of steps) {
    if (up ? Math.abs(v) < base : Math.abs(v) >= 1) break;
    prefix = p;
    v = up ? v / base : v * base;
  }
  return [v, prefix];
}

const SMALL = ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y'];

/** template/template.go at v2.42.0, humanize*. */
export const humanize = (v: number): string => {
  if (v === 0 || !Number.isFinite(v)) return formatG(v, 4);
  const [x, p] = Math.abs(v) >= 1 ? scaled(v, ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'], true) : scaled(v, SMALL, false);
  return formatG(x, 4) + p;
};
export const humanize1024 = (v: number): string => {
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return formatG(v, 4);
  const [x, p] = scaled(v, ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi'], true, 1024);
  return formatG(x, 4) + p;
};
export const humanizePercentage = (v: number): string => formatG(v * 100, 4) + '%';
export const humanizeDuration = (v: number): string => {
  if (!Number.isFinite(v)) return formatG(v, 4);
  if (v === 0) return formatG(v, 4) + 's';
  if (Math.abs(v) >= 1) {
    const sign = v < 0 ? '-' : '';
    v = Math.abs(v);
    const d = Math.trunc(v);
    const seconds = d % 60;
    const minutes = Math.trunc(d / 60) % 60;
    const hours = Math.trunc(d / 3600) % 24;
    const days = Math.trunc(d / 86400);
    if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${formatG(v, 4)}s`;
  }
  const [x, p] = scaled(v, SMALL, false);
  return formatG(x, 4) + p + 's';
};

function call(name: string, args: GoValue[]): GoValue {
  const one = () => {
    if (args.length !== 1) throw new TemplateError(`wrong number of args for ${name}: want 1 got ${args.length}`);
    return args[0]!;
  };
  switch (name) {
    case 'humanize':
      return humanize(toFloat(one(), name));
    case 'humanize1024':
      return humanize1024(toFloat(one(), name));
    case 'humanizePercentage':
      return humanizePercentage(toFloat(one(), name));
    case 'humanizeDuration':
      return humanizeDuration(toFloat(one(), name));
    case 'toUpper':
      return formatValue(one()).toUpperCase();
    case 'toLower':
      return formatValue(one()).toLowerCase();
    case 'printf': {
      if (args.length === 0 || typeof args[0] !== 'string')
        throw new TemplateError('wrong number of args for printf: want at least 1 got 0');
      return sprintf(args[0], args.slice(1));
    }
  }
  throw new TemplateError(`function "${name}" not defined`);
}

function evalPipeline(pipe: Pipeline, data: TemplateData): GoValue {
  let prev: GoValue | undefined;
  for (const cmd of pipe) {
    const [head, ...rest] = cmd;
    const args = rest.map((o) => evalOperand(o, data));
    if (prev !== undefined) args.push(prev);
    if (head!.kind === 'func') prev = call(head!.name, args);
    else {
      if (args.length) throw new TemplateError(`can't give argument to non-function ${describe(head!)}`);
      prev = evalOperand(head!, data);
    }
  }
  return prev!;
}

function describe(o: Operand): string {
  return o.kind === 'field' ? [o.root, ...o.path].join('.') : o.kind === 'literal' ? formatValue(o.value) : 'value';
}

const NO_VALUE = '<no value>';

function evalOperand(o: Operand, data: TemplateData): GoValue {
  switch (o.kind) {
    case 'literal':
      return o.value;
    case 'func':
      return call(o.name, []);
    case 'paren':
      return evalPipeline(o.pipe, data);
    case 'field': {
      let v: GoValue;
      if (o.root === '$labels') v = data.labels;
      else if (o.root === '$externalLabels') v = data.externalLabels;
      else if (o.root === '$externalURL') v = data.externalURL;
      else if (o.root === '$value') v = data.value;
      else throw new TemplateError("printing the whole template data is not supported by pivot's template subset");
      for (const key of o.path) {
        if (typeof v !== 'object')
          throw new TemplateError(
            `can't evaluate field ${key} in type ${typeof v === 'number' ? 'float64' : 'string'}`,
          );
        // A missing map key prints as Go's "<no value>", exactly what Prometheus sends.
        v = Object.hasOwn(v, key) ? v[key]! : NO_VALUE;
      }
      return v;
    }
  }
}

/** Expands a parsed template; errors become Prometheus' "<error expanding template: …>". */
export function expandParsed(nodes: readonly Node[], data: TemplateData, name: string): string {
  try {
    return nodes.map((n) => (n.kind === 'text' ? n.text : formatValue(evalPipeline(n.pipe, data)))).join('');
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    return `<error expanding template: template: ${name}:1:${e.message.startsWith('template:') ? e.message : ' ' + e.message}>`;
  }
}

export function expandTemplate(text: string, data: TemplateData, name = 'template'): string {
  if (!text.includes('{{')) return text;
  return expandParsed(parseTemplate(text, name), data, name);
}
