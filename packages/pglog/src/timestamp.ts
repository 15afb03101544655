// jsonlog/csvlog timestamps: `2026-12-03 10:25:36.341 UTC`, in log_timezone. Zone names other than
// UTC/GMT cannot be resolved without a zone database of abbreviations, so only those and numeric
// offsets (`+01`, `-0530`) are read; set log_timezone = 'UTC' (see README).
import { unixNano, type UnixNano } from '@pivot/model';

const TS = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? ?(UTC|GMT|UCT|Z|[+-]\d{2}(?::?\d{2})?)$/;

export function parsePgTimestamp(s: string): UnixNano | null {
  const m = TS.exec(s.trim());
  if (!m) return null;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  if (!Number.isFinite(ms)) return null;
  let offsetMin = 0;
  const zone = m[8]!;
  if (zone[0] === '+' || zone[0] === '-') {
    const digits = zone.slice(1).replace(':', '');
    offsetMin = (zone[0] === '-' ? -1 : 1) * (+digits.slice(0, 2) * 60 + +(digits.slice(2) || '0'));
  }
  const frac = BigInt((m[7] ?? '').padEnd(9, '0'));
  const ns = BigInt(ms - offsetMin * 60_000) * 1_000_000n + frac;
  return ns > 0n ? unixNano(ns) : null;
}
