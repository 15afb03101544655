-- Metric chunks version 1 (packages/store/src/chunk-codec.ts): run lengths for zero deltas of deltas
-- and unchanged values, after a 0x80 0x00 <version> header. pivot.decode_chunk reads both versions, as
-- chunks written before stay as they are until compaction rewrites their window.
CREATE OR REPLACE FUNCTION pivot.decode_chunk(data bytea)
  RETURNS TABLE (ts_ms bigint, value double precision, stale boolean)
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  r record;
  pos integer := 0;
  version integer := 0;
  n integer;
  i integer;
  j integer;
  k integer;
  b integer;
  cur numeric;
  delta numeric;
  z numeric;
  tss bigint[];
  vals numeric[];
  mode integer;
  bits bigint := 0;
  x bigint;
  h integer;
  lz integer;
  tz integer;
  pass integer;
BEGIN
  IF length(data) >= 2 AND get_byte(data, 0) = 128 AND get_byte(data, 1) = 0 THEN
    IF length(data) < 3 THEN
      RAISE EXCEPTION 'truncated chunk';
    END IF;
    version := get_byte(data, 2);
    IF version <> 1 THEN
      RAISE EXCEPTION 'unknown chunk version %', version;
    END IF;
    pos := 3;
  END IF;
  r := pivot.chunk_varint(data, pos);
  n := r.val::integer;
  pos := r.next;
  IF n = 0 THEN
    RETURN;
  END IF;
  tss := array_fill(0::bigint, ARRAY[n]);
  vals := array_fill(0::numeric, ARRAY[n]);
  -- Pass 1: timestamps; pass 2: integer values (mode 1). Both are deltas of deltas, runs in version 1.
  FOR pass IN 1..2 LOOP
    IF pass = 2 THEN
      IF pos >= length(data) THEN
        RAISE EXCEPTION 'truncated chunk';
      END IF;
      mode := get_byte(data, pos);
      pos := pos + 1;
      EXIT WHEN mode <> 1;
    END IF;
    r := pivot.chunk_varint(data, pos);
    pos := r.next;
    cur := CASE WHEN r.val % 2 = 0 THEN r.val / 2 ELSE -(r.val + 1) / 2 END;
    IF pass = 1 THEN tss[1] := cur::bigint; ELSE vals[1] := cur; END IF;
    delta := 0;
    i := 2;
    WHILE i <= n LOOP
      r := pivot.chunk_varint(data, pos);
      pos := r.next;
      IF version = 1 AND r.val % 2 = 1 THEN
        k := ((r.val + 1) / 2)::integer;
        IF i + k - 1 > n THEN
          RAISE EXCEPTION 'run past the end of the chunk';
        END IF;
        FOR j IN 1..k LOOP
          cur := cur + delta;
          IF pass = 1 THEN tss[i] := cur::bigint; ELSE vals[i] := cur; END IF;
          i := i + 1;
        END LOOP;
      ELSE
        z := CASE WHEN version = 1 THEN r.val / 2 ELSE r.val END;
        delta := delta + CASE WHEN z % 2 = 0 THEN z / 2 ELSE -(z + 1) / 2 END;
        cur := cur + delta;
        IF pass = 1 THEN tss[i] := cur::bigint; ELSE vals[i] := cur; END IF;
        i := i + 1;
      END IF;
    END LOOP;
  END LOOP;
  IF mode = 1 THEN
    FOR i IN 1..n LOOP
      ts_ms := tss[i];
      value := vals[i]::double precision;
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
  ts_ms := tss[1];
  value := pivot.float8_from_bits(bits);
  stale := bits = 9218868437227405314;
  RETURN NEXT;
  i := 2;
  WHILE i <= n LOOP
    h := get_byte(data, pos);
    pos := pos + 1;
    k := 1;
    IF version = 1 AND h >= 128 THEN
      k := h - 127;
      IF i + k - 1 > n THEN
        RAISE EXCEPTION 'run past the end of the chunk';
      END IF;
    ELSIF h <> 0 THEN
      lz := (h - 1) >> 3;
      tz := (h - 1) & 7;
      x := 0;
      FOR b IN REVERSE 7 - lz..tz LOOP
        x := x | (get_byte(data, pos)::bigint << (b * 8));
        pos := pos + 1;
      END LOOP;
      bits := bits # x;
    END IF;
    FOR j IN 1..k LOOP
      ts_ms := tss[i];
      value := pivot.float8_from_bits(bits);
      stale := bits = 9218868437227405314;
      RETURN NEXT;
      i := i + 1;
    END LOOP;
  END LOOP;
END
$fn$;
