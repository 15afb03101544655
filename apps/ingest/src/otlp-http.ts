// OTLP/HTTP for one signal: content negotiation, bounded body, decode, write, answer in the
// request's encoding. Each signal plugs in its decoders and writer; the path below is shared.
import type { Context } from 'hono';
import { HttpError, badRequest, mediaType, readBody, unsupportedMediaType, type BodyLimits } from '@pivot/server-kit';
import { Writer } from '@pivot/protobuf';
import type { IngestMetrics, Signal } from './metrics.ts';

export type OtlpFormat = 'protobuf' | 'json';

export interface Decoded<B> {
  batch: B;
  accepted: number;
  rejected: number;
  message: string;
}

export interface OtlpSignal<B> {
  signal: Signal;
  decodeProtobuf(bytes: Uint8Array): Decoded<B>;
  decodeJson(bytes: Uint8Array): Decoded<B>;
  write(batch: B): Promise<void>;
  encodeResponse(partial: { rejected: number; message: string } | null, format: OtlpFormat): Uint8Array | string;
  /** The decoders' own error type: it becomes a 400 with its message. */
  isDecodeError(err: unknown): boolean;
}

export function otlpFormat(c: Context): OtlpFormat {
  const type = mediaType(c);
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  throw unsupportedMediaType(`unsupported Content-Type "${type}" (use application/x-protobuf or application/json)`);
}

export function otlpHandler<B>(s: OtlpSignal<B>, limits: BodyLimits, metrics: IngestMetrics) {
  return async (c: Context) => {
    const format = otlpFormat(c);
    const body = await readBody(c, limits);
    let decoded: Decoded<B>;
    try {
      decoded = format === 'protobuf' ? s.decodeProtobuf(body) : s.decodeJson(body);
    } catch (err) {
      if (s.isDecodeError(err)) {
        metrics.rejected.inc({ signal: s.signal, reason: 'undecodable' });
        throw badRequest((err as Error).message, err);
      }
      throw err;
    }
    if (decoded.accepted > 0) await s.write(decoded.batch);
    metrics.accepted.inc({ signal: s.signal }, decoded.accepted);
    if (decoded.rejected > 0) metrics.rejected.inc({ signal: s.signal, reason: 'invalid' }, decoded.rejected);
    const partial = decoded.rejected > 0 ? { rejected: decoded.rejected, message: decoded.message } : null;
    const out = s.encodeResponse(partial, format);
    return c.body(typeof out === 'string' ? out : (out as Uint8Array<ArrayBuffer>), 200, {
      'Content-Type': format === 'protobuf' ? 'application/x-protobuf' : 'application/json',
    });
  };
}

/** gRPC status codes the OTLP/HTTP spec asks for in error bodies (google.rpc.Status.code). */
function grpcCode(status: number): number {
  if (status === 429) return 8; // RESOURCE_EXHAUSTED
  if (status === 503) return 14; // UNAVAILABLE
  if (status === 401) return 16; // UNAUTHENTICATED
  if (status >= 500) return 13; // INTERNAL
  return 3; // INVALID_ARGUMENT
}

/** OTLP error bodies are a google.rpc.Status in the request's encoding. */
export function renderOtlpError(c: Context, err: HttpError): Response {
  let format: OtlpFormat = 'json';
  try {
    format = otlpFormat(c);
  } catch {
    // An unsupported content type is answered in JSON.
  }
  const code = grpcCode(err.status);
  if (format === 'protobuf') {
    const bytes = new Writer().tag(1, 0).uint32(code).tag(2, 2).string(err.message).finish();
    return c.body(bytes as Uint8Array<ArrayBuffer>, err.status as 400, { 'Content-Type': 'application/x-protobuf' });
  }
  return c.json({ code, message: err.message }, err.status as 400);
}
