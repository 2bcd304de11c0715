-- 06_datastore_query: queries over datastore tables, shared by the Taiwan datastore endpoint,
-- CKAN datastore_search and the dumps, and the pieces the server's prepared reads
-- (server/ds_read.c) share with them so that both paths give the same bytes. Identifiers are
-- checked against the table's own field list and quoted with %I; values are quoted with %L.
-- Application errors are raised with our own SQLSTATEs, which the server maps to API errors:
--   OD100 resource not found   OD210 malformed value   OD220 unknown field
--   OD403 the caller may not read the resource's dataset

-- The bookkeeping row of rid when it has data, its resource is active and v (NULL: anonymous)
-- may read its dataset; no row otherwise.
CREATE OR REPLACE FUNCTION ds_readable(rid text, v ckan_viewer) RETURNS SETOF datastore_table
LANGUAGE sql STABLE AS $$
    SELECT d.* FROM datastore_table d
    JOIN resource r ON r.id = d.resource_id
    JOIN package p ON p.id = r.package_id
    WHERE d.resource_id = rid AND r.state = 'active'
      AND ckan_can_read(p.state, p.private, p.owner_org, p.creator_user_id, v)
$$;

-- The datastore bookkeeping row of a resource v may read (NULL: anonymous), or OD100/OD403.
CREATE OR REPLACE FUNCTION ds_table(rid text, v ckan_viewer DEFAULT NULL) RETURNS datastore_table
LANGUAGE plpgsql STABLE AS $$
DECLARE
    t datastore_table;
BEGIN
    SELECT * INTO t FROM ds_readable(rid, v);
    IF FOUND THEN
        RETURN t;
    END IF;
    PERFORM FROM datastore_table d JOIN resource r ON r.id = d.resource_id
    WHERE d.resource_id = rid AND r.state = 'active';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Resource "%" was not found.', rid USING ERRCODE = 'OD100';
    END IF;
    -- DETAIL: the answer of an API without authorization (the Taiwan one): not found
    RAISE EXCEPTION 'User % not authorized to read resource %', ckan_viewer_name(v), rid
        USING ERRCODE = 'OD403', DETAIL = format('Resource "%s" was not found.', rid);
END
$$;

-- The field list with `_id` first: [{id, type}], table order.
CREATE OR REPLACE FUNCTION ds_all_fields(t datastore_table) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN '[{"id": "_id", "type": "int8"}]'::jsonb
        || coalesce((SELECT jsonb_agg(jsonb_build_object('id', f->>'id', 'type', f->>'type') ORDER BY n)
                     FROM jsonb_array_elements(t.fields) WITH ORDINALITY x(f, n)), '[]');
END
$$;

