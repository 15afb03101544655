// Writes decoded spans. On PostgreSQL a group-commit batch is streamed with COPY FROM STDIN straight
// into the day partitions (the primary key refuses a span stored before), and its per-trace summary,
// folded here, is upserted in the same transaction. A retried request makes that COPY fail with a
// unique violation, which rolls back everything: the batch then takes the idempotent path, one
// unnest() statement that inserts with ON CONFLICT DO NOTHING and folds only the rows it actually
// inserted (RETURNING) into the summaries. Either way a retry neither duplicates spans nor
// double-counts the summary. PGlite has no COPY FROM STDIN and always takes the unnest() path.
import { sql } from 'drizzle-orm';
import type { ResourceSpans } from '@pivot/model';
import type { CopyIn, Database } from './database.ts';
import { CopyBuffer, type CopyColumn } from './copy-text.ts';
import { cleanText, spanIdToDb, toJsonText } from './encode.ts';
import { ResourceSet, clampCount } from './resources.ts';
import { QueuedWriter, type WriterOptions } from './group-commit.ts';
import { dayIndexOfNs, type PartitionManager } from './partitions.ts';
import { SPANS_TABLE } from './tables.ts';
import { writeByCopyOrInsert } from './columnar.ts';

export type { WriterOptions } from './group-commit.ts';

/** Column arrays for one insert, in table order. */
export interface SpanColumns {
  startNs: string[];
  traceId: string[];
  spanId: string[];
  parentSpanId: (string | null)[];
  durationNs: string[];
  serviceName: string[];
  name: string[];
  kind: number[];
  statusCode: number[];
  statusMessage: string[];
  traceState: string[];
  flags: number[];
  resourceId: string[];
  scopeId: string[];
  attributes: string[];
  events: (string | null)[];
  links: (string | null)[];
  droppedAttributes: number[];
  droppedEvents: number[];
  droppedLinks: number[];
  /** startNs and start + duration as bigints, for the trace summaries (not sent to the database). */
  startTimes: bigint[];
  endTimes: bigint[];
  resources: ResourceSet;
  days: Set<number>;
}

export function spanCount(batch: ResourceSpans[]): number {
  let n = 0;
  for (const rs of batch) for (const ss of rs.scopeSpans) n += ss.spans.length;
  return n;
}

/** Turns decoded batches into column arrays; pure, so the benchmark's ceiling can prepare them up front. */
export function toSpanColumns(batches: ResourceSpans[][]): SpanColumns {
  const c: SpanColumns = {
    startNs: [],
    traceId: [],
    spanId: [],
    parentSpanId: [],
    durationNs: [],
    serviceName: [],
    name: [],
    kind: [],
    statusCode: [],
    statusMessage: [],
    traceState: [],
    flags: [],
    resourceId: [],
    scopeId: [],
    attributes: [],
    events: [],
    links: [],
    droppedAttributes: [],
    droppedEvents: [],
    droppedLinks: [],
    startTimes: [],
    endTimes: [],
    resources: new ResourceSet(),
    days: new Set(),
  };
  // Siblings share a parent and often arrive together: its decimal form is reused rather than redone.
  let lastParent = '';
  let lastParentDb = '';
  for (const batch of batches) {
    for (const rs of batch) {
      const { id: resourceId, service } = c.resources.resource(rs.resource);
      for (const ss of rs.scopeSpans) {
        const scopeId = c.resources.scope(ss.scope);
        for (const s of ss.spans) {
          const start = s.startTimeUnixNano;
          const end = s.endTimeUnixNano;
          c.startNs.push(start.toString());
          c.days.add(dayIndexOfNs(start));
          c.traceId.push(s.traceId);
          c.spanId.push(spanIdToDb(s.spanId));
          const parent = s.parentSpanId;
          if (parent && parent !== lastParent) {
            lastParent = parent;
            lastParentDb = spanIdToDb(parent);
          }
          c.parentSpanId.push(parent ? lastParentDb : null);
          // A span that ends before it starts (clock skew) gets duration 0 rather than a negative one.
          const duration = end > start ? end - start : 0n;
          c.durationNs.push(duration.toString());
          c.startTimes.push(start);
          c.endTimes.push(start + duration);
          c.serviceName.push(service);
          c.name.push(cleanText(s.name));
          // Values outside the OTLP enums (a misbehaving client) read as UNSPECIFIED / UNSET.
          c.kind.push(s.kind >= 0 && s.kind <= 5 ? s.kind : 0);
          c.statusCode.push(s.status.code >= 0 && s.status.code <= 2 ? s.status.code : 0);
          c.statusMessage.push(cleanText(s.status.message));
          c.traceState.push(cleanText(s.traceState));
          // flags is a uint32 on the wire: stored bit for bit in a signed int column.
          c.flags.push(s.flags | 0);
          c.resourceId.push(resourceId);
          c.scopeId.push(scopeId);
          c.attributes.push(toJsonText(s.attributes));
          c.events.push(
            s.events.length
              ? toJsonText(
                  s.events.map((e) => ({
                    timeUnixNano: e.timeUnixNano.toString(),
                    name: e.name,
                    attributes: e.attributes,
                    droppedAttributesCount: e.droppedAttributesCount,
                  })),
                )
              : null,
          );
          c.links.push(
            s.links.length
              ? toJsonText(
                  s.links.map((l) => ({
                    traceId: l.traceId,
                    spanId: l.spanId,
                    traceState: l.traceState,
                    attributes: l.attributes,
                    droppedAttributesCount: l.droppedAttributesCount,
                    flags: l.flags,
                  })),
                )
              : null,
          );
          c.droppedAttributes.push(clampCount(s.droppedAttributesCount));
          c.droppedEvents.push(clampCount(s.droppedEventsCount));
          c.droppedLinks.push(clampCount(s.droppedLinksCount));
        }
      }
    }
  }
  return c;
}

