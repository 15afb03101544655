// Mutated real payloads and random bytes through the full HTTP path of every ingest endpoint: the
// answer is always a 2xx or a 4xx, quickly, and the server keeps serving. A 5xx here would mean a
// decoder bug surfaced as "internal error".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ENDPOINTS, startHarness, type Harness } from './ingest-harness.ts';
import { watchRss } from '../../../../test-memory.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);

/** A real payload with bit flips, a truncation, a length field lie, or spliced random bytes. */
const mutation = (seed: Uint8Array) =>
  fc.oneof(
    fc
      .array(fc.tuple(fc.nat(seed.length - 1), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 })
      .map((flips) => {
        const b = Uint8Array.from(seed);
        for (const [i, bit] of flips) b[i]! ^= 1 << bit;
        return b;
      }),
    fc.nat(seed.length).map((n) => seed.subarray(0, n)),
    fc.tuple(fc.nat(seed.length - 1), fc.integer({ min: 0x80, max: 0xff })).map(([i, v]) => {
      const b = Uint8Array.from(seed);
      b[i] = v; // a varint continuation where a length was: the length now lies
      return b;
    }),
    fc.tuple(fc.nat(seed.length), fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([i, junk]) => {
      const b = new Uint8Array(seed.length + junk.length);
      b.set(seed.subarray(0, i));
      b.set(junk, i);
      b.set(seed.subarray(i), i + junk.length);
      return b;
    }),
    fc.uint8Array({ maxLength: 2048 }),
  );

/** Peak RSS growth this file may cause (MiB), about twice what it measures (README, Limits); a decoder or body reader that kept inputs, or sized a buffer from a lying length, would cross it. */
const RSS_BOUND_MIB = 128;

describe('fuzzing every ingest endpoint through HTTP', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  let rss: ReturnType<typeof watchRss>;
  // After the harness started: what the suite costs, not the database's start-up.
  beforeAll(() => {
    rss = watchRss('fuzz (ingest HTTP)');
  });
  afterAll(() => {
    expect(rss.stop().growthMiB).toBeLessThan(RSS_BOUND_MIB);
  });
  afterAll(async () => {
    await h.close();
  });

  for (const ep of ENDPOINTS) {
    it(`${ep.name}: ${RUNS} mutated payloads get 2xx or 4xx, each within 2 s`, async () => {
      const seed = ep.seed();
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(mutation(seed), async (body) => {
          const t0 = performance.now();
          const res = await h.ingest.request(ep.path, {
            method: 'POST',
            body,
            headers: { 'content-type': ep.type, ...(ep.encoding ? { 'content-encoding': ep.encoding } : {}) },
          });
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          expect(performance.now() - t0).toBeLessThan(2000);
          expect([200, 204, 400, 413, 415]).toContain(res.status);
        }),
        { numRuns: RUNS },
      );
      // The mutations must actually reach the decoders' error paths, not just succeed.
      expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
      const ok = await h.ingest.request(ep.path, {
        method: 'POST',
        body: seed,
        headers: { 'content-type': ep.type, ...(ep.encoding ? { 'content-encoding': ep.encoding } : {}) },
      });
      expect([200, 204]).toContain(ok.status);
    });
  }
});
