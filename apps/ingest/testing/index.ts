// @pivot/ingest/testing: for tests here and in the platform. A raw OTLP/gRPC client (any bytes in) and
// decoders for what comes back: export responses and google.rpc.Status details; a capturing sink.
export { CapturingSink } from './capturing-sink.ts';
export {
  EXPORT_PATHS,
  decodeExportResponse,
  decodeRpcStatus,
  protoFields,
  rawClient,
  rawExport,
  statusDetails,
  type ExportResult,
  type RpcStatus,
} from './grpc-client.ts';