const p = (v: unknown) => sql.param(v);

// A columnar day refuses ON CONFLICT: rows already stored are skipped by an anti-join (columnar.ts). An
// uncorrelated NOT IN over the batch's traces (a hashed subplan; the key's columns are NOT NULL), as Citus
// plans no correlated subquery beside unnest: there it reads the stored keys from those traces' shards.
const lateSpans = (traceIds: unknown) => sql`AS u(start_ns, trace_id, span_id, parent_span_id, duration_ns,
        service_name, name, kind, status_code, status_message, trace_state, flags, resource_id, scope_id, attributes,
        events, links, dropped_attributes_count, dropped_events_count, dropped_links_count)
      WHERE (u.trace_id, u.span_id, u.start_ns) NOT IN (SELECT s.trace_id, s.span_id, s.start_ns FROM spans s
        WHERE s.trace_id = ANY (${p(traceIds)}::uuid[]))`;

/** Inserts prepared columns and updates trace summaries, inside the caller's transaction. */
export async function insertSpanColumns(
  query: (q: ReturnType<typeof sql>) => Promise<unknown[]>,
  c: SpanColumns,
  late = false,
): Promise<void> {
  await c.resources.insert(query);
  await query(sql`
    WITH ins AS (
      INSERT INTO spans (start_ns, trace_id, span_id, parent_span_id, duration_ns, service_name, name, kind,
        status_code, status_message, trace_state, flags, resource_id, scope_id, attributes, events, links,
        dropped_attributes_count, dropped_events_count, dropped_links_count)
      SELECT ${late ? sql`DISTINCT ON (u.trace_id, u.span_id, u.start_ns) u.*` : sql`*`} FROM unnest(
        ${p(c.startNs)}::bigint[], ${p(c.traceId)}::uuid[], ${p(c.spanId)}::bigint[], ${p(c.parentSpanId)}::bigint[],
        ${p(c.durationNs)}::bigint[], ${p(c.serviceName)}::text[], ${p(c.name)}::text[], ${p(c.kind)}::smallint[],
        ${p(c.statusCode)}::smallint[], ${p(c.statusMessage)}::text[], ${p(c.traceState)}::text[], ${p(c.flags)}::int[],
        ${p(c.resourceId)}::bigint[], ${p(c.scopeId)}::bigint[], ${p(c.attributes)}::jsonb[], ${p(c.events)}::jsonb[],
        ${p(c.links)}::jsonb[], ${p(c.droppedAttributes)}::int[], ${p(c.droppedEvents)}::int[], ${p(c.droppedLinks)}::int[])
      ${late ? lateSpans(c.traceId) : sql`ON CONFLICT DO NOTHING`}
      RETURNING trace_id, start_ns, duration_ns, parent_span_id, service_name, name, kind, status_code
    ),
    ops AS (
      INSERT INTO span_operations (service_name, name, kind)
      SELECT DISTINCT service_name, name, kind FROM ins ORDER BY 1, 2, 3
      ON CONFLICT DO NOTHING
    )
    INSERT INTO traces AS t (trace_id, start_ns, end_ns, root_service, root_name, span_count, error_count, services)
    SELECT trace_id, min(start_ns), max(start_ns + duration_ns),
      (array_agg(service_name ORDER BY start_ns) FILTER (WHERE parent_span_id IS NULL))[1],
      (array_agg(name ORDER BY start_ns) FILTER (WHERE parent_span_id IS NULL))[1],
      count(*), count(*) FILTER (WHERE status_code = 2), array_agg(DISTINCT service_name ORDER BY service_name)
    FROM ins GROUP BY trace_id
    ${MERGE_SUMMARY}`);
}

