// Every setting the platform reads, parsed once at start-up. A bad value stops start-up with a
// message naming the variable; nothing else in the code reads process.env.
import { z } from 'zod';

const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);
const port = (def: number) => int(def, 0, 65535);
const bool = (def: boolean) =>
  z
    .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
    .default(def ? 'true' : 'false')
    .transform((v) => v === '1' || v === 'true' || v === 'yes');

const DURATION_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** A duration such as `7d`, `36h`, `2w` or `90m`, in ms. */
const duration = (def: string) =>
  z
    .string()
    .regex(/^[1-9]\d*[mhdw]$/, 'expected a duration such as 7d, 36h, 2w or 90m')
    .default(def)
    .transform((v) => Number(v.slice(0, -1)) * DURATION_MS[v.slice(-1)]!);
/** A retention: a duration, or `0` to keep data forever (0 ms). */
const retention = (def: string) =>
  z
    .string()
    .regex(/^(0|[1-9]\d*[mhdw])$/, 'expected a duration such as 7d, 36h, 2w, or 0 to keep forever')
    .default(def)
    .transform((v) => (v === '0' ? 0 : Number(v.slice(0, -1)) * DURATION_MS[v.slice(-1)]!));
/** COLD_AFTER: a duration with seconds allowed (`0s`, `30m`, `2h`), in ms. */
const coldAfter = (def: string) =>
  z
    .string()
    .regex(/^(0s?|[1-9]\d*[smhdw])$/, 'expected a duration such as 2h, 90m, 1d, or 0s')
    .default(def)
    .transform((v) =>
      /^0s?$/.test(v) ? 0 : Number(v.slice(0, -1)) * (v.endsWith('s') ? 1000 : DURATION_MS[v.slice(-1)]!),
    );
/** `name:role:hash` entries, comma-separated; the hash is checked by the API (apps/api/src/auth.ts). */
const authUsers = z
  .string()
  .default('')
  .transform((v, ctx) => {
    const users: { name: string; role: 'admin' | 'viewer'; hash: string }[] = [];
    for (const entry of v
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)) {
      const m = /^([^:\s]+):(admin|viewer):(scrypt\S+)$/.exec(entry);
      if (!m) {
        // The entry may hold a pasted password: name only the user.
        ctx.addIssue({
          code: 'custom',
          message: `entry for "${entry.split(':')[0]}" is not name:admin|viewer:scrypt-hash (make a hash with: npm run hash-password)`,
        });
        return z.NEVER;
      }
      users.push({ name: m[1]!, role: m[2] as 'admin' | 'viewer', hash: m[3]! });
    }
    return users;
  });

