export type {
  Query,
  LogQuery,
  MetricQuery,
  Matcher,
  MatchOp,
  Stage,
  LabelFilter,
  LabelFormat,
  TemplatePart,
  TemplateArg,
  LineFilterOp,
  CompareOp,
  RangeFunction,
  AggregateOp,
  BinaryOp,
} from './ast.ts';
export { parse, isLogQuery, parseDuration, LogQLError, MAX_QUERY_LENGTH } from './parser.ts';
export {
  runPipeline,
  allLabels,
  labelsKey,
  matchMatcher,
  lineFilterMatches,
  parseLogfmt,
  sanitizeLabelName,
  ERROR_LABEL,
  ERROR_DETAILS_LABEL,
  type Labels,
  type LogEntry,
  type Processed,
} from './pipeline.ts';
export { evalMetric, maxRangeNs, type Sample, type SampleSource, type Series, type MetricResult } from './metric.ts';
export { checkRegex, matchesWhole, matchesWithin } from './regex.ts';
