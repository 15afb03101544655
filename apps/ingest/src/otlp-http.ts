// OTLP/HTTP for one signal: content negotiation, bounded body, then the export step shared with
// OTLP/gRPC (otlp-export.ts), and the answer in the request's encoding.
import type { Context } from 'hono';
import { encodeExportResponse } from '@pivot/otlp';
import { HttpError, mediaType, readBody, unsupportedMediaType, type BodyLimits } from '@pivot/server-kit';
import { encodeRpcStatus, grpcCodeForHttpStatus } from './grpc-status.ts';
import type { IngestMetrics } from './metrics.ts';
import { exportOtlp, type OtlpFormat, type OtlpSignal } from './otlp-export.ts';

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
    const partial = await exportOtlp(s, body, format, metrics);
    const out = encodeExportResponse(s.signal, partial, format);
    return c.body(typeof out === 'string' ? out : (out as Uint8Array<ArrayBuffer>), 200, {
      'Content-Type': format === 'protobuf' ? 'application/x-protobuf' : 'application/json',
    });
  };
}

/** OTLP error bodies are a google.rpc.Status in the request's encoding. */
export function renderOtlpError(c: Context, err: HttpError): Response {
  let format: OtlpFormat = 'json';
  try {
    format = otlpFormat(c);
  } catch {
    // An unsupported content type is answered in JSON.
  }
  const code = grpcCodeForHttpStatus(err.status);
  if (format === 'protobuf') {
    const bytes = encodeRpcStatus(code, err.message);
    return c.body(bytes as Uint8Array<ArrayBuffer>, err.status as 400, { 'Content-Type': 'application/x-protobuf' });
  }
  return c.json({ code, message: err.message }, err.status as 400);
}
