// Traces from the captured exporter fixtures (checkout-api → payment-service, W3C traceparent), in
// protobuf, gzip'd protobuf and OTLP/JSON. Expected values were read off the raw bytes independently.
import { describe, expect, it } from 'vitest';
import type { ResourceSpans, Span } from '@pivot/model';
import { decodeExportTraceRequest, decodeExportTraceRequestJson, type DecodedTraces } from './index.ts';
import { fixture, fixtureText } from '../testing/fixtures.ts';

type Checkout = {
  file: string;
  decode: () => DecodedTraces;
  /** Per trace: [trace ID, "SELECT users" span, "POST payment-service /charge" span, root span]. */
  traces: [string, string, string, string][];
  rootTimes: [bigint, bigint];
  firstX: [string, string];
  lastX: [string, string];
};
type Payment = {
  file: string;
  decode: () => DecodedTraces;
  /** Per span: [trace ID, span ID, parent span ID]. */
  spans: [string, string, string][];
  firstTimes: [bigint, bigint];
  retryAt: bigint;
  exceptionAt: bigint;
};

const pb = (f: string) => () => decodeExportTraceRequest(fixture(f));
const js = (f: string) => () => decodeExportTraceRequestJson(fixtureText(f));

const CHECKOUT: Checkout[] = [
  {
    file: 'otlp-traces-02.pb',
    decode: pb('otlp-traces-02.pb'),
    traces: [
      ['e4bc196cd68f11b2effe2dbb2b74c424', '1c107fb1b6e5f703', '2546b91f9a7c5213', 'b9d8ddddeb30b0cd'],
      ['f5a1ed2415ad8f0a5dbe577b092db082', '0edf1eb47fbfe2f0', '4721de6c3ae8fe04', '02b88b47655bf2ec'],
      ['e62cf4dc26073b0d3029b3e09cf40f15', 'ebfb548e92ebf1cb', '50fa325310ce3fa5', 'ced5a76946c3848a'],
      ['d0a817dbe89cfd368067ab70d1c42f72', '508fc0029def8639', 'f9707e681629fae5', '9e0fab3ca33db06e'],
      ['9dd078ca9f3bdcd2c85de7956e715672', 'd406f6e45589d7df', '03531f05d49af904', '930770586bfbd627'],
    ],
    rootTimes: [1795554617710000000n, 1795554617713674415n],
    firstX: ['627bb274dd34a77eb724ed50cb80d076', '5845fa93002235a5'],
    lastX: ['c720f642f97e2c7cd8253fccdf0ec7fc', 'e609c841000f2aa2'],
  },
  {
    file: 'otlp-traces-07.json',
    decode: js('otlp-traces-07.json'),
    traces: [
      ['adab2fffcf82d6a7246ab88c7674413b', 'b5319bce5f4a0738', '6fc7690b18453c51', '63fc447231997fd9'],
      ['9fa916b8ff0db556037de2c75a8eb94d', '054d18b9c08f173e', 'b8102cfbb1d93392', '0852199dcb94fe69'],
      ['ef37547f3e9af590fa6bfe575b1e873f', '5f1d11fc923b952c', 'a76bb0d4042b4462', 'c93a02f819df5ce4'],
      ['7409c5f1e11e806d62bd75ef535e13a1', 'b3c40b049e594afd', 'dfaeade4aec97fde', '2f010ceea3998f11'],
      ['def05dd1fdfa6c68abd4a311e1ca656f', '8a3ebf801706e8f9', '6c7c27e21ca9e0cf', '21775ddb17171226'],
    ],
    rootTimes: [1795554618167000000n, 1795554618170596457n],
    firstX: ['a93fcb8dafa6384724e80221e23e9305', '4a8fb34f250ba8f3'],
    lastX: ['e2cdb0fc08062815221a7191542d60fc', '7cd09d90e0120741'],
  },
  {
    file: 'otlp-traces-12.pb.gzip',
    decode: pb('otlp-traces-12.pb.gzip'),
    traces: [
      ['61c0bcbd4541eab5247c52014db5ec59', '02a52ed6c252411a', 'c914e613e80395c6', '4162c7807e3b695a'],
      ['79581d3b8099c6e26f8fcf2cadd01085', '5cba513d84fcb4eb', 'df8ec80f35491edc', '6c4d9aea88cc4b90'],
      ['d62f315ec685cb8eccbcbdb823dbfe53', '11fe5dfdc88a7bf5', '5b1b8d0443e003a0', 'ae9fac90d7b8a9b8'],
      ['3f23bc759b95dfba406dafc97f2edd49', 'eead67a3c25cd0a7', '1133c07b5a741912', '7c53770379e78c36'],
      ['012b94be9ea4c16655dafb94a57d22dc', '146d55c98da5ea79', 'f55ce2d933e98496', '72ec4f232cbcd66c'],
    ],
    rootTimes: [1795554618609000000n, 1795554618612404621n],
    firstX: ['0b0d2acfdd0065c75fd6ab254c2c9964', '594bc88935b56761'],
    lastX: ['91bc888ec5b4e8e6371c22c6dae43850', 'f18a3a1a270c4291'],
  },
];

