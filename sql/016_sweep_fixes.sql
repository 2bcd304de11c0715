-- 016_sweep_fixes: input the hostile-input sweep (tests/api/test_sweep.py) found answered with a
-- database error (500) is refused as the request's fault instead.

-- A DISTINCT query sorted by a field it does not show is not valid SQL (42P10: "for SELECT
-- DISTINCT, ORDER BY expressions must appear in select list"). CKAN sends it anyway and answers
-- its own ValidationError (409); we refuse it before building the statement (OD210, DETAIL
-- 'sort'), so it is a 409 Validation Error on `sort`.

-- One sort key ("field", "field desc", "\"quoted\" asc") as (field, direction), or OD210.
CREATE FUNCTION ds_sort_key(s text, OUT field text, OUT dir text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    m text[] := regexp_match(s, '^\s*(.*?)\s*(?:\s(asc|desc))?\s*$', 'i');
BEGIN
    IF m IS NULL OR m[1] = '' THEN
        RAISE EXCEPTION 'cannot sort by "%"', s USING ERRCODE = 'OD210', DETAIL = 'sort';
    END IF;
    field := m[1];
    IF field ~ '^".*"$' THEN
        field := replace(substr(field, 2, length(field) - 2), '""', '"');
    END IF;
    dir := upper(coalesce(m[2], 'asc'));
END
$$;

-- ORDER BY from ["field", "field desc", ...]; _id is the last key for stable paging, unless
-- the query is DISTINCT (then only the given keys). (006's, the key parsing shared.)
CREATE OR REPLACE FUNCTION ds_order(t datastore_table, sort text[], is_distinct boolean)
RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    keys text[] := '{}';
    s text;
    k record;
    has_id boolean := false;
BEGIN
    FOREACH s IN ARRAY coalesce(sort, '{}') LOOP
        k := ds_sort_key(s);
        PERFORM ds_field_type(t, k.field, 'sort');
        keys := keys || format('%I %s', k.field, k.dir);
        has_id := has_id OR k.field = '_id';
    END LOOP;
    IF NOT has_id AND NOT is_distinct THEN
        keys := keys || format('%I ASC', '_id'); -- the same text an explicit sort=_id gives
    END IF;
    RETURN CASE WHEN cardinality(keys) = 0 THEN '' ELSE ' ORDER BY ' || array_to_string(keys, ', ') END;
END
$$;

-- OD210 when a DISTINCT query would sort by a field it does not show.
CREATE FUNCTION ds_check_distinct_sort(t datastore_table, fields text[], sort text[])
RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    shown jsonb := ds_out_fields(t, fields);
    s text;
    k record;
BEGIN
    FOREACH s IN ARRAY coalesce(sort, '{}') LOOP
        k := ds_sort_key(s);
        IF NOT shown @> jsonb_build_array(jsonb_build_object('id', k.field)) THEN
            RAISE EXCEPTION 'cannot sort by "%" with distinct: it is not one of the fields shown', k.field
                USING ERRCODE = 'OD210', DETAIL = 'sort';
        END IF;
    END LOOP;
END
$$;

-- 006's ds_select_sql, with the DISTINCT check once the keys are known to exist.
CREATE OR REPLACE FUNCTION ds_select_sql(t datastore_table, filters jsonb, q jsonb, fields text[],
                                         sort text[], lim bigint, off bigint, is_distinct boolean)
RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    cols text;
    where_sql text;
    order_sql text;
    keyset boolean;
BEGIN
    where_sql := ds_where(t, filters, q);
    order_sql := ds_order(t, sort, is_distinct);
    IF is_distinct THEN
        PERFORM ds_check_distinct_sort(t, fields, sort);
    END IF;
    SELECT string_agg(format('%I', x->>'id'), ', ' ORDER BY n) INTO cols
    FROM jsonb_array_elements(ds_out_fields(t, fields)) WITH ORDINALITY e(x, n);
    keyset := where_sql = '' AND order_sql = format(' ORDER BY %I ASC', '_id') AND t.max_id = t.row_count
              AND coalesce(off, 0) > 0;
    RETURN format('SELECT %s%s FROM datastore.%I%s%s%s%s', CASE WHEN is_distinct THEN 'DISTINCT ' ELSE '' END,
        cols, t.table_name,
        CASE WHEN keyset THEN format(' WHERE "_id" > %s', off) ELSE where_sql END,
        order_sql,
        CASE WHEN lim IS NULL THEN '' ELSE format(' LIMIT %s', lim) END,
        CASE WHEN keyset OR coalesce(off, 0) = 0 THEN '' ELSE format(' OFFSET %s', off) END);
END
$$;

-- A field named twice in `fields` made the query's column references ambiguous (42702), and
-- more than 1664 of them overflowed the target list (54011). It is OD210 on `fields` now, as
-- the CKAN dump already answers it. (006's ds_out_fields with the check.)
CREATE OR REPLACE FUNCTION ds_out_fields(t datastore_table, fields text[]) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    out jsonb := '[]';
    f text;
BEGIN
    IF fields IS NULL THEN
        RETURN ds_all_fields(t);
    END IF;
    FOREACH f IN ARRAY fields LOOP
        IF out @> jsonb_build_array(jsonb_build_object('id', f)) THEN
            RAISE EXCEPTION 'names a field twice: "%"', f USING ERRCODE = 'OD210',
                DETAIL = 'fields';
        END IF;
        out := out || jsonb_build_object('id', f, 'type', ds_field_type(t, f, 'fields'));
    END LOOP;
    IF jsonb_array_length(out) = 0 THEN
        RAISE EXCEPTION 'fields must name at least one field' USING ERRCODE = 'OD210',
            DETAIL = 'fields';
    END IF;
    RETURN out;
END
$$;
