// The logging and metrics every service shares. Each app gets its own prom-client registry so that
// tests can build many apps in one process.
import { pino, type Logger } from 'pino';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type { Logger };

export function createLogger(level: string, name: string): Logger {
  return pino({
    name,
    level,
    // Never log credentials, whatever a log call passes along.
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'password', '*.password', 'token', '*.token'],
      censor: '[redacted]',
    },
  });
}

export interface HttpMetrics {
  registry: Registry;
  requests: Counter<'route' | 'method' | 'status'>;
  duration: Histogram<'route' | 'method'>;
  errors: Counter<'kind'>;
}

export function createHttpMetrics(prefix: string, withDefaults = true): HttpMetrics {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry, prefix: `${prefix}_` });
  return {
    registry,
    requests: new Counter({
      name: `${prefix}_http_requests_total`,
      help: 'HTTP requests by route and status.',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: `${prefix}_http_request_duration_seconds`,
      help: 'HTTP request latency.',
      labelNames: ['route', 'method'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    errors: new Counter({
      name: `${prefix}_errors_total`,
      help: 'Errors answered: expected (4xx, back-pressure) or bug (5xx).',
      labelNames: ['kind'],
      registers: [registry],
    }),
  };
}
