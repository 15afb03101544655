// The HTTP API Grafana's Tempo data source calls, mounted at /tempo (data source URL http://HOST:8080/tempo).
// What Grafana sends, and what it parses, follows its source:
// - trace by ID: grafana/grafana pkg/tsdb/tempo/trace.go (createRequest: GET {url}/api/traces/{id}?start&end with
//   `Accept: application/protobuf`, body read with ptrace.ProtoUnmarshaler, i.e. OTLP TracesData) and the
//   v2 path /api/v2/traces/{id}, whose body is tempopb.TraceByIDResponse { Trace trace = 1; … status = 3 }
//   (grafana/tempo pkg/tempopb/tempo.proto); tempopb.Trace is field 1 = repeated ResourceSpans, wire-identical
//   to TracesData.
// - search: public/app/plugins/datasource/tempo/datasource.ts (`_request('/api/search', { q, limit, spss,
//   start: range.from.unix(), end: range.to.unix() })`, answer read by formatTraceQLResponse from
//   `traces[].spanSets`), the query built by SearchTraceQLEditor/utils.ts generateQueryFromFilters.
// - tags: language_provider.ts (`/api/v2/search/tags` → `scopes[].tags`, `/api/v2/search/tag/{tag}/values`
//   → `tagValues[{type, value}]`, each with `q` when a query narrows the values).
import { Hono, type Context } from 'hono';
import {
  parseTraceId,
  unixNano,
  type AttrValue,
  type Attributes,
  type ResourceSpans,
  type Span,
  type TraceId,
  type UnixNano,
} from '@pivot/model';
import { encodeTracesData, keyValuesJson, tracesDataJson } from '@pivot/otlp';
import { Writer } from '@pivot/protobuf';
import {
  INTRINSIC_TAGS,
  type MatchedSpan,
  type StoredSpan,
  type TraceQLMatch,
  type TraceQLQueries,
  type TraceQueries,
} from '@pivot/store';
import {
  attributeValue,
  parse,
  type AttributeScope,
  type Comparison,
  type Expr,
  type TraceQLQuery,
} from '@pivot/traceql';
import { badRequest, notFound, type AppEnv } from '@pivot/server-kit';
import { parseLimit, parseTimeNs } from './params.ts';

export interface TempoDeps {
  traces: TraceQueries;
  traceql: TraceQLQueries;
  /**
   * A trace whose last span ended less than this long ago may still be receiving spans: the v2 answer
   * says PARTIAL, so Grafana knows to look again. Default 30 s (ingest batches flush within seconds).
   */
  partialWindowNs?: bigint;
  now?: () => bigint;
}

/** What Tempo itself shows for a trace whose root span has not arrived (tempo pkg/traceql). */
const NO_ROOT = '<root span not yet received>';
const DEFAULT_SEARCH_LIMIT = 20;
const DEFAULT_SPSS = 3;
const PROTOBUF = 'application/protobuf';

/** Tempo accepts trace IDs shorter than 32 hex digits (64-bit Jaeger IDs) and left-pads them. */
function tempoTraceId(raw: string): TraceId {
  const id = /^[0-9a-fA-F]{1,32}$/.test(raw) ? parseTraceId(raw.padStart(32, '0')) : null;
  if (!id) throw badRequest(`trace ID "${raw.slice(0, 64)}" is not 1 to 32 hex digits (and not all zero)`);
  return id;
}

/** Parses `q`, answering 400 with the parser's message (it names the construct and its position). */
export function parseTraceQL(name: string, raw: string): TraceQLQuery {
  const r = parse(raw);
  if (!r.ok) throw badRequest(`${name}: ${r.error.message}`);
  return r.query;
}

/**
 * Stored spans grouped back into ResourceSpans/ScopeSpans. Every resource carries service.name: Grafana
 * drops a ResourceSpans without resource attributes, and spans always know their service.
 */
