import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertingState, ruleGroupLockKey, type StoredGroupState } from './alerting-state.ts';
import type { Database } from './database.ts';
import { testDatabases } from './testing.ts';

const state = (activeAtMs: number): StoredGroupState => ({
  lastEvaluationMs: 120_000,
  evaluationTimeMs: 1.5,
  rules: [
    { key: 'recording:r[]', alerts: [], seriesReturned: [{ __name__: 'r', job: 'a' }] },
    {
      key: 'alerting:A[]',
      seriesReturned: [{ __name__: 'ALERTS', alertname: 'A', alertstate: 'pending' }],
      alerts: [
        {
          labels: { alertname: 'A', job: 'a' },
          annotations: { summary: 'x' },
          state: 'pending',
          value: Number.NaN,
          activeAtMs,
          firedAtMs: null,
          resolvedAtMs: null,
          lastSentAtMs: null,
          validUntilMs: null,
          keepFiringSinceMs: null,
        },
      ],
    },
    { key: 'alerting:A[]', seriesReturned: [], alerts: [] },
  ],
});

for (const tdb of testDatabases()) {
  describe(`alerting state on ${tdb.name}`, () => {
    let db: Database;
    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
    });
    afterAll(async () => {
      await db?.close();
      await tdb.drop();
    });

    it('saves and loads a group whole, replacing what was there, and forgets removed groups', async () => {
      const s = new AlertingState(db);
      await s.save('f.yml::g', state(60_000), 'replica-1', 1000);
      await s.save('f.yml::g', state(61_000), 'replica-2', 2000);
      await s.save('f.yml::h', { lastEvaluationMs: null, evaluationTimeMs: 0, rules: [] }, 'replica-2', 2000);
      const all = await s.loadAll();
      const g = all.get('f.yml::g')!;
      expect(g).toMatchObject({ lastEvaluationMs: 120_000, evaluatedBy: 'replica-2', updatedAtMs: 2000 });
      expect(g.rules.map((r) => r.alerts.length)).toEqual([0, 1, 0]);
      expect(g.rules[1]!.alerts[0]).toMatchObject({
        activeAtMs: 61_000,
        state: 'pending',
        labels: { alertname: 'A', job: 'a' },
      });
      expect(Number.isNaN(g.rules[1]!.alerts[0]!.value)).toBe(true);
      expect(g.rules[0]!.seriesReturned).toEqual([{ __name__: 'r', job: 'a' }]);
      expect((await s.load('f.yml::g'))?.rules[1]!.alerts).toHaveLength(1);
      expect(await s.load('f.yml::nope')).toBeUndefined();
      await s.removeExcept(['f.yml::h']);
      expect([...(await s.loadAll()).keys()]).toEqual(['f.yml::h']);
    });

    it('lets one session at a time hold a group', async () => {
      const lock = await db.tryAdvisoryLock(ruleGroupLockKey('f.yml::g'));
      expect(lock).not.toBeNull();
      expect(await db.tryAdvisoryLock(ruleGroupLockKey('f.yml::g'))).toBeNull();
      await lock!.release();
      const again = await db.tryAdvisoryLock(ruleGroupLockKey('f.yml::g'));
      expect(again).not.toBeNull();
      await again!.release();
    });
  });
}
