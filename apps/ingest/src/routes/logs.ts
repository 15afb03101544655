// Log ingest, three ways in, one writer:
//   POST /v1/logs            OTLP/HTTP (protobuf or JSON, gzip or identity), partial success as for traces
//   POST /api/v1/logs        NDJSON as pino writes it; bad lines are reported by number, good ones kept;
//                            with ?format=postgres-jsonlog|postgres-csvlog, PostgreSQL's server log
//   POST /loki/api/v1/push   Loki's push API (JSON, or snappy protobuf), so Promtail, Alloy and pino-loki
//                            send here unmodified
// Every path answers only after the records are committed (group commit), and leaves 429/503 to the
// central error mapping.
import { Hono, type Context } from 'hono';
import type { ResourceLogs } from '@pivot/model';
import {
  DEFAULT_MAX_LINE_BYTES,
  decodeLokiPushJson,
  decodeLokiPushProtobuf,
  decodeNdjson,
  type EntryError,
  type LineError,
  type LokiOptions,
  type NdjsonOptions,
} from '@pivot/logformats';
import { PG_LOG_FORMATS, decodeCsvlog, decodeJsonlog, type PgLogFormat, type PgLogOptions } from '@pivot/pglog';
import { badRequest, mediaType, readBody, unsupportedMediaType, type AppEnv, type BodyLimits } from '@pivot/server-kit';
import type { IngestMetrics } from '../metrics.ts';
import { logSignal } from '../otlp-export.ts';
import { otlpHandler } from '../otlp-http.ts';
import {
  decoded,
  ingest,
  rejectSummary,
  type Decoded,
  type IngestPath,
  type LogLimits,
  type Sink,
} from '../pipeline.ts';

/** How many line or entry errors an answer lists; the count covers them all. */
const MAX_LISTED_ERRORS = 100;

/** Media types a JSON-lines body arrives with: loggers and shippers disagree, and some send none. */
const NDJSON_TYPES = new Set([
  '',
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/x-jsonlines',
  'application/jsonlines',
  'application/json',
  'text/plain',
]);

/** PostgreSQL's csvlog may also come as CSV. */
const PG_LOG_TYPES = new Set([...NDJSON_TYPES, 'text/csv', 'application/csv']);

type LogsDecoded<E> = Decoded<ResourceLogs[]> & { errors: E[] };

/** A log format's decoder as a pipeline path: the records it kept, and its per-line or per-entry errors. */
function logPath<E>(
  sink: Sink<ResourceLogs[]>,
  decode: (body: Uint8Array) => { resourceLogs: ResourceLogs[]; accepted: number; errors: E[] },
): IngestPath<ResourceLogs[], LogsDecoded<E>> {
  return {
    signal: 'logs',
    decode(body) {
      const out = decode(body);
      return { ...decoded(out.resourceLogs, out.accepted, out.errors.length), errors: out.errors };
    },
    sink,
  };
}

const entryLabel = (e: EntryError) => (e.entry === null ? `stream ${e.stream}` : `stream ${e.stream} entry ${e.entry}`);

export function logRoutes(
  sink: Sink<ResourceLogs[]>,
  limits: BodyLimits,
  logLimits: LogLimits,
  metrics: IngestMetrics,
): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const maxLineBytes = logLimits.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  // The OTLP signal (decoders, body truncation) is shared with OTLP/gRPC.
  app.post('/v1/logs', otlpHandler(logSignal(sink, logLimits), limits, metrics));

  const ndjson = (opts: NdjsonOptions) => logPath<LineError>(sink, (body) => decodeNdjson(body, opts));
  const pglog = (format: PgLogFormat, opts: PgLogOptions) =>
    logPath<LineError>(sink, (body) => {
      const out = (format === 'postgres-csvlog' ? decodeCsvlog : decodeJsonlog)(body, opts);
      return { ...out, errors: out.errors.map(({ line, message }) => ({ line, message })) };
    });
  const lokiOpts: LokiOptions = { maxLineBytes, maxDecompressedBytes: limits.maxDecompressedBytes };
  const loki = {
    json: logPath<EntryError>(sink, (body) => decodeLokiPushJson(body, lokiOpts)),
    protobuf: logPath<EntryError>(sink, (body) => decodeLokiPushProtobuf(body, lokiOpts)),
  };

  // NDJSON: 200 with {accepted, rejectedCount, rejected: [{line, message}]} whenever something was
  // stored (or the body held no line at all); 400 with the same fields when every line was refused.
  // ?format=postgres-jsonlog|postgres-csvlog: PostgreSQL's server log as a shipper reads it from the file,
  // answered the same way, each entry (a csvlog one may span lines) named by its first line.
  app.post('/api/v1/logs', async (c: Context) => {
    const type = mediaType(c);
    const format = c.req.query('format');
    if (format !== undefined && format !== 'ndjson' && !(PG_LOG_FORMATS as readonly string[]).includes(format))
      throw badRequest(`format: "${format}" is not one of ndjson, ${PG_LOG_FORMATS.join(', ')}`);
    const pg = format === undefined || format === 'ndjson' ? null : (format as PgLogFormat);
    if (!(pg ? PG_LOG_TYPES : NDJSON_TYPES).has(type))
      throw unsupportedMediaType(
        pg
          ? `unsupported Content-Type "${type}" (send the log file's lines as text/plain, application/x-ndjson or text/csv)`
          : `unsupported Content-Type "${type}" (send newline-delimited JSON as application/x-ndjson)`,
      );
    const body = await readBody(c, limits);
    const service = c.req.query('service');
    const path = pg
      ? pglog(pg, { maxLineBytes, ...(service ? { service } : {}) })
      : ndjson({ maxLineBytes, ...(service ? { service } : {}) });
    const out = await ingest(path, body, metrics);
    const answer = {
      accepted: out.accepted,
      rejectedCount: out.rejected,
      rejected: out.errors.slice(0, MAX_LISTED_ERRORS),
      // Records refused for their time have no line of their own to name (see time-window.ts).
      ...(out.message ? { message: out.message } : {}),
    };
    if (out.accepted === 0 && out.rejected > 0) {
      const why = out.errors[0] ? `line ${out.errors[0].line}: ${out.errors[0].message}` : out.message;
      return c.json({ error: `no line was accepted: ${why}`, ...answer }, 400);
    }
    return c.json(answer, 200);
  });

  // Loki answers 204 on success. Like Loki, a push with some invalid entries stores the valid ones and
  // answers 400 naming the others, so that clients (which never retry a 4xx) do not resend the good ones.
  app.post('/loki/api/v1/push', async (c: Context) => {
    const type = mediaType(c);
    // No Content-Type means protobuf, as in Loki.
    const format =
      type === 'application/json' ? 'json' : type === 'application/x-protobuf' || type === '' ? 'protobuf' : null;
    if (!format)
      throw unsupportedMediaType(
        `unsupported Content-Type "${type}" (Loki pushes are application/json or snappy application/x-protobuf)`,
      );
    // The protobuf body is snappy-compressed inside: its bomb check (from the snappy header) happens in the decoder.
    const body = await readBody(c, limits, ['snappy']);
    const out = await ingest(loki[format], body, metrics);
    if (out.errors.length)
      throw badRequest(
        [
          rejectSummary(
            out.errors,
            (e) => `${entryLabel(e)}: ${e.message}`,
            'entries or streams',
            `${out.accepted} entries`,
          ),
          out.message,
        ]
          .filter(Boolean)
          .join('; '),
      );
    if (out.message) throw badRequest(`${out.message} (the other ${out.accepted} entries were stored)`);
    return c.body(null, 204);
  });
  return app;
}