export function toResourceSpans(spans: StoredSpan[]): ResourceSpans[] {
  const byResource = new Map<string, { rs: ResourceSpans; scopes: Map<string, Span[]> }>();
  for (const s of spans) {
    const attrs: Attributes = { ...s.resource.attributes };
    if (typeof attrs['service.name'] !== 'string') attrs['service.name'] = s.service;
    const rkey = JSON.stringify([attrs, s.resource.droppedAttributesCount]);
    let r = byResource.get(rkey);
    if (!r) {
      r = {
        rs: {
          resource: { attributes: attrs, droppedAttributesCount: s.resource.droppedAttributesCount },
          scopeSpans: [],
        },
        scopes: new Map(),
      };
      byResource.set(rkey, r);
    }
    const skey = JSON.stringify(s.scope);
    let list = r.scopes.get(skey);
    if (!list) {
      list = [];
      r.scopes.set(skey, list);
      r.rs.scopeSpans.push({ scope: s.scope, spans: list });
    }
    list.push({
      traceId: s.traceId,
      spanId: s.spanId,
      parentSpanId: s.parentSpanId,
      traceState: s.traceState,
      flags: s.flags,
      name: s.name,
      kind: s.kind,
      startTimeUnixNano: s.startTimeUnixNano,
      endTimeUnixNano: unixNano(s.startTimeUnixNano + s.durationNano),
      attributes: s.attributes,
      droppedAttributesCount: s.droppedAttributesCount,
      events: s.events.map((e) => ({ ...e, timeUnixNano: unixNano(BigInt(e.timeUnixNano)) })),
      droppedEventsCount: s.droppedEventsCount,
      links: s.links.map((l) => ({ ...l })),
      droppedLinksCount: s.droppedLinksCount,
      status: s.status,
    });
  }
  return [...byResource.values()].map((r) => r.rs);
}

/** Hono's body type wants an ArrayBuffer-backed view; the Writer's buffer always is one. */
const asBody = (b: Uint8Array) => new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength);

function wantsProtobuf(c: Context): boolean {
  return (c.req.header('accept') ?? '').includes(PROTOBUF);
}

function optionalTime(c: Context, name: string): UnixNano | undefined {
  const raw = c.req.query(name);
  // Grafana sends 0 when the range is unknown (trace.go: `if start == 0 || end == 0`).
  return raw === undefined || raw === '' || raw === '0' ? undefined : parseTimeNs(name, raw);
}

/** The attribute fields a query names, so matched spans show the values that made them match. */
function queriedAttributes(e: Expr | null, out: Comparison['field'][] = []): Comparison['field'][] {
  if (!e) return out;
  if (e.type === 'compare') {
    if (e.field.type === 'attribute') out.push(e.field);
  } else {
    queriedAttributes(e.left, out);
    queriedAttributes(e.right, out);
  }
  return out;
}

function spanSetSpan(s: MatchedSpan, fields: Comparison['field'][]) {
  const attrs: Attributes = {};
  const view = { attributes: s.attributes, resourceAttributes: s.resourceAttributes, serviceName: s.service };
  attrs['service.name'] = attributeValue('resource', 'service.name', view) ?? s.service;
  for (const f of fields) {
    if (f.type !== 'attribute') continue;
    const v = attributeValue(f.scope, f.name, view);
    if (v !== undefined) attrs[f.name] = v;
  }
  return {
    spanID: s.spanId,
    name: s.name,
    startTimeUnixNano: s.startTimeUnixNano.toString(),
    durationNanos: s.durationNano.toString(),
    attributes: keyValuesJson(attrs),
  };
}

/** One trace in Tempo's search answer (tempopb.TraceSearchMetadata in its JSON form). */
function searchTrace(m: TraceQLMatch, fields: Comparison['field'][]) {
  const spanSet = { spans: m.spans.map((s) => spanSetSpan(s, fields)), matched: m.matched };
  return {
    traceID: m.summary.traceId,
    rootServiceName: m.summary.rootService ?? NO_ROOT,
    rootTraceName: m.summary.rootName ?? '',
    startTimeUnixNano: m.summary.startTimeUnixNano.toString(),
    durationMs: Number(m.summary.durationNano / 1_000_000n),
    spanSet,
    spanSets: [spanSet],
  };
}

