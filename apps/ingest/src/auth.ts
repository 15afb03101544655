// Ingest auth: when INGEST_TOKEN is set, every way in (OTLP/HTTP, remote-write, log pushes, OTLP/gRPC)
// needs `Authorization: Bearer <token>`; health and self-metrics stay open for probes and scrapers.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ConfigError, HttpError, isLoopback, type Config } from '@pivot/server-kit';

/** Paths that never need a token: liveness, readiness and the service's own metrics. */
export const OPEN_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

export const UNAUTHENTICATED_MESSAGE = 'missing or invalid ingest token (send "Authorization: Bearer <token>")';

/** Whether an Authorization value carries one of the accepted tokens. */
export type TokenCheck = (authorization: string | undefined) => boolean;

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * A check against every accepted token. Both sides are compared as SHA-256 digests, so the buffers
 * handed to timingSafeEqual always have equal length and neither a token's content nor its length
 * shows in the timing; every token is compared, with no early exit.
 */
export function bearerTokenCheck(tokens: readonly string[]): TokenCheck {
  const accepted = tokens.map(digest);
  return (authorization) => {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
    const presented = digest(match ? match[1]! : '');
    let ok = false;
    for (const t of accepted) ok = timingSafeEqual(t, presented) || ok;
    return ok && match !== null;
  };
}

/** Hono middleware refusing, with 401, requests outside OPEN_PATHS without an accepted token. */
export function ingestAuth(tokens: readonly string[]): MiddlewareHandler {
  const check = bearerTokenCheck(tokens);
  return async (c, next) => {
    if (!OPEN_PATHS.has(c.req.path) && !check(c.req.header('authorization')))
      throw new HttpError(401, UNAUTHENTICATED_MESSAGE, { 'WWW-Authenticate': 'Bearer' });
    await next();
  };
}

/**
 * Refuses to start an open ingest on an address others can reach: anyone there could write data and
 * fill the disk. Loopback, a token, or INGEST_AUTH_DISABLED (behind an authenticating proxy) pass.
 */
export function checkIngestExposure(config: Config): void {
  if (config.INGEST_TOKEN?.length || config.INGEST_AUTH_DISABLED || isLoopback(config.HOST)) return;
  throw new ConfigError(
    `invalid configuration:\n  INGEST_TOKEN: required when HOST (${config.HOST}) is not a loopback address, so that not anyone who can reach ingest may write to it. ` +
      'Set INGEST_TOKEN to a secret (openssl rand -hex 32) and send it as "Authorization: Bearer <token>", or set INGEST_AUTH_DISABLED=true behind an authenticating proxy.',
  );
}
