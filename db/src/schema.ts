// The drizzle schema: typed table definitions used by the query builder. Partitioning cannot be
// expressed here, so the generated migration is edited to add PARTITION BY (see migrations/).
import { sql } from 'drizzle-orm';
import {
  bigint,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  uuid,
} from 'drizzle-orm/pg-core';

/** Resources are deduplicated by a 64-bit hash of their canonical JSON, computed by the writer. */
export const resources = pgTable('resources', {
  id: bigint('id', { mode: 'bigint' }).primaryKey(),
  serviceName: text('service_name').notNull(),
  attributes: jsonb('attributes').notNull(),
  droppedAttributesCount: integer('dropped_attributes_count').notNull().default(0),
});

export const scopes = pgTable('scopes', {
  id: bigint('id', { mode: 'bigint' }).primaryKey(),
  name: text('name').notNull(),
  version: text('version').notNull(),
  attributes: jsonb('attributes').notNull(),
});

/** One row per span, partitioned by day of start time. The key includes the partition column. */
export const spans = pgTable(
  'spans',
  {
    startNs: bigint('start_ns', { mode: 'bigint' }).notNull(),
    traceId: uuid('trace_id').notNull(),
    spanId: bigint('span_id', { mode: 'bigint' }).notNull(),
    parentSpanId: bigint('parent_span_id', { mode: 'bigint' }),
    durationNs: bigint('duration_ns', { mode: 'bigint' }).notNull(),
    serviceName: text('service_name').notNull(),
    name: text('name').notNull(),
    kind: smallint('kind').notNull(),
    statusCode: smallint('status_code').notNull(),
    statusMessage: text('status_message').notNull(),
    traceState: text('trace_state').notNull(),
    flags: integer('flags').notNull(),
    resourceId: bigint('resource_id', { mode: 'bigint' }).notNull(),
    scopeId: bigint('scope_id', { mode: 'bigint' }).notNull(),
    attributes: jsonb('attributes').notNull(),
    events: jsonb('events'),
    links: jsonb('links'),
    droppedAttributesCount: integer('dropped_attributes_count').notNull(),
    droppedEventsCount: integer('dropped_events_count').notNull(),
    droppedLinksCount: integer('dropped_links_count').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.traceId, t.spanId, t.startNs] }),
    index('spans_service_name_start_idx').on(t.serviceName, t.name, t.startNs.desc()),
    index('spans_service_start_idx').on(t.serviceName, t.startNs.desc()),
    index('spans_duration_idx').on(t.serviceName, t.durationNs),
    index('spans_attributes_idx').using('gin', sql`${t.attributes} jsonb_path_ops`),
  ],
);

/** Distinct (service, operation, kind): what the search form offers, without scanning spans. */
export const spanOperations = pgTable(
  'span_operations',
  {
    serviceName: text('service_name').notNull(),
    name: text('name').notNull(),
    kind: smallint('kind').notNull(),
  },
  (t) => [primaryKey({ columns: [t.serviceName, t.name, t.kind] })],
);

/** One row per trace, updated as its spans arrive; search filters and sorts here. */
export const traces = pgTable(
  'traces',
  {
    traceId: uuid('trace_id').primaryKey(),
    startNs: bigint('start_ns', { mode: 'bigint' }).notNull(),
    endNs: bigint('end_ns', { mode: 'bigint' }).notNull(),
    rootService: text('root_service'),
    rootName: text('root_name'),
    spanCount: integer('span_count').notNull(),
    errorCount: integer('error_count').notNull(),
    services: text('services').array().notNull(),
  },
  (t) => [
    index('traces_start_idx').on(t.startNs.desc(), t.traceId),
    index('traces_services_idx').using('gin', t.services),
    index('traces_duration_idx').on(sql`(${t.endNs} - ${t.startNs})`),
  ],
);
