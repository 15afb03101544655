// The final decision on whether one span satisfies a filter. Storage may translate only part of a query
// to SQL (regexes are RE2, not PostgreSQL's dialect) and hand over a superset of candidates; this is
// the one place TraceQL semantics live, so SQL and this function cannot drift apart on what matches.
import type { Attributes, AttrValue } from '@pivot/model';
import { KIND_CODES, STATUS_CODES, type Comparison, type Expr, type Literal, type TraceQLQuery } from './ast.ts';
import { compileRegex } from './regex.ts';

/** What a filter can look at in one span: its own fields, its resource's, and its trace's summary. */
export interface SpanView {
  name: string;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  /** OTLP span kind number. */
  kind: number;
  durationNano: bigint;
  attributes: Attributes;
  resourceAttributes: Attributes;
  /** The resource's service.name as stored on the span (used when the resource attributes lack it). */
  serviceName: string;
  rootServiceName: string | null;
  rootName: string | null;
  traceDurationNano: bigint;
}

/** Whether the span satisfies the query's filter; `{}` matches every span. */
export function matchesSpan(query: TraceQLQuery, span: SpanView): boolean {
  return query.filter === null || evalExpr(query.filter, span);
}

function evalExpr(e: Expr, s: SpanView): boolean {
  if (e.type === 'compare') return evalComparison(e, s);
  return e.type === 'and' ? evalExpr(e.left, s) && evalExpr(e.right, s) : evalExpr(e.left, s) || evalExpr(e.right, s);
}

/** The attribute a field names, or undefined when the span has none (every comparison is then false). */
export function attributeValue(
  scope: 'span' | 'resource' | 'unscoped',
  name: string,
  s: Pick<SpanView, 'attributes' | 'resourceAttributes' | 'serviceName'>,
): AttrValue | undefined {
  const res = (): AttrValue | undefined =>
    Object.hasOwn(s.resourceAttributes, name)
      ? s.resourceAttributes[name]
      : name === 'service.name'
        ? s.serviceName
        : undefined;
  if (scope === 'span') return Object.hasOwn(s.attributes, name) ? s.attributes[name] : undefined;
  if (scope === 'resource') return res();
  // Unscoped: the span's attribute wins over the resource's (Tempo looks at the span first).
  return Object.hasOwn(s.attributes, name) ? s.attributes[name] : res();
}

function evalComparison(c: Comparison, s: SpanView): boolean {
  const f = c.field;
  if (f.type === 'intrinsic') {
    switch (f.name) {
      case 'name':
        return compareValue(s.name, c);
      case 'rootServiceName':
        return s.rootServiceName !== null && compareValue(s.rootServiceName, c);
      case 'rootName':
        return s.rootName !== null && compareValue(s.rootName, c);
      case 'status':
        return equality(s.statusCode === STATUS_CODES[(c.value as Literal & { type: 'status' }).value], c.op);
      case 'kind':
        return equality(s.kind === KIND_CODES[(c.value as Literal & { type: 'kind' }).value], c.op);
      case 'duration':
        return order(s.durationNano, (c.value as Literal & { type: 'duration' }).value, c.op);
      case 'traceDuration':
        return order(s.traceDurationNano, (c.value as Literal & { type: 'duration' }).value, c.op);
    }
  }
  const v = attributeValue(f.scope, f.name, s);
  if (v === undefined || v === null) return false;
  return compareValue(v, c);
}

const equality = (eq: boolean, op: string) => (op === '=' ? eq : !eq);

function order<T extends number | bigint | string>(a: T, b: T, op: string): boolean {
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
  }
  return false;
}

/**
 * A value against a literal of the same type; a value of another type (a number against "500", an
 * array, a map) never matches, not even `!=`, as in Tempo where an attribute of another type is absent.
 */
function compareValue(v: AttrValue, c: Comparison): boolean {
  const lit = c.value;
  if (c.op === '=~' || c.op === '!~') {
    if (typeof v !== 'string') return false;
    const m = compileRegex((lit as Literal & { type: 'string' }).value).matches(v);
    return c.op === '=~' ? m : !m;
  }
  if (lit.type === 'string') return typeof v === 'string' && order(v, lit.value, c.op);
  if (lit.type === 'number') return typeof v === 'number' && order(v, lit.value, c.op);
  if (lit.type === 'bool') return typeof v === 'boolean' && equality(v === lit.value, c.op);
  return false;
}
