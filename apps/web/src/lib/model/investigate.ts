// The shapes of POST /api/investigate as the dashboard sends and reads them (see InvestigatePanel.svelte).
export interface Cohort {
  service: string;
  operation?: string | undefined;
  minDuration?: string | undefined;
  maxDuration?: string | undefined;
  status?: 'error' | 'ok' | undefined;
  /** Unix nanoseconds, as strings. */
  start: string;
  end: string;
}
export interface InvestigateRow {
  source: 'span' | 'resource' | 'log' | 'path';
  key: string;
  value: string;
  attribute: boolean;
  cohort: number;
  baseline: number;
  score: number;
  same?: { key: string; value: string; attribute: boolean }[];
}
