// Running the platform's real entry points as child processes, the way `npm start` and the compose
// services run them, and talking to them as a user's exporter and browser would.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** A port free right now on the loopback interface (the child binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface RunningProcess {
  proc: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
  /** Sends a signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/**
 * Starts a command with exactly the given environment on top of PATH/HOME (so that nothing from the
 * test's own environment, such as DATABASE_URL, leaks in unless passed).
 */
export function startProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd = repoRoot,
): RunningProcess {
  const base: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'npm_config_cache']) if (process.env[k]) base[k] = process.env[k]!;
  const proc = spawn(command, args, { cwd, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return {
    proc,
    output: () => out,
    exited,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** Polls a URL until it answers 200; fails early, with the output, if the process exits first. */
export async function waitForOk(url: string, p: RunningProcess | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let exited: number | string | undefined;
  void p?.exited.then((c) => (exited = c));
  while (Date.now() < deadline) {
    if (exited !== undefined)
      throw new Error(`process exited (${exited}) before ${url} answered:\n${p!.output().slice(-4000)}`);
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (${last}):\n${p?.output().slice(-4000) ?? ''}`);
}

/**
 * Exports one trace (a server span and its database child) with the real OpenTelemetry SDK and OTLP
 * protobuf exporter, as a user's service would; returns its trace ID once the export was answered.
 */
export async function exportTrace(
  ingestUrl: string,
  opts: { service?: string; token?: string } = {},
): Promise<{ traceId: string; ok: boolean }> {
  const exporter = new OTLPTraceExporter({
    url: `${ingestUrl}/v1/traces`,
    ...(opts.token ? { headers: { Authorization: `Bearer ${opts.token}` } } : {}),
  });
  let ok = true;
  const export0 = exporter.export.bind(exporter);
  exporter.export = (spans, done) =>
    export0(spans, (r) => {
      if (Number(r.code) !== 0) ok = false;
      done(r);
    });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': opts.service ?? 'e2e-shop' }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('e2e');
  const root = tracer.startSpan('GET /orders', { kind: SpanKind.SERVER, attributes: { 'http.route': '/orders' } });
  const db = tracer.startSpan(
    'SELECT orders',
    { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql' } },
    trace.setSpan(context.active(), root),
  );
  db.end();
  root.end();
  // A refused export rejects the flush: that is an answer too.
  await provider.forceFlush().catch(() => (ok = false));
  await provider.shutdown().catch(() => (ok = false));
  return { traceId: root.spanContext().traceId, ok };
}

/** Reads a trace back from the API; undefined while it is not there. */
export async function fetchTrace(
  apiUrl: string,
  traceId: string,
  headers: Record<string, string> = {},
): Promise<{ spans: { name: string; service: string }[] } | undefined> {
  const res = await fetch(`${apiUrl}/api/traces/${traceId}`, { headers });
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET /api/traces/${traceId}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { spans: { name: string; service: string }[] };
}

/**
 * Builds the apps if their output is missing or older than the sources, as `npm start` does
 * (bin/ensure.mjs), holding a lock so that suites running in parallel do not build at once.
 */
export async function ensureBuiltOnce(timeoutMs = 600_000): Promise<void> {
  const { mkdirSync, rmSync, statSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const pathModule = await import('node:path');
  const join = pathModule.join.bind(pathModule);
  const { spawnSync } = await import('node:child_process');
  const lock = join(tmpdir(), 'pivot-e2e-build.lock');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock left by a killed run is stale after the longest build.
      try {
        if (Date.now() - statSync(lock).mtimeMs > timeoutMs) rmSync(lock, { recursive: true, force: true });
      } catch {
        // Released meanwhile.
      }
      if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${lock}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    const res = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', "const m = await import('./apps/platform/bin/ensure.mjs'); m.ensureBuilt();"],
      {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: timeoutMs,
      },
    );
    if (res.status !== 0) throw new Error(`build failed (${res.status}):\n${res.stdout}\n${res.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
