-- The SQL escape hatch: stable, read-only views over every signal in schema "pivot", with friendly
-- types (timestamptz, hex IDs, names for enums, jsonb attributes). They name columns of the base tables
-- only, never their layout (partitions, access method, distribution), so they keep working when
-- partitions go columnar or the tables are distributed. Role pivot_reader may read these and nothing
-- else; grant it to a login role (README, "SQL over every signal").
CREATE SCHEMA IF NOT EXISTS pivot;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION pivot.span_id_hex(v bigint) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN v IS NULL THEN NULL ELSE lpad(to_hex(v), 16, '0') END;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION pivot.trace_id_hex(v uuid) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN replace(v::text, '-', '');
--> statement-breakpoint
CREATE OR REPLACE FUNCTION pivot.ns_to_timestamptz(ns bigint) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN to_timestamp(ns / 1e9);
--> statement-breakpoint
-- An unsigned varint of the chunk codec (packages/store/src/chunk-codec.ts) at byte offset pos.
CREATE OR REPLACE FUNCTION pivot.chunk_varint(data bytea, pos integer, OUT val numeric, OUT next integer)
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  b integer;
  mul numeric := 1;
BEGIN
  val := 0;
  next := pos;
  LOOP
    IF next >= length(data) THEN
      RAISE EXCEPTION 'truncated chunk';
    END IF;
    b := get_byte(data, next);
    next := next + 1;
    val := val + (b & 127) * mul;
    EXIT WHEN b < 128;
    mul := mul * 128;
  END LOOP;
END
$fn$;
--> statement-breakpoint
-- IEEE 754 bits to the double they encode, exactly (every step is a multiplication by a power of two).
CREATE OR REPLACE FUNCTION pivot.float8_from_bits(bits bigint) RETURNS double precision
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  e integer := ((bits >> 52) & 2047)::integer;
  m bigint := bits & 4503599627370495;
  v double precision;
BEGIN
  IF e = 2047 THEN
    IF m <> 0 THEN
      RETURN 'NaN'::double precision;
    END IF;
    v := 'Infinity'::double precision;
  ELSIF e = 0 THEN
    v := m::double precision * power(2::double precision, -1074);
  ELSE
    v := (4503599627370496 + m)::double precision * power(2::double precision, e - 1075);
  END IF;
  RETURN CASE WHEN bits < 0 THEN -v ELSE v END;
END
$fn$;
--> statement-breakpoint
-- The samples of one chunk, decoded as chunk-codec.ts decodes them: timestamps as delta-of-delta
-- zigzag varints, then values either as delta-of-delta integers (mode 1) or XORed with their
-- predecessor keeping the non-zero middle bytes (mode 0). `stale` marks Prometheus' stale marker
-- (NaN with bits 0x7ff0000000000002), which a double cannot tell from any other NaN in SQL.
CREATE OR REPLACE FUNCTION pivot.decode_chunk(data bytea)
  RETURNS TABLE (ts_ms bigint, value double precision, stale boolean)
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  r record;
  pos integer;
  n integer;
  i integer;
  b integer;
  ts numeric;
  delta numeric := 0;
  z numeric;
  tss bigint[];
  mode integer;
  v numeric;
  dv numeric := 0;
  bits bigint := 0;
  x bigint;
  h integer;
  lz integer;
  tz integer;
