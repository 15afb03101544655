// jsonlog/csvlog timestamps: `2026-12-03 10:25:36.341 UTC`, in log_timezone. UTC/GMT and numeric
// offsets (`+01`, `-0530`) are read as they are. A zone abbreviation (`CET`, `EDT`, `IST`) means
// nothing alone (IST is India, Israel or Ireland): it is read in the server's log_timezone, an IANA
// name given by the caller (`timeZone`), through Intl's zone data; without one it is not read.
import { unixNano, type UnixNano } from '@pivot/model';

const TS =
  /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? ?(UTC|GMT|UCT|Z|[+-]\d{2}(?::?\d{2})?|[A-Za-z][A-Za-z0-9+-]{1,7})$/;
const HOUR_MS = 3_600_000;

// Intl spells zone names per locale: en-GB gives Europe's (`CET`, `BST`), en-US America's (`EST`, `PDT`).
const formatters = new Map<string, Intl.DateTimeFormat[] | null>();
function formatter(timeZone: string): Intl.DateTimeFormat[] | null {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    try {
      f = ['en-GB', 'en-US'].map(
        (locale) =>
          new Intl.DateTimeFormat(locale, {
            timeZone,
            hourCycle: 'h23',
            year: 'numeric',
            month: 'numeric',
            day: 'numeric',
            hour: 'numeric',
            minute: 'numeric',
            second: 'numeric',
            timeZoneName: 'short',
          }),
      );
    } catch {
      f = null; // Not a zone Intl knows.
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** The zone's offset from UTC (ms) at instant `t`, and its short names there (`CET`, `EST`, `GMT-5`). */
function zoneAt(fs: Intl.DateTimeFormat[], t: number): { offsetMs: number; names: string[] } {
  const parts = fs.map((f) => Object.fromEntries(f.formatToParts(new Date(t)).map((x) => [x.type, x.value])));
  const p = parts[0]!;
  const wall = Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!, +p.second!);
  return {
    offsetMs: wall - Math.floor(t / 1000) * 1000,
    names: parts.map((x) => (x.timeZoneName ?? '').toUpperCase()),
  };
}

/**
 * The instant of wall time `wallMs` (as if UTC) in `timeZone`: of the zone's offsets around it, the
 * one that holds there. In the hour a clock is set back the wall time happens twice; the abbreviation
 * the server wrote picks one when Intl spells it the same, else the first is taken.
 */
function instantIn(wallMs: number, timeZone: string, abbrev: string): number | null {
  const f = formatter(timeZone);
  if (!f) return null;
  const offsets = new Set([zoneAt(f, wallMs - 24 * HOUR_MS).offsetMs, zoneAt(f, wallMs + 24 * HOUR_MS).offsetMs]);
  const valid: { t: number; names: string[] }[] = [];
  for (const o of offsets) {
    const t = wallMs - o;
    const z = zoneAt(f, t);
    if (z.offsetMs === o) valid.push({ t, names: z.names });
  }
  if (valid.length === 0) return null; // A wall time the clock skipped: no server writes one.
  valid.sort((a, b) => a.t - b.t);
  return (valid.find((v) => v.names.includes(abbrev.toUpperCase())) ?? valid[0]!).t;
}

/** `timeZone`: the server's log_timezone (IANA), for timestamps written with a zone abbreviation. */
export function parsePgTimestamp(s: string, timeZone?: string): UnixNano | null {
  const m = TS.exec(s.trim());
  if (!m) return null;
  const wallMs = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  if (!Number.isFinite(wallMs)) return null;
  const zone = m[8]!;
  let ms: number | null = wallMs;
  if (zone[0] === '+' || zone[0] === '-') {
    const digits = zone.slice(1).replace(':', '');
    const offsetMin = (zone[0] === '-' ? -1 : 1) * (+digits.slice(0, 2) * 60 + +(digits.slice(2) || '0'));
    ms = wallMs - offsetMin * 60_000;
  } else if (!/^(UTC|GMT|UCT|Z)$/.test(zone)) ms = timeZone ? instantIn(wallMs, timeZone, zone) : null;
  if (ms === null) return null;
  const frac = BigInt((m[7] ?? '').padEnd(9, '0'));
  const ns = BigInt(ms) * 1_000_000n + frac;
  return ns > 0n ? unixNano(ns) : null;
}