const PAYMENT: Payment[] = [
  {
    file: 'otlp-traces-03.pb',
    decode: pb('otlp-traces-03.pb'),
    spans: [
      ['e4bc196cd68f11b2effe2dbb2b74c424', 'b0ad221f11b79076', '2546b91f9a7c5213'],
      ['f5a1ed2415ad8f0a5dbe577b092db082', 'b764a595cd54b281', '4721de6c3ae8fe04'],
      ['e62cf4dc26073b0d3029b3e09cf40f15', '0a5f66940a15b021', '50fa325310ce3fa5'],
      ['d0a817dbe89cfd368067ab70d1c42f72', '5405ab76eb124952', 'f9707e681629fae5'],
      ['9dd078ca9f3bdcd2c85de7956e715672', '9b2fc2998abae98a', '03531f05d49af904'],
    ],
    firstTimes: [1795554617713000000n, 1795554617713721482n],
    retryAt: 1795554617716121021n,
    exceptionAt: 1795554617716444275n,
  },
  {
    file: 'otlp-traces-08.json',
    decode: js('otlp-traces-08.json'),
    spans: [
      ['adab2fffcf82d6a7246ab88c7674413b', '31df648cf76267bd', '6fc7690b18453c51'],
      ['9fa916b8ff0db556037de2c75a8eb94d', '17d7a03ca2a75009', 'b8102cfbb1d93392'],
      ['ef37547f3e9af590fa6bfe575b1e873f', '5c7ae1fe0454c2b8', 'a76bb0d4042b4462'],
      ['7409c5f1e11e806d62bd75ef535e13a1', 'e99caf31257204c4', 'dfaeade4aec97fde'],
      ['def05dd1fdfa6c68abd4a311e1ca656f', 'fb04bf17167625e3', '6c7c27e21ca9e0cf'],
    ],
    firstTimes: [1795554618170000000n, 1795554618170606092n],
    retryAt: 1795554618172144394n,
    exceptionAt: 1795554618172380093n,
  },
  {
    file: 'otlp-traces-13.pb.gzip',
    decode: pb('otlp-traces-13.pb.gzip'),
    spans: [
      ['61c0bcbd4541eab5247c52014db5ec59', '35b6d6292ccc3be2', 'c914e613e80395c6'],
      ['79581d3b8099c6e26f8fcf2cadd01085', '43846152a502fba7', 'df8ec80f35491edc'],
      ['d62f315ec685cb8eccbcbdb823dbfe53', 'e3228bf71e9c3f7c', '5b1b8d0443e003a0'],
      ['3f23bc759b95dfba406dafc97f2edd49', '8b0fc980685b5772', '1133c07b5a741912'],
      ['012b94be9ea4c16655dafb94a57d22dc', 'c1ee920edc32705c', 'f55ce2d933e98496'],
    ],
    firstTimes: [1795554618611000000n, 1795554618611509288n],
    retryAt: 1795554618614133874n,
    exceptionAt: 1795554618614385121n,
  },
];

