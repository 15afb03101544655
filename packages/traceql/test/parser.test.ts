import { describe, expect, it } from 'vitest';
import { matchesSpan, parse, type SpanView, type TraceQLQuery } from '../src/index.ts';

function ok(q: string): TraceQLQuery {
  const r = parse(q);
  if (!r.ok) throw new Error(`${q}: ${r.error.message}`);
  return r.query;
}
function err(q: string) {
  const r = parse(q);
  if (r.ok) throw new Error(`${q}: parsed, expected an error`);
  return r.error;
}

describe('parse', () => {
  it('reads what Grafana’s search builder writes (generateQueryFromFilters in SearchTraceQLEditor/utils.ts)', () => {
    // Filters joined by ' && ' inside one {}, no spaces around operators, intrinsics unscoped.
    expect(ok('{resource.service.name="checkout" && name="GET /cart" && duration>100ms}').filter).toEqual({
      type: 'and',
      left: {
        type: 'and',
        left: {
          type: 'compare',
          field: { type: 'attribute', scope: 'resource', name: 'service.name' },
          op: '=',
          value: { type: 'string', value: 'checkout' },
          pos: 1,
        },
        right: {
          type: 'compare',
          field: { type: 'intrinsic', name: 'name' },
          op: '=',
          value: { type: 'string', value: 'GET /cart' },
          pos: 37,
        },
      },
      right: {
        type: 'compare',
        field: { type: 'intrinsic', name: 'duration' },
        op: '>',
        value: { type: 'duration', value: 100_000_000n },
        pos: 57,
      },
    });
    expect(ok('{}').filter).toBeNull();
    expect(ok('{ .http.status_code>=500 }').filter).toMatchObject({
      field: { scope: 'unscoped', name: 'http.status_code' },
      value: { type: 'number', value: 500 },
    });
    expect(ok('{span.http.method=~"GET|POST"}').filter).toMatchObject({ op: '=~' });
    expect(ok('{status=error}').filter).toMatchObject({ value: { type: 'status', value: 'error' } });
    expect(ok('{kind=server}').filter).toMatchObject({ value: { type: 'kind', value: 'server' } });
    expect(ok('{ span:duration > 1.5s }').filter).toMatchObject({ value: { value: 1_500_000_000n } });
    expect(ok('{ rootServiceName = "a" || (rootName != "b" && traceDuration <= 2m) }').filter).toMatchObject({
      type: 'or',
      right: { type: 'and' },
    });
    expect(ok('{ span."with space" = `raw\\s` }').filter).toMatchObject({
      field: { name: 'with space' },
      value: { value: 'raw\\s' },
    });
    expect(ok('{ .retry = -1 && span.ok = true }').filter).toMatchObject({
      left: { value: { value: -1 } },
      right: { value: { type: 'bool', value: true } },
    });
  });

  it('binds && tighter than ||', () => {
    expect(ok('{ .a = 1 || .b = 2 && .c = 3 }').filter).toMatchObject({ type: 'or', right: { type: 'and' } });
  });

  it.each([
    ['{ .a = 1 } | count() > 2', 'unsupported', 'pipeline', 11],
    ['{ .a = 1 } && { .b = 2 }', 'unsupported', 'spanset operator "&&"', 11],
    ['{ .a = 1 } >> { .b = 2 }', 'unsupported', 'spanset operator ">>"', 11],
    ['({ .a = 1 })', 'unsupported', 'parenthesised', 0],
    ['{ event.name = "x" }', 'unsupported', 'scope "event."', 2],
    ['{ statusMessage = "x" }', 'unsupported', 'intrinsic "statusMessage"', 2],
    ['{ .a = nil }', 'unsupported', 'nil', 7],
    ['{ !(.a = 1) }', 'unsupported', 'negation', 2],
    ['{ .a = .b }', 'unsupported', 'comparing two fields', 7],
    ['{ .a }', 'unsupported', 'bare field', 5],
    ['{ .a + 1 = 2 }', 'unsupported', 'arithmetic', 5],
    ['{ duration > 5 }', 'type', 'duration', 2],
    ['{ status > error }', 'type', 'only = and !=', 9],
    ['{ name = 5 }', 'type', 'string', 2],
    ['{ .a =~ 5 }', 'type', 'regex', 2],
    ['{ .a =~ "(" }', 'syntax', 'missing closing )', 7],
    ['{ .a = "x }', 'syntax', 'unterminated', 7],
    ['{ .a = 1', 'syntax', 'expected "&&", "||" or "}"', 8],
    ['', 'syntax', 'empty query', 0],
    ['{ foo = 1 }', 'syntax', 'unknown field "foo"', 2],
    ['{ .a = 1 } extra', 'syntax', 'unexpected', 11],
  ])('refuses %s naming the construct', (q, kind, text, pos) => {
    const e = err(q);
    expect(e.kind).toBe(kind);
    expect(e.message).toContain(text);
    expect(e.pos).toBe(pos);
  });
});

