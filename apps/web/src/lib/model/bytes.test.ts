import { describe, expect, it } from 'vitest';
import { describeRetentionRun, formatBytes } from './bytes.ts';

describe('bytes', () => {
  it('uses binary units, never 1000 or more of one', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(1000 * 1024)).toBe('0.98 MiB');
    expect(formatBytes(999 * 1024)).toBe('999 KiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
  });

  it('says what a retention run dropped', () => {
    expect(
      describeRetentionRun({
        retention: { traces: '7d', logs: '0', metrics: '2d' },
        dropped: {
          traces: ['spans_p20261124', 'spans_p20261125'],
          logs: [],
          metrics: ['metric_chunks_p20261130', 'metric_exemplars_p20261130'],
        },
        tracesDeleted: 1200,
      }),
    ).toBe(
      'Dropped traces: 2 days (2026-11-24 to 2026-11-25); metrics: 1 day (2026-11-30), and 1200 trace summaries. Retention kept: traces 7d, logs forever, metrics 2d.',
    );
    expect(describeRetentionRun({ retention: { traces: '7d' }, dropped: { traces: [] }, tracesDeleted: 0 })).toBe(
      'Nothing was older than the retention (traces 7d): nothing was dropped.',
    );
  });
});
