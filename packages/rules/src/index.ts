export { parseRuleFile, parsePromDuration, formatPromDuration } from './rulefile.ts';
export type { RuleFileResult, RuleGroupSpec, RuleSpec, RecordingRuleSpec, AlertingRuleSpec } from './rulefile.ts';
export {
  expandTemplate,
  parseTemplate,
  TemplateError,
  humanize,
  humanize1024,
  humanizeDuration,
  humanizePercentage,
  type TemplateData,
} from './template.ts';
export { sprintf, formatV } from './gofmt.ts';
export { xxhash64, labelsHash, labelsKey } from './hash.ts';
export {
  GroupEvaluator,
  AlertingRuleRuntime,
  RecordingRuleRuntime,
  evalTimestamp,
  ruleKey,
  alertFingerprint,
  RESOLVED_RETENTION_MS,
  type Alert,
  type AlertState,
  type OutputSample,
  type NotifyAlert,
  type RuleHealth,
  type GroupSnapshot,
  type GroupOptions,
  type GroupEvalResult,
  type RuleRuntimeOf,
} from './evaluate.ts';
export {
  pickExemplarTraces,
  alertPageURL,
  traceEvidenceQuery,
  LOG_RECORDS_METRIC,
  type ExemplarGroup,
  type TraceEvidenceQuery,
} from './evidence.ts';
export { parseAlertingFile, type AlertmanagerTarget, type AlertingFileResult } from './alerting.ts';
