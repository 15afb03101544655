export { createIngestApp, type IngestDeps, type LogLimits, type Sink } from './app.ts';
export { createIngestMetrics, flushRecorder, type IngestMetrics } from './metrics.ts';
export { startIngest, type IngestService } from './server.ts';
export { createOtlpGrpcServer, listenGrpc, startOtlpGrpc, OTLP_GRPC_SERVICES, type OtlpGrpcDeps } from './otlp-grpc.ts';
export { InflightBudget, inflightMiddleware, type Reservation } from './inflight.ts';
