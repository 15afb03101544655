// One Citus worker restarts while the real OpenTelemetry exporter keeps sending spans: ingest must answer
// 503 while the worker is away (so the exporter keeps its batch and retries), and every export it
// acknowledged must be stored exactly once afterwards. An ingest that answered 200 before the coordinator
// committed would lose acknowledged spans here. Restarting a worker breaks whatever else runs on the
// cluster, so this runs alone, only when CITUS_RESTART_TEST=1 (.ci/run does so after the Citus suite).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { spanCopies } from '@pivot/store/testing';
import { startTestPlatform } from './start.ts';

const run = promisify(execFile);
const enabled =
  process.env.CITUS_RESTART_TEST === '1' &&
  !!process.env.CITUS_URL &&
  !!process.env.TEST_TARGETS?.split(',').some((t) => t.trim() === 'citus');
const WORKER = { cluster: 'w2', port: '5435' };
const SERVICE = 'restart-probe';

/** Records which spans the real exporter reported as exported (the ingest answered 2xx) and which it gave up on. */
class AckCountingExporter implements SpanExporter {
  readonly acked: string[] = [];
  readonly failed: string[] = [];
  constructor(private readonly inner: SpanExporter) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      const ids = spans.map((s) => s.spanContext().spanId);
      (result.code === ExportResultCode.SUCCESS ? this.acked : this.failed).push(...ids);
      done(result);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

async function workerReady(): Promise<boolean> {
  try {
    await run('pg_isready', ['-h', '127.0.0.1', '-p', WORKER.port, '-t', '1']);
    return true;
  } catch {
    return false;
  }
}

/** Brings the worker back if the test stopped it and waits until it accepts connections again. */
async function ensureWorkerUp(): Promise<void> {
  if (!(await workerReady())) await run('pg_ctlcluster', ['15', WORKER.cluster, 'start']).catch(() => undefined);
  const deadline = Date.now() + 60_000;
  while (!(await workerReady())) {
    if (Date.now() > deadline) throw new Error(`worker ${WORKER.cluster} did not come back on ${WORKER.port}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Ingest's answers to OTLP/HTTP trace exports so far, by status. */
async function traceAnswers(ingestUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${ingestUrl}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(
    /^pivot_ingest_http_requests_total\{route="\/v1\/traces",method="POST",status="(\d+)"\} (\d+)/gm,
  ))
    out[m[1]!] = Number(m[2]);
  return out;
}

describe.skipIf(!enabled)(
  'a Citus worker restart mid-ingest (runs only with CITUS_RESTART_TEST=1, TEST_TARGETS=citus and CITUS_URL: it restarts a worker of the shared cluster)',
  () => {
    let platform: Awaited<ReturnType<typeof startTestPlatform>>;
    let provider: BasicTracerProvider;
    let exporter: AckCountingExporter;
    let timer: NodeJS.Timeout | undefined;

    beforeAll(async () => {
      await ensureWorkerUp();
      platform = await startTestPlatform();
      exporter = new AckCountingExporter(new OTLPTraceExporter({ url: `${platform.ingestUrl}/v1/traces` }));
      provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': SERVICE }),
        // Small, frequent batches: many exports fall into the outage window.
        spanProcessors: [
          new BatchSpanProcessor(exporter, {
            maxExportBatchSize: 50,
            scheduledDelayMillis: 200,
            maxQueueSize: 100_000,
          }),
        ],
      });
    }, 120_000);

    afterAll(async () => {
      clearInterval(timer);
      await provider?.shutdown().catch(() => undefined);
      await ensureWorkerUp();
      await platform?.stop();
    }, 120_000);

    it('answers 503 while the worker is away and stores every acknowledged span exactly once', async () => {
      const tracer = provider.getTracer('probe');
      let sent = 0;
      // Spans go out continuously, before, during and after the outage: each trace is its own root span.
      timer = setInterval(() => {
        for (let i = 0; i < 5; i++) tracer.startSpan(`op-${sent++}`, { attributes: { seq: sent } }).end();
      }, 100);

      const ackedBefore = async (n: number) => {
        const deadline = Date.now() + 30_000;
        while (exporter.acked.length < n) {
          if (Date.now() > deadline) throw new Error(`only ${exporter.acked.length} spans acknowledged`);
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      await ackedBefore(100);
      const before = await traceAnswers(platform.ingestUrl);

      // Fast shutdown aborts the coordinator's open connections to the worker mid-statement; the pause
      // keeps it away long enough for several exports to meet the outage.
      await run('pg_ctlcluster', ['15', WORKER.cluster, 'stop', '-m', 'fast']);
      await new Promise((r) => setTimeout(r, 4000));
      await run('pg_ctlcluster', ['15', WORKER.cluster, 'start']);
      await ensureWorkerUp();

      const ackedAtRestart = exporter.acked.length;
      await ackedBefore(ackedAtRestart + 200);
      clearInterval(timer);
      timer = undefined;
      // A batch the exporter gave up on (retries exhausted, or its concurrent-export limit reached while
      // the worker was away) rejects the flush; it was never acknowledged and is counted in `failed`.
      await provider.forceFlush().catch(() => undefined);

      const after = await traceAnswers(platform.ingestUrl);
      const during = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
      // The outage must reach the client as 503 (retryable), never as a 500 the exporter drops at once.
      expect(during['503'] ?? 0).toBeGreaterThan(0);
      expect(Object.keys(during).filter((k) => k !== '200' && k !== '503' && during[k]! > 0)).toEqual([]);

      const stored = await spanCopies(platform.database, SERVICE);
      const copies = new Map(stored.map((s) => [s.spanId as string, s.copies]));
      const acked = new Set(exporter.acked);
      expect(acked.size).toBe(exporter.acked.length);
      const missing = [...acked].filter((id) => copies.get(id) !== 1);
      expect(missing, `acknowledged spans not stored exactly once (of ${acked.size})`).toEqual([]);
      // Nothing is stored twice either, acknowledged or not (a retried batch goes through the idempotent path).
      expect(stored.filter((s) => s.copies !== 1)).toEqual([]);
      // Every span stored was sent by us; report the tallies when the test is read.
      expect(stored.length).toBeGreaterThanOrEqual(acked.size);
      console.log(
        `sent ${sent} spans, ${acked.size} acknowledged, ${exporter.failed.length} given up by the exporter, ` +
          `${stored.length} stored; ingest's answers from the restart on: ${JSON.stringify(during)}`,
      );
    }, 180_000);
  },
);
