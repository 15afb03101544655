// "Copy as rule" on the metrics page: the query on screen as a Prometheus rule file to put in RULES_DIR.
// The files on disk stay the source of truth (pivot never writes them); this only saves the typing.
// Strings are written as JSON, which YAML reads as double-quoted scalars, so any query survives.

const q = (s: string): string => JSON.stringify(s);

/** A metric-name-like stem for the rule's name: the first metric the query names, else "query". */
function stem(query: string): string {
  const m =
    /[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*[{[])/.exec(query) ??
    /\b[a-z_][a-zA-Z0-9_]*_(?:total|bucket|count|sum)\b/.exec(query);
  return m ? m[0].replace(/_(bucket|total|count|sum)$/, '') : 'query';
}

function pascal(s: string): string {
  return s
    .split(/[_:]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

/**
 * A rule group with one rule. An alert fires when the query's value stays above `threshold` for 5 minutes;
 * a recording rule stores the query's result as `pivot:<metric>:recorded`.
 */
export function ruleYaml(query: string, kind: 'alert' | 'record', threshold = 0): string {
  const name = stem(query);
  const expr = query.trim();
  if (kind === 'record')
    return [
      'groups:',
      `  - name: ${q(`pivot-${name}`)}`,
      '    rules:',
      `      - record: ${q(`pivot:${name.replace(/^pivot:/, '')}:recorded`)}`,
      `        expr: ${q(expr)}`,
      '',
    ].join('\n');
  return [
    'groups:',
    `  - name: ${q(`pivot-${name}`)}`,
    '    rules:',
    `      - alert: ${q(`${pascal(name)}High`)}`,
    `        expr: ${q(`(${expr}) > ${threshold}`)}`,
    '        for: 5m',
    '        labels:',
    '          severity: "warning"',
    '        annotations:',
    `          summary: ${q('{{ $value | humanize }} is above ' + String(threshold))}`,
    '',
  ].join('\n');
}