const spansOf = (d: DecodedTraces): Span[] => d.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));

describe.each(CHECKOUT)('checkout-api fixture $file', (f) => {
  const d = f.decode();
  const spans = spansOf(d);

  it('has one resource, one scope and 65 spans, all accepted', () => {
    expect(d.resourceSpans).toHaveLength(1);
    expect(d.resourceSpans[0]!.scopeSpans).toHaveLength(1);
    expect(spans).toHaveLength(65);
    expect(d).toMatchObject({ accepted: 65, rejected: 0, message: '' });
  });

  it('decodes the resource and scope', () => {
    const rs = d.resourceSpans[0]!;
    expect(rs.resource).toEqual({
      attributes: { 'service.name': 'checkout-api', 'service.version': '2.0.1', 'host.name': 'node-7' },
      droppedAttributesCount: 0,
    });
    expect(rs.scopeSpans[0]!.scope).toEqual({ name: 'checkout', version: '', attributes: {} });
  });

  it('decodes each request trace as SELECT + client POST under a server root', () => {
    f.traces.forEach(([traceId, select, post, root], i) => {
      const [s, p, r] = spans.slice(i * 3, i * 3 + 3);
      expect(s).toMatchObject({
        traceId,
        spanId: select,
        parentSpanId: root,
        name: 'SELECT users',
        kind: 3,
        flags: 257,
      });
      expect(s!.attributes).toEqual({
        'db.system': 'postgresql',
        'db.query.text': 'SELECT * FROM users WHERE id = $1',
      });
      expect(p).toMatchObject({
        traceId,
        spanId: post,
        parentSpanId: root,
        name: 'POST payment-service /charge',
        kind: 3,
      });
      expect(p!.attributes).toEqual({ 'server.address': 'payment-service' });
      expect(r).toMatchObject({
        traceId,
        spanId: root,
        parentSpanId: null,
        name: 'GET /api/checkout',
        kind: 2,
        flags: 257,
      });
      expect(r!.attributes).toEqual({
        'http.request.method': 'GET',
        'http.route': '/api/checkout',
        'http.response.status_code': i === 4 ? 500 : 200,
        'user.id': 1000 + i,
      });
      // The fifth checkout fails: ERROR without a message on the root, UNSET on the children.
      expect(r!.status).toEqual({ code: i === 4 ? 2 : 1, message: '' });
      expect(s!.status).toEqual({ code: 0, message: '' });
      expect([s, p, r].every((x) => x!.events.length === 0 && x!.links.length === 0)).toBe(true);
    });
    const root0 = spans[2]!;
    expect([root0.startTimeUnixNano, root0.endTimeUnixNano]).toEqual(f.rootTimes);
  });

  it('decodes the 50 internal root spans named x', () => {
    const xs = spans.slice(15);
    expect(xs).toHaveLength(50);
    expect(xs.every((s) => s.name === 'x' && s.kind === 1 && s.parentSpanId === null && s.flags === 257)).toBe(true);
    expect(xs.every((s) => Object.keys(s.attributes).length === 0 && s.status.code === 0)).toBe(true);
    expect([xs[0]!.traceId, xs[0]!.spanId]).toEqual(f.firstX);
    expect([xs[49]!.traceId, xs[49]!.spanId]).toEqual(f.lastX);
    expect(new Set(xs.map((s) => s.traceId)).size).toBe(50);
  });
});

