// A small Prometheus agent: reads the services' prom-client registries on an interval and sends the
// samples, with their exemplars (trace and span IDs) and metadata, as remote-write 1.0 requests —
// what a Prometheus scraping the services' /metrics and remote-writing to ingest would send.
import type { Exemplar, Labels, MetricType, MetricsBatch, TimeSeries } from '@pivot/model';
import { parseSpanId, parseTraceId, unixMillis } from '@pivot/model';
import { encodeWriteRequest } from '@pivot/remote-write';
import type { Registry } from 'prom-client';
import type { ExportTarget } from './telemetry.ts';

export interface ScrapeTarget {
  /** The `job` label, as Prometheus gives it from the scrape config: here, the service name. */
  job: string;
  instance: string;
  registry: Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>;
}

interface JsonExemplar {
  labelSet: Record<string, string>;
  value: number;
  timestamp: number;
}

/** The registries' current values as one remote-write batch, all samples stamped `nowMs`. */
export async function collectBatch(targets: readonly ScrapeTarget[], nowMs: number): Promise<MetricsBatch> {
  const batch: MetricsBatch = { series: [], metadata: [] };
  const seenFamilies = new Set<string>();
  for (const t of targets) {
    for (const family of await t.registry.getMetricsAsJSON()) {
      if (!seenFamilies.has(family.name)) {
        seenFamilies.add(family.name);
        batch.metadata.push({
          metricFamilyName: family.name,
          type: String(family.type) as MetricType,
          help: family.help,
          unit: '',
        });
      }
      for (const v of family.values as {
        value: number;
        metricName?: string;
        labels: Record<string, string | number>;
        exemplar?: JsonExemplar | null;
      }[]) {
        const labels: Labels = { __name__: v.metricName ?? family.name, job: t.job, instance: t.instance };
        for (const [k, val] of Object.entries(v.labels)) labels[k] = String(val);
        const exemplars: Exemplar[] = [];
        if (v.exemplar) {
          const e = v.exemplar;
          exemplars.push({
            labels: e.labelSet,
            value: e.value,
            timestampMs: unixMillis(Math.round(e.timestamp * 1000)),
            traceId: parseTraceId(e.labelSet.trace_id ?? ''),
            spanId: parseSpanId(e.labelSet.span_id ?? ''),
          });
        }
        const series: TimeSeries = { labels, samples: [{ timestampMs: unixMillis(nowMs), value: v.value }], exemplars };
        batch.series.push(series);
      }
    }
  }
  return batch;
}

export interface RemoteWriter {
  /** Collects and sends now; resolves when ingest has answered. */
  push(): Promise<void>;
  stop(): Promise<void>;
}

/** Pushes every `intervalMs`; failures are reported and retried at the next push, as Prometheus does. */
export function startRemoteWrite(
  targets: readonly ScrapeTarget[],
  target: ExportTarget,
  intervalMs: number,
  onError: (err: Error) => void,
): RemoteWriter {
  const url = `${target.ingestUrl}/api/v1/write`;
  let inFlight: Promise<void> | undefined;
  const push = async () => {
    const body = encodeWriteRequest(await collectBatch(targets, Date.now()));
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-protobuf',
        'Content-Encoding': 'snappy',
        'X-Prometheus-Remote-Write-Version': '0.1.0',
        ...(target.token ? { Authorization: `Bearer ${target.token}` } : {}),
      },
      body: body as Uint8Array<ArrayBuffer>,
    });
    if (res.status >= 300) throw new Error(`remote write to ${url}: ${res.status} ${(await res.text()).slice(0, 200)}`);
  };
  const tick = () => {
    inFlight ??= push()
      .catch((err: unknown) => onError(err as Error))
      .finally(() => (inFlight = undefined));
    return inFlight;
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return {
    push: async () => {
      await inFlight;
      await push();
    },
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}
