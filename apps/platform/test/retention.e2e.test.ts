// Retention through the running platform: spans and logs older than RETENTION_* are in the database
// (written as they were while still within retention: ingest now refuses them, see the last test),
// the retention job drops their day partitions, newer data stays, and /api/status shows it.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeExportLogsRequestJson, decodeExportTraceRequestJson } from '@pivot/otlp';
import { LogWriter, PartitionManager, SpanWriter } from '@pivot/store';
import { startTestPlatform } from './start.ts';

const DAY_MS = 86_400_000;
const ns = (ms: number) => (BigInt(ms) * 1_000_000n).toString();
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function otlpTrace(traceId: string, ms: number) {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'retention-check' } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId,
                spanId: randomBytes(8).toString('hex'),
                name: 'GET /old-or-new',
                kind: 2,
                startTimeUnixNano: ns(ms),
                endTimeUnixNano: ns(ms + 5),
              },
            ],
          },
        ],
      },
    ],
  };
}
function otlpLog(ms: number, body: string) {
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'retention-check' } }] },
        scopeLogs: [
          {
            logRecords: [
              { timeUnixNano: ns(ms), severityNumber: 9, severityText: 'INFO', body: { stringValue: body } },
            ],
          },
        ],
      },
    ],
  };
}

interface Status {
  signals: Record<
    string,
    { retention: string; tables: { name: string; partitions: number | null; oldestDay: string | null }[] }
  >;
}

describe('retention in the running platform', () => {
  let platform: Awaited<ReturnType<typeof startTestPlatform>>;
  const now = Date.now();
  const oldTrace = randomBytes(16).toString('hex');
  const newTrace = randomBytes(16).toString('hex');

  beforeAll(async () => {
    platform = await startTestPlatform({ RETENTION_TRACES: '2d', RETENTION_LOGS: '3d', RETENTION_METRICS: '0' });
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${platform.ingestUrl}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status, await res.text()).toBe(200);
    };
    // The start-up retention run goes on in the background: let it finish first, or it may drop what
    // is written next before the test looks.
    await platform.ingest.maintenance.runNow('retention');
    // Data from 5 days ago, stored back when it was new: written through the store's own writers,
    // since ingest refuses items older than the retention.
    const partitions = new PartitionManager(platform.database);
    const spans = new SpanWriter(platform.database, partitions);
    const logs = new LogWriter(platform.database, partitions);
    await spans.write(
      decodeExportTraceRequestJson(JSON.stringify(otlpTrace(oldTrace, now - 5 * DAY_MS))).resourceSpans,
    );
    await logs.write(decodeExportLogsRequestJson(JSON.stringify(otlpLog(now - 5 * DAY_MS, 'old line'))).resourceLogs);
    await Promise.all([spans.close(), logs.close()]);
    await post('/v1/traces', otlpTrace(newTrace, now));
    await post('/v1/logs', otlpLog(now, 'new line'));
  });
  afterAll(async () => {
    await platform?.stop();
  });

  const status = async () => (await (await fetch(`${platform.apiUrl}/api/status`)).json()) as Status;

  it('drops the partitions past each retention and keeps the newer ones', async () => {
    let s = await status();
    expect(s.signals.traces!.tables.find((t) => t.name === 'spans')!.oldestDay).toBe(day(now - 5 * DAY_MS));
    expect([s.signals.traces!.retention, s.signals.logs!.retention, s.signals.metrics!.retention]).toEqual([
      '2d',
      '3d',
      '0',
    ]);

    const run = await fetch(`${platform.apiUrl}/api/admin/retention/run`, { method: 'POST' });
    expect(run.status).toBe(200);
    const result = (await run.json()) as { dropped: Record<string, string[]>; tracesDeleted: number };
    const compact = (d: string) => d.replaceAll('-', '');
    expect(result.dropped.traces).toEqual([`spans_p${compact(day(now - 5 * DAY_MS))}`]);
    expect(result.dropped.logs).toEqual([`logs_p${compact(day(now - 5 * DAY_MS))}`]);
    expect(result.dropped.metrics).toEqual([]);
    expect(result.tracesDeleted).toBe(1);

    expect((await fetch(`${platform.apiUrl}/api/traces/${oldTrace}`)).status).toBe(404);
    expect((await fetch(`${platform.apiUrl}/api/traces/${newTrace}`)).status).toBe(200);
    s = await status();
    expect(s.signals.traces!.tables.find((t) => t.name === 'spans')!.oldestDay).toBe(day(now));
    expect(s.signals.logs!.tables.find((t) => t.name === 'logs')!.oldestDay).toBe(day(now));
  });

  it('refuses a late write older than the retention, alone, instead of recreating a dropped day', async () => {
    const late = randomBytes(16).toString('hex');
    const res = await fetch(`${platform.ingestUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(otlpTrace(late, now - 5 * DAY_MS + 1000)),
    });
    expect(res.status).toBe(200);
    const partial = ((await res.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } })
      .partialSuccess;
    expect(Number(partial.rejectedSpans)).toBe(1);
    expect(partial.errorMessage).toMatch(/before .* \(retention\)/);
    expect((await fetch(`${platform.apiUrl}/api/traces/${late}`)).status).toBe(404);
    const s = await status();
    expect(s.signals.traces!.tables.find((t) => t.name === 'spans')!.oldestDay).toBe(day(now));
  });
});
