// Prometheus' own PromQL test scripts (promql/testdata at v2.42.0) through the whole stack: each
// script's loaded series are remote-written to the ingest port, stored (PostgreSQL or PGlite), and every
// eval is asked of the HTTP API exactly as promql/test.go asks its engine (see
// packages/promql/test/upstream/harness.ts). The files come from
// packages/promql/test/upstream/get-testdata.sh; without them this suite is skipped with a message.
import {
  theirs,
  remoteWrite,
  evalCases,
  readTestdata,
  runEval,
  type EvalCase,
  KNOWN_FAILURES,
} from '@pivot/promql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredSeries } from '@pivot/promql';
import { truncateTable } from '@pivot/store/testing';
import { startTestPlatform } from './start.ts';

const files = readTestdata();
if (!files)
  console.warn(
    'upstream PromQL testdata skipped: run packages/promql/test/upstream/get-testdata.sh to put Prometheus v2.42.0 promql/testdata/*.test in packages/promql/test/upstream/testdata',
  );

describe.runIf(files)('Prometheus v2.42.0 promql/testdata through ingest, store and API', () => {
  let platform: Awaited<ReturnType<typeof startTestPlatform>>;
  let loaded: StoredSeries[] | null = null;

  beforeAll(async () => {
    // The scripts' data starts at the Unix epoch: retention must keep everything. The harness's limit of
    // 10,000 samples is not applied here (the engine suite applies it): the store counts every sample of
    // the chunks it decodes against the same limit, so metric_ms @ 1.234 (10,001 samples at 1 ms) would
    // exceed it although the query needs 1,235 of them.
    platform = await startTestPlatform({ RETENTION_METRICS: '0' });
  }, 60_000);

  afterAll(async () => {
    await platform?.stop();
  });

  /** Makes the stored metrics exactly `series`: a clear empties the chunks, the loads are written again. */
  async function load(series: StoredSeries[]): Promise<void> {
    if (loaded === series) return;
    // Series rows stay (the writer remembers which it has inserted); without chunks they select nothing.
    await truncateTable(platform.database, 'metric_chunks');
    if (series.length) await remoteWrite(platform.ingestUrl, series);
    loaded = series;
  }

  const run = async (c: EvalCase): Promise<string | null> => {
    await load(c.series);
    return runEval(c.cmd, (params) => theirs(platform.apiUrl, params));
  };

  for (const file of files ?? []) {
    describe(file.name, () => {
      for (const c of evalCases(file)) {
        const id = `${file.name}:${c.cmd.line}`;
        const known = KNOWN_FAILURES[id];
        const name = `line ${c.cmd.line}: ${c.cmd.expr}`;
        if (known)
          it(`${name} (known failure: ${known.reason})`, async () => {
            expect(await run(c)).toMatch(known.error);
          });
        else
          it(name, async () => {
            expect(await run(c)).toBeNull();
          });
      }
    });
  }
});
