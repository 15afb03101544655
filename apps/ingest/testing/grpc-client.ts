// A raw OTLP/gRPC client for tests (grpc-js with identity serializers, so any bytes can be sent) and
// decoders for what comes back: export responses and google.rpc.Status details.
import * as grpc from '@grpc/grpc-js';
import { Reader } from '@pivot/protobuf';

export const EXPORT_PATHS = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
} as const;

export type ExportResult = { ok: true; response: Uint8Array } | { ok: false; error: grpc.ServiceError };

/** A client for `url` (http://host:port); `gzip` compresses every request message. */
export function rawClient(url: string, opts: { gzip?: boolean } = {}): grpc.Client {
  return new grpc.Client(url.replace(/^https?:\/\//, ''), grpc.credentials.createInsecure(), {
    ...(opts.gzip ? { 'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip } : {}),
  });
}

export function rawExport(
  client: grpc.Client,
  signal: keyof typeof EXPORT_PATHS,
  body: Uint8Array,
  metadata: Record<string, string> = {},
): Promise<ExportResult> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      EXPORT_PATHS[signal],
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => new Uint8Array(b),
      body,
      md,
      { deadline: Date.now() + 20_000 },
      (error, response) => resolve(error ? { ok: false, error } : { ok: true, response: response! }),
    );
  });
}

type Fields = Map<number, (bigint | Uint8Array)[]>;

/** Every field of one message: varints as bigint, length-delimited as bytes; others skipped. */
export function protoFields(buf: Uint8Array): Fields {
  const r = new Reader(buf);
  const out: Fields = new Map();
  while (!r.eof()) {
    const key = r.tag();
    const field = key >>> 3;
    const wt = key & 7;
    let v: bigint | Uint8Array;
    if (wt === 0) v = r.varint64(false);
    else if (wt === 2) v = r.bytes();
    else {
      r.skip(wt);
      continue;
    }
    out.set(field, [...(out.get(field) ?? []), v]);
  }
  return out;
}

const text = (b: bigint | Uint8Array | undefined) => (b instanceof Uint8Array ? new TextDecoder().decode(b) : '');

/** An Export*ServiceResponse: its partial_success, or null when unset. */
export function decodeExportResponse(buf: Uint8Array): { rejected: number; message: string } | null {
  const ps = protoFields(buf).get(1)?.[0];
  if (!(ps instanceof Uint8Array)) return null;
  const f = protoFields(ps);
  return { rejected: Number(f.get(1)?.[0] ?? 0n), message: text(f.get(2)?.[0]) };
}

export interface RpcStatus {
  code: number;
  message: string;
  details: { typeUrl: string; retryDelay?: { seconds: number; nanos: number } }[];
}

/** A google.rpc.Status, with RetryInfo details decoded. */
export function decodeRpcStatus(buf: Uint8Array): RpcStatus {
  const f = protoFields(buf);
  const details = (f.get(3) ?? []).map((any) => {
    const a = protoFields(any as Uint8Array);
    const typeUrl = text(a.get(1)?.[0]);
    if (typeUrl !== 'type.googleapis.com/google.rpc.RetryInfo') return { typeUrl };
    const duration = protoFields(
      (protoFields((a.get(2)?.[0] as Uint8Array) ?? new Uint8Array()).get(1)?.[0] as Uint8Array) ?? new Uint8Array(),
    );
    return {
      typeUrl,
      retryDelay: { seconds: Number(duration.get(1)?.[0] ?? 0n), nanos: Number(duration.get(2)?.[0] ?? 0n) },
    };
  });
  return { code: Number(f.get(1)?.[0] ?? 0n), message: text(f.get(2)?.[0]), details };
}

/** The status details a failed call carried in `grpc-status-details-bin`, if any. */
export function statusDetails(error: grpc.ServiceError): RpcStatus | undefined {
  const raw = error.metadata?.get('grpc-status-details-bin')[0];
  return raw instanceof Buffer ? decodeRpcStatus(raw) : undefined;
}
