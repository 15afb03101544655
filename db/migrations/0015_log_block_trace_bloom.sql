-- A bloom filter of each cold log block's trace IDs (log-blocks.ts). Cold log days are now sorted by time,
-- so that time-bounded searches read only the chunk groups of their range; a block's trace-ID min/max then
-- spans every trace, and this bloom is what finds a trace's blocks (about 2 bytes per distinct trace).
-- NULL in blocks built before it: such a block may hold any trace, until the columnar job rebuilds it.
ALTER TABLE "log_blocks" ADD COLUMN "trace_bloom" bytea;
