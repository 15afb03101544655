import type { Labels } from '@pivot/model';

export type { LabelMatcher, MatchType } from '@pivot/matchers';
import type { LabelMatcher } from '@pivot/matchers';

export interface StoredSeries {
  labels: Labels;
  /** Milliseconds, ascending. */
  timestamps: Float64Array;
  /** May hold Prometheus' stale marker (NaN with bits 0x7ff0000000000002); its exact bits must be preserved. */
  values: Float64Array;
}

/**
 * The storage the engine reads; the lead implements it over PostgreSQL, tests use an in-memory one.
 * `select` may return more series than the matchers accept (a coarse prefilter is enough): the engine
 * applies the matchers itself, with Go's regex semantics, to whatever comes back.
 */
export interface Querier {
  select(matchers: LabelMatcher[], minMs: number, maxMs: number, signal?: AbortSignal): Promise<StoredSeries[]>;
}

export interface EngineOptions {
  /** How far back an instant selector looks for the latest sample; Prometheus' --query.lookback-delta. */
  lookbackDeltaMs?: number;
  /** Peak samples held in memory; Prometheus' --query.max-samples. */
  maxSamples?: number;
  /** Wall-clock budget for the whole query, fetch included; Prometheus' --query.timeout. */
  timeoutMs?: number;
  /** Range queries may not produce more points per series than this (the HTTP API's 11,000). */
  maxPointsPerSeries?: number;
  /** Step of subqueries written without one (`[1h:]`); Prometheus uses the global evaluation_interval. */
  defaultSubqueryStepMs?: number;
  /** Aborting it ends the query with a 'canceled' error. */
  signal?: AbortSignal;
}

/** [unix seconds, value formatted like Go's strconv.FormatFloat(v, 'f', -1, 64)]. */
export type SamplePair = [number, string];

export interface InstantSample {
  metric: Labels;
  value: SamplePair;
}

export interface RangeSeries {
  metric: Labels;
  values: SamplePair[];
}

/** Exactly the `data` member of Prometheus' /api/v1/query and /api/v1/query_range responses. */
export type QueryResult =
  | { resultType: 'vector'; result: InstantSample[] }
  | { resultType: 'matrix'; result: RangeSeries[] }
  | { resultType: 'scalar'; result: SamplePair }
  | { resultType: 'string'; result: SamplePair };
