// Runs the real pino-loki transport (in this process, not a worker, so that spans are visible to the
// mixin) against a local HTTP server, and returns the push request it sent.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { pinoLoki } from 'pino-loki';
import type { Tracer } from '@opentelemetry/api';
import { traceMixin } from './otel.ts';

export interface CapturedPush {
  path: string;
  contentType: string;
  body: string;
  /** The trace and span the first two log lines were written under. */
  span: { traceId: string; spanId: string };
}

export async function capturePinoLokiPush(tracer: Tracer): Promise<CapturedPush> {
  let resolveRequest!: (r: { path: string; contentType: string; body: string }) => void;
  const received = new Promise<{ path: string; contentType: string; body: string }>((r) => (resolveRequest = r));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(204).end();
      resolveRequest({
        path: req.url ?? '',
        contentType: req.headers['content-type'] ?? '',
        body: Buffer.concat(chunks).toString('utf8'),
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    // Batching with a long interval, so that closing the transport sends everything in one push.
    const transport = pinoLoki({
      host: `http://127.0.0.1:${port}`,
      batching: { interval: 3600 },
      labels: { application: 'checkout-api', env: 'test' },
      silenceErrors: false,
    });
    const logger = pino({ level: 'debug', mixin: traceMixin }, transport);
    let span = { traceId: '', spanId: '' };
    tracer.startActiveSpan('POST /checkout', (s) => {
      const { traceId, spanId } = s.spanContext();
      span = { traceId, spanId };
      logger.info({ orderId: 42, meta: { tenant: 'acme' } }, 'order placed');
      logger.warn({ latencyMs: 1834 }, 'payment provider slow');
      s.end();
    });
    logger.debug({ cache: 'miss' }, 'cart loaded');
    logger.error({ err: new Error('card declined') }, 'payment failed');
    logger.fatal('shutting down');
    transport.end();
    const request = await Promise.race([
      received,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('pino-loki sent nothing within 10 s')), 10_000),
      ),
    ]);
    return { ...request, span };
  } finally {
    server.close();
  }
}
