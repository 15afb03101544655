import { expect, it } from 'vitest';
import { parsePgTimestamp } from './timestamp.ts';

it('reads UTC and numeric-offset timestamps to the nanosecond, and nothing else', () => {
  expect(parsePgTimestamp('2026-12-03 10:25:36.341 UTC')).toBe(1796293536341000000n);
  expect(parsePgTimestamp('2026-12-03 11:25:36.341123 +01')).toBe(1796293536341123000n);
  expect(parsePgTimestamp('2026-12-03 04:55:36 -05:30')).toBe(1796293536000000000n);
  expect(parsePgTimestamp('2026-12-03 11:25:36.341 CET')).toBeNull();
  expect(parsePgTimestamp('yesterday')).toBeNull();
});

it("reads a zone abbreviation in the server's log_timezone (IANA), the clock's setback hour by its abbreviation", () => {
  expect(parsePgTimestamp('2026-12-03 11:25:36.341 CET', 'Europe/Paris')).toBe(1796293536341000000n);
  expect(parsePgTimestamp('2026-07-01 14:00:00 CEST', 'Europe/Paris')).toBe(
    BigInt(Date.UTC(2026, 6, 1, 12)) * 1_000_000n,
  );
  expect(parsePgTimestamp('2026-12-03 15:55:36.341 IST', 'Asia/Kolkata')).toBe(1796293536341000000n);
  // New York sets its clock back at 02:00 EDT on 1 November 2026: 01:30 happens twice.
  expect(parsePgTimestamp('2026-11-01 01:30:00 EDT', 'America/New_York')).toBe(
    BigInt(Date.UTC(2026, 10, 1, 5, 30)) * 1_000_000n,
  );
  expect(parsePgTimestamp('2026-11-01 01:30:00 EST', 'America/New_York')).toBe(
    BigInt(Date.UTC(2026, 10, 1, 6, 30)) * 1_000_000n,
  );
  // Without the zone, or with one Intl does not know, an abbreviation is not guessed.
  expect(parsePgTimestamp('2026-12-03 11:25:36.341 CET')).toBeNull();
  expect(parsePgTimestamp('2026-12-03 11:25:36.341 CET', 'Mars/Olympus_Mons')).toBeNull();
  // UTC and offsets ignore it.
  expect(parsePgTimestamp('2026-12-03 10:25:36.341 UTC', 'Europe/Paris')).toBe(1796293536341000000n);
});
