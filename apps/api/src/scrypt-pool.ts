// Password checks run on a pool of their own. Node's async scrypt shares libuv's four threads with
// gzip, DNS and file I/O, so a burst of logins (32 bad ones took an unrelated gzip ingest request from
// 58 ms to 6.4 s) starved everything else in the process. Here at most `size` checks run at once, on
// worker threads nothing else uses, and a bounded queue refuses the excess instead of growing.
import { Worker } from 'node:worker_threads';
import { HttpError } from '@pivot/server-kit';

// Plain JavaScript evaluated in the worker, so the pool works the same bundled or from source.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
parentPort.on('message', ({ id, password, salt, keylen, opts }) => {
  try {
    const key = scryptSync(password, Buffer.from(salt), keylen, opts);
    parentPort.postMessage({ id, key });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err) });
  }
});
`;

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  maxmem: number;
}

interface Job {
  id: number;
  password: string;
  salt: Uint8Array;
  keylen: number;
  opts: ScryptParams;
  resolve(key: Buffer): void;
  reject(err: Error): void;
}

export class ScryptPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: Job[] = [];
  private readonly running = new Map<Worker, Job>();
  private nextId = 0;
  /** Peak number of checks that ran at the same time (tests read it). */
  peakConcurrency = 0;

  constructor(
    private readonly size = 2,
    private readonly maxQueue = 64,
  ) {}

  derive(password: string, salt: Uint8Array, keylen: number, opts: ScryptParams): Promise<Buffer> {
    if (this.queue.length >= this.maxQueue)
      return Promise.reject(
        new HttpError(503, 'too many password checks in progress; retry shortly', { 'Retry-After': '1' }),
      );
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, password, salt, keylen, opts, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length) {
      const worker = this.idle.pop() ?? (this.all.length < this.size ? this.spawn() : undefined);
      if (!worker) return;
      const job = this.queue.shift()!;
      this.running.set(worker, job);
      this.peakConcurrency = Math.max(this.peakConcurrency, this.running.size);
      worker.postMessage({ id: job.id, password: job.password, salt: job.salt, keylen: job.keylen, opts: job.opts });
    }
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    // Idle workers must not keep the process alive after the servers close.
    worker.unref();
    worker.on('message', (msg: { id: number; key?: Uint8Array; error?: string }) => {
      const job = this.running.get(worker);
      this.running.delete(worker);
      this.idle.push(worker);
      if (job) {
        if (msg.key) job.resolve(Buffer.from(msg.key));
        else job.reject(new Error(msg.error ?? 'scrypt failed'));
      }
      this.pump();
    });
    worker.on('error', (err) => {
      const job = this.running.get(worker);
      this.running.delete(worker);
      this.all.splice(this.all.indexOf(worker), 1);
      job?.reject(err);
      this.pump();
    });
    this.all.push(worker);
    return worker;
  }

  async close(): Promise<void> {
    for (const job of this.queue.splice(0)) job.reject(new Error('password checks stopped'));
    await Promise.all(this.all.splice(0).map((w) => w.terminate()));
    this.idle.length = 0;
  }
}
