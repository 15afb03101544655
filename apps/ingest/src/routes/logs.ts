// Log ingest, three ways in, one writer:
//   POST /v1/logs            OTLP/HTTP (protobuf or JSON, gzip or identity), partial success as for traces
//   POST /api/v1/logs        NDJSON as pino writes it; bad lines are reported by number, good ones kept
//   POST /loki/api/v1/push   Loki's push API (JSON, or snappy protobuf), so Promtail, Alloy and pino-loki
//                            send here unmodified
// Every path answers only after the records are committed (group commit), and leaves 429/503 to the
// central error mapping.
import { Hono, type Context } from 'hono';
import type { ResourceLogs } from '@pivot/model';
import {
  DEFAULT_MAX_LINE_BYTES,
  LogDecodeError,
  LogPayloadTooLargeError,
  decodeLokiPushJson,
  decodeLokiPushProtobuf,
  decodeNdjson,
  type EntryError,
  type LineError,
} from '@pivot/logformats';
import {
  badRequest,
  mediaType,
  payloadTooLarge,
  readBody,
  unsupportedMediaType,
  type AppEnv,
  type BodyLimits,
} from '@pivot/server-kit';
import type { IngestMetrics } from '../metrics.ts';
import { logSignal } from '../otlp-export.ts';
import { otlpHandler } from '../otlp-http.ts';
import type { Sink } from './traces.ts';

export interface LogLimits {
  /** Longest NDJSON line or Loki entry; OTLP string bodies are truncated to it. */
  maxLineBytes?: number;
}

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

function decodeFailure(err: unknown, metrics: IngestMetrics): never {
  if (err instanceof LogPayloadTooLargeError) throw payloadTooLarge(err.message);
  if (err instanceof LogDecodeError) {
    metrics.rejected.inc({ signal: 'logs', reason: 'undecodable' });
    throw badRequest(err.message, err);
  }
  throw err;
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

  /** Stores what decoded, counts both outcomes. */
  const store = async (resourceLogs: ResourceLogs[], accepted: number, rejected: number) => {
    if (accepted > 0) await sink.write(resourceLogs);
    metrics.accepted.inc({ signal: 'logs' }, accepted);
    if (rejected > 0) metrics.rejected.inc({ signal: 'logs', reason: 'invalid' }, rejected);
  };

  // NDJSON: 200 with {accepted, rejectedCount, rejected: [{line, message}]} whenever something was
  // stored (or the body held no line at all); 400 with the same fields when every line was refused.
  app.post('/api/v1/logs', async (c: Context) => {
    const type = mediaType(c);
    if (!NDJSON_TYPES.has(type))
      throw unsupportedMediaType(
        `unsupported Content-Type "${type}" (send newline-delimited JSON as application/x-ndjson)`,
      );
    const body = await readBody(c, limits);
    const service = c.req.query('service');
    const out = decodeNdjson(body, { maxLineBytes, ...(service ? { service } : {}) });
    await store(out.resourceLogs, out.accepted, out.errors.length);
    const answer = {
      accepted: out.accepted,
      rejectedCount: out.errors.length,
      rejected: out.errors.slice(0, MAX_LISTED_ERRORS) satisfies LineError[],
    };
    if (out.accepted === 0 && out.errors.length > 0)
      return c.json(
        { error: `no line was accepted: line ${out.errors[0]!.line}: ${out.errors[0]!.message}`, ...answer },
        400,
      );
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
    const opts = { maxLineBytes, maxDecompressedBytes: limits.maxDecompressedBytes };
    let out: ReturnType<typeof decodeLokiPushJson>;
    try {
      out = format === 'json' ? decodeLokiPushJson(body, opts) : decodeLokiPushProtobuf(body, opts);
    } catch (err) {
      decodeFailure(err, metrics);
    }
    await store(out.resourceLogs, out.accepted, out.errors.length);
    if (out.errors.length) {
      const listed = out.errors.slice(0, 10).map((e) => `${entryLabel(e)}: ${e.message}`);
      const more = out.errors.length > 10 ? `; and ${out.errors.length - 10} more` : '';
      throw badRequest(
        `${out.errors.length} entries or streams rejected (the other ${out.accepted} entries were stored): ${listed.join('; ')}${more}`,
      );
    }
    return c.body(null, 204);
  });
  return app;
}
