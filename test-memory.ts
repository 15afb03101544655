// The peak RSS of a test process over a stretch of a suite, for the fuzz and overload suites: each
// reports it and asserts a bound that a leak or an unbounded buffer would cross. Read from /proc on
// Linux: the kernel's high-water mark (VmHWM) is reset when the stretch starts (clear_refs, 5), so a
// buffer allocated and freed between two samples still counts, which sampling rss() would miss.
// At the repository root beside the other shared configs, so every workspace's suites use this one.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** False where /proc cannot say (not Linux): the suites then skip their bound, not their tests. */
export const canMeasureRss = existsSync('/proc/self/clear_refs') && existsSync('/proc/self/status');

const MiB = 1024 * 1024;
const statusKb = (field: 'VmHWM' | 'VmRSS') =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;

export interface RssFigures {
  /** RSS when the watch started, MiB. */
  startMiB: number;
  /** The highest RSS while it ran, MiB. */
  peakMiB: number;
  /** peak - start: what the stretch itself cost at most, MiB. */
  growthMiB: number;
}

/** Starts a watch; stop() gives the figures and prints them under `label`. */
export function watchRss(label: string): { stop(): RssFigures } {
  if (!canMeasureRss) return { stop: () => ({ startMiB: 0, peakMiB: 0, growthMiB: 0 }) };
  writeFileSync('/proc/self/clear_refs', '5');
  const start = statusKb('VmRSS');
  return {
    stop() {
      const peak = Math.max(statusKb('VmHWM'), start);
      const f = { startMiB: start / MiB, peakMiB: peak / MiB, growthMiB: (peak - start) / MiB };
      process.stdout.write(
        `${label}: peak RSS ${f.peakMiB.toFixed(0)} MiB, +${f.growthMiB.toFixed(0)} MiB over ${f.startMiB.toFixed(0)} MiB\n`,
      );
      return f;
    },
  };
}
