import { describe, expect, it } from 'vitest';
import { fingerprint64 } from './log-fingerprint.ts';
import { MAX_TERMS, containsPattern, parseLogText } from './log-text.ts';

describe('parseLogText', () => {
  it.each([
    ['payment failed', ['payment', 'failed'], []],
    ['"card declined" -retry', ['card declined'], ['retry']],
    ['  ord-42  -"dry run"  ', ['ord-42'], ['dry run']],
    ['foo-bar -', ['foo-bar'], []],
    ['"unclosed phrase', ['unclosed phrase'], []],
    ['"" - -""', [], []],
    ['ÜBER straße', ['ÜBER', 'straße'], []],
  ])('%j', (q, include, exclude) => {
    expect(parseLogText(q)).toEqual({ ok: true, include, exclude });
  });

  it('refuses too many or too long terms, as data', () => {
    expect(parseLogText(Array.from({ length: MAX_TERMS + 1 }, (_, i) => `t${i}`).join(' '))).toMatchObject({
      ok: false,
      message: /more than 16/,
    });
    expect(parseLogText('x'.repeat(300))).toMatchObject({ ok: false, message: /longer than 256/ });
  });
});

describe('containsPattern', () => {
  it('escapes LIKE metacharacters so they match literally', () => {
    expect(containsPattern('50%_off\\')).toBe('%50\\%\\_off\\\\%');
    expect(containsPattern("o'brien")).toBe("%o'brien%");
  });
});

describe('fingerprint64', () => {
  it('is a deterministic signed 64-bit decimal that tells near-identical inputs apart', () => {
    const a = fingerprint64('charge ok\u0001{"order.id":"ord-1"}');
    expect(fingerprint64('charge ok\u0001{"order.id":"ord-1"}')).toBe(a);
    expect(BigInt(a)).toBeGreaterThanOrEqual(-(2n ** 63n));
    expect(BigInt(a)).toBeLessThan(2n ** 63n);
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(fingerprint64(`charge ok\u0001{"order.id":"ord-${i}"}`));
    expect(seen.size).toBe(100_000);
    expect(fingerprint64('ab')).not.toBe(fingerprint64('ba'));
  });
});