-- The type of a field, or OD220 naming it (DETAIL = the request parameter that named it).
CREATE OR REPLACE FUNCTION ds_field_type(t datastore_table, name text, param text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    ty text;
BEGIN
    SELECT f->>'type' INTO ty FROM jsonb_array_elements(ds_all_fields(t)) f WHERE f->>'id' = name;
    IF ty IS NULL THEN
        RAISE EXCEPTION 'field "%" does not exist', name USING ERRCODE = 'OD220', DETAIL = param;
    END IF;
    RETURN ty;
END
$$;

-- The fields a query returns: all (with `_id` first) when `fields` is NULL, else the named ones
-- in the order given (OD220 for an unknown one, OD210 for none). A field named twice is OD210
-- too (sql/migrations/016): it made the query's column references ambiguous (42702), and more
-- than 1664 of them overflowed the target list (54011); the CKAN dump answers it the same way.
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

-- The JSON value expression of one column as an API shows it: timestamps without fraction or
-- zone; numeric as a string for the Taiwan API (its example) and as a number for CKAN.
CREATE OR REPLACE FUNCTION ds_value_expr(name text, ty text, style text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN ty = 'numeric' AND style = 'tw' THEN format('%I::text', name)
        WHEN ty = 'timestamp' THEN format('to_char(%I, ''YYYY-MM-DD"T"HH24:MI:SS'')', name)
        ELSE format('%I', name) END
$$;

-- WHERE clause for filters ({"f": "v"} or {"f": ["a", "b"]}, compared as the column's text)
-- and q (a string searched in search_expr, or {"f": "word"} searched in that column).
CREATE OR REPLACE FUNCTION ds_where(t datastore_table, filters jsonb, q jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    conds text[] := '{}';
    k text;
    v jsonb;
    col text;
BEGIN
    IF filters IS NOT NULL AND jsonb_typeof(filters) <> 'object' THEN
        RAISE EXCEPTION 'filters must be a JSON object' USING ERRCODE = 'OD210', DETAIL = 'filters';
    END IF;
    FOR k, v IN SELECT * FROM jsonb_each(coalesce(filters, '{}')) LOOP
        col := CASE WHEN ds_field_type(t, k, 'filters') = 'text' THEN format('%I', k) ELSE format('%I::text', k) END;
        IF jsonb_typeof(v) = 'array' THEN
            conds := conds || format('%s = ANY (%L::text[])', col,
                (SELECT coalesce(array_agg(e #>> '{}'), '{}') FROM jsonb_array_elements(v) e));
        ELSIF jsonb_typeof(v) IN ('object') THEN
            RAISE EXCEPTION 'filter value for "%" must be a value or a list of values', k
                USING ERRCODE = 'OD210', DETAIL = 'filters';
        ELSIF jsonb_typeof(v) = 'null' THEN
            conds := conds || format('%I IS NULL', k);
        ELSE
            conds := conds || format('%s = %L', col, v #>> '{}');
        END IF;
    END LOOP;
    IF jsonb_typeof(q) = 'string' AND q #>> '{}' <> '' THEN
        conds := conds || format('(%s) ILIKE %L', coalesce(t.search_expr, '''''::text'),
                                 '%' || ds_like_escape(q #>> '{}') || '%');
    ELSIF jsonb_typeof(q) = 'object' THEN
        FOR k, v IN SELECT * FROM jsonb_each(q) LOOP
            PERFORM ds_field_type(t, k, 'q');
            conds := conds || format('%I::text ILIKE %L', k, '%' || ds_like_escape(v #>> '{}') || '%');
        END LOOP;
    END IF;
    RETURN CASE WHEN cardinality(conds) = 0 THEN '' ELSE ' WHERE ' || array_to_string(conds, ' AND ') END;
END
$$;

CREATE OR REPLACE FUNCTION ds_like_escape(s text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT replace(replace(replace(s, '\', '\\'), '%', '\%'), '_', '\_')
$$;

-- One sort key ("field", "field desc", "\"quoted\" asc") as (field, direction), or OD210.
CREATE OR REPLACE FUNCTION ds_sort_key(s text, OUT field text, OUT dir text)
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
-- the query is DISTINCT (then only the given keys).
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

-- OD210 when a DISTINCT query would sort by a field it does not show: PostgreSQL cannot run it
-- (42P10, "for SELECT DISTINCT, ORDER BY expressions must appear in select list"); CKAN answers
-- its own ValidationError (409), so it is a 409 Validation Error on `sort`.
CREATE OR REPLACE FUNCTION ds_check_distinct_sort(t datastore_table, fields text[], sort text[])
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

-- The SELECT of a datastore query, as SQL text: columns `_id` and the requested fields (all
-- when fields is NULL) in their stored types, filtered, sorted and paged. Deep pages of an
-- unfiltered, _id-ordered, dense table use the key instead of OFFSET. A DISTINCT query sorted
-- by a field it does not show is refused (ds_check_distinct_sort) once the keys are known to
-- exist.
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

-- The same for a resource id (OD100 when it has no datastore table).
CREATE OR REPLACE FUNCTION ds_select_sql(rid text, filters jsonb, q jsonb, fields text[],
                                         sort text[], lim bigint, off bigint,
                                         is_distinct boolean DEFAULT false) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN ds_select_sql(ds_table(rid), filters, q, fields, sort, lim, off, is_distinct);
END
$$;

-- A page of records as JSON text: an array of objects, or of arrays (as_lists), with values
-- shown per docs/DATASTORE.md in the given style ('tw' or 'ckan').
CREATE OR REPLACE FUNCTION ds_records_json(t datastore_table, filters jsonb, q jsonb, fields text[],
                                           sort text[], lim bigint, off bigint, style text,
                                           as_lists boolean, is_distinct boolean)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    sel text := ds_select_sql(t, filters, q, fields, sort, lim, off, is_distinct);
    items text;
    out text;
BEGIN
    SELECT string_agg(CASE WHEN as_lists THEN '' ELSE format('%L, ', x->>'id') END
                      || ds_value_expr(x->>'id', x->>'type', style), ', ' ORDER BY n)
    INTO items FROM jsonb_array_elements(ds_out_fields(t, fields)) WITH ORDINALITY e(x, n);
    EXECUTE format('SELECT coalesce(json_agg(%s(%s)), ''[]'')::text FROM (%s) s',
                   CASE WHEN as_lists THEN 'json_build_array' ELSE 'json_build_object' END,
                   items, sel) INTO out;
    RETURN out;
END
$$;

-- Rows matching filters/q: exact, or, without filters and q, the maintained row count.
CREATE OR REPLACE FUNCTION ds_total(t datastore_table, filters jsonb, q jsonb, fields text[],
                                    is_distinct boolean) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    where_sql text := ds_where(t, filters, q);
    n bigint;
BEGIN
    IF is_distinct THEN
        EXECUTE format('SELECT count(*) FROM (%s) s',
                       ds_select_sql(t, filters, q, fields, NULL, NULL, NULL, true)) INTO n;
        RETURN n;
    END IF;
    IF where_sql = '' THEN
        RETURN t.row_count;
    END IF;
    EXECUTE format('SELECT count(*) FROM datastore.%I%s', t.table_name, where_sql) INTO n;
    RETURN n;
END
$$;

-- Taiwan endpoint 7 result around its records: flds is the fields array as JSON text.
-- (STABLE as format and to_json are: a SQL function no more volatile than its body is inlined
-- into the statement calling it, instead of being planned again at every call.)
CREATE OR REPLACE FUNCTION tw_ds_result(rid text, flds text, recs text, lim bigint, off bigint,
                                        total bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('{"resource_id": %s, "fields": %s, "records": %s, "limit": %s, "offset": %s, "total": %s}',
                  to_json(rid), flds, recs, to_json(lim), coalesce(off, 0), total)
$$;

-- Taiwan endpoint 7 result: resource_id, fields (type, id; `_id` as int4 per the spec's
-- example), records, limit, offset, total. `fields_in` limits the fields shown.
CREATE OR REPLACE FUNCTION tw_datastore(rid text, filters jsonb, q text, fields_in text[],
                                                   sort text, lim bigint, off bigint) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    t datastore_table := ds_table(rid);
    qj jsonb := CASE WHEN q IS NULL THEN NULL ELSE to_jsonb(q) END;
    sorts text[] := CASE WHEN sort IS NULL THEN NULL ELSE ARRAY[sort] END;
    recs text := ds_records_json(t, filters, qj, fields_in, sorts, lim, off, 'tw', false, false);
    flds json;
BEGIN
    SELECT json_agg(json_build_object('type', CASE WHEN x->>'id' = '_id' THEN 'int4' ELSE x->>'type' END,
                                      'id', x->>'id') ORDER BY n)
    INTO flds FROM jsonb_array_elements(ds_out_fields(t, fields_in)) WITH ORDINALITY e(x, n);
    RETURN tw_ds_result(rid, flds::text, recs, lim, off, ds_total(t, filters, qj, NULL, false));
END
$$;
