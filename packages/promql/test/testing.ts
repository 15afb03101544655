// @pivot/promql/testing: what suites outside the package reuse — the differential battery against a
// real Prometheus, the upstream test-script harness, and remote-write of generated series — so the
// whole-stack suites run the very cases the engine's own suites run.
export { CASES, ERRORS, T0, paramSets, theirs } from './battery.ts';
export { diff } from './compare.ts';
export { generate } from './fixture.ts';
export { encodeWriteRequest, remoteWrite } from './remote-write.ts';
export { prometheusAvailable, promQuery, startPrometheus, type RunningPrometheus } from './prometheus.ts';
export { series } from './helpers.ts';
export { evalCases, readTestdata, runEval, type EvalCase } from './upstream/harness.ts';
export { KNOWN_FAILURES, type KnownFailure } from './upstream/known-failures.ts';