BEGIN
  r := pivot.chunk_varint(data, 0);
  n := r.val::integer;
  pos := r.next;
  IF n = 0 THEN
    RETURN;
  END IF;
  tss := array_fill(0::bigint, ARRAY[n]);
  FOR i IN 1..n LOOP
    r := pivot.chunk_varint(data, pos);
    pos := r.next;
    z := CASE WHEN r.val % 2 = 0 THEN r.val / 2 ELSE -(r.val + 1) / 2 END;
    IF i = 1 THEN
      ts := z;
    ELSE
      delta := delta + z;
      ts := ts + delta;
    END IF;
    tss[i] := ts::bigint;
  END LOOP;
  mode := get_byte(data, pos);
  pos := pos + 1;
  IF mode = 1 THEN
    FOR i IN 1..n LOOP
      r := pivot.chunk_varint(data, pos);
      pos := r.next;
      z := CASE WHEN r.val % 2 = 0 THEN r.val / 2 ELSE -(r.val + 1) / 2 END;
      IF i = 1 THEN
        v := z;
      ELSE
        dv := dv + z;
        v := v + dv;
      END IF;
      ts_ms := tss[i];
      value := v::double precision;
      stale := false;
      RETURN NEXT;
    END LOOP;
    RETURN;
  END IF;
  IF mode <> 0 THEN
    RAISE EXCEPTION 'unknown chunk value encoding %', mode;
  END IF;
  FOR b IN 0..7 LOOP
    bits := bits | (get_byte(data, pos + b)::bigint << (b * 8));
  END LOOP;
  pos := pos + 8;
  FOR i IN 1..n LOOP
    IF i > 1 THEN
      h := get_byte(data, pos);
      pos := pos + 1;
      IF h <> 0 THEN
        lz := (h - 1) >> 3;
        tz := (h - 1) & 7;
        x := 0;
        FOR b IN REVERSE 7 - lz..tz LOOP
          x := x | (get_byte(data, pos)::bigint << (b * 8));
          pos := pos + 1;
        END LOOP;
        bits := bits # x;
      END IF;
    END IF;
    ts_ms := tss[i];
    value := pivot.float8_from_bits(bits);
    stale := bits = 9218868437227405314;
    RETURN NEXT;
  END LOOP;
END
$fn$;
--> statement-breakpoint
CREATE OR REPLACE VIEW pivot.spans AS
SELECT
  pivot.trace_id_hex(s.trace_id) AS trace_id,
  pivot.span_id_hex(s.span_id) AS span_id,
  pivot.span_id_hex(s.parent_span_id) AS parent_span_id,
  s.service_name AS service,
  s.name,
  (ARRAY['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'])[s.kind + 1] AS kind,
  (ARRAY['UNSET', 'OK', 'ERROR'])[s.status_code + 1] AS status,
  s.status_message,
  pivot.ns_to_timestamptz(s.start_ns) AS start_time,
  pivot.ns_to_timestamptz(s.start_ns + s.duration_ns) AS end_time,
  s.duration_ns / 1e6::double precision AS duration_ms,
  s.start_ns,
  s.duration_ns,
  s.attributes,
  r.attributes AS resource_attributes,
  sc.name AS scope_name,
  sc.version AS scope_version,
  coalesce(s.events, '[]'::jsonb) AS events,
  coalesce(s.links, '[]'::jsonb) AS links,
  s.trace_state
FROM spans s
LEFT JOIN resources r ON r.id = s.resource_id
LEFT JOIN scopes sc ON sc.id = s.scope_id;
--> statement-breakpoint
CREATE OR REPLACE VIEW pivot.traces AS
SELECT
  pivot.trace_id_hex(t.trace_id) AS trace_id,
  pivot.ns_to_timestamptz(t.start_ns) AS start_time,
  pivot.ns_to_timestamptz(t.end_ns) AS end_time,
  (t.end_ns - t.start_ns) / 1e6::double precision AS duration_ms,
  t.root_service,
  t.root_name,
  t.span_count,
  t.error_count,
  t.services
FROM traces t;
--> statement-breakpoint
CREATE OR REPLACE VIEW pivot.logs AS
SELECT
  pivot.ns_to_timestamptz(l.time_ns) AS time,
  l.time_ns,
  pivot.ns_to_timestamptz(l.observed_ns) AS observed_time,
  pivot.trace_id_hex(l.trace_id) AS trace_id,
  pivot.span_id_hex(l.span_id) AS span_id,
  l.severity_number,
  l.severity_text,
  l.service_name AS service,
  l.body,
  CASE WHEN l.body_is_json THEN l.body::jsonb END AS body_json,
  l.attributes,
  r.attributes AS resource_attributes,
  nullif(l.event_name, '') AS event_name
