import { describe, expect, it } from 'vitest';
import { parseSpanId, parseTraceId, unixNano, type ResourceLogs } from '@pivot/model';
import { copyRows } from './copy-text.ts';
import { logCopyBytes, logCopyColumns, toLogColumns } from './log-writer.ts';

const batch: ResourceLogs[] = [
  {
    resource: { attributes: { 'service.name': 'tab\tservice' }, droppedAttributesCount: 0 },
    scopeLogs: [
      {
        scope: { name: 'app', version: '1', attributes: {} },
        logRecords: [
          {
            timeUnixNano: unixNano(1_764_000_000_123_456_789n),
            observedTimeUnixNano: unixNano(1_764_000_000_123_456_790n),
            severityNumber: 17,
            severityText: 'ERROR',
            body: 'line one\nline two\twith a tab and a \\ backslash\r, café',
            attributes: { 'user.id': 42, path: 'C:\\temp' },
            droppedAttributesCount: 3,
            flags: 1,
            traceId: parseTraceId('0af7651916cd43dd8448eb211c80319c')!,
            spanId: parseSpanId('ffffffffffffff01')!,
            eventName: 'ev\tent',
          },
          {
            timeUnixNano: unixNano(1_764_000_000_123_456_800n),
            observedTimeUnixNano: unixNano(0n),
            severityNumber: 0,
            severityText: '',
            body: { nested: ['a\tb', 1, true, null] },
            attributes: {},
            droppedAttributesCount: 0,
            flags: 0,
            traceId: null,
            spanId: null,
            eventName: '',
          },
        ],
      },
    ],
  },
];

describe('logCopyBytes', () => {
  it('writes the same bytes as copyRows over the log columns', () => {
    const c = toLogColumns([batch], unixNano(1_764_000_001_000_000_000n));
    const bytes = Buffer.from(logCopyBytes(c));
    expect(bytes.toString('hex')).toBe(Buffer.from(copyRows(logCopyColumns(c))).toString('hex'));
    const text = bytes.toString('utf8');
    expect(text.split('\n')).toHaveLength(3);
    expect(text.endsWith('\n')).toBe(true);
    expect(text).toContain('\\N\t\\N');
  });

  it('writes nothing for an empty batch', () => {
    expect(logCopyBytes(toLogColumns([])).length).toBe(0);
  });
});
