// OTLP/gRPC (GRPC_PORT, default 4317): the Export method of the trace, metrics and logs collector
// services. No .proto files: each service is a hand-built definition whose request is the message's
// bytes as received and whose response is encoded by encodeExportResponse, so below the transport
// everything (decoders, writers, partial success, self-metrics) is the OTLP/HTTP path (otlp-export.ts).
import * as grpc from '@grpc/grpc-js';
import type { Signal } from '@pivot/model';
import { encodeExportResponse, type PartialSuccess } from '@pivot/otlp';
import { toHttpError, type Listening } from '@pivot/server-kit';
import type { IngestDeps } from './app.ts';
import { UNAUTHENTICATED_MESSAGE, bearerTokenCheck } from './auth.ts';
import { GrpcCode, encodeRpcStatus, rpcFailureOf, type RpcFailure } from './grpc-status.ts';
import type { InflightBudget, Reservation } from './inflight.ts';
import { exportOtlp, logSignal, metricSignal, traceSignal, type OtlpSignal } from './otlp-export.ts';

export const OTLP_GRPC_SERVICES: Readonly<Record<Signal, string>> = {
  traces: 'opentelemetry.proto.collector.trace.v1.TraceService',
  metrics: 'opentelemetry.proto.collector.metrics.v1.MetricsService',
  logs: 'opentelemetry.proto.collector.logs.v1.LogsService',
};

export interface OtlpGrpcDeps extends Pick<
  IngestDeps,
  'logger' | 'metrics' | 'spans' | 'samples' | 'logs' | 'logLimits' | 'ingestTokens' | 'inflight'
> {
  /** grpc.max_receive_message_length: the largest message accepted, as sent and after gzip. */
  maxMessageBytes: number;
}

type ExportDefinition = grpc.ServiceDefinition<{ Export: grpc.handleUnaryCall<Uint8Array, PartialSuccess | null> }>;

const asBuffer = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** One collector service with its single unary Export method, bytes in and bytes out. */
export function exportServiceDefinition(signal: Signal): ExportDefinition {
  return {
    Export: {
      path: `/${OTLP_GRPC_SERVICES[signal]}/Export`,
      originalName: 'export',
      requestStream: false,
      responseStream: false,
      // A Buffer is a Uint8Array: the decoders read the message as it arrived, no copy.
      requestDeserialize: (bytes: Buffer): Uint8Array => bytes,
      requestSerialize: asBuffer,
      responseSerialize: (partial: PartialSuccess | null) =>
        asBuffer(encodeExportResponse(signal, partial, 'protobuf')),
      responseDeserialize: () => {
        throw new Error('this definition only serves; it never reads an export response');
      },
    },
  };
}

/** Store and HTTP errors through the same mapping as OTLP/HTTP: 429 → RESOURCE_EXHAUSTED, 503 → UNAVAILABLE, … */
function toGrpcFailure(err: unknown): RpcFailure | undefined {
  const httpErr = toHttpError(err);
  return httpErr && rpcFailureOf(httpErr);
}

/**
 * Checks the token when the call's metadata arrives, before any message is read or decompressed: a
 * caller without a token must not make the server inflate 60 MB first. The handler checks it again,
 * so a server built without this interceptor is no weaker.
 */
function tokenInterceptor(deps: OtlpGrpcDeps): grpc.ServerInterceptor {
  const authorized = bearerTokenCheck(deps.ingestTokens ?? []);
  return (method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            const auth = metadata.get('authorization')[0];
            if (authorized(auth === undefined ? undefined : String(auth))) return pass(metadata);
            deps.metrics.errors.inc({ kind: 'expected' });
            deps.metrics.grpcRequests.inc({ method: method.path.replace(/^\//, ''), code: 'UNAUTHENTICATED' });
            call.sendStatus({ code: GrpcCode.UNAUTHENTICATED, details: UNAUTHENTICATED_MESSAGE });
          },
        }),
    });
}

/** A failed call's trailers: the status with its RetryInfo, which OTLP exporters read to retry. */
function failureTrailers(failure: RpcFailure): grpc.Metadata {
  const trailers = new grpc.Metadata();
  if (failure.retryDelaySeconds !== undefined)
    trailers.set(
      'grpc-status-details-bin',
      asBuffer(encodeRpcStatus(failure.code, failure.message, failure.retryDelaySeconds)),
    );
  return trailers;
}

/**
 * Counts each call against the in-flight byte budget the HTTP requests share, refusing it when its
 * metadata arrives, before the message is read: UNAVAILABLE with RetryInfo (retryable by every OTLP
 * exporter; RESOURCE_EXHAUSTED would be too, with RetryInfo, but is also what an oversized message gets,
 * which must not be retried). A gRPC message declares no size up front, so a call holds the largest
 * message allowed until its message has arrived, then that message's size until it is answered.
 */
function inflightInterceptor(deps: OtlpGrpcDeps, budget: InflightBudget): grpc.ServerInterceptor {
  return (method, call) => {
    let held: Reservation | undefined;
    const release = () => held?.release();
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            try {
              held = budget.reserve(deps.maxMessageBytes);
            } catch (err) {
              const failure = toGrpcFailure(err)!;
              deps.metrics.errors.inc({ kind: 'expected' });
              deps.metrics.grpcRequests.inc({ method: method.path.replace(/^\//, ''), code: 'UNAVAILABLE' });
              return call.sendStatus({
                code: failure.code,
                details: failure.message,
                metadata: failureTrailers(failure),
              });
            }
            pass(metadata);
          },
          onReceiveMessage: (message: Uint8Array, pass) => {
            held?.resize(message.byteLength);
            pass(message);
          },
          // Also after a call that was answered: the stream's close reports it as a cancel.
          onCancel: release,
        }),
      sendStatus: (status, next) => {
        release();
        next(status);
      },
    });
  };
}