/** `resource.x`, `span.x`, `.x` or an intrinsic, as the values path names a tag. */
function parseTagName(raw: string): { scope: AttributeScope; name: string } | { intrinsic: string } {
  const intrinsic = raw.replace(/^(span|trace):/, (_m, p: string) => (p === 'trace' ? 'trace:' : ''));
  const aliases: Record<string, string> = {
    'trace:rootService': 'rootServiceName',
    'trace:rootName': 'rootName',
    'trace:duration': 'traceDuration',
  };
  const name = aliases[intrinsic] ?? intrinsic;
  if (INTRINSIC_TAGS.includes(name)) return { intrinsic: name };
  for (const [prefix, scope] of [
    ['resource.', 'resource'],
    ['span.', 'span'],
    ['.', 'unscoped'],
  ] as const)
    if (raw.startsWith(prefix) && raw.length > prefix.length) return { scope, name: raw.slice(prefix.length) };
  // Tempo's v1 tag API takes bare names; they are unscoped.
  if (raw && !raw.includes(':')) return { scope: 'unscoped', name: raw };
  throw badRequest(
    `tag "${raw.slice(0, 100)}": expected resource.x, span.x, .x or an intrinsic (${INTRINSIC_TAGS.join(', ')})`,
  );
}

/** Tempo's value types (tempopb.TagValue.type): Grafana quotes "string" values when it builds a query. */
function tagValue(v: AttrValue): { type: string; value: string } {
  if (typeof v === 'number') return { type: Number.isInteger(v) ? 'int' : 'float', value: String(v) };
  if (typeof v === 'boolean') return { type: 'bool', value: String(v) };
  return { type: 'string', value: typeof v === 'string' ? v : JSON.stringify(v) };
}