describe.each(PAYMENT)('payment-service fixture $file', (f) => {
  const d = f.decode();
  const spans = spansOf(d);

  it('has one resource, one scope and five server spans', () => {
    expect(d).toMatchObject({ accepted: 5, rejected: 0, message: '' });
    expect(d.resourceSpans[0]!.resource.attributes).toEqual({
      'service.name': 'payment-service',
      'service.version': '2.0.1',
      'host.name': 'node-7',
    });
    expect(d.resourceSpans[0]!.scopeSpans.map((s) => s.scope.name)).toEqual(['payment']);
    expect(spans.map((s) => [s.traceId, s.spanId, s.parentSpanId])).toEqual(f.spans);
    expect(spans.every((s) => s.name === 'POST /charge' && s.kind === 2 && s.flags === 769)).toBe(true);
    expect([spans[0]!.startTimeUnixNano, spans[0]!.endTimeUnixNano]).toEqual(f.firstTimes);
  });

  it('carries the propagated traceparent that matches its own parent link', () => {
    for (const s of spans) {
      expect(s.attributes).toEqual({
        'http.route': '/charge',
        'messaging.note': `00-${s.traceId}-${s.parentSpanId}-01`,
      });
    }
  });

  it('decodes the retry and exception events and the error status of the failed charge', () => {
    const failed = spans[4]!;
    expect(failed.status).toEqual({ code: 2, message: 'card processor timeout' });
    expect(failed.events.map((e) => [e.name, e.timeUnixNano])).toEqual([
      ['retry', f.retryAt],
      ['exception', f.exceptionAt],
    ]);
    expect(failed.events[0]!.attributes).toEqual({ 'retry.attempt': 1 });
    const ex = failed.events[1]!.attributes;
    expect(ex['exception.type']).toBe('Error');
    expect(ex['exception.message']).toBe('card processor timeout');
    expect(ex['exception.stacktrace']).toMatch(
      /^Error: card processor timeout\n {4}at file:\/\/\/tmp\/eval\/emit2\.mjs:35:87\n/,
    );
    expect(spans.slice(0, 4).every((s) => s.events.length === 0 && s.status.code === 0)).toBe(true);
  });
});

describe('cross-service trace links', () => {
  it.each([
    [0, 0],
    [1, 1],
    [2, 2],
  ])('payment spans of fixture pair %i hang off the checkout client spans sent in another request', (ci, pi) => {
    const checkout = spansOf(CHECKOUT[ci]!.decode());
    const payment = spansOf(PAYMENT[pi]!.decode());
    for (const p of payment) {
      const parent = checkout.find((c) => c.spanId === p.parentSpanId);
      expect(parent).toBeDefined();
      expect(parent!.traceId).toBe(p.traceId);
      expect(parent!.name).toBe('POST payment-service /charge');
    }
  });
});

/** Everything but IDs, times and the traceparent echo: what a protobuf and a JSON capture must agree on. */
function shape(rs: ResourceSpans[]): unknown {
  return rs.map((r) => ({
    resource: r.resource,
    scopes: r.scopeSpans.map((s) => {
      const index = new Map(s.spans.map((sp, i) => [sp.spanId, i]));
      return {
        scope: s.scope,
        spans: s.spans.map((sp) => {
          const attributes = { ...sp.attributes };
          delete attributes['messaging.note'];
          return {
            name: sp.name,
            kind: sp.kind,
            flags: sp.flags,
            parent: sp.parentSpanId === null ? null : (index.get(sp.parentSpanId) ?? 'remote'),
            attributes,
            events: sp.events.map((e) => ({ name: e.name, attributes: e.attributes })),
            links: sp.links.length,
            status: sp.status,
            dropped: [sp.droppedAttributesCount, sp.droppedEventsCount, sp.droppedLinksCount],
          };
        }),
      };
    }),
  }));
}

describe('protobuf and JSON captures of the same workload', () => {
  it('decode to the same model shape (checkout-api)', () => {
    const [a, b, c] = CHECKOUT.map((f) => shape(f.decode().resourceSpans));
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });
  it('decode to the same model shape (payment-service)', () => {
    const [a, b, c] = PAYMENT.map((f) => shape(f.decode().resourceSpans));
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });
  it('accepts a Uint8Array JSON body like a string one', () => {
    const text = fixtureText('otlp-traces-08.json');
    expect(decodeExportTraceRequestJson(new TextEncoder().encode(text))).toEqual(decodeExportTraceRequestJson(text));
  });
});
