// Request guards every API route sits behind: security headers, cross-site refusal for unsafe methods,
// and body limits sized per route, so no request can make the server buffer more than it needs.
import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import { HttpError, type AppEnv } from '@pivot/server-kit';

export const KiB = 1024;

/** The largest body each kind of API request may send (the rest: DEFAULT_API_BODY_LIMIT). */
export const API_BODY_LIMITS = {
  /** {"user","password"}: nothing legitimate comes near it. */
  login: 4 * KiB,
  /** Grafana POSTs PromQL as a form; a long query with many series selectors fits with room to spare. */
  promql: 256 * KiB,
  default: 64 * KiB,
} as const;

/** 413 past `maxSize`, checked on Content-Length before reading and while streaming without it. */
export function limitBody(maxSize: number, what: string): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new HttpError(413, `${what}: request body larger than ${maxSize} bytes`);
    },
  });
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Refuses a state-changing request that a browser says came from another site. Browsers send
 * Sec-Fetch-Site (and Origin) on such requests; server-side clients such as Grafana or curl send
 * neither and pass, since CSRF needs a victim's browser. Origin is compared with the Host the client
 * addressed (a proxy keeps it), or with PUBLIC_URL when it is set.
 */
export function refuseCrossSite(publicUrl?: string): MiddlewareHandler<AppEnv> {
  const publicOrigin = publicUrl ? new URL(publicUrl).origin : undefined;
  return async (c, next) => {
    if (!UNSAFE_METHODS.has(c.req.method)) return next();
    const site = c.req.header('sec-fetch-site');
    if (site === 'cross-site' || site === 'same-site')
      throw new HttpError(403, `cross-site ${c.req.method} refused (Sec-Fetch-Site: ${site})`);
    const origin = c.req.header('origin');
    if (origin !== undefined && site !== 'same-origin') {
      let host: string | undefined;
      try {
        host = new URL(origin).host;
      } catch {
        host = undefined;
      }
      const sameHost = host !== undefined && host === (c.req.header('x-forwarded-host') ?? c.req.header('host'));
      if (!sameHost && origin !== publicOrigin)
        throw new HttpError(403, `cross-site ${c.req.method} refused (Origin: ${origin.slice(0, 100)})`);
    }
    return next();
  };
}

/** sha256 sources for the inline scripts of the dashboard's HTML, so the CSP allows them and no other. */
export function inlineScriptHashes(html: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g))
    out.push(`'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`);
  return out;
}

/**
 * Security headers on every response. The CSP allows only the dashboard's own scripts (and its inline
 * bootstrap, by hash); styles may be inline because Svelte and CodeMirror set them at run time.
 */
export function securityHeaders(scriptHashes: readonly string[] = []): MiddlewareHandler<AppEnv> {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'", ...scriptHashes],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
    xFrameOptions: 'DENY',
    xContentTypeOptions: 'nosniff',
    referrerPolicy: 'same-origin',
    // The API is often reached over plain HTTP on a LAN; HSTS is the TLS proxy's to send.
    strictTransportSecurity: false,
    crossOriginEmbedderPolicy: false,
  });
}
