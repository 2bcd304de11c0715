-- 07_ckan_datastore: CKAN datastore_search and datastore_info results (ckan-research §6.5,
-- §6.7), built on the queries of 06_datastore_query. The server validates parameter syntax and
-- passes a normalized request object; field names are checked here (OD220, DETAIL = the
-- parameter).

-- CSV/TSV text of one value as PostgreSQL's COPY CSV writes it: quoted only when needed,
-- NULL empty, empty string "".
CREATE OR REPLACE FUNCTION ds_csv_quote(v text, sep text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN v IS NULL THEN ''
        WHEN v = '' OR v ~ ('[' || sep || '"\r\n]') THEN '"' || replace(v, '"', '""') || '"'
        ELSE v END
$$;

-- The text of one column for csv/tsv records.
CREATE OR REPLACE FUNCTION ds_text_expr(name text, ty text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN ty = 'bool' THEN format('CASE WHEN %1$I THEN ''t'' WHEN NOT %1$I THEN ''f'' END', name)
        WHEN ty = 'timestamp' THEN format('to_char(%I, ''YYYY-MM-DD"T"HH24:MI:SS'')', name)
        ELSE format('%I::text', name) END
$$;

-- records_format csv/tsv: one string, rows ending in \n, no header.
CREATE OR REPLACE FUNCTION ds_records_csv(t datastore_table, filters jsonb, q jsonb, fields text[],
                                          sort text[], lim bigint, off bigint, sep text, is_distinct boolean)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    sel text := ds_select_sql(t, filters, q, fields, sort, lim, off, is_distinct);
    line text;
    out text;
BEGIN
    SELECT string_agg(format('ds_csv_quote(%s, %L)', ds_text_expr(x->>'id', x->>'type'), sep),
                      format(' || %L || ', sep) ORDER BY n)
    INTO line FROM jsonb_array_elements(ds_out_fields(t, fields)) WITH ORDINALITY e(x, n);
    EXECUTE format('SELECT coalesce(string_agg(%s || E''\n'', ''''), '''') FROM (%s) s', line, sel)
    INTO out;
    RETURN out;
END
$$;

-- The fields list as CKAN shows it: `_id` typed "int", others with their info.
CREATE OR REPLACE FUNCTION ckan_ds_fields(t datastore_table, fields text[]) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT jsonb_agg(CASE
        WHEN x->>'id' = '_id' THEN '{"id": "_id", "type": "int"}'::jsonb
        ELSE x || coalesce((SELECT jsonb_build_object('info', f->'info') FROM jsonb_array_elements(t.fields) f
                            WHERE f->>'id' = x->>'id' AND f ? 'info'), '{}') END ORDER BY n)
    FROM jsonb_array_elements(ds_out_fields(t, fields)) WITH ORDINALITY e(x, n));
END
$$;

-- The CKAN datastore_search result up to its records (the object's text without its closing
-- brace): the request's echo, resource_id, limit, records_format, include_total,
-- total_estimation_threshold, fields, _links, and total when include_total. p: as
-- ckan_datastore_search takes it.
CREATE OR REPLACE FUNCTION ckan_ds_head(p jsonb, fields jsonb, total bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT left((coalesce(p->'echo', '{}') || jsonb_build_object(
        'resource_id', p->>'resource_id', 'limit', (p->>'limit')::bigint,
        'records_format', coalesce(p->>'records_format', 'objects'),
        'include_total', coalesce((p->>'include_total')::boolean, true),
        'total_estimation_threshold', p->'total_estimation_threshold',
        'fields', fields, '_links', p->'links')
        || CASE WHEN coalesce((p->>'include_total')::boolean, true)
                THEN jsonb_build_object('total', total, 'total_was_estimated', false)
                ELSE '{}' END)::text, -1)
$$;

-- p: {resource_id, filters, q, fields[], sort[], limit, offset, distinct, records_format,
--     include_total, total_estimation_threshold, links: {start, next, prev}, echo: {...}}
CREATE OR REPLACE FUNCTION ckan_datastore_search(p jsonb, v ckan_viewer) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    rid text := p->>'resource_id';
    t datastore_table := ds_table(rid, v);
    flt jsonb := p->'filters';
    q jsonb := p->'q';
    flds text[] := CASE WHEN p ? 'fields' THEN ARRAY(SELECT jsonb_array_elements_text(p->'fields')) END;
    srt text[] := CASE WHEN p ? 'sort' THEN ARRAY(SELECT jsonb_array_elements_text(p->'sort')) END;
    lim bigint := (p->>'limit')::bigint;
    off bigint := coalesce((p->>'offset')::bigint, 0);
    dist boolean := coalesce((p->>'distinct')::boolean, false);
    fmt text := coalesce(p->>'records_format', 'objects');
    recs text;
BEGIN
    recs := CASE fmt
        WHEN 'objects' THEN ds_records_json(t, flt, q, flds, srt, lim, off, 'ckan', false, dist)
        WHEN 'lists' THEN ds_records_json(t, flt, q, flds, srt, lim, off, 'ckan', true, dist)
        WHEN 'csv' THEN to_json(ds_records_csv(t, flt, q, flds, srt, lim, off, ',', dist))::text
        ELSE to_json(ds_records_csv(t, flt, q, flds, srt, lim, off, E'\t', dist))::text END;
    -- records go last and keep PostgreSQL's rendering (numeric digits, key order)
    RETURN ckan_ds_head(p, ckan_ds_fields(t, flds),
                        CASE WHEN coalesce((p->>'include_total')::boolean, true)
                             THEN ds_total(t, flt, q, flds, dist) END)
           || ', "records": ' || recs || '}';
END
$$;

-- datastore_info: meta (id, count, table_type, size, db_size, idx_size, aliases) and fields
-- with their native schema.
CREATE OR REPLACE FUNCTION ckan_datastore_info(rid text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    t datastore_table := ds_table(rid, v);
    rel regclass := format('datastore.%I', t.table_name)::regclass;
BEGIN
    RETURN jsonb_build_object(
        'meta', jsonb_build_object('id', rid, 'count', t.row_count, 'table_type', 'BASE TABLE',
            'size', pg_table_size(rel), 'db_size', pg_database_size(current_database()),
            'idx_size', pg_indexes_size(rel), 'aliases', '[]'::jsonb),
        'fields', coalesce((SELECT jsonb_agg(f || jsonb_build_object('schema', jsonb_build_object(
                'native_type', format_type(a.atttypid, a.atttypmod), 'notnull', a.attnotnull,
                'index_name', NULL, 'is_index', false, 'uniquekey', false)) ORDER BY n)
            FROM jsonb_array_elements(t.fields) WITH ORDINALITY x(f, n)
            JOIN pg_attribute a ON a.attrelid = rel AND a.attname = f->>'id'), '[]'))::text;
END
$$;
