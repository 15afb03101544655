import { describe, expect, it } from 'vitest';
import { MemoryQuerier, isStaleMarker, writeStaleMarker, type LabelMatcher } from '../src/index.ts';
import { regular } from './helpers.ts';

const data = [
  regular({ __name__: 'up', job: 'api', instance: 'a' }, 10, 10, (i) => i),
  regular({ __name__: 'up', job: 'web' }, 10, 10, (i) => i),
];
const names = async (matchers: LabelMatcher[], min = 0, max = 1e9): Promise<string[]> =>
  (await new MemoryQuerier(data).select(matchers, min, max)).map((s) => `${s.labels['job']}:${s.timestamps.length}`);

describe('MemoryQuerier', () => {
  it('applies all four matcher types, an absent label counting as ""', async () => {
    expect(await names([{ name: 'job', type: '=', value: 'api' }])).toEqual(['api:10']);
    expect(await names([{ name: 'job', type: '!=', value: 'api' }])).toEqual(['web:10']);
    expect(await names([{ name: 'job', type: '=~', value: 'a.*|w.b' }])).toEqual(['api:10', 'web:10']);
    expect(await names([{ name: 'job', type: '!~', value: 'a.*' }])).toEqual(['web:10']);
    expect(await names([{ name: 'instance', type: '=', value: '' }])).toEqual(['web:10']);
    expect(await names([{ name: 'instance', type: '=~', value: '.+' }])).toEqual(['api:10']);
  });

  it('anchors regexes', async () => {
    expect(await names([{ name: 'job', type: '=~', value: 'ap' }])).toEqual([]);
  });

  it('returns only samples inside [min, max], inclusive', async () => {
    expect(await names([{ name: 'job', type: '=', value: 'api' }], 20_000, 50_000)).toEqual(['api:4']);
    expect(await names([{ name: 'job', type: '=', value: 'api' }], 1e6, 2e6)).toEqual([]);
  });

  it('honours an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(new MemoryQuerier(data).select([], 0, 1, ac.signal)).rejects.toThrow('stop');
  });
});

describe('stale markers', () => {
  it('are told apart from other NaNs by their bits', () => {
    const v = new Float64Array([NaN, 0]);
    writeStaleMarker(v, 1);
    expect(isStaleMarker(v, 0)).toBe(false);
    expect(isStaleMarker(v, 1)).toBe(true);
    expect(Number.isNaN(v[1])).toBe(true);
  });
});