// A fixed order takes row locks in the same order in every writer, avoiding deadlocks.
const MERGE_SUMMARY = sql`ORDER BY trace_id
    ON CONFLICT (trace_id) DO UPDATE SET
      start_ns = least(t.start_ns, excluded.start_ns),
      end_ns = greatest(t.end_ns, excluded.end_ns),
      root_service = coalesce(t.root_service, excluded.root_service),
      root_name = coalesce(t.root_name, excluded.root_name),
      span_count = t.span_count + excluded.span_count,
      error_count = t.error_count + excluded.error_count,
      services = CASE WHEN excluded.services <@ t.services THEN t.services
        ELSE ARRAY(SELECT DISTINCT s FROM unnest(t.services || excluded.services) s ORDER BY s) END`;

/** The spans table's columns, in SpanColumns' order. */
const SPAN_COLUMN_NAMES = [
  'start_ns',
  'trace_id',
  'span_id',
  'parent_span_id',
  'duration_ns',
  'service_name',
  'name',
  'kind',
  'status_code',
  'status_message',
  'trace_state',
  'flags',
  'resource_id',
  'scope_id',
  'attributes',
  'events',
  'links',
  'dropped_attributes_count',
  'dropped_events_count',
  'dropped_links_count',
] as const;

/** The span columns of a writer batch in table order, as COPY sends them. */
export function spanCopyColumns(c: SpanColumns): CopyColumn[] {
  return [
    c.startNs,
    c.traceId,
    c.spanId,
    c.parentSpanId,
    c.durationNs,
    c.serviceName,
    c.name,
    c.kind,
    c.statusCode,
    c.statusMessage,
    c.traceState,
    c.flags,
    c.resourceId,
    c.scopeId,
    c.attributes,
    c.events,
    c.links,
    c.droppedAttributes,
    c.droppedEvents,
    c.droppedLinks,
  ];
}

/**
 * The rows of a writer batch as COPY text, in SpanColumns' (the table's) order. The columns the writer
 * renders itself (numbers, decimal strings of span IDs and times, resource hashes) need no escaping;
 * every text from the request, the trace ID included, is escaped.
 */
export function spanCopyBytes(c: SpanColumns): Uint8Array {
  const n = c.traceId.length;
  // About what a span of a typical request takes, so that a batch rarely grows its buffer.
  const out = new CopyBuffer(n * 512 + 1024);
  for (let i = 0; i < n; i++) {
    out.plain(c.startNs[i]!);
    out.text(c.traceId[i]!);
    out.plain(c.spanId[i]!);
    out.plain(c.parentSpanId[i]!);
    out.plain(c.durationNs[i]!);
    out.text(c.serviceName[i]!);
    out.text(c.name[i]!);
    out.plain(c.kind[i]!);
    out.plain(c.statusCode[i]!);
    out.text(c.statusMessage[i]!);
    out.text(c.traceState[i]!);
    out.plain(c.flags[i]!);
    out.plain(c.resourceId[i]!);
    out.plain(c.scopeId[i]!);
    out.text(c.attributes[i]!);
    out.text(c.events[i]!);
    out.text(c.links[i]!);
    out.plain(c.droppedAttributes[i]!);
    out.plain(c.droppedEvents[i]!);
    out.plain(c.droppedLinks[i]!, true);
  }
  return out.bytes();
}

/** One row per trace of a batch: what the unnest() path's GROUP BY computes in SQL, folded in JS. */
export interface TraceSummaryColumns {
  traceId: string[];
  startNs: string[];
  endNs: string[];
  rootService: (string | null)[];
  rootName: (string | null)[];
  spanCount: number[];
  errorCount: number[];
  /** Each trace's distinct services as a JSON array; sorted in SQL, in the database's collation. */
  services: string[];
}

