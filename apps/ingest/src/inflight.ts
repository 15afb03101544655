// A bound on the request bytes all ingest requests hold at once. Each request reserves its declared
// size (Content-Length, or the body limit when it sends none) before its body is read, and gives it
// back once answered; past the bound it is answered 503 with Retry-After at once, so 200 clients each
// sending 20 MiB cannot make the process hold 4 GB. A single request is always let through when
// nothing else is in flight, so a body within MAX_BODY_BYTES is never refused for its size alone.
import type { MiddlewareHandler } from 'hono';
import { HttpError, type AppEnv } from '@pivot/server-kit';

export interface InflightLimit {
  readonly bytes: number;
  middleware(): MiddlewareHandler<AppEnv>;
}

export function inflightLimit(maxBytes: number, maxBodyBytes: number, onRefuse?: () => void): InflightLimit {
  let inflight = 0;
  return {
    get bytes() {
      return inflight;
    },
    middleware: () => async (c, next) => {
      if (c.req.method !== 'POST') return next();
      const declared = Number(c.req.header('content-length'));
      const want = Math.min(Number.isFinite(declared) && declared >= 0 ? declared : maxBodyBytes, maxBodyBytes);
      if (inflight > 0 && inflight + want > maxBytes) {
        onRefuse?.();
        throw new HttpError(503, `ingest is busy: ${inflight} request bytes in flight (INGEST_MAX_INFLIGHT_BYTES)`, {
          'Retry-After': '1',
        });
      }
      inflight += want;
      try {
        await next();
      } finally {
        inflight -= want;
      }
    },
  };
}
