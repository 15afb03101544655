-- PostgreSQL's server logs tailed from files (issue 21): how far each file has been read. The ingest
-- service writes a file's offset in the same transaction as the records read up to it, so that a crash
-- neither loses nor repeats an entry. A file is known by its identity (device:inode), so a renamed
-- (rotated) file keeps its offset; `head_hex` (its first bytes) tells a reused inode from the same file.
CREATE TABLE "pg_log_offsets" (
	"file_key" text PRIMARY KEY NOT NULL,
	"path" text NOT NULL,
	"byte_offset" bigint NOT NULL,
	"head_hex" text NOT NULL,
	"updated_at_ms" bigint NOT NULL
);
