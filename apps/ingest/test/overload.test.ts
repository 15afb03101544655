// 200 clients each send a 20 MiB body at once. With INGEST_MAX_INFLIGHT_BYTES the ingest process
// answers the excess with 503 + Retry-After before reading their bodies, and its peak RSS (VmHWM,
// read from /proc) stays bounded; every client gets an answer, none hangs.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const SERVER = fileURLToPath(new URL('./fixtures/overload-server.ts', import.meta.url));
const MiB = 1024 * 1024;
/** The bound README states for the default-sized process under this flood, with the limit set to 64 MiB. */
const RSS_BOUND = 512 * MiB;

function startServer(inflight: number): Promise<{ url: string; child: ChildProcess }> {
  // node itself (not the tsx CLI, which would be a parent process): its RSS is the server's.
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    env: { ...process.env, INFLIGHT: String(inflight) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve({ url: d.toString().trim(), child }));
    child.once('exit', (code) => reject(new Error(`overload server exited with ${code}`)));
  });
}

const peakRss = (pid: number) =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/** One POST of `body`, resolved with the status (or the error) once the server answers. */
function send(url: string, body: Buffer): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve) => {
    const u = new URL('/v1/traces', url);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        resolve({
          status: res.statusCode!,
          ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}),
        });
        req.destroy();
      },
    );
    req.on('error', () => resolve({ status: -1 }));
    req.end(body);
  });
}

describe.runIf(existsSync('/proc/self/status'))('ingest under a flood of large requests', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
  });

  it('keeps peak RSS bounded with INGEST_MAX_INFLIGHT_BYTES = 64 MiB, answering the excess 503 + Retry-After', async () => {
    const s = await startServer(64 * MiB);
    child = s.child;
    // Zeros: the decoder refuses them at byte 0 (400), so what costs memory is holding bodies.
    const body = Buffer.alloc(20 * MiB);
    const answers = await Promise.all(Array.from({ length: 200 }, () => send(s.url, body)));
    const peak = peakRss(s.child.pid!);
    const byStatus = new Map<number, number>();
    for (const a of answers) byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
    process.stdout.write(
      `overload: peak RSS ${(peak / MiB).toFixed(0)} MiB; answers ${JSON.stringify([...byStatus])}\n`,
    );
    expect(answers.every((a) => a.status === 400 || a.status === 503)).toBe(true);
    expect(byStatus.get(503)).toBeGreaterThan(0);
    expect(answers.filter((a) => a.status === 503).every((a) => a.retryAfter === '1')).toBe(true);
    expect(peak).toBeLessThan(RSS_BOUND);
  }, 120_000);
});
