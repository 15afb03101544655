-- Edited after generation: spans is range-partitioned by day on start_ns (drizzle-kit cannot express it).
CREATE TABLE "resources" (
	"id" bigint PRIMARY KEY NOT NULL,
	"service_name" text NOT NULL,
	"attributes" jsonb NOT NULL,
	"dropped_attributes_count" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scopes" (
	"id" bigint PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"version" text NOT NULL,
	"attributes" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "span_operations" (
	"service_name" text NOT NULL,
	"name" text NOT NULL,
	"kind" smallint NOT NULL,
	CONSTRAINT "span_operations_service_name_name_kind_pk" PRIMARY KEY("service_name","name","kind")
);
--> statement-breakpoint
CREATE TABLE "spans" (
	"start_ns" bigint NOT NULL,
	"trace_id" uuid NOT NULL,
	"span_id" bigint NOT NULL,
	"parent_span_id" bigint,
	"duration_ns" bigint NOT NULL,
	"service_name" text NOT NULL,
	"name" text NOT NULL,
	"kind" smallint NOT NULL,
	"status_code" smallint NOT NULL,
	"status_message" text NOT NULL,
	"trace_state" text NOT NULL,
	"flags" integer NOT NULL,
	"resource_id" bigint NOT NULL,
	"scope_id" bigint NOT NULL,
	"attributes" jsonb NOT NULL,
	"events" jsonb,
	"links" jsonb,
	"dropped_attributes_count" integer NOT NULL,
	"dropped_events_count" integer NOT NULL,
	"dropped_links_count" integer NOT NULL,
	CONSTRAINT "spans_trace_id_span_id_start_ns_pk" PRIMARY KEY("trace_id","span_id","start_ns")
) PARTITION BY RANGE ("start_ns");
--> statement-breakpoint
CREATE TABLE "traces" (
	"trace_id" uuid PRIMARY KEY NOT NULL,
	"start_ns" bigint NOT NULL,
	"end_ns" bigint NOT NULL,
	"root_service" text,
	"root_name" text,
	"span_count" integer NOT NULL,
	"error_count" integer NOT NULL,
	"services" text[] NOT NULL
);
--> statement-breakpoint
CREATE INDEX "spans_service_name_start_idx" ON "spans" USING btree ("service_name","name","start_ns" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "spans_service_start_idx" ON "spans" USING btree ("service_name","start_ns" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "spans_duration_idx" ON "spans" USING btree ("service_name","duration_ns");--> statement-breakpoint
CREATE INDEX "spans_attributes_idx" ON "spans" USING gin ("attributes" jsonb_path_ops);--> statement-breakpoint
CREATE INDEX "traces_start_idx" ON "traces" USING btree ("start_ns" DESC NULLS LAST,"trace_id");--> statement-breakpoint
CREATE INDEX "traces_services_idx" ON "traces" USING gin ("services");--> statement-breakpoint
CREATE INDEX "traces_duration_idx" ON "traces" USING btree (("end_ns" - "start_ns"));