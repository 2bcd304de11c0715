-- 07_ckan_datastore: CKAN datastore_search and datastore_info results (ckan-research §6.5,
-- §6.7): what the generated datastore_search statement (server/datastore/sqlbuild.c) calls
-- around its records, and datastore_info.

-- CSV/TSV text of one value as PostgreSQL's COPY CSV writes it: quoted only when needed,
-- NULL empty, empty string "".
CREATE OR REPLACE FUNCTION ds_csv_quote(v text, sep text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN v IS NULL THEN ''
        WHEN v = '' OR v ~ ('[' || sep || '"\r\n]') THEN '"' || replace(v, '"', '""') || '"'
        ELSE v END
$$;

-- The CKAN datastore_search result up to its records (the object's text without its closing
-- brace): the request's echo, resource_id, limit, records_format, include_total,
-- total_estimation_threshold, fields, _links, and total when include_total. rid: the
-- resource's id, also when the request named an alias, as CKAN answers (the generated
-- statement passes its bookkeeping row's). p: the normalized request
-- (server/ckan/ckan_datastore.c): {resource_id, limit, records_format, include_total,
-- total_estimation_threshold, links: {start, next, prev}, echo: {...}, ...}.
CREATE OR REPLACE FUNCTION ckan_ds_head(p jsonb, fields jsonb, total bigint, rid text)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT left((coalesce(p->'echo', '{}') || jsonb_build_object(
        'resource_id', rid, 'limit', (p->>'limit')::bigint,
        'records_format', coalesce(p->>'records_format', 'objects'),
        'include_total', coalesce((p->>'include_total')::boolean, true),
        'total_estimation_threshold', p->'total_estimation_threshold',
        'fields', fields, '_links', p->'links')
        || CASE WHEN coalesce((p->>'include_total')::boolean, true)
                THEN jsonb_build_object('total', total, 'total_was_estimated', false)
                ELSE '{}' END)::text, -1)
$$;
-- The same with the resource id looked up from the request's name: what servers before the
-- four-argument form generate, kept for them while several servers are upgraded in turn.
CREATE OR REPLACE FUNCTION ckan_ds_head(p jsonb, fields jsonb, total bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT ckan_ds_head(p, fields, total, ds_alias_target(p->>'resource_id'))
$$;

-- datastore_info: meta (id: the resource's, rid being an alias or not; count, table_type,
-- size, db_size, idx_size, aliases) and fields with their native schema.
CREATE OR REPLACE FUNCTION ckan_datastore_info(rid text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    t datastore_table;
    rel regclass;
BEGIN
    BEGIN
        t := ds_table(rid, v);
    EXCEPTION WHEN SQLSTATE 'OD100' THEN  -- CKAN's datastore_info words it so
        RAISE EXCEPTION 'Resource/Alias "%" was not found.', rid USING ERRCODE = 'OD100';
    END;
    rel := format('datastore.%I', t.table_name)::regclass;
    RETURN jsonb_build_object(
        'meta', jsonb_build_object('id', t.resource_id, 'count', t.row_count,
            'table_type', 'BASE TABLE', 'size', pg_table_size(rel),
            'db_size', pg_database_size(current_database()), 'idx_size', pg_indexes_size(rel),
            'aliases', ds_alias_list(t.resource_id)),
        'fields', coalesce((SELECT jsonb_agg(f || jsonb_build_object('schema', jsonb_build_object(
                'native_type', format_type(a.atttypid, a.atttypmod), 'notnull', a.attnotnull,
                'index_name', NULL, 'is_index', false, 'uniquekey', false)) ORDER BY n)
            FROM jsonb_array_elements(t.fields) WITH ORDINALITY x(f, n)
            JOIN pg_attribute a ON a.attrelid = rel AND a.attname = f->>'id'), '[]'))::text;
END
$$;
