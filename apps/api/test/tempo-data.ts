// A deterministic set of traces for the Tempo API and TraceQL corpus tests: five services, every span
// kind and status, attributes of each type (string, int, float, bool, absent), a span attribute that
// shadows a resource attribute of the same name, traces without their root, and one trace that ends
// "now" (so the v2 trace answer says PARTIAL).
import {
  parseSpanId,
  parseTraceId,
  unixNano,
  type Attributes,
  type ResourceSpans,
  type Span,
  type SpanId,
  type TraceId,
} from '@pivot/model';
import { PartitionManager, SpanWriter, type Database } from '@pivot/store';

export const T0 = 1_795_554_618_000_000_000n;
export const TRACE_COUNT = 40;
const MS = 1_000_000n;

function mulberry32(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SERVICES: Record<string, Attributes> = {
  frontend: { 'deployment.environment': 'prod', 'host.name': 'web-1', shadow: 'resource' },
  checkout: { 'deployment.environment': 'prod', 'host.name': 'app-1' },
  payment: { 'deployment.environment': 'staging', 'host.name': 'app-2', 'service.version': 3 },
  inventory: { 'deployment.environment': 'prod', 'host.name': 'app-3', shadow: 'resource' },
  'db-proxy': { 'host.name': 'db-1' },
};
const ROUTES = ['/', '/cart', '/checkout', '/api/items/{id}', '/health'];
const NAMES = ['GET /', 'POST /checkout', 'charge', 'reserve', 'SELECT items', 'publish order', 'consume order'];

export interface Fixture {
  traceIds: TraceId[];
  recentTraceId: TraceId;
  recentStartNs: bigint;
}

export async function writeTempoFixture(db: Database, nowNs: bigint): Promise<Fixture> {
  const rnd = mulberry32(16);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const byService = new Map<string, Span[]>();
  const traceIds: TraceId[] = [];
  let spanSeq = 1;
  const add = (service: string, s: Span) => {
    const list = byService.get(service) ?? [];
    list.push(s);
    byService.set(service, list);
  };
  const makeTrace = (i: number, start: bigint, rootless: boolean): TraceId => {
    const traceId = parseTraceId((0xabc000 + i).toString(16).padStart(32, '0'))!;
    const spanCount = 2 + Math.floor(rnd() * 6);
    const ids: SpanId[] = [];
    for (let k = 0; k < spanCount; k++) {
      const spanId = parseSpanId((spanSeq++).toString(16).padStart(16, '0'))!;
      const root = k === 0;
      const parent = root ? (rootless ? parseSpanId('ffffffffffffff01')! : null) : pick(ids);
      ids.push(spanId);
      const service = root ? 'frontend' : pick(Object.keys(SERVICES));
      const dur = BigInt(1 + Math.floor(rnd() * 3000)) * MS;
      const offset = root ? 0n : BigInt(Math.floor(rnd() * 50)) * MS;
      const attributes: Attributes = {};
      if (rnd() < 0.8) attributes['http.method'] = pick(['GET', 'POST', 'PUT']);
      if (rnd() < 0.7) attributes['http.status_code'] = pick([200, 200, 201, 404, 500, 503]);
      if (rnd() < 0.6) attributes['http.route'] = pick(ROUTES);
      if (rnd() < 0.3) attributes.retry = rnd() < 0.5;
      if (rnd() < 0.3) attributes.ratio = pick([0.25, 0.5, 1.75]);
      if (rnd() < 0.4) attributes['user.id'] = Math.floor(rnd() * 100);
      if (rnd() < 0.3) attributes['db.system'] = pick(['postgresql', 'redis']);
      if (rnd() < 0.2) attributes.shadow = 'span';
      if (rnd() < 0.1) attributes['http.status_code'] = '500'; // the wrong type: a string
      const status = rnd();
      add(service, {
        traceId,
        spanId,
        parentSpanId: parent,
        traceState: '',
        flags: 1,
        name: root ? pick(NAMES.slice(0, 2)) : pick(NAMES),
        kind: root ? 2 : Math.floor(rnd() * 6),
        startTimeUnixNano: unixNano(start + offset),
        endTimeUnixNano: unixNano(start + offset + dur),
        attributes,
        droppedAttributesCount: 0,
        events: [],
        droppedEventsCount: 0,
        links: [],
        droppedLinksCount: 0,
        status:
          status < 0.2
            ? { code: 2, message: 'boom' }
            : status < 0.4
              ? { code: 1, message: '' }
              : { code: 0, message: '' },
      });
    }
    return traceId;
  };
  for (let i = 0; i < TRACE_COUNT; i++) traceIds.push(makeTrace(i, T0 + BigInt(i) * 10_000n * MS, i % 9 === 4));
  const recentStartNs = nowNs - 2_000n * MS;
  const recentTraceId = makeTrace(TRACE_COUNT, recentStartNs, false);
  const writer = new SpanWriter(db, new PartitionManager(db));
  const batch: ResourceSpans[] = [...byService].map(([service, spans]) => ({
    resource: { attributes: { 'service.name': service, ...SERVICES[service] }, droppedAttributesCount: 0 },
    scopeSpans: [{ scope: { name: 'tempo-test', version: '1.0.0', attributes: {} }, spans }],
  }));
  await writer.write(batch);
  await writer.close();
  return { traceIds, recentTraceId, recentStartNs };
}