function exportHandler<B>(
  signal: Signal,
  s: OtlpSignal<B> | undefined,
  deps: OtlpGrpcDeps,
): grpc.handleUnaryCall<Uint8Array, PartialSuccess | null> {
  const { logger, metrics } = deps;
  const method = `${OTLP_GRPC_SERVICES[signal]}/Export`;
  const authorized = deps.ingestTokens?.length ? bearerTokenCheck(deps.ingestTokens) : () => true;

  return (call, callback) => {
    const t0 = performance.now();
    const answer = (code: number, partial: PartialSuccess | null, failure?: RpcFailure) => {
      const seconds = (performance.now() - t0) / 1000;
      metrics.grpcRequests.inc({ method, code: grpc.status[code] ?? String(code) });
      metrics.grpcDuration.observe({ method }, seconds);
      logger.info({ method, code: grpc.status[code], ms: Math.round(seconds * 1000) }, 'grpc request');
      if (!failure) return callback(null, partial);
      callback({ code: failure.code, details: failure.message, metadata: failureTrailers(failure) });
    };
    const fail = (f: RpcFailure) => answer(f.code, null, f);

    const auth = call.metadata.get('authorization')[0];
    if (!authorized(auth === undefined ? undefined : String(auth))) {
      metrics.errors.inc({ kind: 'expected' });
      return fail({ code: GrpcCode.UNAUTHENTICATED, message: UNAUTHENTICATED_MESSAGE });
    }
    if (!s) {
      metrics.errors.inc({ kind: 'expected' });
      return fail({ code: GrpcCode.UNIMPLEMENTED, message: `${signal} ingest is not enabled on this server` });
    }
    exportOtlp(s, call.request, 'protobuf', metrics).then(
      (partial) => answer(GrpcCode.OK, partial),
      (err: unknown) => {
        const failure = toGrpcFailure(err);
        if (!failure) {
          metrics.errors.inc({ kind: 'bug' });
          logger.error({ err, method }, 'unhandled error');
          return fail({ code: GrpcCode.INTERNAL, message: 'internal error' });
        }
        const unavailable = failure.code === GrpcCode.UNAVAILABLE || failure.code === GrpcCode.INTERNAL;
        metrics.errors.inc({ kind: unavailable ? 'unavailable' : 'expected' });
        if (unavailable) logger.warn({ method, err: failure.message }, 'service unavailable');
        fail(failure);
      },
    );
  };
}

/**
 * The OTLP/gRPC server, not yet bound. Every service is registered; one whose sink is absent answers
 * UNIMPLEMENTED with a message (and is counted) rather than grpc-js's generic unknown-method error.
 * gzip and deflate request messages are undone by grpc-js, within the same message-size limit.
 */
export function createOtlpGrpcServer(deps: OtlpGrpcDeps): grpc.Server {
  // In this order: a caller without a token holds no bytes.
  const interceptors = [
    ...(deps.ingestTokens?.length ? [tokenInterceptor(deps)] : []),
    ...(deps.inflight ? [inflightInterceptor(deps, deps.inflight)] : []),
  ];
  const server = new grpc.Server({
    'grpc.max_receive_message_length': deps.maxMessageBytes,
    ...(interceptors.length ? { interceptors } : {}),
  });
  const add = <B>(signal: Signal, s: OtlpSignal<B> | undefined) =>
    server.addService(exportServiceDefinition(signal), { Export: exportHandler(signal, s, deps) });
  add('traces', traceSignal(deps.spans));
  add('metrics', deps.samples && metricSignal(deps.samples));
  add('logs', deps.logs && logSignal(deps.logs, deps.logLimits));
  return server;
}

/**
 * Binds the server (port 0 picks one) and resolves with the bound port. close() lets in-flight calls
 * finish (their rows commit) and forces the rest after `shutdownTimeoutMs`.
 */
export function listenGrpc(
  server: grpc.Server,
  host: string,
  port: number,
  shutdownTimeoutMs = 10_000,
): Promise<Listening> {
  const bracketed = host.includes(':') ? `[${host}]` : host;
  return new Promise((resolve, reject) => {
    server.bindAsync(`${bracketed}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err) return reject(err);
      resolve({
        url: `http://${bracketed === '0.0.0.0' ? '127.0.0.1' : bracketed}:${bound}`,
        port: bound,
        close: () =>
          new Promise<void>((res) => {
            const force = setTimeout(() => {
              server.forceShutdown();
              res();
            }, shutdownTimeoutMs);
            force.unref();
            server.tryShutdown(() => {
              clearTimeout(force);
              res();
            });
          }),
      });
    });
  });
}

export function startOtlpGrpc(
  deps: OtlpGrpcDeps,
  host: string,
  port: number,
  shutdownTimeoutMs?: number,
): Promise<Listening> {
  return listenGrpc(createOtlpGrpcServer(deps), host, port, shutdownTimeoutMs);
}
