// Group commit: concurrent requests queue their items; one flusher takes everything queued (up to a
// batch size) and writes it in one transaction. Each request's promise settles only after the
// transaction holding its rows has committed, so an acknowledgement always means "stored".
import type { Database } from './database.ts';
import { QueueFullError, StoreClosedError, isRetryableTxError, DatabaseUnavailableError } from './errors.ts';

export interface GroupCommitOptions<T> {
  /** Items (spans, logs, samples) allowed in the queue; beyond it submit() refuses with QueueFullError. */
  maxQueuedItems: number;
  /** Items one transaction takes at most. */
  maxBatchItems: number;
  /** Transactions in flight at once (1 on PGlite, which has one connection). */
  concurrency: number;
  size(entry: T): number;
  /** Writes all entries in one transaction. */
  flush(entries: T[]): Promise<void>;
  onFlush?(info: { entries: number; items: number; seconds: number; ok: boolean }): void;
}

interface Pending<T> {
  entry: T;
  items: number;
  resolve(): void;
  reject(err: unknown): void;
}

export class GroupCommitQueue<T> {
  private queue: Pending<T>[] = [];
  private queuedItems = 0;
  private inFlight = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: GroupCommitOptions<T>) {}

  get depth(): number {
    return this.queuedItems;
  }

  submit(entry: T): Promise<void> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    const items = this.opts.size(entry);
    if (items === 0) return Promise.resolve();
    // An oversized single request is still admitted into an empty queue, so it can never starve.
    if (this.queuedItems > 0 && this.queuedItems + items > this.opts.maxQueuedItems)
      return Promise.reject(new QueueFullError(this.queuedItems, this.opts.maxQueuedItems));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ entry, items, resolve, reject });
      this.queuedItems += items;
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.opts.concurrency && this.queue.length > 0) {
      const batch: Pending<T>[] = [];
      let items = 0;
      while (this.queue.length > 0 && (batch.length === 0 || items + this.queue[0]!.items <= this.opts.maxBatchItems)) {
        const p = this.queue.shift()!;
        batch.push(p);
        items += p.items;
      }
      this.inFlight++;
      void this.run(batch, items).finally(() => {
        this.inFlight--;
        this.queuedItems -= items;
        if (this.inFlight === 0 && this.queue.length === 0) for (const w of this.idleWaiters.splice(0)) w();
        this.pump();
      });
    }
  }

  private async run(batch: Pending<T>[], items: number): Promise<void> {
    const t0 = performance.now();
    try {
      await this.flushWithRetry(batch.map((p) => p.entry));
      this.opts.onFlush?.({ entries: batch.length, items, seconds: (performance.now() - t0) / 1000, ok: true });
      for (const p of batch) p.resolve();
    } catch (err) {
      this.opts.onFlush?.({ entries: batch.length, items, seconds: (performance.now() - t0) / 1000, ok: false });
      if (err instanceof DatabaseUnavailableError || batch.length === 1) {
        for (const p of batch) p.reject(err);
        return;
      }
      // A data error in one request must not fail the others that shared its transaction:
      // write each alone so only the faulty one is refused.
      for (const p of batch) {
        try {
          await this.flushWithRetry([p.entry]);
          p.resolve();
        } catch (e) {
          p.reject(e);
        }
      }
    }
  }

  private async flushWithRetry(entries: T[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.opts.flush(entries);
      } catch (err) {
        if (attempt < 3 && isRetryableTxError(err)) continue;
        throw err;
      }
    }
  }

  /** Stops taking work and resolves once everything already accepted has been flushed. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.inFlight === 0 && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }
}

export interface WriterOptions {
  maxQueuedItems?: number;
  maxBatchItems?: number;
  concurrency?: number;
  onFlush?: (info: { entries: number; items: number; seconds: number; ok: boolean }) => void;
}

/**
 * The shell every signal's writer shares: a bounded group-commit queue in front of `flush`, which
 * writes a group of batches in one transaction. Subclasses say how to count and how to write.
 */
export abstract class QueuedWriter<T> {
  private readonly queue: GroupCommitQueue<T>;

  constructor(
    database: Database,
    opts: WriterOptions,
    defaults: { maxQueuedItems: number; maxBatchItems: number; size(entry: T): number },
  ) {
    this.queue = new GroupCommitQueue({
      maxQueuedItems: opts.maxQueuedItems ?? defaults.maxQueuedItems,
      maxBatchItems: opts.maxBatchItems ?? defaults.maxBatchItems,
      // PGlite has one connection: a second transaction in flight would only wait for it.
      concurrency: opts.concurrency ?? (database.kind === 'pglite' ? 1 : 2),
      size: (entry) => defaults.size(entry),
      flush: (entries) => this.flush(entries),
      ...(opts.onFlush ? { onFlush: opts.onFlush } : {}),
    });
  }

  /** Writes a group of batches in one transaction. */
  protected abstract flush(entries: T[]): Promise<void>;

  get queueDepth(): number {
    return this.queue.depth;
  }

  /** Resolves once the batch is committed; rejects with QueueFullError or DatabaseUnavailableError. */
  write(batch: T): Promise<void> {
    return this.queue.submit(batch);
  }

  /** Takes no new batches and resolves once every accepted one is committed. */
  close(): Promise<void> {
    return this.queue.close();
  }
}
