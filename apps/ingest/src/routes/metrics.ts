// Metrics ingest: Prometheus remote-write 1.0 and OTLP/HTTP metrics, into the same series store.
import { Hono } from 'hono';
import type { MetricsBatch } from '@pivot/model';
import {
  PayloadTooLargeError,
  RemoteWriteDecodeError,
  decodeWriteRequest,
  type RemoteWriteLimits,
} from '@pivot/remote-write';
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
import { metricSignal, samplesIn, type Sink } from '../otlp-export.ts';
import { otlpHandler } from '../otlp-http.ts';

export function metricRoutes(
  sink: Sink<MetricsBatch>,
  limits: BodyLimits,
  rw: Partial<RemoteWriteLimits>,
  metrics: IngestMetrics,
): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // Prometheus retries 5xx and 429 but never 4xx: 4xx is only for what can never succeed.
  app.post('/api/v1/write', async (c) => {
    const type = mediaType(c);
    if (type !== 'application/x-protobuf' && type !== '')
      throw unsupportedMediaType(`unsupported Content-Type "${type}" (remote-write 1.0 sends application/x-protobuf)`);
    const encoding = (c.req.header('content-encoding') ?? 'snappy').toLowerCase();
    if (encoding !== 'snappy')
      throw unsupportedMediaType(`unsupported Content-Encoding "${encoding}" (remote-write 1.0 uses snappy)`);
    const body = await readBody(c, limits, ['snappy']);
    let decoded: ReturnType<typeof decodeWriteRequest>;
    try {
      decoded = decodeWriteRequest(body, { maxDecompressedBytes: limits.maxDecompressedBytes, ...rw });
    } catch (err) {
      if (err instanceof PayloadTooLargeError) throw payloadTooLarge(err.message);
      if (err instanceof RemoteWriteDecodeError) {
        metrics.rejected.inc({ signal: 'metrics', reason: 'undecodable' });
        throw badRequest(err.message, err);
      }
      throw err;
    }
    const { batch, rejected } = decoded;
    if (batch.series.length || batch.metadata.length) await sink.write(batch);
    metrics.accepted.inc({ signal: 'metrics' }, samplesIn(batch));
    if (rejected.length) {
      metrics.rejected.inc({ signal: 'metrics', reason: 'invalid' }, rejected.length);
      // The valid series are committed; the message names the ones refused, and 400 stops a retry.
      const shown = rejected.slice(0, 10).map((r) => `series ${r.index}: ${r.message}`);
      const more = rejected.length > 10 ? `; and ${rejected.length - 10} more` : '';
      throw badRequest(
        `${rejected.length} series rejected (the other ${batch.series.length} were stored): ${shown.join('; ')}${more}`,
      );
    }
    return c.body(null, 204);
  });

  app.post('/v1/metrics', otlpHandler(metricSignal(sink), limits, metrics));
  return app;
}
