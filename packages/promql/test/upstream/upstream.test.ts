// Prometheus' own PromQL test scripts (promql/testdata at v2.42.0) run against the engine over a
// MemoryQuerier. The files are not in the repository: get-testdata.sh extracts them from Debian's source
// package; without them this suite is skipped with a message saying so.
import { describe, expect, it } from 'vitest';
import { MemoryQuerier, PromQLError, instantQuery, rangeQuery, type EngineOptions } from '../../src/index.ts';
import { HARNESS_MAX_SAMPLES, evalCases, readTestdata, runEval, type Ask, type EvalCase } from './harness.ts';
import { KNOWN_FAILURES } from './known-failures.ts';

const files = readTestdata();
if (!files)
  console.warn(
    'upstream PromQL testdata skipped: run packages/promql/test/upstream/get-testdata.sh to put Prometheus v2.42.0 promql/testdata/*.test in packages/promql/test/upstream/testdata',
  );

// The harness's engine: MaxSamples 10000, default lookback (5m), subqueries without a step use 1m.
const OPTS: EngineOptions = { maxSamples: HARNESS_MAX_SAMPLES, defaultSubqueryStepMs: 60_000 };

function engine(c: EvalCase): Ask {
  const q = new MemoryQuerier(c.series);
  return async (p) => {
    try {
      const data =
        'time' in p
          ? await instantQuery(q, p['query']!, Number(p['time']) * 1000, OPTS)
          : await rangeQuery(
              q,
              p['query']!,
              Number(p['start']) * 1000,
              Number(p['end']) * 1000,
              Number(p['step']) * 1000,
              OPTS,
            );
      return { ok: true, data };
    } catch (err) {
      if (err instanceof PromQLError) return { ok: false, errorType: err.kind, error: err.message };
      throw err;
    }
  };
}

describe.skipIf(!files)('Prometheus v2.42.0 promql/testdata through the engine', () => {
  for (const file of files ?? []) {
    describe(file.name, () => {
      for (const c of evalCases(file)) {
        const id = `${file.name}:${c.cmd.line}`;
        const known = KNOWN_FAILURES[id];
        const name = `line ${c.cmd.line}: ${c.cmd.expr}`;
        if (known)
          it(`${name} (known failure: ${known.reason})`, async () => {
            expect(await runEval(c.cmd, engine(c))).toMatch(known.error);
          });
        else
          it(name, async () => {
            expect(await runEval(c.cmd, engine(c))).toBeNull();
          });
      }
    });
  }
});
