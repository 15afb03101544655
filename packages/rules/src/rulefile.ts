// Prometheus rule files: parsed with the `yaml` package, validated as promtool validates them
// (model/rulefmt/rulefmt.go at v2.42.0: RuleGroups.Validate, RuleNode.Validate, testTemplateParsing),
// with the same messages and the same "line:column: group …, rule N, …" prefixes.
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node as YamlNode, type Pair } from 'yaml';
import { parse as parsePromql } from '@pivot/promql';
import { TemplateError, parseTemplate } from './template.ts';

export interface RecordingRuleSpec {
  kind: 'recording';
  name: string;
  expr: string;
  labels: Record<string, string>;
}

export interface AlertingRuleSpec {
  kind: 'alerting';
  name: string;
  expr: string;
  forMs: number;
  keepFiringForMs: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export type RuleSpec = RecordingRuleSpec | AlertingRuleSpec;

export interface RuleGroupSpec {
  name: string;
  /** The file the group came from: with the name, what the evaluation offset is hashed from. */
  file: string;
  /** Undefined: the global evaluation interval. */
  intervalMs: number | undefined;
  /** 0: no limit on the series a rule may produce. */
  limit: number;
  rules: RuleSpec[];
}

export type RuleFileResult = { ok: true; groups: RuleGroupSpec[] } | { ok: false; errors: string[] };

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const DURATION_MS = [31_536_000_000, 604_800_000, 86_400_000, 3_600_000, 60_000, 1000, 1];

/** Prometheus' model.ParseDuration (1y = 365d), in ms; null when the string is not one. */
export function parsePromDuration(s: string): number | null {
  if (s === '0') return 0;
  if (s === '') return null;
  const m = DURATION_RE.exec(s);
  if (!m) return null;
  let ms = 0;
  for (let i = 0; i < DURATION_MS.length; i++) if (m[i + 1]) ms += Number(m[i + 1]) * DURATION_MS[i]!;
  return ms;
}

/** Prometheus' model.Duration String(): the largest units first, 0s for zero. */
export function formatPromDuration(ms: number): string {
  if (ms === 0) return '0s';
  let out = '';
  const units = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
  for (let i = 0; i < units.length; i++) {
    const n = Math.floor(ms / DURATION_MS[i]!);
    if (n > 0) {
      out += n + units[i]!;
      ms -= n * DURATION_MS[i]!;
    }
  }
  return out;
}

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

const GROUP_FIELDS = new Set(['name', 'interval', 'limit', 'rules']);
const RULE_FIELDS = new Set(['record', 'alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']);

interface Pos {
  line: number;
  col: number;
}

/** Parses and validates one rule file; `file` is its path as the manager names it. */
export function parseRuleFile(text: string, file: string): RuleFileResult {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  if (doc.errors.length) return { ok: false, errors: doc.errors.map((e) => `yaml: ${e.message.split('\n')[0]}`) };
  const pos = (n: YamlNode | null | undefined): Pos => {
    if (!n?.range) return { line: 0, col: 0 };
    const p = lc.linePos(n.range[0]);
    return { line: p.line, col: p.col };
  };
  const unmarshal: string[] = [];
  const typeErr = (n: YamlNode | null | undefined, msg: string) => unmarshal.push(`  line ${pos(n).line}: ${msg}`);
  const tag = (n: unknown) =>
    isMap(n)
      ? '!!map'
      : isSeq(n)
        ? '!!seq'
        : isScalar(n)
          ? typeof n.value === 'number'
            ? Number.isInteger(n.value)
              ? '!!int'
              : '!!float'
            : typeof n.value === 'boolean'
              ? '!!bool'
              : '!!str'
          : '!!null';
  const str = (n: unknown): string => {
    if (n == null) return '';
    // The scalar as written: yaml.v3 decodes `1.0` into a string field as "1.0", not "1".
    if (isScalar(n))
      return n.value == null ? '' : typeof n.source === 'string' ? n.source : `${n.value as string | number | boolean}`;
    typeErr(n as YamlNode, `cannot unmarshal ${tag(n)} into string`);
    return '';
  };
  const strMap = (n: unknown, what: string): Record<string, string> => {
    const out: Record<string, string> = {};
    if (n == null || (isScalar(n) && n.value == null)) return out;
    if (!isMap(n)) {
      typeErr(n as YamlNode, `cannot unmarshal ${tag(n)} into map[string]string`);
      return out;
    }
    for (const p of n.items) out[str(p.key)] = str(p.value);
    void what;
    return out;
  };
  const errors: string[] = [];
  const duration = (n: unknown): number => {
    if (n == null) return 0;
    const s = str(n);
    const d = parsePromDuration(s);
    if (d === null) {
      errors.push(`not a valid duration string: "${s}"`);
      return 0;
    }
    return d;
  };

  const root = doc.contents;
  if (root == null || (isScalar(root) && root.value == null)) return { ok: true, groups: [] };
  if (!isMap(root))
    return {
      ok: false,
      errors: [
        `yaml: unmarshal errors:\n  line ${pos(root).line}: cannot unmarshal ${tag(root)} into rulefmt.RuleGroups`,
      ],
    };
  let groupsNode: unknown = null;
  for (const p of root.items as Pair<unknown, unknown>[]) {
    const k = str(p.key);
    if (k === 'groups') groupsNode = p.value;
    else typeErr(p.key as YamlNode, `field ${k} not found in type rulefmt.RuleGroups`);
  }
  const groups: RuleGroupSpec[] = [];
  const seen = new Set<string>();
  const groupItems =
    groupsNode == null
      ? []
      : isSeq(groupsNode)
        ? groupsNode.items
        : (typeErr(groupsNode as YamlNode, `cannot unmarshal ${tag(groupsNode)} into []rulefmt.RuleGroup`), []);
  const semantic: string[] = [];
  for (const gNode of groupItems) {
    if (!isMap(gNode)) {
      typeErr(gNode as YamlNode, `cannot unmarshal ${tag(gNode)} into rulefmt.RuleGroup`);
      continue;
    }
    const g: RuleGroupSpec = { name: '', file, intervalMs: undefined, limit: 0, rules: [] };
    let rulesNode: unknown = null;
    for (const p of gNode.items) {
      const k = str(p.key);
      if (!GROUP_FIELDS.has(k)) typeErr(p.key as YamlNode, `field ${k} not found in type rulefmt.RuleGroup`);
      else if (k === 'name') g.name = str(p.value);
      else if (k === 'interval') g.intervalMs = p.value == null ? undefined : duration(p.value) || undefined;
      else if (k === 'limit') {
        const v = isScalar(p.value) ? p.value.value : undefined;
        if (typeof v === 'number' && Number.isInteger(v)) g.limit = v;
        else if (v != null)
          typeErr(p.value as YamlNode, `cannot unmarshal ${tag(p.value)} \`${str(p.value)}\` into int`);
      } else rulesNode = p.value;
    }
    const gp = pos(gNode);
    if (g.name === '') semantic.push(`${gp.line}:${gp.col}: Groupname must not be empty`);
    if (seen.has(g.name)) semantic.push(`${gp.line}:${gp.col}: groupname: "${g.name}" is repeated in the same file`);
    seen.add(g.name);
    const ruleItems =
      rulesNode == null
        ? []
        : isSeq(rulesNode)
          ? rulesNode.items
          : (typeErr(rulesNode as YamlNode, `cannot unmarshal ${tag(rulesNode)} into []rulefmt.RuleNode`), []);
    ruleItems.forEach((rNode, i) => {
      if (!isMap(rNode)) {
        typeErr(rNode as YamlNode, `cannot unmarshal ${tag(rNode)} into rulefmt.RuleNode`);
        return;
      }
      const f: Record<string, YamlNode | null> = {};
      for (const p of rNode.items as Pair<YamlNode | null, YamlNode | null>[]) {
        const k = str(p.key);
        if (!RULE_FIELDS.has(k)) typeErr(p.key, `field ${k} not found in type rulefmt.RuleNode`);
        else f[k] = p.value;
      }
      const record = str(f.record);
      const alert = str(f.alert);
      const expr = str(f.expr);
      const forMs = duration(f.for);
      const keepFiringForMs = duration(f.keep_firing_for);
      const labels = strMap(f.labels, 'labels');
      const annotations = strMap(f.annotations, 'annotations');
      const ruleName = alert !== '' ? alert : record;
      const rp = (n: YamlNode | null | undefined) => {
        const p = pos(n);
        return `${p.line}:${p.col}: `;
      };
      const add = (msg: string, at?: string) =>
        semantic.push(`${at ?? ''}group "${g.name}", rule ${i + 1}, ${JSON.stringify(ruleName)}: ${msg}`);
      if (record !== '' && alert !== '')
        add("only one of 'record' and 'alert' must be set", rp(f.record) + rp(f.alert));
      if (record === '' && alert === '') add("one of 'record' or 'alert' must be set", rp(f.record));
      if (expr === '') add("field 'expr' must be set in rule", rp(f.expr));
      else {
        const res = parsePromql(expr);
        if (!res.ok) {
          const e = res.errors[0]!;
          const before = expr.slice(0, e.from);
          const line = before.split('\n').length;
          const col = e.from - before.lastIndexOf('\n');
          add(`could not parse expression: ${line}:${col}: parse error: ${e.message}`, rp(f.expr));
        }
      }
      if (record !== '') {
        if (Object.keys(annotations).length) add("invalid field 'annotations' in recording rule", rp(f.record));
        if (forMs !== 0) add("invalid field 'for' in recording rule", rp(f.record));
        if (keepFiringForMs !== 0) add("invalid field 'keep_firing_for' in recording rule", rp(f.record));
        if (!METRIC_NAME_RE.test(record)) add(`invalid recording rule name: ${record}`, rp(f.record));
      }
      for (const k of Object.keys(labels))
        if (!LABEL_NAME_RE.test(k) || k === '__name__') add(`invalid label name: ${k}`);
      for (const k of Object.keys(annotations)) if (!LABEL_NAME_RE.test(k)) add(`invalid annotation name: ${k}`);
      if (alert !== '') {
        const check = (what: string, k: string, v: string) => {
          try {
            parseTemplate(v, `__alert_${alert}`);
          } catch (e) {
            if (!(e instanceof TemplateError)) throw e;
            add(`${what} ${JSON.stringify(k)}: ${e.message}`);
          }
        };
        for (const [k, v] of Object.entries(labels)) check('label', k, v);
        for (const [k, v] of Object.entries(annotations)) check('annotation', k, v);
        g.rules.push({ kind: 'alerting', name: alert, expr, forMs, keepFiringForMs, labels, annotations });
      } else g.rules.push({ kind: 'recording', name: record, expr, labels });
    });
    groups.push(g);
  }
  if (unmarshal.length) errors.unshift(`yaml: unmarshal errors:\n${unmarshal.join('\n')}`);
  if (errors.length) return { ok: false, errors };
  if (semantic.length) return { ok: false, errors: semantic };
  return { ok: true, groups };
}
