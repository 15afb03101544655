// `npm start` as a newcomer runs it: `node apps/platform/bin/start.mjs` with no DATABASE_URL, so on
// embedded PGlite in a fresh DATA_DIR. A real OpenTelemetry export goes in and is read back; SIGTERM
// stops it cleanly; a second start on the same DATA_DIR still has the trace. `npm run demo` then
// starts the demo workload on top.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureBuiltOnce,
  exportTrace,
  fetchTrace,
  freePort,
  startProcess,
  waitForOk,
  type RunningProcess,
} from './start-helpers.ts';

describe('npm start on embedded PGlite', () => {
  let dataDir: string;
  let current: RunningProcess | undefined;
  let traceId: string;

  const startPlatform = async (bin: 'start.mjs' | 'demo.mjs' = 'start.mjs') => {
    const [port, ingestPort, grpcPort] = [await freePort(), await freePort(), await freePort()];
    // Only what a newcomer's shell has: no DATABASE_URL, so PGlite under DATA_DIR.
    current = startProcess(process.execPath, [`apps/platform/bin/${bin}`], {
      DATA_DIR: dataDir,
      PORT: String(port),
      INGEST_PORT: String(ingestPort),
      GRPC_PORT: String(grpcPort),
    });
    const apiUrl = `http://127.0.0.1:${port}`;
    const ingestUrl = `http://127.0.0.1:${ingestPort}`;
    await waitForOk(`${apiUrl}/readyz`, current, 120_000);
    await waitForOk(`${ingestUrl}/readyz`, current, 10_000);
    return { apiUrl, ingestUrl, p: current };
  };

  beforeAll(async () => {
    // The build start.mjs would do, done once for all suites that run the built apps.
    await ensureBuiltOnce();
    dataDir = mkdtempSync(join(tmpdir(), 'pivot-start-'));
  }, 660_000);

  afterAll(async () => {
    await current?.stop('SIGKILL');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts, prints where to go and what to point exporters at, stores an OTLP export and stops on SIGTERM', async () => {
    const { apiUrl, ingestUrl, p } = await startPlatform();
    const out = p.output();
    expect(out).toContain(`embedded PGlite in ${dataDir}`);
    expect(out).toContain(`Dashboard and query API:  ${apiUrl}`);
    expect(out).toContain(`OTEL_EXPORTER_OTLP_ENDPOINT=${ingestUrl}`);
    expect(out).toContain(`${ingestUrl}/api/v1/write`);
    expect(out).toMatch(/OTLP\/gRPC endpoint: +http:\/\/127\.0\.0\.1:\d+/);

    const exported = await exportTrace(ingestUrl, { service: 'first-start' });
    expect(exported.ok).toBe(true);
    traceId = exported.traceId;
    const trace = await fetchTrace(apiUrl, traceId);
    expect(trace?.spans.map((s) => `${s.service} ${s.name}`).sort()).toEqual([
      'first-start GET /orders',
      'first-start SELECT orders',
    ]);

    expect(await p.stop('SIGTERM')).toBe(0);
    expect(p.output()).toMatch(/shutdown complete/);
  }, 180_000);

  it('finds the trace again after a restart on the same DATA_DIR', async () => {
    expect(traceId).toBeDefined();
    const { apiUrl, p } = await startPlatform();
    const trace = await fetchTrace(apiUrl, traceId);
    expect(trace?.spans).toHaveLength(2);
    const status = (await (await fetch(`${apiUrl}/api/status`)).json()) as {
      database: { driver: string };
      signals: { traces: { tables: { name: string; rows: number }[] } };
    };
    expect(status.database.driver).toBe('pglite');
    expect(status.signals.traces.tables.find((t) => t.name === 'spans')!.rows).toBe(2);
    expect(await p.stop('SIGTERM')).toBe(0);
  }, 180_000);

  it('runs the demo workload with `npm run demo`', async () => {
    const { apiUrl, p } = await startPlatform('demo.mjs');
    expect(p.output()).toMatch(/Demo shop: +running/);
    const deadline = Date.now() + 30_000;
    let services: string[] = [];
    while (Date.now() < deadline && services.length < 7) {
      await new Promise((r) => setTimeout(r, 1000));
      services = ((await (await fetch(`${apiUrl}/api/services`)).json()) as { services: string[] }).services;
    }
    expect(services).toEqual(['checkout', 'first-start', 'frontend', 'inventory', 'payment', 'pricing', 'shipping']);
    expect(await p.stop('SIGTERM')).toBe(0);
  }, 180_000);
});
