// Logs for the Loki API suites: several services and resources, every severity band, plain, logfmt and
// JSON bodies, records with and without trace IDs, and attributes of each type.
import {
  parseTraceId,
  unixNano,
  type Attributes,
  type AttrValue,
  type LogRecord,
  type ResourceLogs,
} from '@pivot/model';

export const T0 = 1_795_554_600_000_000_000n;
export const SEC = 1_000_000_000n;
export const TRACE_A = parseTraceId('4bf92f3577b34da6a3ce929d0e0e4736')!;
export const TRACE_B = parseTraceId('0af7651916cd43dd8448eb211c80319c')!;
export const SPAN_A = '00f067aa0ba902b7';

function rec(offSec: number, severityNumber: number, body: AttrValue, o: Partial<LogRecord> = {}): LogRecord {
  const t = unixNano(T0 + BigInt(offSec) * SEC);
  return {
    timeUnixNano: t,
    observedTimeUnixNano: t,
    severityNumber,
    severityText: '',
    body,
    attributes: {},
    droppedAttributesCount: 0,
    flags: 0,
    traceId: null,
    spanId: null,
    eventName: '',
    ...o,
  };
}
const rl = (attrs: Attributes, records: LogRecord[]): ResourceLogs => ({
  resource: { attributes: attrs, droppedAttributesCount: 0 },
  scopeLogs: [{ scope: { name: 'app', version: '1', attributes: {} }, logRecords: records }],
});

export const LOKI_FIXTURE: ResourceLogs[] = [
  rl({ 'service.name': 'checkout', 'deployment.environment': 'prod', 'k8s.pod.name': 'checkout-1' }, [
    rec(5, 9, 'order ORD-1001 placed', {
      traceId: TRACE_A,
      spanId: SPAN_A as never,
      attributes: { 'http.route': '/checkout', 'user.id': 42 },
    }),
    rec(12, 17, 'payment failed for ORD-1001: card declined', {
      traceId: TRACE_A,
      attributes: { 'http.route': '/pay' },
    }),
    rec(20, 9, 'level=info msg="cache miss" status=200 latency=12', { attributes: { 'http.route': '/checkout' } }),
    rec(33, 13, 'level=warn msg="slow upstream" status=504 latency=2300'),
    rec(47, 9, { msg: 'audit', status: 201, user: { id: 7, admin: false } }),
    rec(61, 17, { msg: 'checkout failed', status: 500, error: 'timeout', trace: TRACE_B }),
    rec(75, 5, 'GET /health 200'),
    rec(90, 9, `retrying order ORD-1002 trace=${TRACE_B}`),
    rec(118, 21, 'fatal: out of memory'),
    rec(140, 9, 'status=abc msg="not a number"'),
  ]),
  rl({ 'service.name': 'checkout', 'deployment.environment': 'dev', 'k8s.pod.name': 'checkout-dev' }, [
    rec(8, 9, 'order ORD-2001 placed'),
    rec(44, 1, 'trace: entering handler'),
    rec(95, 17, 'payment failed for ORD-2001: insufficient funds', { traceId: TRACE_B }),
  ]),
  rl({ 'service.name': 'payments', 'deployment.environment': 'prod' }, [
    rec(13, 17, 'card declined by issuer (code 51)', { traceId: TRACE_A, attributes: { code: 51 } }),
    rec(30, 9, { msg: 'charge ok', amount: 12.5, currency: 'EUR' }, { traceId: TRACE_B }),
    rec(58, 13, 'level=warn msg="retry budget low" remaining=2'),
    rec(99, 9, 'GET /health 200'),
    rec(130, 0, 'no severity given'),
  ]),
  rl({ 'service.name': 'inventory', 'deployment.environment': 'prod', 'k8s.pod.name': 'inventory-0' }, [
    rec(15, 9, 'reserved 3 items for ORD-1001'),
    rec(50, 5, { msg: 'stock level', sku: 'A-1', count: 0 }),
    rec(70, 17, 'Error: ORD-1002 not found'),
    rec(110, 9, 'released reservation for ORD-1001'),
  ]),
];

/** The range the fixture covers: [T0, T0 + 3 min). */
export const FIXTURE_START = T0;
export const FIXTURE_END = T0 + 180n * SEC;
