// The LogQL syntax tree: the subset Grafana's Loki data source writes (query builder, trace to logs,
// logs volume, health check). Anything else is refused by the parser with the construct named.

export type MatchOp = '=' | '!=' | '=~' | '!~';

/** A stream selector matcher: `{service_name="checkout", level=~"warn|error"}`. */
export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
}

export type LineFilterOp = '|=' | '!=' | '|~' | '!~';

export type CompareOp = '=' | '==' | '!=' | '=~' | '!~' | '>' | '>=' | '<' | '<=';

/** A label filter after `|`: one comparison, or `and` / `or` of two. */
export type LabelFilter =
  | { kind: 'compare'; name: string; op: CompareOp; value: string; numeric: boolean }
  | { kind: 'and' | 'or'; left: LabelFilter; right: LabelFilter };

/** One piece of a label_format template: literal text, `{{ .label }}`, `{{ __line__ }}` or `{{ contains "x" y }}`. */
export type TemplatePart =
  | { kind: 'text'; text: string }
  | { kind: 'label'; name: string }
  | { kind: 'line' }
  | { kind: 'contains'; needle: TemplateArg; haystack: TemplateArg };

export type TemplateArg = { kind: 'string'; value: string } | { kind: 'label'; name: string } | { kind: 'line' };

export type LabelFormat =
  { name: string; kind: 'rename'; source: string } | { name: string; kind: 'template'; parts: TemplatePart[] };

export type Stage =
  | { kind: 'line'; op: LineFilterOp; value: string }
  | { kind: 'json' }
  | { kind: 'logfmt' }
  | { kind: 'labelFilter'; filter: LabelFilter }
  | { kind: 'drop'; names: string[] }
  | { kind: 'labelFormat'; formats: LabelFormat[] };

/** `{selector} | stage | …`: a log query, answered with streams. */
export interface LogQuery {
  kind: 'log';
  matchers: Matcher[];
  pipeline: Stage[];
}

export type RangeFunction = 'count_over_time' | 'rate' | 'bytes_over_time' | 'bytes_rate';
export type AggregateOp = 'sum' | 'avg' | 'max' | 'min' | 'count' | 'topk' | 'bottomk';
export type BinaryOp = '+' | '-' | '*' | '/';

export type MetricQuery =
  | { kind: 'range'; fn: RangeFunction; query: LogQuery; rangeNs: bigint }
  | {
      kind: 'aggregate';
      op: AggregateOp;
      /** k of topk / bottomk. */
      param?: number;
      grouping?: { without: boolean; labels: string[] };
      expr: MetricQuery;
    }
  | { kind: 'number'; value: number }
  /** `vector(1)`: one sample without labels at every step. */
  | { kind: 'vector'; value: number }
  | { kind: 'binary'; op: BinaryOp; left: MetricQuery; right: MetricQuery };

export type Query = LogQuery | MetricQuery;