/** Folds every span of the columns into its trace's summary row (all of them: COPY stores all or none). */
export function traceSummaryColumns(c: SpanColumns): TraceSummaryColumns {
  const byTrace = new Map<
    string,
    {
      start: bigint;
      end: bigint;
      rootStart: bigint;
      rootService: string | null;
      rootName: string | null;
      spans: number;
      errors: number;
      services: Set<string>;
    }
  >();
  for (let i = 0; i < c.traceId.length; i++) {
    const start = c.startTimes[i]!;
    const end = c.endTimes[i]!;
    const isRoot = c.parentSpanId[i] === null;
    const t = byTrace.get(c.traceId[i]!);
    if (!t) {
      byTrace.set(c.traceId[i]!, {
        start,
        end,
        rootStart: start,
        rootService: isRoot ? c.serviceName[i]! : null,
        rootName: isRoot ? c.name[i]! : null,
        spans: 1,
        errors: c.statusCode[i] === 2 ? 1 : 0,
        services: new Set([c.serviceName[i]!]),
      });
      continue;
    }
    if (start < t.start) t.start = start;
    if (end > t.end) t.end = end;
    // The earliest root span names the trace, as array_agg(… ORDER BY start_ns)[1] does.
    if (isRoot && (t.rootService === null || start < t.rootStart)) {
      t.rootStart = start;
      t.rootService = c.serviceName[i]!;
      t.rootName = c.name[i]!;
    }
    t.spans++;
    if (c.statusCode[i] === 2) t.errors++;
    t.services.add(c.serviceName[i]!);
  }
  const out: TraceSummaryColumns = {
    traceId: [],
    startNs: [],
    endNs: [],
    rootService: [],
    rootName: [],
    spanCount: [],
    errorCount: [],
    services: [],
  };
  for (const [traceId, t] of byTrace) {
    out.traceId.push(traceId);
    out.startNs.push(t.start.toString());
    out.endNs.push(t.end.toString());
    out.rootService.push(t.rootService);
    out.rootName.push(t.rootName);
    out.spanCount.push(t.spans);
    out.errorCount.push(t.errors);
    out.services.push(JSON.stringify([...t.services]));
  }
  return out;
}

/**
 * Stores prepared columns with COPY and upserts the trace summaries and operations, inside the caller's
 * transaction. All or nothing: a span already stored (a retried request) fails the COPY with a unique
 * violation, and the caller takes the idempotent path (insertSpanColumns) instead.
 */
export async function copySpanColumns(
  query: (q: ReturnType<typeof sql>) => Promise<unknown[]>,
  copy: CopyIn,
  c: SpanColumns,
): Promise<void> {
  if (!c.traceId.length) return;
  await copy(SPANS_TABLE.name, SPAN_COLUMN_NAMES, spanCopyBytes(c));
  const ops = new Map<string, [string, string, number]>();
  for (let i = 0; i < c.name.length; i++) {
    // Length-prefixed: no service name can make two operations one key.
    const key = `${c.kind[i]}:${c.serviceName[i]!.length}:${c.serviceName[i]}${c.name[i]}`;
    if (!ops.has(key)) ops.set(key, [c.serviceName[i]!, c.name[i]!, c.kind[i]!]);
  }
  const op = [...ops.values()];
  const t = traceSummaryColumns(c);
  // Resources, scopes, operations and summaries in one statement after the COPY: one round trip.
  const resources = c.resources.inserts().map((q, i) => sql`${sql.identifier(`r${i}`)} AS (${q}),`);
  await query(sql`
    WITH ${sql.join(resources)} ops AS (
      INSERT INTO span_operations (service_name, name, kind)
      SELECT * FROM unnest(${p(op.map((o) => o[0]))}::text[], ${p(op.map((o) => o[1]))}::text[],
        ${p(op.map((o) => o[2]))}::smallint[]) ORDER BY 1, 2, 3
      ON CONFLICT DO NOTHING
    )
    INSERT INTO traces AS t (trace_id, start_ns, end_ns, root_service, root_name, span_count, error_count, services)
    SELECT u.trace_id, u.start_ns, u.end_ns, u.root_service, u.root_name, u.span_count, u.error_count,
      ARRAY(SELECT DISTINCT s FROM jsonb_array_elements_text(u.services) s ORDER BY s)
    FROM unnest(${p(t.traceId)}::uuid[], ${p(t.startNs)}::bigint[], ${p(t.endNs)}::bigint[], ${p(t.rootService)}::text[],
      ${p(t.rootName)}::text[], ${p(t.spanCount)}::int[], ${p(t.errorCount)}::int[], ${p(t.services)}::jsonb[])
      AS u(trace_id, start_ns, end_ns, root_service, root_name, span_count, error_count, services)
    ${MERGE_SUMMARY}`);
}

/**
 * Writes one batch in one transaction: with COPY where the database takes it, else (PGlite, or a
 * batch holding a span already stored) through insertSpanColumns, which skips what is stored.
 */
export async function writeSpanColumns(database: Database, c: SpanColumns): Promise<void> {
  await writeByCopyOrInsert(
    database,
    SPANS_TABLE,
    c.days,
    async (query, copy) => {
      await copySpanColumns(query, copy, c);
    },
    async (query, late) => {
      await insertSpanColumns(query, c, late);
    },
  );
}

export class SpanWriter extends QueuedWriter<ResourceSpans[]> {
  constructor(
    private readonly database: Database,
    private readonly partitions: PartitionManager,
    opts: WriterOptions = {},
  ) {
    super(database, opts, { maxQueuedItems: 100_000, maxBatchItems: 5_000, size: spanCount });
  }

  protected async flush(entries: ResourceSpans[][]): Promise<void> {
    const cols = toSpanColumns(entries);
    await this.partitions.write([[SPANS_TABLE, cols.days]], () => writeSpanColumns(this.database, cols));
  }
}
