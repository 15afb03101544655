// Start-up and shutdown steps shared by every entry point (ingest, api, all-in-one, migrate).
import type { Server } from 'node:http';
import { serve, type WebSocketServerLike } from '@hono/node-server';
import type { Logger } from './observability.ts';

export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves a fetch handler; resolves once listening, with the port actually bound (0 picks one).
 * `websocket`: a `ws` server in noServer mode, for routes that upgrade (@hono/node-server's upgradeWebSocket).
 */
export function listen(
  fetch: (req: Request, env?: unknown) => Response | Promise<Response>,
  hostname: string,
  port: number,
  opts: { websocket?: WebSocketServerLike } = {},
): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch, hostname, port, ...(opts.websocket ? { websocket: { server: opts.websocket } } : {}) },
      (info) => {
        const host = hostname.includes(':') ? `[${hostname}]` : hostname;
        resolve({
          url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${info.port}`,
          port: info.port,
          close: () => new Promise<void>((res) => (server as Server).close(() => res())),
        });
      },
    );
    (server as Server).once('error', reject);
  });
}

/** Runs `stop` once on SIGTERM/SIGINT, then exits; a second signal exits at once. */
export function onShutdownSignal(logger: Logger, stop: () => Promise<void>, timeoutMs: number): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down: no new work, flushing what was accepted');
    const timer = setTimeout(() => {
      logger.error('shutdown timed out');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    stop().then(
      () => {
        logger.info('shutdown complete');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => handler('SIGTERM'));
  process.once('SIGINT', () => handler('SIGINT'));
}
