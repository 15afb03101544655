// Deterministic, realistic span payloads: traces of ~8 spans across a few services, with HTTP and
// database attributes, an occasional error with an exception event.
import { randomBytes } from 'node:crypto';
import type { ResourceSpans, Span, SpanId, TraceId, UnixNano } from '@pivot/model';

const SERVICES = ['frontend', 'checkout', 'inventory', 'pricing', 'payment'];
const ROUTES = ['/api/checkout', '/api/cart', '/api/items/:id', '/api/price', '/charge'];

export function makeRequests(requests: number, spansPerRequest: number, startNs: bigint): ResourceSpans[][] {
  const out: ResourceSpans[][] = [];
  let t = startNs;
  for (let r = 0; r < requests; r++) {
    const service = SERVICES[r % SERVICES.length]!;
    const spans: Span[] = [];
    let traceId = '' as TraceId;
    let root = '' as SpanId;
    for (let i = 0; i < spansPerRequest; i++) {
      if (i % 8 === 0) {
        traceId = randomBytes(16).toString('hex') as TraceId;
        root = randomBytes(8).toString('hex') as SpanId;
      }
      const isRoot = i % 8 === 0;
      const error = i % 97 === 0;
      t += 1_000_000n;
      spans.push({
        traceId,
        spanId: isRoot ? root : (randomBytes(8).toString('hex') as SpanId),
        parentSpanId: isRoot ? null : root,
        traceState: '',
        flags: 1,
        name: isRoot ? `GET ${ROUTES[i % ROUTES.length]}` : i % 2 ? 'SELECT orders' : 'POST /internal',
        kind: isRoot ? 2 : 3,
        startTimeUnixNano: t as UnixNano,
        endTimeUnixNano: (t + BigInt(1_000_000 + ((i * 7919) % 50_000_000))) as UnixNano,
        attributes: isRoot
          ? {
              'http.request.method': 'GET',
              'http.route': ROUTES[i % ROUTES.length]!,
              'http.response.status_code': error ? 500 : 200,
              'user.id': i,
              'url.scheme': 'http',
            }
          : {
              'db.system': 'postgresql',
              'db.query.text': 'SELECT * FROM orders WHERE id = $1',
              'server.address': 'db',
              'server.port': 5432,
            },
        droppedAttributesCount: 0,
        events: error
          ? [
              {
                timeUnixNano: t as UnixNano,
                name: 'exception',
                attributes: { 'exception.type': 'Error', 'exception.message': 'timeout' },
                droppedAttributesCount: 0,
              },
            ]
          : [],
        droppedEventsCount: 0,
        links: [],
        droppedLinksCount: 0,
        status: { code: error ? 2 : 0, message: error ? 'timeout' : '' },
      });
    }
    out.push([
      {
        resource: {
          attributes: { 'service.name': service, 'service.version': '1.0.0', 'host.name': `host-${r % 3}` },
          droppedAttributesCount: 0,
        },
        scopeSpans: [
          { scope: { name: '@opentelemetry/instrumentation-http', version: '0.200.0', attributes: {} }, spans },
        ],
      },
    ]);
  }
  return out;
}
