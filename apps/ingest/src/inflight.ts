// A bound on the request bytes all ingest requests hold at once, over HTTP and gRPC alike. Each request
// reserves its size before its body is read and gives it back once answered; past the bound it is
// answered at once (503 + Retry-After, or UNAVAILABLE with RetryInfo), so 200 clients each sending
// 20 MiB cannot make the process hold 4 GB. A single request is always let through when nothing else is
// in flight, so a body within the size limits is never refused for its size alone.
import type { MiddlewareHandler } from 'hono';
import { HttpError, type AppEnv } from '@pivot/server-kit';

/** Bytes one request holds against the budget until released. */
export interface Reservation {
  /** Holds `bytes` instead, once the request's real size is known. */
  resize(bytes: number): void;
  /** Gives the bytes back; later calls do nothing. */
  release(): void;
}

/** The one budget of a process (INGEST_MAX_INFLIGHT_BYTES), shared by every transport. */
export class InflightBudget {
  private held = 0;

  constructor(
    readonly maxBytes: number,
    private readonly onRefuse?: () => void,
  ) {}

  get bytes(): number {
    return this.held;
  }

  /** Reserves `want` bytes, or throws the busy answer (503 + Retry-After) past the bound. */
  reserve(want: number): Reservation {
    if (this.held > 0 && this.held + want > this.maxBytes) {
      this.onRefuse?.();
      throw new HttpError(503, `ingest is busy: ${this.held} request bytes in flight (INGEST_MAX_INFLIGHT_BYTES)`, {
        'Retry-After': '1',
      });
    }
    this.held += want;
    let mine = want;
    return {
      resize: (bytes) => {
        if (mine === 0) return;
        this.held += bytes - mine;
        mine = bytes;
      },
      release: () => {
        this.held -= mine;
        mine = 0;
      },
    };
  }
}

/**
 * Reserves each POST's declared size (Content-Length, or the body limit when it sends none) before
 * its body is read.
 */
export function inflightMiddleware(budget: InflightBudget, maxBodyBytes: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const declared = Number(c.req.header('content-length'));
    const want = Math.min(Number.isFinite(declared) && declared >= 0 ? declared : maxBodyBytes, maxBodyBytes);
    const held = budget.reserve(want);
    try {
      await next();
    } finally {
      held.release();
    }
  };
}
