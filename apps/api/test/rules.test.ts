// The rule manager against the real store (PostgreSQL and PGlite): evaluation at aligned instants,
// recording rules written into the metric store with stale markers, state in the database resumed by
// another replica (failover), refusal of invalid files with the last good set kept, and the API shapes.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unixMillis, type MetricsBatch } from '@pivot/model';
import { instantQuery, type Querier } from '@pivot/promql';
import { evalTimestamp, type NotifyAlert } from '@pivot/rules';
import { createLogger } from '@pivot/server-kit';
import {
  AlertingState,
  MetricQueries,
  MetricWriter,
  PartitionManager,
  TraceQueries,
  type Database,
} from '@pivot/store';
import { databaseName, terminateAdvisoryLockHolders, testDatabases } from '@pivot/store/testing';
import { createApiApp } from '../src/index.ts';
import { RuleManager, RulesLoadError } from '../src/rules.ts';

const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);

const RULES = `groups:
  - name: errors
    interval: 1m
    rules:
      - record: job:errors:sum
        expr: sum by (job) (errors)
      - alert: TooManyErrors
        expr: job:errors:sum > 5
        for: 2m
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.job }} has {{ $value | humanize }} errors"
`;

function seed(): MetricsBatch {
  const n = 81;
  const at = (i: number) => unixMillis(T0 - 10 * 60_000 + i * 15_000);
  return {
    series: [
      {
        labels: { __name__: 'errors', job: 'a', instance: '1' },
        samples: Array.from({ length: n }, (_, i) => ({ timestampMs: at(i), value: 6 })),
        exemplars: [],
      },
      {
        labels: { __name__: 'errors', job: 'a', instance: '2' },
        samples: Array.from({ length: n }, (_, i) => ({ timestampMs: at(i), value: 4 })),
        exemplars: [],
      },
      {
        labels: { __name__: 'errors', job: 'b', instance: '1' },
        samples: Array.from({ length: n }, (_, i) => ({ timestampMs: at(i), value: 1 })),
        exemplars: [],
      },
    ],
    metadata: [],
  };
}

