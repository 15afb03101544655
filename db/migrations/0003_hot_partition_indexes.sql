-- Hand-written. The secondary indexes of spans and logs move from the parent tables to each hot
-- (row-store) day partition, created by the store with the partition (HOT_INDEXES in
-- packages/store/src/partitions.ts; existing partitions get theirs at the next partition upkeep):
-- an index on a partitioned parent must exist on every partition, and a cold day made columnar keeps
-- only its primary key (citus_columnar refuses GIN, and the sorted columnar data answers the rest).
-- logs_time_idx goes for good: the primary key (time_ns, fingerprint) serves the same scans.
DROP INDEX IF EXISTS "spans_service_name_start_idx";
--> statement-breakpoint
DROP INDEX IF EXISTS "spans_service_start_idx";
--> statement-breakpoint
DROP INDEX IF EXISTS "spans_duration_idx";
--> statement-breakpoint
DROP INDEX IF EXISTS "spans_attributes_idx";
--> statement-breakpoint
-- The service-graph fold's BRIN on span end time (0002) is a hot-partition index too: columnar refuses BRIN.
DROP INDEX IF EXISTS "spans_end_brin_idx";
--> statement-breakpoint
DROP INDEX IF EXISTS "logs_trace_idx";
--> statement-breakpoint
DROP INDEX IF EXISTS "logs_service_time_idx";
--> statement-breakpoint
DROP INDEX IF EXISTS "logs_severity_time_idx";
--> statement-breakpoint
DROP INDEX IF EXISTS "logs_time_idx";
--> statement-breakpoint
DROP INDEX IF EXISTS "logs_body_trgm_idx";
--> statement-breakpoint
DROP INDEX IF EXISTS "logs_attributes_idx";
