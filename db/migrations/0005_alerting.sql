-- Alerting and recording rules (issue 19): the rule manager's state, so that a restart or another
-- replica resumes `for` timers, resolved-alert notifications and recording-rule staleness where the
-- last evaluator left off. The rules themselves stay in RULES_DIR: files are the source of truth.
CREATE TABLE "alerting_groups" (
	"group_key" text PRIMARY KEY NOT NULL,
	"last_evaluation_ms" bigint,
	"evaluation_time_ms" double precision NOT NULL,
	"series_returned" jsonb NOT NULL,
	"evaluated_by" text NOT NULL,
	"updated_at_ms" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alerting_alerts" (
	"group_key" text NOT NULL,
	"rule_key" text NOT NULL,
	"rule_seq" integer NOT NULL,
	"labels_key" text NOT NULL,
	"labels" jsonb NOT NULL,
	"annotations" jsonb NOT NULL,
	"state" text NOT NULL,
	"value" double precision NOT NULL,
	"active_at_ms" bigint NOT NULL,
	"fired_at_ms" bigint,
	"resolved_at_ms" bigint,
	"last_sent_at_ms" bigint,
	"valid_until_ms" bigint,
	"keep_firing_since_ms" bigint,
	CONSTRAINT "alerting_alerts_pk" PRIMARY KEY("group_key","rule_key","rule_seq","labels_key")
);