FROM logs l
LEFT JOIN resources r ON r.id = l.resource_id;
--> statement-breakpoint
CREATE OR REPLACE VIEW pivot.series AS
SELECT s.id AS series_id, s.metric_name AS metric, s.labels FROM metric_series s;
--> statement-breakpoint
CREATE OR REPLACE VIEW pivot.samples AS
SELECT s.id AS series_id, s.metric_name AS metric, s.labels, to_timestamp(d.ts_ms / 1e3) AS time, d.ts_ms,
  d.value, d.stale
FROM metric_chunks c
JOIN metric_series s ON s.id = c.series_id
CROSS JOIN LATERAL pivot.decode_chunk(c.data) d;
--> statement-breakpoint
CREATE OR REPLACE VIEW pivot.exemplars AS
SELECT s.id AS series_id, s.metric_name AS metric, s.labels AS series_labels, to_timestamp(e.ts_ms / 1e3) AS time,
  e.ts_ms, e.value, pivot.trace_id_hex(e.trace_id) AS trace_id, pivot.span_id_hex(e.span_id) AS span_id,
  e.labels
FROM metric_exemplars e
JOIN metric_series s ON s.id = e.series_id;
--> statement-breakpoint
-- Roles belong to the cluster, not the database: several databases (and migrations running at once)
-- may create it; the first wins and the others carry on.
DO $do$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pivot_reader') THEN
    CREATE ROLE pivot_reader NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$do$;
--> statement-breakpoint
-- Owning the console function (below) needs membership of its owner when the migrating user is not a
-- superuser (a managed database's admin).
DO $do$
BEGIN
  EXECUTE format('GRANT pivot_reader TO %I', current_user);
EXCEPTION WHEN OTHERS THEN
  NULL;
END
$do$;
--> statement-breakpoint
-- The admin SQL console (POST /api/sql) runs one statement through this function. SECURITY DEFINER,
-- owned by pivot_reader: inside it the current role is pivot_reader, which can read the views only,
-- and PostgreSQL refuses to change "role" or "session_authorization" inside a security-definer
-- function, so the statement cannot take back the connecting user's rights (which SET ROLE alone
-- would allow, the session user being the migrating one). Each row comes back as its column names,
-- JSON types and values as text, so that a bigint keeps every digit on its way to JavaScript.
CREATE OR REPLACE FUNCTION pivot.sql_console(statement text, row_limit integer)
  RETURNS TABLE (keys text[], types text[], vals text[])
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pivot, pg_catalog AS $fn$
BEGIN
  -- The newline ends a trailing `--` comment of the statement before the wrapper goes on.
  RETURN QUERY EXECUTE format($q$SELECT array_agg(e.key ORDER BY e.n), array_agg(json_typeof(e.value) ORDER BY e.n),
      array_agg(e.value #>> '{}' ORDER BY e.n)
    FROM (SELECT row_number() OVER () AS rn, row_to_json(q) AS r FROM (%s
) AS q LIMIT %s) AS t, LATERAL json_each(t.r) WITH ORDINALITY AS e(key, value, n)
    GROUP BY t.rn ORDER BY t.rn$q$,
    statement, row_limit);
END
$fn$;
--> statement-breakpoint
ALTER FUNCTION pivot.sql_console(text, integer) OWNER TO pivot_reader;
--> statement-breakpoint
GRANT USAGE ON SCHEMA pivot TO pivot_reader;
--> statement-breakpoint
GRANT SELECT ON ALL TABLES IN SCHEMA pivot TO pivot_reader;
--> statement-breakpoint
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pivot TO pivot_reader;
