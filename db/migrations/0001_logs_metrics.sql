-- Edited after generation: logs, metric_chunks and metric_exemplars are range-partitioned by day;
-- pg_trgm serves substring search on log bodies.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE TABLE "logs" (
	"time_ns" bigint NOT NULL,
	"fingerprint" bigint NOT NULL,
	"observed_ns" bigint NOT NULL,
	"trace_id" uuid,
	"span_id" bigint,
	"trace_flags" integer NOT NULL,
	"severity_number" smallint NOT NULL,
	"severity_text" text NOT NULL,
	"service_name" text NOT NULL,
	"body" text NOT NULL,
	"body_is_json" boolean NOT NULL,
	"attributes" jsonb NOT NULL,
	"event_name" text NOT NULL,
	"resource_id" bigint NOT NULL,
	"scope_id" bigint NOT NULL,
	"dropped_attributes_count" integer NOT NULL,
	CONSTRAINT "logs_time_ns_fingerprint_pk" PRIMARY KEY("time_ns","fingerprint")
) PARTITION BY RANGE ("time_ns");
--> statement-breakpoint
CREATE TABLE "metric_chunks" (
	"series_id" bigint NOT NULL,
	"start_ms" bigint NOT NULL,
	"end_ms" bigint NOT NULL,
	"samples" integer NOT NULL,
	"data" bytea NOT NULL
) PARTITION BY RANGE ("start_ms");
--> statement-breakpoint
CREATE TABLE "metric_exemplars" (
	"series_id" bigint NOT NULL,
	"ts_ms" bigint NOT NULL,
	"value" double precision NOT NULL,
	"trace_id" uuid,
	"span_id" bigint,
	"labels" jsonb NOT NULL,
	CONSTRAINT "metric_exemplars_series_id_ts_ms_pk" PRIMARY KEY("series_id","ts_ms")
) PARTITION BY RANGE ("ts_ms");
--> statement-breakpoint
CREATE TABLE "metric_metadata" (
	"metric_family_name" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"help" text NOT NULL,
	"unit" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "metric_series" (
	"id" bigint PRIMARY KEY NOT NULL,
	"metric_name" text NOT NULL,
	"labels" jsonb NOT NULL
);
--> statement-breakpoint
CREATE INDEX "logs_trace_idx" ON "logs" USING btree ("trace_id","time_ns") WHERE "logs"."trace_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "logs_service_time_idx" ON "logs" USING btree ("service_name","time_ns" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "logs_severity_time_idx" ON "logs" USING btree ("severity_number","time_ns" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "logs_time_idx" ON "logs" USING btree ("time_ns" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "logs_body_trgm_idx" ON "logs" USING gin ("body" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "logs_attributes_idx" ON "logs" USING gin ("attributes" jsonb_path_ops);--> statement-breakpoint
CREATE INDEX "metric_chunks_series_idx" ON "metric_chunks" USING btree ("series_id","start_ms");--> statement-breakpoint
CREATE INDEX "metric_exemplars_trace_idx" ON "metric_exemplars" USING btree ("trace_id") WHERE "metric_exemplars"."trace_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "metric_series_name_idx" ON "metric_series" USING btree ("metric_name");--> statement-breakpoint
CREATE INDEX "metric_series_labels_idx" ON "metric_series" USING gin ("labels" jsonb_path_ops);