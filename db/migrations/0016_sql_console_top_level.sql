-- The SQL console (migration 0004) runs the admin's statement at the top level of its own query, no
-- longer as a subquery under row_number() and row_to_json: on a Citus coordinator a subquery's ORDER BY
-- is pushed down to each shard and the shards' rows come back concatenated, so the order was lost, and
-- the recursive planning of the wrapper lost the column names (f1, f2, …). The text must still stand as
-- a subquery (checked first by planning it as one, never run): one query, no data-modifying WITH, no
-- SELECT INTO, no utility command. The row limit becomes the statement's own LIMIT where it has none,
-- so that PostgreSQL keeps its top-N sort and Citus pushes the limit down to the shards; a statement
-- with its own LIMIT runs as it is and is cut after row_limit rows.
CREATE OR REPLACE FUNCTION pivot.sql_console(statement text, row_limit integer)
  RETURNS TABLE (keys text[], types text[], vals text[])
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pivot, pg_catalog AS $fn$
DECLARE
  probe refcursor;
  cur refcursor;
  rec record;
  got json[] := '{}';
BEGIN
  -- The newline ends a trailing `--` comment of the statement before the wrapper goes on.
  OPEN probe FOR EXECUTE format(E'SELECT * FROM (%s\n) AS q LIMIT 0', statement);
  CLOSE probe;
  BEGIN
    OPEN cur FOR EXECUTE format(E'(%s\n) LIMIT %s', statement, row_limit);
  EXCEPTION WHEN syntax_error THEN
    -- It stands as a subquery but takes no second LIMIT: it has its own.
    OPEN cur FOR EXECUTE statement;
  END;
  WHILE cardinality(got) < row_limit LOOP
    FETCH cur INTO rec;
    EXIT WHEN NOT FOUND;
    got := got || row_to_json(rec);
  END LOOP;
  CLOSE cur;
  -- Each row as its column names, JSON types and values as text, so that a bigint keeps every digit.
  RETURN QUERY SELECT array_agg(e.key ORDER BY e.n), array_agg(json_typeof(e.value) ORDER BY e.n),
      array_agg(e.value #>> '{}' ORDER BY e.n)
    FROM unnest(got) WITH ORDINALITY AS t(r, rn), LATERAL json_each(t.r) WITH ORDINALITY AS e(key, value, n)
    GROUP BY t.rn ORDER BY t.rn;
END
$fn$;
