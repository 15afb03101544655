-- Hand-written. The primary keys of spans and logs leave the parent tables: a key on a partitioned parent
-- must exist on every partition, and on a cold day made columnar it was most of the bytes (50 B of 108 B
-- per span). Each hot (row-store) day partition keeps the same columns as a unique index, created with
-- the partition in one transaction (HOT_KEYS in packages/store/src/partitions.ts), so the writers'
-- ON CONFLICT DO NOTHING still makes a retried batch idempotent there. A cold (columnar) day has no index:
-- the guard trigger below refuses the writers' plain path, and late rows take the late path, which
-- serializes per day and skips rows already stored (packages/store/src/columnar.ts).
ALTER TABLE "spans" DROP CONSTRAINT IF EXISTS "spans_trace_id_span_id_start_ns_pk";
--> statement-breakpoint
ALTER TABLE "logs" DROP CONSTRAINT IF EXISTS "logs_time_ns_fingerprint_pk";
--> statement-breakpoint
-- A columnar day without an index would take ON CONFLICT DO NOTHING as a plain insert (no arbiter to
-- check), duplicating a retried batch: this BEFORE trigger, on every columnar day, refuses any insert
-- not made by the late path (which sets pivot.columnar_late for its transaction, under the day's lock).
CREATE OR REPLACE FUNCTION "pivot_columnar_day_guard"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('pivot.columnar_late', true) IS DISTINCT FROM 'on' THEN
    RAISE EXCEPTION 'pivot_columnar_day: % takes late writes only', TG_TABLE_NAME USING ERRCODE = '55000';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
-- Existing days: the hot ones get their key back as a unique index, the columnar ones the guard.
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT c.relname AS name, p.relname AS parent, coalesce(a.amname, 'heap') AS am
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
    LEFT JOIN pg_am a ON a.oid = c.relam
    WHERE p.relname IN ('spans', 'logs') AND pg_table_is_visible(p.oid)
  LOOP
    IF r.am = 'heap' THEN
      EXECUTE format('CREATE UNIQUE INDEX IF NOT EXISTS %I ON %I USING btree (%s)', r.name || '_key', r.name,
        CASE r.parent WHEN 'spans' THEN 'trace_id, span_id, start_ns' ELSE 'time_ns, fingerprint' END);
    ELSE
      EXECUTE format('CREATE TRIGGER pivot_columnar_day_guard BEFORE INSERT ON %I FOR EACH ROW EXECUTE FUNCTION pivot_columnar_day_guard()', r.name);
    END IF;
  END LOOP;
END $$;
