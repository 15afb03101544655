// Writes decoded spans. One statement inserts a whole group-commit batch through unnest() and, from
// the rows it actually inserted (ON CONFLICT DO NOTHING … RETURNING), folds them into the per-trace
// summary, so a retried request neither duplicates spans nor double-counts the summary.
import { sql } from 'drizzle-orm';
import type { ResourceSpans } from '@pivot/model';
import type { Database } from './database.ts';
import { cleanText, spanIdToDb, toJsonText } from './encode.ts';
import { ResourceSet, clampCount } from './resources.ts';
import { QueuedWriter, type WriterOptions } from './group-commit.ts';
import { dayIndexOfNs, type PartitionManager } from './partitions.ts';
import { SPANS_TABLE } from './tables.ts';
import { lockLateDays, withColumnarFallback } from './columnar.ts';

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
    resources: new ResourceSet(),
    days: new Set(),
  };
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
          c.parentSpanId.push(s.parentSpanId ? spanIdToDb(s.parentSpanId) : null);
          // A span that ends before it starts (clock skew) gets duration 0 rather than a negative one.
          c.durationNs.push((end > start ? end - start : 0n).toString());
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

// A columnar day refuses ON CONFLICT: rows already stored are skipped by an anti-join (columnar.ts).
const LATE_SPANS = sql`AS u(start_ns, trace_id, span_id, parent_span_id, duration_ns, service_name, name, kind,
        status_code, status_message, trace_state, flags, resource_id, scope_id, attributes, events, links,
        dropped_attributes_count, dropped_events_count, dropped_links_count)
      WHERE NOT EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = u.trace_id AND s.span_id = u.span_id AND s.start_ns = u.start_ns)`;

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
      ${late ? LATE_SPANS : sql`ON CONFLICT DO NOTHING`}
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
    -- A fixed order takes row locks in the same order in every writer, avoiding deadlocks.
    ORDER BY trace_id
    ON CONFLICT (trace_id) DO UPDATE SET
      start_ns = least(t.start_ns, excluded.start_ns),
      end_ns = greatest(t.end_ns, excluded.end_ns),
      root_service = coalesce(t.root_service, excluded.root_service),
      root_name = coalesce(t.root_name, excluded.root_name),
      span_count = t.span_count + excluded.span_count,
      error_count = t.error_count + excluded.error_count,
      services = CASE WHEN excluded.services <@ t.services THEN t.services
        ELSE ARRAY(SELECT DISTINCT s FROM unnest(t.services || excluded.services) s ORDER BY s) END`);
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
    await this.partitions.write([[SPANS_TABLE, cols.days]], () =>
      withColumnarFallback((late) =>
        this.database.transaction(async (query) => {
          if (late) await lockLateDays(query, SPANS_TABLE, cols.days);
          return insertSpanColumns(query, cols, late);
        }),
      ),
    );
  }
}