export function tempoRoutes(deps: TempoDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const now = deps.now ?? (() => BigInt(Date.now()) * 1_000_000n);
  const partialWindow = deps.partialWindowNs ?? 30_000_000_000n;

  // Grafana's health check (tempo datasource testDatasource: GET /api/echo, any 200).
  app.get('/api/echo', (c) => c.text('echo'));
  app.get('/ready', (c) => c.text('ready'));
  // The data source reads a version at start-up to enable features by Tempo release (datasource.ts
  // featuresToTempoVersion: search streaming from 2.2.0, metrics streaming from 2.7.0) and assumes
  // 2.1.0 when this fails. pivot serves neither gRPC stream, so it says 2.1.0 itself.
  app.get('/api/status/buildinfo', (c) =>
    c.json({ version: '2.1.0', revision: 'pivot', branch: 'pivot', buildUser: '', buildDate: '', goVersion: '' }),
  );

  const loadTrace = async (c: Context) => {
    const traceId = tempoTraceId(c.req.param('traceId') ?? '');
    // start/end narrow Tempo's block search; the trace summary finds the partitions here, so they are
    // only checked for form.
    optionalTime(c, 'start');
    optionalTime(c, 'end');
    const t = await deps.traces.getTrace(traceId);
    if (!t) throw notFound(`trace not found: ${traceId}`);
    return t;
  };

  app.get('/api/traces/:traceId', async (c) => {
    const t = await loadTrace(c);
    const rs = toResourceSpans(t.spans);
    if (wantsProtobuf(c)) return c.body(asBody(encodeTracesData(rs)), 200, { 'content-type': PROTOBUF });
    // Tempo's v1 JSON names the list "batches".
    return c.json({ batches: tracesDataJson(rs) });
  });

  app.get('/api/v2/traces/:traceId', async (c) => {
    const t = await loadTrace(c);
    const rs = toResourceSpans(t.spans);
    const partial = t.summary.endTimeUnixNano > now() - partialWindow;
    if (wantsProtobuf(c)) {
      const w = new Writer();
      w.tag(1, 2).bytes(encodeTracesData(rs));
      if (partial) w.tag(3, 0).uint32(1); // PartialStatus PARTIAL = 1; COMPLETE = 0 is the default
      return c.body(asBody(w.finish()), 200, { 'content-type': PROTOBUF });
    }
    return c.json({ trace: { resourceSpans: tracesDataJson(rs) }, status: partial ? 'PARTIAL' : 'COMPLETE' });
  });

  app.get('/api/search', async (c) => {
    const q = c.req.query();
    if (q.q === undefined && (q.tags || q.minDuration || q.maxDuration))
      throw badRequest('tags/minDuration/maxDuration search is not supported: send a TraceQL query in q');
    const query = parseTraceQL('q', q.q ?? '{}');
    const limit = parseLimit(q.limit, DEFAULT_SEARCH_LIMIT, 1000);
    const spss = parseLimit(q.spss, DEFAULT_SPSS, 1000);
    const matches = await deps.traceql.search({
      query,
      startNs: optionalTime(c, 'start'),
      endNs: optionalTime(c, 'end'),
      limit,
      spansPerSet: spss,
    });
    const fields = queriedAttributes(query.filter);
    return c.json({
      traces: matches.map((m) => searchTrace(m, fields)),
      metrics: { inspectedTraces: matches.length, completedJobs: 1, totalJobs: 1 },
    });
  });

  const range = (c: Context) => {
    const r: { startNs?: UnixNano; endNs?: UnixNano } = {};
    const s = optionalTime(c, 'start');
    const e = optionalTime(c, 'end');
    if (s !== undefined) r.startNs = s;
    if (e !== undefined) r.endNs = e;
    return r;
  };

  app.get('/api/v2/search/tags', async (c) => {
    const scope = c.req.query('scope') || 'all';
    if (!['all', 'none', 'span', 'resource', 'intrinsic'].includes(scope))
      throw badRequest(`scope: expected span, resource, intrinsic or all, got "${scope.slice(0, 50)}"`);
    const names = await deps.traceql.tagNames(range(c));
    const scopes = [
      { name: 'span', tags: names.span },
      { name: 'resource', tags: names.resource },
      { name: 'intrinsic', tags: INTRINSIC_TAGS },
    ].filter((s) => scope === 'all' || scope === 'none' || s.name === scope);
    return c.json({ scopes });
  });

  // Tempo's v1 tags: one flat list of names.
  app.get('/api/search/tags', async (c) => {
    const names = await deps.traceql.tagNames(range(c));
    return c.json({ tagNames: [...new Set([...names.span, ...names.resource])].sort() });
  });

  const values = async (c: Context): Promise<{ type: string; value: string }[]> => {
    const tag = parseTagName(c.req.param('tag') ?? '');
    const q = c.req.query('q');
    const filter = q ? parseTraceQL('q', q) : null;
    const r = range(c);
    if ('intrinsic' in tag) {
      switch (tag.intrinsic) {
        case 'status':
          return ['error', 'ok', 'unset'].map((value) => ({ type: 'keyword', value }));
        case 'kind':
          return ['client', 'consumer', 'internal', 'producer', 'server', 'unspecified'].map((value) => ({
            type: 'keyword',
            value,
          }));
        case 'name':
        case 'rootServiceName':
        case 'rootName':
          return (await deps.traceql.intrinsicValues(tag.intrinsic, r)).map((value) => ({ type: 'string', value }));
        default:
          return []; // durations have no vocabulary
      }
    }
    return (await deps.traceql.tagValues(tag.scope, tag.name, filter, r)).map(tagValue);
  };

  app.get('/api/v2/search/tag/:tag/values', async (c) => c.json({ tagValues: await values(c) }));
  app.get('/api/search/tag/:tag/values', async (c) => c.json({ tagValues: (await values(c)).map((v) => v.value) }));

  return app;
}