const span = (over: Partial<SpanView> = {}): SpanView => ({
  name: 'GET /cart',
  statusCode: 2,
  kind: 2,
  durationNano: 150_000_000n,
  attributes: { 'http.method': 'GET', 'http.status_code': 503, retry: true, shadow: 'span' },
  resourceAttributes: { 'service.name': 'checkout', shadow: 'resource', 'deployment.environment': 'prod' },
  serviceName: 'checkout',
  rootServiceName: 'frontend',
  rootName: 'GET /',
  traceDurationNano: 2_000_000_000n,
  ...over,
});

describe('matchesSpan', () => {
  it.each([
    ['{}', true],
    ['{ name = "GET /cart" }', true],
    ['{ name =~ "GET.*" }', true],
    ['{ name =~ "GET" }', false], // anchored, as Tempo does
    ['{ name !~ "POST.*" }', true],
    ['{ status = error }', true],
    ['{ status != error }', false],
    ['{ kind = server }', true],
    ['{ kind = client }', false],
    ['{ duration > 100ms }', true],
    ['{ duration >= 150ms && duration <= 150ms }', true],
    ['{ duration < 150ms }', false],
    ['{ traceDuration > 1s }', true],
    ['{ rootServiceName = "frontend" }', true],
    ['{ rootName = "GET /" }', true],
    ['{ span.http.status_code >= 500 }', true],
    ['{ span.http.status_code = "503" }', false], // a number is not a string
    ['{ span.http.status_code != "503" }', false], // nor unequal to one
    ['{ span.missing != "x" }', false], // absent attributes match nothing
    ['{ span.retry = true }', true],
    ['{ resource.service.name = "checkout" }', true],
    ['{ resource.service.name = "checkout" }', true],
    ['{ span.service.name = "checkout" }', false],
    ['{ .shadow = "span" }', true], // the span's attribute wins
    ['{ .deployment.environment = "prod" }', true], // else the resource's
    ['{ .http.method = "POST" || .http.method = "GET" }', true],
    ['{ .http.method = "POST" && .http.method = "GET" }', false],
    ['{ (.http.method = "POST" || kind = server) && status = error }', true],
    ['{ .http.method > "F" && .http.method < "H" }', true],
  ])('%s → %s', (q, want) => {
    expect(matchesSpan(ok(q), span())).toBe(want);
  });

  it('uses the span’s service when the resource attributes lack service.name', () => {
    expect(matchesSpan(ok('{ resource.service.name = "x" }'), span({ resourceAttributes: {}, serviceName: 'x' }))).toBe(
      true,
    );
  });

  it('treats a trace without a root as matching no root condition', () => {
    expect(matchesSpan(ok('{ rootServiceName != "a" }'), span({ rootServiceName: null }))).toBe(false);
  });
});
