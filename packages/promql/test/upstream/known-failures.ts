// Upstream eval commands (file:line) that cannot pass, each with the reason. Both upstream suites mark
// them as expected failures, so a case that starts passing fails the suite until it is removed here.
export const KNOWN_FAILURES: Record<string, string> = {};
