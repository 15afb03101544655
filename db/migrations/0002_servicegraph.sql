-- Edited after generation: the minute rollups (span_metrics, servicegraph_edges, propagation_*) are
-- range-partitioned by day on minute_ms, so retention drops them with the spans.
CREATE TABLE "propagation_problems" (
	"minute_ms" bigint NOT NULL,
	"service" text NOT NULL,
	"problem" text NOT NULL,
	"count" bigint NOT NULL,
	"why" text NOT NULL,
	"example_trace_ids" uuid[] NOT NULL,
	"example_span_ids" bigint[] NOT NULL,
	CONSTRAINT "propagation_problems_minute_ms_service_problem_pk" PRIMARY KEY("minute_ms","service","problem")
) PARTITION BY RANGE ("minute_ms");
--> statement-breakpoint
CREATE TABLE "propagation_spans" (
	"minute_ms" bigint NOT NULL,
	"trace_id" uuid NOT NULL,
	"span_id" bigint NOT NULL,
	"service" text NOT NULL,
	"problem" text NOT NULL,
	"why" text NOT NULL,
	CONSTRAINT "propagation_spans_trace_id_span_id_problem_minute_ms_pk" PRIMARY KEY("trace_id","span_id","problem","minute_ms")
) PARTITION BY RANGE ("minute_ms");
--> statement-breakpoint
CREATE TABLE "propagation_traces" (
	"minute_ms" bigint PRIMARY KEY NOT NULL,
	"traces" bigint NOT NULL,
	"complete" bigint NOT NULL
) PARTITION BY RANGE ("minute_ms");
--> statement-breakpoint
CREATE TABLE "servicegraph_counters" (
	"series_id" bigint PRIMARY KEY NOT NULL,
	"value" double precision NOT NULL
);
--> statement-breakpoint
CREATE TABLE "servicegraph_edges" (
	"minute_ms" bigint NOT NULL,
	"client" text NOT NULL,
	"server" text NOT NULL,
	"connection_type" text NOT NULL,
	"requests" bigint NOT NULL,
	"failed" bigint NOT NULL,
	"server_buckets" bigint[] NOT NULL,
	"server_sum_ns" bigint NOT NULL,
	"client_buckets" bigint[] NOT NULL,
	"client_sum_ns" bigint NOT NULL,
	"exemplar_trace_id" uuid,
	"exemplar_span_id" bigint,
	"exemplar_ns" bigint,
	CONSTRAINT "servicegraph_edges_minute_ms_client_server_connection_type_pk" PRIMARY KEY("minute_ms","client","server","connection_type")
) PARTITION BY RANGE ("minute_ms");
--> statement-breakpoint
CREATE TABLE "servicegraph_watermark" (
	"id" smallint PRIMARY KEY NOT NULL,
	"folded_to_ns" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "span_metrics" (
	"minute_ms" bigint NOT NULL,
	"service" text NOT NULL,
	"span_name" text NOT NULL,
	"span_kind" smallint NOT NULL,
	"status_code" smallint NOT NULL,
	"calls" bigint NOT NULL,
	"buckets" bigint[] NOT NULL,
	"sum_ns" bigint NOT NULL,
	"exemplar_trace_id" uuid,
	"exemplar_span_id" bigint,
	"exemplar_ns" bigint,
	CONSTRAINT "span_metrics_minute_ms_service_span_name_span_kind_status_code_pk" PRIMARY KEY("minute_ms","service","span_name","span_kind","status_code")
) PARTITION BY RANGE ("minute_ms");
--> statement-breakpoint
CREATE INDEX "spans_end_brin_idx" ON "spans" USING brin (("start_ns" + "duration_ns")) WITH (autosummarize=on);