/** Name → schema, with a description used by README's configuration table. */
export const configSchema = z.object({
  DATABASE_URL: z.string().url().optional().describe('PostgreSQL URL. Unset: embedded PGlite under DATA_DIR.'),
  DATA_DIR: z.string().min(1).default('./data').describe('Where embedded PGlite keeps its files.'),
  HOST: z.string().min(1).default('127.0.0.1').describe('Address the HTTP and gRPC servers bind to.'),
  INGEST_PORT: port(4318).describe('OTLP/HTTP, remote-write and log ingest port.'),
  PORT: port(8080).describe('Query API and dashboard port.'),
  WEB_DIR: z
    .string()
    .min(1)
    .optional()
    .describe('The built dashboard served at / by the API. Unset: apps/web/build, when built.'),
  GRPC_PORT: port(4317).describe('OTLP/gRPC ingest port (traces, metrics, logs).'),
  // The Collector's OTLP gRPC receiver default (max_recv_msg_size_mib: 4). A call reserves this much of
  // INGEST_MAX_INFLIGHT_BYTES before its message arrives, so 64 MiB here would let only 4 calls read at once.
  GRPC_MAX_MESSAGE_BYTES: int(4 * 1024 * 1024, 1024).describe(
    'Largest OTLP/gRPC message, as sent and after gzip; also what a call reserves of INGEST_MAX_INFLIGHT_BYTES until its message arrives.',
  ),
  INGEST_TOKEN: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== ''),
    )
    .refine((tokens) => tokens.length > 0, 'must hold at least one token')
    // What an Authorization header can carry after "Bearer ": visible ASCII, no spaces.
    .refine((tokens) => tokens.every((t) => /^[\x21-\x7e]+$/.test(t)), 'tokens must be visible ASCII without spaces')
    .optional()
    .describe(
      'Bearer tokens, comma-separated, that ingest requires (HTTP and gRPC); /healthz, /readyz, /metrics stay open. Unset: ingest is open.',
    ),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino log level.'),
  MAX_BODY_BYTES: int(20 * 1024 * 1024, 1024).describe('Largest request body accepted, as sent (compressed).'),
  MAX_DECOMPRESSED_BYTES: int(64 * 1024 * 1024, 1024).describe(
    'Largest body after gzip/snappy decompression (bomb protection).',
  ),
  INGEST_QUEUE_MAX_ITEMS: int(100_000, 1).describe(
    'Items (spans, logs, samples) waiting to be written per signal; beyond it ingest answers 429.',
  ),
  INGEST_BATCH_MAX_ITEMS: int(5_000, 1).describe('Items written in one group-commit transaction.'),
  MAX_LABEL_VALUE_BYTES: int(4096, 16).describe(
    'Longest metric label value accepted; a longer one rejects its series.',
  ),
  MAX_LABELS_PER_SERIES: int(128, 2).describe('Most labels a metric series may have.'),
  MAX_LOG_LINE_BYTES: int(256 * 1024, 64).describe(
    'Longest log line (NDJSON line, Loki entry) accepted; a longer one is refused alone. OTLP log bodies are truncated to it.',
  ),
  PG_LOG_PATHS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    )
    .refine(
      (paths) => paths.every((p) => !/[*?[]/.test(p.slice(0, p.lastIndexOf('/') + 1))),
      'globs (* ? [) only in the file name part',
    )
    .describe(
      'PostgreSQL server log files to tail, comma-separated files or globs in the file name (`/var/log/postgresql/*.json`): jsonlog (`.json`) or csvlog (`.csv`), rotation-safe, resumed after a restart from the offset saved with the records. `auto`: the files of the server at DATABASE_URL, found by pg_current_logfile (the server on this host). Unset: no tailing (`auto` when DEMO runs on PostgreSQL).',
    ),
  PG_LOG_SERVICE: z
    .string()
    .min(1)
    .default('postgresql')
    .describe('service.name of the records read from PG_LOG_PATHS.'),
  PG_LOG_POLL_MS: int(1000, 50).describe('How often the PG_LOG_PATHS files are checked for new entries.'),
  PG_LOG_TIMEZONE: z
    .string()
    .optional()
    .refine((tz) => {
      if (tz === undefined) return true;
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'expected an IANA time zone name such as Europe/Paris')
    .describe(
      "The server's log_timezone (IANA name), to read the PG_LOG_PATHS timestamps written with a zone abbreviation (CET, EDT); UTC and numeric offsets need none. PG_LOG_PATHS=auto reads it from the server.",
    ),
  COMPACTION_INTERVAL_MS: int(60_000, 1000).describe('How often small metric chunks are merged.'),
  RETENTION_INTERVAL_MS: int(3_600_000, 1000).describe(
    'How often retention drops the day partitions past RETENTION_* (also once at start).',
  ),
  COLUMNAR_INTERVAL_MS: int(900_000, 1000).describe('How often cold day partitions are looked for and made columnar.'),
  SERVICEGRAPH_WAIT_MS: int(30_000, 10_000, 120_000).describe(
    'How long after a span ends the service graph folds it, so that late spans of its trace still pair (10 s to 2 min).',
  ),
  SERVICEGRAPH_INTERVAL_MS: int(15_000, 1000, 300_000).describe(
    'How often the service-graph fold runs (span metrics, edges, propagation health; 1 s to 5 min).',
  ),
  QUERY_TIMEOUT_MS: int(60_000, 100).describe('Longest a PromQL query may run (Prometheus: --query.timeout).'),
  QUERY_MAX_SAMPLES: int(20_000_000, 1000).describe(
    'Most samples one PromQL query may hold in memory (Prometheus: --query.max-samples).',
  ),
  SQL_ROW_LIMIT: int(10_000, 1, 1_000_000).describe('Most rows POST /api/sql (the admin SQL console) returns.'),
  SQL_TIMEOUT_MS: int(10_000, 100).describe(
    'statement_timeout of an admin SQL console statement (PostgreSQL; PGlite cannot interrupt a statement).',
  ),
  DB_POOL_SIZE: int(8, 1, 200).describe('PostgreSQL connections per process.'),
  DB_STATEMENT_TIMEOUT_MS: int(30_000, 100).describe('Longest a single SQL statement may run.'),
  SHUTDOWN_TIMEOUT_MS: int(15_000, 0).describe('How long a graceful shutdown waits for in-flight writes.'),
  MIGRATE: bool(true).describe('Apply migrations at start-up (the compose file runs them once in a migrate job).'),
  INGEST_MAX_INFLIGHT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024 * 1024)
    .describe(
      'Request bytes all ingest requests may hold at once; past it a request is answered 503 with Retry-After before its body is read.',
    ),
  INGEST_MAX_FUTURE: duration('1h').describe(
    'How far ahead of the server clock an item (span, log record, sample) may be dated; a later one is refused alone, as is one older than its retention.',
  ),
  RETENTION_TRACES: retention('7d').describe(
    'How long spans and trace summaries are kept (`7d`, `36h`, `2w`; `0` keeps them forever). Whole day partitions are dropped hourly.',
  ),
  RETENTION_LOGS: retention('7d').describe('How long log records are kept (as RETENTION_TRACES).'),
  RETENTION_METRICS: retention('7d').describe('How long metric samples and exemplars are kept (as RETENTION_TRACES).'),
  COLD_AFTER: coldAfter('2h').describe(
    'How long after its day ends a partition of spans or logs becomes columnar (citus_columnar, when the server has it); `0s`: every partition not written in the last minute.',
  ),
  INGEST_AUTH_DISABLED: bool(false).describe(
    'Accept ingest without INGEST_TOKEN even when HOST is not a loopback address (behind your own authenticating proxy).',
  ),
  AUTH_USERS: authUsers.describe(
    'Users of the API and dashboard: `name:admin|viewer:hash`, comma-separated; hashes from `npm run hash-password`.',
  ),
  AUTH_DISABLED: bool(false).describe(
    'Serve the API and dashboard without login even when HOST is not a loopback address.',
  ),
  AUTH_SESSION_TTL: duration('12h').describe(
    'How long a dashboard login lasts (sessions are kept in the database, shared by every API replica).',
  ),
  PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe(
      'The URL users open the dashboard at (e.g. https://pivot.example.com): an https URL makes the session cookie `Secure`, and its origin is accepted for state-changing requests.',
    ),
  RULES_DIR: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Directory of Prometheus rule files (*.yml, *.yaml), reloaded on change and on POST /-/reload; an invalid file is refused and the last good rules stay. Unset: no rules.',
    ),
  RULES_EVALUATION_INTERVAL_MS: int(60_000, 1000).describe(
    "Interval of rule groups that set none (Prometheus' global evaluation_interval).",
  ),
  ALERTMANAGER_URLS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((u) => u.trim().replace(/\/+$/, ''))
        .filter(Boolean),
    )
    .refine((urls) => urls.every((u) => /^https?:\/\/[^\s]+$/.test(u)), 'expected http(s) base URLs, comma-separated')
    .describe('Alertmanager base URLs, comma-separated, that firing and resolved alerts are sent to (API v2).'),
  ALERT_WEBHOOK_URLS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean),
    )
    .refine((urls) => urls.every((u) => /^https?:\/\/[^\s]+$/.test(u)), 'expected http(s) URLs, comma-separated')
    .describe(
      "Webhook URLs, comma-separated, that get firing and resolved alerts as JSON in Alertmanager's webhook payload shape (no Alertmanager needed).",
    ),
  ALERT_RESEND_DELAY_MS: int(60_000, 1000).describe(
    "How often a still-firing alert is sent again (Prometheus' --rules.alert.resend-delay).",
  ),
  DEMO: bool(false).describe('`npm start` only: also run the demo workload (`npm run demo` sets it).'),
});

export type Config = z.infer<typeof configSchema>;

/** The database settings, in the shape the store's `openStore` takes (this kit does not import the store). */
export function databaseOptions(config: Config): {
  url: string | undefined;
  dataDir: string;
  poolSize: number;
  statementTimeoutMs: number;
  migrate: boolean;
} {
  return {
    url: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    poolSize: config.DB_POOL_SIZE,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    migrate: config.MIGRATE,
  };
}

/** Variables whose values never appear in messages or logs. */
const SECRET_VARIABLES: ReadonlySet<string> = new Set(['INGEST_TOKEN', 'AUTH_USERS', 'DATABASE_URL']);

/** Whether HOST is a loopback address: only there may a service start without authentication. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset", as compose files often pass VAR= through.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const res = configSchema.safeParse(cleaned);
  if (res.success) return res.data;
  const shown = (name: string) => (SECRET_VARIABLES.has(name) ? 'a value not shown' : JSON.stringify(cleaned[name]));
  const lines = res.error.issues.map((i) => `${i.path.join('.')}: ${i.message} (got ${shown(String(i.path[0]))})`);
  throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
}
