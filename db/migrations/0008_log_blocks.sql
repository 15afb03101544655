-- Per-block summaries of the cold (columnar) log days, so that a word, substring, service or severity
-- search reads only the blocks that can match (log-blocks.ts): a block is a run of rows in the day's sort
-- order (trace ID, time), one columnar chunk group, with the range of its sort key, its time range, its
-- services and severity bands, and a bloom filter of the trigrams of its lower-cased bodies. Written when a
-- day is converted; a day written to afterwards (a late row) is scanned whole until they are rebuilt.
CREATE TABLE "log_block_days" (
	"relid" oid PRIMARY KEY NOT NULL,
	"day" integer NOT NULL,
	"rows_hw" bigint NOT NULL,
	"block_rows" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "log_block_days_day_idx" ON "log_block_days" ("day");
--> statement-breakpoint
CREATE TABLE "log_blocks" (
	"relid" oid NOT NULL,
	"block" integer NOT NULL,
	"trace_lo" uuid,
	"trace_hi" uuid,
	"null_time_lo" bigint,
	"null_time_hi" bigint,
	"time_lo" bigint NOT NULL,
	"time_hi" bigint NOT NULL,
	"sev_lo" smallint NOT NULL,
	"sev_hi" smallint NOT NULL,
	"bands" integer NOT NULL,
	"services" text[] NOT NULL,
	"bloom" bytea NOT NULL,
	PRIMARY KEY ("relid", "block")
);
