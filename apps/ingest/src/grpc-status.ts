// gRPC status codes and google.rpc.Status: how OTLP reports a failure, in OTLP/HTTP error bodies
// (otlp-http.ts) and as OTLP/gRPC call statuses (otlp-grpc.ts). The HTTP → gRPC pairing is here alone.
import { Writer } from '@pivot/protobuf';
import type { HttpError } from '@pivot/server-kit';

/** gRPC status codes (google.rpc.Code) that OTLP answers use, over HTTP in error bodies and over gRPC. */
export const GrpcCode = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** The gRPC code for an HTTP status, as the OTLP/HTTP spec pairs them. */
export function grpcCodeForHttpStatus(status: number): number {
  if (status === 429) return GrpcCode.RESOURCE_EXHAUSTED;
  if (status === 503) return GrpcCode.UNAVAILABLE;
  if (status === 401) return GrpcCode.UNAUTHENTICATED;
  if (status >= 500) return GrpcCode.INTERNAL;
  return GrpcCode.INVALID_ARGUMENT;
}

/** A failed call's status: code, message and, for back-pressure, when to retry. */
export interface RpcFailure {
  code: number;
  message: string;
  retryDelaySeconds?: number;
}

/** An HTTP error as the gRPC status standing for it; its Retry-After becomes the retry delay. */
export function rpcFailureOf(err: HttpError): RpcFailure {
  const retryAfter = Number(err.headers['Retry-After']);
  return {
    code: grpcCodeForHttpStatus(err.status),
    message: err.message,
    ...(retryAfter > 0 ? { retryDelaySeconds: retryAfter } : {}),
  };
}

/**
 * A google.rpc.Status {code=1, message=2, details=3}. With `retryDelaySeconds` it carries one
 * google.rpc.RetryInfo {retry_delay=1 Duration{seconds=1}} in an Any, which is what tells OTLP
 * exporters that RESOURCE_EXHAUSTED and UNAVAILABLE are worth retrying, and when.
 */
export function encodeRpcStatus(code: number, message: string, retryDelaySeconds?: number): Uint8Array {
  const w = new Writer();
  if (code !== 0) w.tag(1, 0).uint32(code);
  if (message !== '') w.tag(2, 2).string(message);
  if (retryDelaySeconds !== undefined) {
    const seconds = Math.floor(retryDelaySeconds);
    const nanos = Math.round((retryDelaySeconds - seconds) * 1e9);
    w.fork(3);
    w.tag(1, 2).string('type.googleapis.com/google.rpc.RetryInfo');
    w.fork(2).fork(1);
    if (seconds !== 0) w.tag(1, 0).varint64(BigInt(seconds));
    if (nanos !== 0) w.tag(2, 0).uint32(nanos);
    w.join().join();
    w.join();
  }
  return w.finish();
}
