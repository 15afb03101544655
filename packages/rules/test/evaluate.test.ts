// State transitions against hand-computed expectations (rules/alerting.go at v2.42.0).
import { describe, expect, it } from 'vitest';
import { MemoryQuerier, isStaleMarker, type StoredSeries } from '@pivot/promql';
import {
  GroupEvaluator,
  evalTimestamp,
  labelsHash,
  parseRuleFile,
  type GroupSnapshot,
  type RuleGroupSpec,
} from '../src/index.ts';

const series = (labels: Record<string, string>, points: [number, number][]): StoredSeries => ({
  labels,
  timestamps: Float64Array.from(points.map((p) => p[0] * 1000)),
  values: Float64Array.from(points.map((p) => p[1])),
});

function group(yaml: string): RuleGroupSpec {
  const res = parseRuleFile(yaml, 'test.yml');
  if (!res.ok) throw new Error(res.errors.join('\n'));
  return res.groups[0]!;
}

const alertYaml = (extra = '') => `groups:
  - name: g
    interval: 1m
    rules:
      - alert: TooManyErrors
        expr: errors > 5
        for: 2m${extra}
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.job }} has {{ $value }} errors"
`;

describe('alerting rule', () => {
  const q = new MemoryQuerier([
    series({ __name__: 'errors', job: 'a' }, [
      [0, 1],
      [60, 6],
      [120, 7],
      [180, 8],
      [240, 2],
    ]),
  ]);

  it('goes pending, fires after `for`, resolves, and notifies as sendAlerts does', async () => {
    const g = new GroupEvaluator(group(alertYaml()), { intervalMs: 60_000 });
    const rule = g.rules[0]!;
    if (rule.spec.kind !== 'alerting') throw new Error('expected an alerting rule');
    const states: string[] = [];
    const sent: unknown[] = [];
    for (const t of [0, 60, 120, 180, 240]) {
      const res = await g.eval(q, t * 1000);
      states.push(`${t}:${g.rules[0]!.health.health}:${(g.rules[0] as { state(): string }).state()}`);
      sent.push(...res.notify);
      if (t === 120) {
        const alerts = res.samples.filter((s) => s.labels.__name__ === 'ALERTS');
        expect(alerts).toEqual([
          {
            labels: {
              __name__: 'ALERTS',
              alertname: 'TooManyErrors',
              alertstate: 'pending',
              job: 'a',
              severity: 'page',
            },
            timestampMs: 120_000,
            value: 1,
            stale: false,
          },
        ]);
        const forState = res.samples.find((s) => s.labels.__name__ === 'ALERTS_FOR_STATE');
        expect(forState?.value).toBe(60);
      }
      if (t === 180) {
        // The pending series ends with a stale marker when the alert fires.
        const stale = res.samples.find((s) => s.stale);
        expect(stale?.labels.alertstate).toBe('pending');
        expect(Number.isNaN(stale!.value) && isStaleMarker(Float64Array.of(stale!.value), 0)).toBe(true);
      }
    }
    expect(states).toEqual(['0:ok:inactive', '60:ok:pending', '120:ok:pending', '180:ok:firing', '240:ok:inactive']);
    expect(sent).toEqual([
      {
        labels: { alertname: 'TooManyErrors', job: 'a', severity: 'page' },
        annotations: { summary: 'a has 8 errors' },
        startsAtMs: 180_000,
        endsAtMs: 180_000 + 4 * 60_000,
        expr: 'errors > 5',
        activeAtMs: 60_000,
      },
      {
        labels: { alertname: 'TooManyErrors', job: 'a', severity: 'page' },
        annotations: { summary: 'a has 8 errors' },
        startsAtMs: 180_000,
        endsAtMs: 240_000,
        expr: 'errors > 5',
        activeAtMs: 60_000,
      },
    ]);
  });

  it('keeps firing for keep_firing_for after the condition clears', async () => {
    const g = new GroupEvaluator(group(alertYaml('\n        keep_firing_for: 2m').replace('for: 2m', 'for: 0s')), {
      intervalMs: 60_000,
    });
    const states: string[] = [];
    for (const t of [60, 240, 300, 360, 420]) {
      await g.eval(q, t * 1000);
      states.push((g.rules[0] as { state(): string }).state());
    }
    // Fires at 60; at 240 the condition clears (keepFiringSince 240): still firing at 240 and 300 (< 2m), resolved at 360.
    expect(states).toEqual(['firing', 'firing', 'firing', 'inactive', 'inactive']);
  });

  it('resumes `for` timers from a snapshot taken by another process', async () => {
    const first = new GroupEvaluator(group(alertYaml()), { intervalMs: 60_000 });
    await first.eval(q, 60_000);
    const snap = JSON.parse(JSON.stringify(first.snapshot())) as GroupSnapshot;
    const second = new GroupEvaluator(group(alertYaml()), { intervalMs: 60_000 });
    second.restore(snap);
    await second.eval(q, 120_000);
    expect((second.rules[0] as { state(): string }).state()).toBe('pending');
    await second.eval(q, 180_000);
    const alert = (second.rules[0] as { alerts(): { state: string; activeAtMs: number }[] }).alerts()[0];
    expect(alert).toMatchObject({ state: 'firing', activeAtMs: 60_000 });
  });

  it('reports a rule error as its health and goes on with the next rule', async () => {
    const g = new GroupEvaluator(
      group(`groups:
  - name: g
    rules:
      - record: dup
        expr: errors or label_replace(errors, "job", "b", "job", ".*")
        labels:
          job: same
      - record: ok
        expr: errors
`),
      { intervalMs: 60_000 },
    );
    const res = await g.eval(q, 60_000);
    expect(g.rules[0]!.health).toMatchObject({
      health: 'err',
      lastError: 'vector contains metrics with the same labelset after applying rule labels',
    });
    expect(g.rules[1]!.health.health).toBe('ok');
    expect(res.samples.map((s) => s.labels)).toEqual([{ __name__: 'ok', job: 'a' }]);
  });
});

