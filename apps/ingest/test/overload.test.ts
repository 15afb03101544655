// 200 clients each send a 20 MiB body at once, over OTLP/HTTP and over OTLP/gRPC. With
// INGEST_MAX_INFLIGHT_BYTES the ingest process answers the excess (503 + Retry-After, or UNAVAILABLE)
// before reading their bodies, and its peak RSS (VmHWM, read from /proc) stays bounded; every client
// gets an answer, none hangs.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const SERVER = fileURLToPath(new URL('./fixtures/overload-server.ts', import.meta.url));
const MiB = 1024 * 1024;
/** The bound README states for the default-sized process under this flood, with the limit set to 64 MiB. */
const RSS_BOUND = 512 * MiB;

function startServer(inflight: number): Promise<{ url: string; grpcUrl: string; child: ChildProcess }> {
  // node itself (not the tsx CLI, which would be a parent process): its RSS is the server's.
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    env: { ...process.env, INFLIGHT: String(inflight) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => {
      const [url, grpcUrl] = d.toString().trim().split(' ') as [string, string];
      resolve({ url, grpcUrl, child });
    });
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

/**
 * One OTLP/gRPC Export call of `message` (framed by hand, so that 200 calls share one buffer in this
 * process), resolved with its grpc-status once the server answers, or -1 if the stream failed.
 */
function sendGrpc(session: ClientHttp2Session, message: Buffer): Promise<{ code: number }> {
  return new Promise((resolve) => {
    const stream = session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const done = (code: number) => {
      resolve({ code });
      stream.destroy();
    };
    // A refusal comes as a trailers-only answer; a handled call ends with trailers.
    stream.on('response', (headers) => {
      if (headers['grpc-status'] !== undefined) done(Number(headers['grpc-status']));
    });
    stream.on('trailers', (trailers) => done(Number(trailers['grpc-status'])));
    stream.on('error', () => done(-1));
    stream.on('close', () => done(-1));
    stream.resume();
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(message.length, 1);
    stream.write(prefix);
    stream.end(message);
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

  it('keeps peak RSS bounded over OTLP/gRPC too, answering the excess UNAVAILABLE before reading their messages', async () => {
    const s = await startServer(64 * MiB);
    child = s.child;
    const message = Buffer.alloc(20 * MiB);
    // 20 connections of 10 calls each, as many exporters would open.
    // The client's own session-memory guard (10 MB) would refuse the 20 MiB writes before the server saw them.
    const sessions = Array.from({ length: 20 }, () => connect(s.grpcUrl, { maxSessionMemory: 1024 }));
    try {
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) => sendGrpc(sessions[i % sessions.length]!, message)),
      );
      const peak = peakRss(s.child.pid!);
      const byCode = new Map<number, number>();
      for (const a of answers) byCode.set(a.code, (byCode.get(a.code) ?? 0) + 1);
      process.stdout.write(
        `overload (gRPC): peak RSS ${(peak / MiB).toFixed(0)} MiB; answers ${JSON.stringify([...byCode])}\n`,
      );
      // INVALID_ARGUMENT: zeros do not decode; UNAVAILABLE: refused for the budget.
      expect(answers.every((a) => a.code === 3 || a.code === 14)).toBe(true);
      expect(byCode.get(14)).toBeGreaterThan(0);
      expect(peak).toBeLessThan(RSS_BOUND);
    } finally {
      for (const x of sessions) x.close();
    }
  }, 120_000);
});
