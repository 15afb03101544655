import type { Sink } from '../src/pipeline.ts';

/** A sink that keeps every batch it is given (or fails each write with `fail()`), for tests without a database. */
export class CapturingSink<B> implements Sink<B> {
  batches: B[] = [];
  queueDepth = 0;
  constructor(private readonly fail?: () => Error) {}
  write(batch: B): Promise<void> {
    if (this.fail) return Promise.reject(this.fail());
    this.batches.push(batch);
    return Promise.resolve();
  }
}