describe('recording rule', () => {
  it('writes its series, which later rules of the group read, and marks vanished series stale', async () => {
    const q = new MemoryQuerier([
      series({ __name__: 'x', job: 'a' }, [
        [0, 2],
        [60, 3],
        [120, 0],
      ]),
      series({ __name__: 'x', job: 'b' }, [
        [0, 4],
        [60, 5],
        [120, 6],
      ]),
    ]);
    const g = new GroupEvaluator(
      group(`groups:
  - name: g
    rules:
      - record: job:x:positive
        expr: x > 1
        labels:
          source: rule
      - record: job:x:doubled
        expr: job:x:positive * 2
`),
      { intervalMs: 60_000 },
    );
    const at60 = await g.eval(q, 60_000);
    expect(at60.samples.map((s) => [s.labels, s.value])).toEqual([
      [{ __name__: 'job:x:positive', job: 'a', source: 'rule' }, 3],
      [{ __name__: 'job:x:positive', job: 'b', source: 'rule' }, 5],
      [{ __name__: 'job:x:doubled', job: 'a', source: 'rule' }, 6],
      [{ __name__: 'job:x:doubled', job: 'b', source: 'rule' }, 10],
    ]);
    // At 120 x{job="a"} is 0: both rules lose that series and end it with a stale marker.
    const at120 = await g.eval(q, 120_000);
    const stale = at120.samples.filter((s) => s.stale).map((s) => s.labels);
    expect(stale).toEqual([
      { __name__: 'job:x:positive', job: 'a', source: 'rule' },
      { __name__: 'job:x:doubled', job: 'a', source: 'rule' },
    ]);
  });
});

describe('a series that stops being written', () => {
  // No stale marker (a remote-write sender that just stops): the input stays visible for the 5m lookback
  // after its last sample, as in Prometheus 2.42, then the recorded series ends with a stale marker and the
  // alert resolves at that evaluation. (A stale marker ends it at once: alerting-diff.e2e.test.ts checks
  // that against Prometheus itself.)
  it('keeps recording for the lookback, then marks the output stale and resolves the alert', async () => {
    const q = new MemoryQuerier([
      series({ __name__: 'x', job: 'a' }, [
        [0, 2],
        [60, 2],
        [120, 2],
      ]),
    ]);
    const g = new GroupEvaluator(
      group(`groups:
  - name: g
    rules:
      - record: job:x:sum
        expr: sum by (job) (x)
      - alert: XPresent
        expr: job:x:sum > 1
`),
      { intervalMs: 60_000 },
    );
    const recorded = (r: Awaited<ReturnType<GroupEvaluator['eval']>>) =>
      r.samples.filter((s) => s.labels.__name__ === 'job:x:sum').map((s) => (s.stale ? 'stale' : s.value));
    const at = async (sec: number) => g.eval(q, sec * 1000);
    const r120 = await at(120);
    expect(recorded(r120)).toEqual([2]);
    expect(r120.notify.map((a) => [a.labels.alertname, a.startsAtMs, a.endsAtMs > 120_000])).toEqual([
      ['XPresent', 120_000, true],
    ]);
    // 120 s after its last sample, and exactly 5m after: still there (Prometheus 2.x's lookback
    // [t - 5m, t] includes its start; 3.0 made it left-open).
    expect(recorded(await at(240))).toEqual([2]);
    expect(recorded(await at(420))).toEqual([2]);
    // The next evaluation finds nothing: the recorded series ends, the alert resolves.
    const r480 = await at(480);
    expect(recorded(r480)).toEqual(['stale']);
    expect(r480.notify.map((a) => [a.labels.alertname, a.startsAtMs, a.endsAtMs])).toEqual([
      ['XPresent', 120_000, 480_000],
    ]);
    expect(recorded(await at(540))).toEqual([]);
  });
});

describe('evalTimestamp', () => {
  it('puts evaluations on the interval grid shifted by the group hash, as Group.EvalTimestamp does', () => {
    const spec = { name: 'g', file: 'rules.yml' };
    const offsetMs = Number((labelsHash({ name: 'g', file: 'rules.yml' }) % 60_000_000_000n) / 1_000_000n);
    for (const now of [1_700_000_000_000, 1_700_000_012_345, 1_700_000_059_999]) {
      const ts = evalTimestamp(spec, 60_000, now);
      expect(ts).toBeLessThanOrEqual(now);
      expect(ts).toBeGreaterThan(now - 60_000);
      expect((ts - offsetMs) % 60_000).toBe(0);
    }
    expect(evalTimestamp({ name: 'other', file: 'rules.yml' }, 60_000, 1_700_000_000_000) % 60_000).not.toBe(
      evalTimestamp(spec, 60_000, 1_700_000_000_000) % 60_000,
    );
  });
});
