// Debian's Prometheus as a remote-write receiver and query engine for side-by-side benchmarks.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';

export interface PrometheusReceiver {
  url: string;
  dataDir: string;
  /** The Prometheus process, for its CPU use. */
  pid: number;
  stop(): Promise<void>;
}

export async function startPrometheusReceiver(): Promise<PrometheusReceiver> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pivot-bench-prom-'));
  const port = await freePort();
  const child = spawn(
    '/usr/bin/prometheus',
    [
      '--config.file=/dev/null',
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--web.enable-admin-api',
      '--query.max-samples=100000000',
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // starting
    }
    if (i > 150) throw new Error('Prometheus did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    dataDir,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
