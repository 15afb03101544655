// Runs Debian's Prometheus as a real remote-write sender (and as a reference for what it scraped).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PROMETHEUS = '/usr/bin/prometheus';
export const hasPrometheus = existsSync(PROMETHEUS);

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RunningPrometheus {
  url: string;
  stop(): Promise<void>;
}

/** Starts Prometheus scraping `targets` every second and remote-writing to `remoteWriteUrl`. */
export async function startPrometheus(opts: {
  targets: string[];
  remoteWriteUrl?: string;
  extraArgs?: string[];
}): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'pivot-prom-'));
  const port = await freePort();
  const remoteWrite = opts.remoteWriteUrl
    ? `remote_write:
  - url: ${opts.remoteWriteUrl}
    send_exemplars: true
    metadata_config:
      send: true
      send_interval: 1s
    queue_config:
      batch_send_deadline: 1s
      min_backoff: 200ms
      max_backoff: 1s
`
    : '';
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: app
    static_configs:
      - targets: [${opts.targets.map((t) => `'${t}'`).join(', ')}]
${remoteWrite}`,
  );
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--enable-feature=exemplar-storage',
      ...(opts.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'ignore', process.env.PROMETHEUS_LOG ? 'inherit' : 'ignore'] },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('Prometheus did not become ready');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Serves a prom-client registry on loopback, as a scrape target; returns the server and its host:port. */
export async function serveRegistry(registry: {
  contentType: string;
  metrics(): Promise<string>;
}): Promise<{ server: Server; target: string }> {
  const server = createHttpServer((_req, res) => {
    res.setHeader('Content-Type', registry.contentType);
    void registry.metrics().then((m) => res.end(m));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, target: `127.0.0.1:${(server.address() as { port: number }).port}` };
}
