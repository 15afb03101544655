// Every setting the platform reads, parsed once at start-up. A bad value stops start-up with a
// message naming the variable; nothing else in the code reads process.env.
import { z } from 'zod';

const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(def);
const port = (def: number) => int(def, 0, 65535);
const bool = (def: boolean) =>
  z.enum(['1', '0', 'true', 'false', 'yes', 'no', '']).default(def ? 'true' : 'false').transform((v) => v === '1' || v === 'true' || v === 'yes');

/** Name → schema, with a description used by README's configuration table. */
export const configSchema = z.object({
  DATABASE_URL: z.string().url().optional().describe('PostgreSQL URL. Unset: embedded PGlite under DATA_DIR.'),
  DATA_DIR: z.string().min(1).default('./data').describe('Where embedded PGlite keeps its files.'),
  HOST: z.string().min(1).default('127.0.0.1').describe('Address the HTTP and gRPC servers bind to.'),
  INGEST_PORT: port(4318).describe('OTLP/HTTP, remote-write and log ingest port.'),
  PORT: port(8080).describe('Query API and dashboard port.'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level.'),
  MAX_BODY_BYTES: int(20 * 1024 * 1024, 1024).describe('Largest request body accepted, as sent (compressed).'),
  MAX_DECOMPRESSED_BYTES: int(64 * 1024 * 1024, 1024).describe('Largest body after gzip/snappy decompression (bomb protection).'),
  INGEST_QUEUE_MAX_ITEMS: int(100_000, 1).describe('Items (spans, logs, samples) waiting to be written per signal; beyond it ingest answers 429.'),
  INGEST_BATCH_MAX_ITEMS: int(5_000, 1).describe('Items written in one group-commit transaction.'),
  MAX_LABEL_VALUE_BYTES: int(4096, 16).describe('Longest metric label value accepted; a longer one rejects its series.'),
  MAX_LABELS_PER_SERIES: int(128, 2).describe('Most labels a metric series may have.'),
  COMPACTION_INTERVAL_MS: int(60_000, 1000).describe('How often small metric chunks are merged.'),
  QUERY_TIMEOUT_MS: int(60_000, 100).describe('Longest a PromQL query may run (Prometheus: --query.timeout).'),
  QUERY_MAX_SAMPLES: int(20_000_000, 1000).describe('Most samples one PromQL query may hold in memory (Prometheus: --query.max-samples).'),
  DB_POOL_SIZE: int(8, 1, 200).describe('PostgreSQL connections per process.'),
  DB_STATEMENT_TIMEOUT_MS: int(30_000, 100).describe('Longest a single SQL statement may run.'),
  SHUTDOWN_TIMEOUT_MS: int(15_000, 0).describe('How long a graceful shutdown waits for in-flight writes.'),
  MIGRATE: bool(true).describe('Apply migrations at start-up (the compose file runs them once in a migrate job).'),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset", as compose files often pass VAR= through.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const res = configSchema.safeParse(cleaned);
  if (res.success) return res.data;
  const lines = res.error.issues.map((i) => `${i.path.join('.')}: ${i.message} (got ${JSON.stringify(cleaned[String(i.path[0])])})`);
  throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
}
