// Metrics ingest: Prometheus remote-write 1.0 and OTLP/HTTP metrics, into the same series store.
import { Hono } from 'hono';
import type { MetricsBatch } from '@pivot/model';
import { decodeWriteRequest, type RejectedSeries, type RemoteWriteLimits } from '@pivot/remote-write';
import { badRequest, mediaType, readBody, unsupportedMediaType, type AppEnv, type BodyLimits } from '@pivot/server-kit';
import type { IngestMetrics } from '../metrics.ts';
import { metricSignal } from '../otlp-export.ts';
import { otlpHandler } from '../otlp-http.ts';
import { ingest, rejectSummary, samplesIn, type Decoded, type IngestPath, type Sink } from '../pipeline.ts';

interface RemoteWriteDecoded extends Decoded<MetricsBatch> {
  refused: RejectedSeries[];
  /** Series stored, for the answer. */
  storedSeries: number;
}

/** A remote-write request: its valid series and metadata are written even when no sample is (metadata-only pushes). */
function remoteWritePath(
  sink: Sink<MetricsBatch>,
  limits: Partial<RemoteWriteLimits>,
): IngestPath<MetricsBatch, RemoteWriteDecoded> {
  return {
    signal: 'metrics',
    decode(body) {
      const { batch, rejected } = decodeWriteRequest(body, limits);
      return {
        batch: batch.series.length || batch.metadata.length ? batch : null,
        accepted: samplesIn(batch),
        rejected: rejected.length,
        message: '',
        refused: rejected,
        storedSeries: batch.series.length,
      };
    },
    sink,
  };
}

export function metricRoutes(
  sink: Sink<MetricsBatch>,
  limits: BodyLimits,
  rw: Partial<RemoteWriteLimits>,
  metrics: IngestMetrics,
): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const remoteWrite = remoteWritePath(sink, { maxDecompressedBytes: limits.maxDecompressedBytes, ...rw });

  // Prometheus retries 5xx and 429 but never 4xx: 4xx is only for what can never succeed.
  app.post('/api/v1/write', async (c) => {
    const type = mediaType(c);
    if (type !== 'application/x-protobuf' && type !== '')
      throw unsupportedMediaType(`unsupported Content-Type "${type}" (remote-write 1.0 sends application/x-protobuf)`);
    const encoding = (c.req.header('content-encoding') ?? 'snappy').toLowerCase();
    if (encoding !== 'snappy')
      throw unsupportedMediaType(`unsupported Content-Encoding "${encoding}" (remote-write 1.0 uses snappy)`);
    const body = await readBody(c, limits, ['snappy']);
    const out = await ingest(remoteWrite, body, metrics);
    // The valid series are committed; the message names the ones refused, and 400 stops a retry.
    if (out.refused.length)
      throw badRequest(
        [rejectSummary(out.refused, (r) => r.message, 'series', `${out.storedSeries}`), out.message]
          .filter(Boolean)
          .join('; '),
      );
    // Samples outside the time window: the rest is stored, and 400 keeps Prometheus from resending them.
    if (out.message) throw badRequest(`${out.message} (the other ${out.accepted} samples were stored)`);
    return c.body(null, 204);
  });

  app.post('/v1/metrics', otlpHandler(metricSignal(sink), limits, metrics));
  return app;
}
