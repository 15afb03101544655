export { loadConfig, configSchema, ConfigError, databaseOptions, isLoopback, type Config } from './config.ts';
export {
  HttpError,
  badRequest,
  notFound,
  payloadTooLarge,
  unsupportedMediaType,
  toHttpError,
  isClassifiedError,
  type ClassifiedError,
} from './errors.ts';
export { readBody, readRawBody, mediaType, type BodyLimits } from './body.ts';
export { createLogger, createHttpMetrics, type HttpMetrics, type Logger } from './observability.ts';
export { createBaseApp, type AppEnv, type BaseAppDeps } from './app.ts';
export { listen, onShutdownSignal, type Listening } from './runtime.ts';
