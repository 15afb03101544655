-- API login sessions, shared by every API replica, so that a user logged in through one replica is
-- logged in on all, and a logout or expiry on one holds on all. The cookie carries `selector.verifier`;
-- the row is found by the selector and only the SHA-256 of the verifier (hex) is kept, so a copy of this table
-- (a backup, a read replica) opens no session. Expired rows are deleted at each login.
CREATE TABLE "api_sessions" (
	"selector" text PRIMARY KEY NOT NULL,
	"verifier_sha256" text NOT NULL,
	"user_name" text NOT NULL,
	"role" text NOT NULL,
	"created_at_ms" bigint NOT NULL,
	"expires_at_ms" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "api_sessions_expires_idx" ON "api_sessions" ("expires_at_ms");
