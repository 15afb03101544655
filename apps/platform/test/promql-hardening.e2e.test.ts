// The PromQL engine's limits as the HTTP API reports them: hostile queries come back quickly as
// Prometheus-style errors with the right status, never as a 500 or a stalled server.
import { remoteWrite, series } from '@pivot/promql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform } from './start.ts';

describe('PromQL limits through the API', () => {
  let platform: Awaited<ReturnType<typeof startTestPlatform>>;
  const now = Math.floor(Date.now() / 60_000) * 60_000;

  beforeAll(async () => {
    platform = await startTestPlatform();
    await remoteWrite(platform.ingestUrl, [
      series({ __name__: 'hardening_probe', v: 'a'.repeat(28) + 'b' }, [[now - 60_000, 1]]),
    ]);
  }, 60_000);

  afterAll(async () => {
    await platform?.stop();
  });

  /** POSTs a form, as Grafana does for long queries (a GET line this long exceeds Node's header limit). */
  async function ask(query: string): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
    const t0 = performance.now();
    const res = await fetch(`${platform.apiUrl}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query, time: String(now / 1000) }).toString(),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, ms: performance.now() - t0 };
  }

  it('answers a 20,000-term sum with 400 bad_data', async () => {
    const r = await ask(Array(20_000).fill('1').join('+'));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ errorType: 'bad_data' });
    expect(String(r.body['error'])).toMatch(/nests deeper than 256 levels/);
  });

  it('answers an oversized subquery with 422 too many samples, quickly', async () => {
    const r = await ask('max_over_time(vector(1)[1d:1ms])');
    expect(r.status).toBe(422);
    expect(r.body['error']).toBe('query processing would load too many samples into memory in query execution');
    expect(r.ms).toBeLessThan(2000);
  });

  it('runs label_replace with a nested quantifier in linear time', async () => {
    const r = await ask('label_replace(hardening_probe, "x", "$1", "v", "(a+)+")');
    expect(r.status).toBe(200);
    expect(r.ms).toBeLessThan(2000);
  });

  it('reads number literals as Go does', async () => {
    const r = await ask('5./6.');
    expect(r.body).toMatchObject({ status: 'success', data: { resultType: 'scalar' } });
    expect(Number((r.body['data'] as { result: [number, string] }).result[1])).toBeCloseTo(5 / 6, 12);
  });
});