for (const tdb of testDatabases()) {
  describe(`rule manager on ${tdb.name}`, () => {
    let db: Database;
    let dir: string;
    let writer: MetricWriter;
    let querier: Querier;
    const logger = createLogger('silent', 'test');
    let clock = T0;
    const sent: NotifyAlert[] = [];
    const manager = (instance: string) =>
      new RuleManager({
        dir,
        database: db,
        state: new AlertingState(db),
        querier,
        write: (b) => writer.write(b),
        logger,
        instance,
        externalURL: 'http://pivot.test',
        now: () => clock,
        notify: (alerts) => {
          sent.push(...alerts);
          return Promise.resolve();
        },
      });

    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      writer = new MetricWriter(db, new PartitionManager(db));
      await writer.write(seed());
      const metrics = new MetricQueries(db);
      querier = { select: (m, a, b, signal) => metrics.select(m, a, b, { signal }) };
      dir = await mkdtemp(join(tmpdir(), 'pivot-rules-'));
      await writeFile(join(dir, 'errors.yml'), RULES);
    });
    afterAll(async () => {
      await writer?.close();
      await db?.close();
      await tdb.drop();
      await rm(dir, { recursive: true, force: true });
    });

    it('evaluates at aligned instants, fails over to another replica with its `for` timer, and shows it in Prometheus shapes', async () => {
      const a = manager('replica-a');
      const b = manager('replica-b');
      await a.start();
      await b.start();
      const spec = a.groups()[0]!.spec;
      const ts = (i: number) => evalTimestamp(spec, 60_000, T0 + i * 60_000);
      try {
        // Replica a takes the group; b sees it held.
        clock = T0;
        await a.evaluateAll();
        await b.evaluateAll();
        expect(a.evaluates(a.groups()[0]!)).toBe(true);
        expect(b.evaluates(b.groups()[0]!)).toBe(false);
        clock = T0 + 60_000;
        await a.evaluateAll();
        const alertA = () =>
          (a.groups()[0]!.rules[1] as unknown as { alerts(): { state: string; activeAtMs: number }[] }).alerts();
        expect(alertA()).toEqual([expect.objectContaining({ state: 'pending', activeAtMs: ts(0) })]);

        // The recording rule's series is in the store, queryable like any other.
        const rec = await instantQuery(querier, 'job:errors:sum', ts(1));
        expect(rec).toEqual({
          resultType: 'vector',
          result: [
            { metric: { __name__: 'job:errors:sum', job: 'a' }, value: [ts(1) / 1000, '10'] },
            { metric: { __name__: 'job:errors:sum', job: 'b' }, value: [ts(1) / 1000, '1'] },
          ],
        });

        // Replica a dies (its lock session ends); b takes over at its next tick from the saved state.
        await a.stop();
        clock = T0 + 120_000;
        await b.evaluateAll();
        expect(b.evaluates(b.groups()[0]!)).toBe(true);
        const alertsB = (
          b.groups()[0]!.rules[1] as unknown as { alerts(): { state: string; activeAtMs: number }[] }
        ).alerts();
        // 2m after ActiveAt (kept from replica a): firing, once.
        expect(alertsB).toEqual([expect.objectContaining({ state: 'firing', activeAtMs: ts(0) })]);
        expect(sent).toEqual([
          {
            labels: { alertname: 'TooManyErrors', job: 'a', severity: 'page' },
            annotations: {
              summary: 'a has 10 errors',
              pivot_url: `http://pivot.test/metrics?q=job%3Aerrors%3Asum+%3E+5&from=${ts(0) - 300_000 - 105_000}&to=${ts(2) + 105_000}&wfrom=${ts(0) - 300_000}&wto=${ts(2)}`,
            },
            startsAtMs: ts(2),
            endsAtMs: ts(2) + 4 * 60_000,
            expr: 'job:errors:sum > 5',
            activeAtMs: ts(0),
          },
        ]);

        const app = createApiApp({ logger, traces: new TraceQueries(db), rules: b, ready: () => db.ping() });
        const alerts = await (await app.request('/api/v1/alerts')).json();
        expect(alerts).toEqual({
          status: 'success',
          data: {
            alerts: [
              {
                labels: { alertname: 'TooManyErrors', job: 'a', severity: 'page' },
                annotations: { summary: 'a has 10 errors' },
                state: 'firing',
                activeAt: new Date(ts(0)).toISOString(),
                value: '1e+01',
              },
            ],
          },
        });
        const rules = (await (await app.request('/api/v1/rules?type=alert')).json()) as {
          data: {
            groups: { rules: { type: string; state: string; duration: number }[]; interval: number; file: string }[];
          };
        };
        expect(rules.data.groups[0]).toMatchObject({ interval: 60, file: join(dir, 'errors.yml') });
        expect(rules.data.groups[0]!.rules).toEqual([
          expect.objectContaining({ type: 'alerting', state: 'firing', duration: 120 }),
        ]);
        expect((await app.request('/api/v1/rules?type=nope')).status).toBe(400);
      } finally {
        await a.stop();
        await b.stop();
      }
    });

    it.skipIf(tdb.name !== 'pg')(
      'when the evaluating replica loses its database session, another takes over and it stops',
      async () => {
        const a = manager('replica-a');
        const b = manager('replica-b');
        await a.start();
        await b.start();
        try {
          clock = T0 + 240_000;
          await a.evaluateAll();
          expect(a.evaluates(a.groups()[0]!)).toBe(true);
          expect(await terminateAdvisoryLockHolders(process.env.DATABASE_URL!, await databaseName(db))).toBe(1);
          clock = T0 + 300_000;
          await b.evaluateAll();
          await a.evaluateAll();
          expect(b.evaluates(b.groups()[0]!)).toBe(true);
          expect(a.evaluates(a.groups()[0]!)).toBe(false);
          const saved = (await new AlertingState(db).loadAll()).values().next().value!;
          expect(saved.evaluatedBy).toBe('replica-b');
          expect(saved.lastEvaluationMs).toBe(evalTimestamp(b.groups()[0]!.spec, 60_000, clock));
        } finally {
          await a.stop();
          await b.stop();
        }
      },
    );

    it('refuses an invalid file with promtool messages, keeps the last good rules, and ends removed series', async () => {
      const m = manager('replica-c');
      await m.start();
      try {
        clock = T0 + 180_000;
        await m.evaluateAll();
        const ts = evalTimestamp(m.groups()[0]!.spec, 60_000, clock);
        await writeFile(
          join(dir, 'bad.yml'),
          'groups:\n  - name: bad\n    rules:\n      - record: x\n        expr: sum(\n',
        );
        const app = createApiApp({ logger, traces: new TraceQueries(db), rules: m, ready: () => db.ping() });
        const res = await app.request('/-/reload', { method: 'POST' });
        expect(res.status).toBe(400);
        expect(await res.text()).toMatch(
          /bad\.yml: 5:15: group "bad", rule 1, "x": could not parse expression: 1:5: parse error:/,
        );
        expect(m.groups().map((g) => g.spec.name)).toEqual(['errors']);
        await expect(m.reload()).rejects.toBeInstanceOf(RulesLoadError);

        // The group goes away: its recording-rule series end with a stale marker at once.
        await rm(join(dir, 'bad.yml'));
        await writeFile(join(dir, 'errors.yml'), 'groups: []\n');
        clock = ts + 1000;
        expect((await app.request('/-/reload', { method: 'POST' })).status).toBe(200);
        expect(m.groups()).toEqual([]);
        const after = await instantQuery(querier, 'job:errors:sum', ts + 1000);
        expect(after).toEqual({ resultType: 'vector', result: [] });
      } finally {
        await m.stop();
        await writeFile(join(dir, 'errors.yml'), RULES);
      }
    });
  });
}
