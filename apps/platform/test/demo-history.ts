// An hour of the demo shop's metrics, in seconds instead of an hour: what `npm run demo`'s remote-write
// agent would have sent had the demo run for `minutes` (apps/demo: five services at 2 requests a
// second, 70% checkouts, payment incidents of 15 s every minute starting 20 s in, during which half of
// the charges take ~1 s, and 1% outside them). Same metric, labels, buckets, push interval and
// exemplars as prom-client gives them: per series and bucket the latest observation, with its trace
// and span IDs. For the dashboard benchmark and end-to-end tests, which need a long history at once.
import { encodeWriteRequest } from '@pivot/remote-write';
import type { MetricsBatch } from '@pivot/model';

export const DEMO_HISTOGRAM = 'http_server_request_duration_seconds';
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const INCIDENT = { periodMs: 60_000, offsetMs: 20_000, durationMs: 15_000, slowShare: 0.5, baseSlowShare: 0.01 };

export interface DemoHistory {
  startMs: number;
  endMs: number;
  /** Incident windows, Unix ms. */
  incidents: [number, number][];
  samples: number;
  exemplars: number;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Observation {
  job: string;
  method: string;
  route: string;
  status: string;
  seconds: number;
}

interface SeriesState {
  labels: Record<string, string>;
  counts: number[];
  sum: number;
  count: number;
  /** Latest exemplar per bucket (index BUCKETS.length is +Inf), and whether it is new since the last push. */
  exemplars: ({ value: number; timestampMs: number; traceId: string; spanId: string; fresh: boolean } | null)[];
}

export async function seedDemoMetricsHistory(
  ingestUrl: string,
  opts: {
    minutes?: number;
    nowMs?: number;
    intervalMs?: number;
    requestsPerSecond?: number;
    seed?: number;
    /** Port of the services' `instance` labels (five from it): another run of the demo. */
    instancePort?: number;
  } = {},
): Promise<DemoHistory> {
  const minutes = opts.minutes ?? 60;
  const intervalMs = opts.intervalMs ?? 5000;
  const rps = opts.requestsPerSecond ?? 2;
  const endMs = Math.floor((opts.nowMs ?? Date.now()) / intervalMs) * intervalMs;
  const startMs = endMs - minutes * 60_000;
  const random = rng(opts.seed ?? 7);
  const between = (lo: number, hi: number) => lo + random() * (hi - lo);
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  const inIncident = (t: number) => {
    const p = (t - startMs) % INCIDENT.periodMs;
    return p >= INCIDENT.offsetMs && p < INCIDENT.offsetMs + INCIDENT.durationMs;
  };
  const incidents: [number, number][] = [];
  for (let t = startMs + INCIDENT.offsetMs; t < endMs; t += INCIDENT.periodMs)
    incidents.push([t, Math.min(endMs, t + INCIDENT.durationMs)]);

  const state = new Map<string, SeriesState>();
  const seriesOf = (o: Observation): SeriesState => {
    const key = `${o.job} ${o.method} ${o.route} ${o.status}`;
    let s = state.get(key);
    if (!s)
      state.set(
        key,
        (s = {
          labels: {
            job: o.job,
            instance: `127.0.0.1:${(opts.instancePort ?? 41000) + ['frontend', 'checkout', 'inventory', 'pricing', 'payment'].indexOf(o.job)}`,
            method: o.method,
            route: o.route,
            status_code: o.status,
          },
          counts: new Array<number>(BUCKETS.length + 1).fill(0),
          sum: 0,
          count: 0,
          exemplars: new Array<SeriesState['exemplars'][number]>(BUCKETS.length + 1).fill(null),
        }),
      );
    return s;
  };
  const observe = (o: Observation, atMs: number, traceId: string) => {
    const s = seriesOf(o);
    let b = BUCKETS.findIndex((le) => o.seconds <= le);
    if (b < 0) b = BUCKETS.length;
    s.counts[b]!++;
    s.sum += o.seconds;
    s.count++;
    s.exemplars[b] = { value: o.seconds, timestampMs: atMs, traceId, spanId: hex(16), fresh: true };
  };

  // One request through the shop, as apps/demo/src/shop.ts handles it; latencies in seconds.
  const request = (atMs: number) => {
    const traceId = hex(32);
    if (random() >= 0.7) {
      const prices = [0, 1, 2].map(() => between(1, 5) / 1000 + 0.0005);
      for (const p of prices)
        observe({ job: 'pricing', method: 'GET', route: '/price', status: '200', seconds: p }, atMs, traceId);
      observe(
        { job: 'frontend', method: 'GET', route: '/', status: '200', seconds: Math.max(...prices) + 0.001 },
        atMs,
        traceId,
      );
      return;
    }
    const stock = between(1, 6) / 1000 + 0.0005;
    const price = between(1, 5) / 1000 + 0.0005;
    observe({ job: 'inventory', method: 'GET', route: '/stock', status: '200', seconds: stock }, atMs, traceId);
    observe({ job: 'pricing', method: 'GET', route: '/price', status: '200', seconds: price }, atMs, traceId);
    let checkoutStatus = '201';
    let charge = 0;
    if (Math.floor(between(0, 40)) === 0) checkoutStatus = '409';
    else {
      const slow = random() < (inIncident(atMs) ? INCIDENT.slowShare : INCIDENT.baseSlowShare);
      let status = '200';
      if (!slow) charge = between(15, 45) / 1000 + between(2, 8) / 1000;
      else {
        charge = between(650, 750) / 1000 + between(250, 350) / 1000;
        if (random() < 0.15) status = '502';
        else charge += between(2, 8) / 1000;
      }
      charge += 0.001;
      observe({ job: 'payment', method: 'POST', route: '/charge', status, seconds: charge }, atMs, traceId);
      if (status !== '200') checkoutStatus = '502';
    }
    const checkout = Math.max(stock, price) + charge + 0.002;
    observe(
      { job: 'checkout', method: 'POST', route: '/orders', status: checkoutStatus, seconds: checkout },
      atMs,
      traceId,
    );
    observe(
      {
        job: 'frontend',
        method: 'POST',
        route: '/checkout',
        status: checkoutStatus === '201' ? '200' : checkoutStatus,
        seconds: checkout + 0.001,
      },
      atMs,
      traceId,
    );
  };

  const perPush = (rps * intervalMs) / 1000;
  let samples = 0;
  let exemplars = 0;
  let batch: MetricsBatch = { series: [], metadata: [] };
  const send = async () => {
    batch.metadata = [
      { metricFamilyName: DEMO_HISTOGRAM, type: 'histogram', help: 'Duration of HTTP server requests.', unit: '' },
    ] as MetricsBatch['metadata'];
    const res = await fetch(`${ingestUrl}/api/v1/write`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-protobuf',
        'Content-Encoding': 'snappy',
        'X-Prometheus-Remote-Write-Version': '0.1.0',
      },
      body: encodeWriteRequest(batch) as Uint8Array<ArrayBuffer>,
    });
    if (!res.ok) throw new Error(`remote-write: ${res.status} ${await res.text()}`);
    batch = { series: [], metadata: [] };
  };
  for (let t = startMs + intervalMs, push = 0; t <= endMs; t += intervalMs, push++) {
    for (let i = 0; i < perPush; i++) request(t - intervalMs + Math.floor(((i + random()) / perPush) * intervalMs));
    for (const s of state.values()) {
      const at = t as MetricsBatch['series'][number]['samples'][number]['timestampMs'];
      let cumulative = 0;
      for (let b = 0; b <= BUCKETS.length; b++) {
        cumulative += s.counts[b]!;
        const e = s.exemplars[b];
        const fresh = e?.fresh ? [e] : [];
        if (e) e.fresh = false;
        exemplars += fresh.length;
        batch.series.push({
          labels: {
            __name__: `${DEMO_HISTOGRAM}_bucket`,
            ...s.labels,
            le: b < BUCKETS.length ? String(BUCKETS[b]) : '+Inf',
          },
          samples: [{ timestampMs: at, value: cumulative }],
          exemplars: fresh.map((x) => ({
            labels: { trace_id: x.traceId, span_id: x.spanId },
            value: x.value,
            timestampMs: x.timestampMs,
            traceId: x.traceId,
            spanId: x.spanId,
          })),
        } as unknown as MetricsBatch['series'][number]);
      }
      batch.series.push({
        labels: { __name__: `${DEMO_HISTOGRAM}_count`, ...s.labels },
        samples: [{ timestampMs: at, value: s.count }],
        exemplars: [],
      });
      batch.series.push({
        labels: { __name__: `${DEMO_HISTOGRAM}_sum`, ...s.labels },
        samples: [{ timestampMs: at, value: s.sum }],
        exemplars: [],
      });
      samples += BUCKETS.length + 3;
    }
    if (push % 60 === 59) await send();
  }
  if (batch.series.length) await send();
  return { startMs, endMs, incidents, samples, exemplars };
}
