-- Hand-written. The hot log partitions' (severity, time) btree indexed every row (56 B per log) but was
-- only scanned for severities few rows have: it becomes a partial index of error and fatal rows
-- (HOT_INDEXES in packages/store/src/partitions.ts, `severe_time_idx`), created on the existing hot
-- partitions by the next partition upkeep. Columnar (cold) days have no index to drop.
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT ic.relname AS name
    FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
    JOIN pg_index x ON x.indrelid = i.inhrelid JOIN pg_class ic ON ic.oid = x.indexrelid
    WHERE p.relname = 'logs' AND pg_table_is_visible(p.oid) AND ic.relname LIKE '%\_severity\_time\_idx'
  LOOP
    EXECUTE format('DROP INDEX IF EXISTS %I', r.name);
  END LOOP;
END $$;
