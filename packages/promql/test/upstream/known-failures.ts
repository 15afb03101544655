// Upstream eval commands (file:line) that cannot pass, each with the reason and the failure expected.
// The suites assert that failure, so a case that starts passing, or fails otherwise, fails the suite
// until it is removed from here or its entry is corrected.
export interface KnownFailure {
  reason: string;
  /** What runEval reports for it. */
  error: RegExp;
}

export const KNOWN_FAILURES: Record<string, KnownFailure> = {};
