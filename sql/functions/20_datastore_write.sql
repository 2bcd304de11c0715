-- 20_datastore_write: CKAN's DataStore writes (ckan-research §6.2–6.4; CKAN 2.11's
-- ckanext/datastore): datastore_create, datastore_upsert, datastore_delete and
-- datastore_records_delete. Each is one function f(p jsonb, site text, v ckan_viewer) RETURNS
-- text, one transaction: p is {data: the request, force, dry_run, include_records,
-- delete_fields, ...: CKAN's booleans as C read them}. The authorization (17_ckan_authz) is
-- checked inside, every refusal RAISEd (docs/ARCHITECTURE.md, "SQL → C"), and a failure
-- leaves nothing behind. The tables and their bookkeeping are 05's (docs/DATASTORE.md): a
-- write changes rows in place and moves data_version (dumps) and generation (the readers'
-- copies) through ds_table_rows or the bookkeeping row, and the dataset's documents follow
-- ds_touch's resource update through 14's triggers.
--
-- Records are written set-based (one statement over jsonb_array_elements) whenever that gives
-- what CKAN's row-by-row writes give; otherwise (a refusal to report, keys repeated within one
-- call, records carrying _id) they are written one at a time, as CKAN does, which also finds
-- the record CKAN names in its refusal. datastore_upsert's plain records come as lines of text
-- too (ds_w_lines), written the same way without building their jsonb.

-- RAISE OD422 {key: [msg]} (more: further members of the error dict).
CREATE OR REPLACE FUNCTION ds_w_fail(key text, msg text, more jsonb DEFAULT '{}') RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM ckan_gw_raise(ckan_gw_err('{}', key, msg) || more);
END
$$;

-- The type named t (CKAN takes PostgreSQL's names and aliases: int, float8, text[], _text,
-- json, ...) as its pg_type name, or NULL when it is none or not one we store: base types the
-- readers, the dumps and PostgreSQL's comparisons all handle, and arrays of them.
CREATE OR REPLACE FUNCTION ds_w_type(t text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    r regtype;
    name text;
BEGIN
    BEGIN
        r := to_regtype(CASE WHEN lower(t) = 'nested' THEN 'json' ELSE t END);
    EXCEPTION WHEN OTHERS THEN
        RETURN NULL;
    END;
    SELECT CASE WHEN ty.typcategory = 'A' THEN el.typname ELSE ty.typname END INTO name
        FROM pg_type ty LEFT JOIN pg_type el ON el.oid = ty.typelem WHERE ty.oid = r;
    IF name IS NULL OR name NOT IN ('bool', 'int2', 'int4', 'int8', 'float4', 'float8',
            'numeric', 'text', 'varchar', 'bpchar', 'date', 'time', 'timetz', 'timestamp',
            'timestamptz', 'interval', 'json', 'jsonb', 'uuid') THEN
        RETURN NULL;
    END IF;
    RETURN (SELECT typname FROM pg_type WHERE oid = r);
END
$$;

-- CKAN's _guess_type of a value of the first record: nested (json) for objects and lists, int
-- and float for JSON numbers (and booleans, which Python counts as ints), integer and numeric
-- for strings Python's int() and float() read, timestamp for its date forms, else text.
CREATE OR REPLACE FUNCTION ds_w_guess(val jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(val)
        WHEN 'object' THEN 'json' WHEN 'array' THEN 'json' WHEN 'boolean' THEN 'int'
        WHEN 'number' THEN CASE WHEN val::text ~ '^-?[0-9]+$' THEN 'int' ELSE 'float' END
        WHEN 'string' THEN CASE
            WHEN val #>> '{}' ~ '^\s*[+-]?[0-9]+(_[0-9]+)*\s*$' THEN 'integer'
            WHEN val #>> '{}' ~* ('^\s*[+-]?(([0-9]+(_[0-9]+)*)?\.?[0-9]+(_[0-9]+)*([e][+-]?[0-9]+)?'
                                  '|[0-9]+\.|nan|inf|infinity)\s*$') THEN 'numeric'
            WHEN val #>> '{}' ~ ('^([0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T][0-9]{1,2}:[0-9]{1,2}:'
                                 '[0-9]{1,2})?|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}T[0-9]{1,2}:'
                                 '[0-9]{1,2}:[0-9]{1,2}Z|[0-9]{1,2}[/-][0-9]{1,2}[/-][0-9]{4})$')
                THEN 'timestamp'
            ELSE 'text' END
        ELSE 'text' END
$$;

-- CKAN's is_valid_field_name: not empty, no white space at either end, no leading _, no ",
-- no control characters.
CREATE OR REPLACE FUNCTION ds_w_name_ok(name text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT name IS NOT NULL AND name <> '' AND name !~ '^\s|\s$' AND name !~ '^_'
       AND position('"' IN name) = 0 AND name !~ '[[:cntrl:]]'
$$;

-- CKAN's get_list: a list, or a comma-separated string, its items stripped; NULL when absent.
CREATE OR REPLACE FUNCTION ds_w_list(val jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(val)
        WHEN 'array' THEN ARRAY(SELECT btrim(ckan_gw_text(e)) FROM jsonb_array_elements(val) e)
        WHEN 'string' THEN CASE WHEN val #>> '{}' = '' THEN '{}'::text[] ELSE
            ARRAY(SELECT btrim(s) FROM unnest(string_to_array(val #>> '{}', ',')) s) END
        END
$$;

-- A JSON scalar as Python's repr shows it (CKAN's "key ... not found" message).
CREATE OR REPLACE FUNCTION ds_w_pyrepr(val jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(val)
        WHEN 'string' THEN CASE WHEN position('''' IN val #>> '{}') > 0
                                     AND position('"' IN val #>> '{}') = 0
            THEN '"' || replace(val #>> '{}', '\', '\\') || '"'
            ELSE '''' || replace(replace(val #>> '{}', '\', '\\'), '''', '\''') || '''' END
        WHEN 'boolean' THEN CASE WHEN val = 'true' THEN 'True' ELSE 'False' END
        WHEN 'null' THEN 'None'
        ELSE coalesce(val::text, 'None') END
$$;

-- A Python repr of a list of strings (CKAN's messages show them so).
CREATE OR REPLACE FUNCTION ds_w_pylist(items text[]) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT '[' || coalesce(string_agg(ds_w_pyrepr(to_jsonb(i)), ', ' ORDER BY n), '') || ']'
    FROM unnest(items) WITH ORDINALITY x(i, n)
$$;

-- The SQL expression giving column id of type typ (a pg_type name) from the record e (jsonb),
-- as CKAN writes values: JSON null is NULL, an empty string is NULL but in text columns, lists
-- fill arrays, objects and lists fill json columns.
CREATE OR REPLACE FUNCTION ds_w_expr(id text, typ text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN typ IN ('text', 'varchar', 'bpchar') THEN format('(r.e->>%L)::%s', id, typ)
        WHEN typ IN ('json', 'jsonb') THEN format('nullif(r.e->%L, ''null'')::%s', id, typ)
        WHEN typ LIKE '\_%' THEN format('CASE WHEN jsonb_typeof(r.e->%1$L) = ''array'' THEN '
            'ARRAY(SELECT jsonb_array_elements_text(r.e->%1$L))::%2$s '
            'ELSE nullif(r.e->>%1$L, '''')::%2$s END', id, typ)
        ELSE format('nullif(r.e->>%L, '''')::%s', id, typ) END
$$;

-- The text `q` searches (05's search_expr, as the loader makes it): text and number columns.
CREATE OR REPLACE FUNCTION ds_w_search_expr(flds jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(string_agg(format(CASE WHEN f->>'type' = 'text' THEN 'coalesce(%I, '''')'
                                           ELSE 'coalesce(%I::text, '''')' END, f->>'id'),
                               ' || '' '' || ' ORDER BY n), '''''')
    FROM jsonb_array_elements(flds) WITH ORDINALITY x(f, n)
    WHERE f->>'type' IN ('text', 'int2', 'int4', 'int8', 'numeric')
$$;

-- The columns of a table's unique key (CKAN's _get_unique_key: the unique indexes but the
-- primary key on _id), in index order.
CREATE OR REPLACE FUNCTION ds_w_unique_key(tbl text) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(a.attname::text ORDER BY x.indexrelid, k.n), '{}')
    FROM pg_index x
    CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY k(attnum, n)
    JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
    WHERE x.indrelid = format('datastore.%I', tbl)::regclass AND x.indisunique
      AND NOT x.indisprimary
$$;

-- ---------------------------------------------------------------------------------------------
-- The resource a write names, the caller's right to write it and the read-only guard.

-- CKAN's datastore_auth: privilege (resource_update: package_update on the resource's
-- dataset) or OD403 with CKAN's text. Organization datasets: editors and admins of the
-- organization; datasets without one: sysadmins (create_unowned_dataset is off).
CREATE OR REPLACE FUNCTION ds_w_authorize(v ckan_viewer, res resource, privilege text)
RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
    org uuid := (SELECT owner_org FROM package WHERE id = res.package_id);
BEGIN
    IF ckan_authz_is_sysadmin(v)
       OR (org IS NOT NULL AND ckan_authz_has(v, 'update_dataset', org))
       OR (org IS NULL AND (ckan_authz_user(v)).id IS NOT NULL
           AND ckan_authz_config('create_dataset_if_not_in_organization')
           AND ckan_authz_config('create_unowned_dataset')) THEN
        RETURN;
    END IF;
    RAISE EXCEPTION 'User % not authorized to perform % on resource %', ckan_viewer_name(v),
        privilege, res.id USING ERRCODE = 'OD403';
END
$$;

-- The id a request names: resource_id, or id (CKAN renames a given id to resource_id).
CREATE OR REPLACE FUNCTION ds_w_rid(d jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(nullif(ckan_gw_text(d->'id'), ''), ckan_gw_text(d->'resource_id'))
$$;

-- The active resource rid, locked for this write (writes of one resource go one after the
-- other, as the loader's swaps do); NULL when there is none.
CREATE OR REPLACE FUNCTION ds_w_resource(rid text) RETURNS resource
LANGUAGE sql VOLATILE AS $$
    SELECT r FROM resource r WHERE r.id = rid AND r.state = 'active' FOR UPDATE
$$;

-- After the authorization: the read-only guard (only url_type datastore resources are written
-- without force; imported tables are loaded from files, as XLoader's are, so they need force),
-- then the table, or CKAN's 404 when the resource has none.
CREATE OR REPLACE FUNCTION ds_w_writable(res resource, force boolean, need_table boolean)
RETURNS datastore_table
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    t datastore_table;
BEGIN
    IF NOT force AND res.url_type IS DISTINCT FROM 'datastore' THEN
        PERFORM ds_w_fail('read-only', 'Cannot edit read-only resource because changes made '
            'may be lost. Use a resource created for editing e.g. with datastore_create or use '
            '"force=True" to ignore this warning.');
    END IF;
    SELECT * INTO t FROM datastore_table WHERE resource_id = res.id FOR UPDATE;
    IF need_table AND NOT FOUND THEN
        RAISE EXCEPTION 'Resource "%" was not found.', res.id USING ERRCODE = 'OD100';
    END IF;
    RETURN t;
END
$$;

-- The checks every write of an existing table starts with (upsert, delete): resource_id
-- present, the resource, the authorization, the guard. Returns the table.
CREATE OR REPLACE FUNCTION ds_w_open(p jsonb, v ckan_viewer) RETURNS datastore_table
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    rid text := ds_w_rid(p->'data');
    res resource;
BEGIN
    IF coalesce(rid, '') = '' THEN
        PERFORM ds_w_fail('resource_id', 'Missing value');
    END IF;
    res := ds_w_resource(rid);
    IF res.id IS NULL THEN
        -- resource_show's words for sysadmins; for others CKAN's resource_update check finds
        -- no resource first and raises a bare NotFound
        RAISE EXCEPTION '%', CASE WHEN ckan_authz_is_sysadmin(v) THEN 'Resource was not found.'
                                  ELSE '' END USING ERRCODE = 'OD100';
    END IF;
    PERFORM ds_w_authorize(v, res, 'resource_update');
    RETURN ds_w_writable(res, coalesce((p->>'force')::boolean, false), true);
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Records.

-- The table's columns as a SQL list, and their value expressions (ds_w_expr) over e.
CREATE OR REPLACE FUNCTION ds_w_cols(flds jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT string_agg(format('%I', f->>'id'), ', ' ORDER BY n)
    FROM jsonb_array_elements(flds) WITH ORDINALITY x(f, n)
$$;

CREATE OR REPLACE FUNCTION ds_w_exprs(flds jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT string_agg(ds_w_expr(f->>'id', f->>'type'), ', ' ORDER BY n)
    FROM jsonb_array_elements(flds) WITH ORDINALITY x(f, n)
$$;

-- The same, named c1, c2, ... (a field may be named like anything a statement adds).
CREATE OR REPLACE FUNCTION ds_w_exprs_as(flds jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT string_agg(ds_w_expr(f->>'id', f->>'type') || ' AS c' || n, ', ' ORDER BY n)
    FROM jsonb_array_elements(flds) WITH ORDINALITY x(f, n)
$$;

-- The table's rows as include_records shows them, for the _ids written.
CREATE OR REPLACE FUNCTION ds_w_rows(tbl text, ids bigint[]) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    out jsonb;
BEGIN
    EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY x.n), ''[]'') '
                   'FROM unnest($1) WITH ORDINALITY x(id, n) JOIN datastore.%I t '
                   'ON t."_id" = x.id', tbl) INTO out USING ids;
    RETURN out;
END
$$;

-- CKAN's insert_data: every record an object whose keys are fields, then all inserted in one
-- statement in record order. A value PostgreSQL refuses fails the whole call with its message
-- and, as CKAN reports its executemany, the last record's index. Returns the new _ids.
CREATE OR REPLACE FUNCTION ds_w_insert(tbl text, flds jsonb, recs jsonb) RETURNS bigint[]
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    names text[] := ARRAY(SELECT f->>'id' FROM jsonb_array_elements(flds) f);
    bad record;
    ids bigint[];
BEGIN
    IF recs IS NULL OR jsonb_typeof(recs) = 'null' OR recs = '[]' OR recs = '{}' OR recs = '""'
       OR recs = 'false' OR recs = '0' THEN
        RETURN '{}';
    END IF;
    IF jsonb_typeof(recs) <> 'array' THEN
        PERFORM ds_w_fail('records', 'Records has to be a list of dicts');
    END IF;
    SELECT n - 1 AS n, e INTO bad FROM jsonb_array_elements(recs) WITH ORDINALITY r(e, n)
        WHERE CASE WHEN jsonb_typeof(e) <> 'object' THEN true ELSE (e - names) <> '{}' END
        ORDER BY n LIMIT 1;
    IF FOUND THEN
        IF jsonb_typeof(bad.e) <> 'object' THEN
            PERFORM ds_w_fail('records', format('row "%s" is not a json object', bad.n));
        END IF;
        PERFORM ds_w_fail('records', format('row "%s" has extra keys "%s"', bad.n + 1,
            (SELECT string_agg(k, ', ') FROM jsonb_object_keys(bad.e) k
             WHERE k <> ALL(names))));
    END IF;
    IF names = '{}' THEN
        RETURN '{}';  -- CKAN writes nothing to a table without fields
    END IF;
    BEGIN
        EXECUTE format('WITH ins AS (INSERT INTO datastore.%I (%s) SELECT %s '
                       'FROM jsonb_array_elements($1) WITH ORDINALITY r(e, n) ORDER BY n '
                       'RETURNING "_id") SELECT array_agg("_id" ORDER BY "_id") FROM ins',
                       tbl, ds_w_cols(flds), ds_w_exprs(flds)) INTO ids USING recs;
    EXCEPTION WHEN OTHERS THEN
        PERFORM ds_w_fail('records', SQLERRM,
                          jsonb_build_object('records_row', jsonb_array_length(recs) - 1));
    END;
    RETURN coalesce(ids, '{}');
END
$$;

-- One record of an upsert or update, as CKAN writes it (its checks in its order, then one
-- statement). n: its index. Returns the _id written.
CREATE OR REPLACE FUNCTION ds_w_upsert_one(tbl text, flds jsonb, keys text[], method text,
                                           e jsonb, n bigint, OUT id bigint, OUT added boolean)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    names text[] := ARRAY(SELECT f->>'id' FROM jsonb_array_elements(flds) f);
    used jsonb;          -- the fields the record gives, in table order
    by_id boolean;
    keycond text;
    sql text;
    missing text;
    unknown text;
BEGIN
    IF jsonb_typeof(e) <> 'object' THEN
        PERFORM ds_w_fail('records', format('row "%s" is not a json object', n));
    END IF;
    by_id := e ? '_id';
    IF keys = '{}' AND NOT by_id THEN
        PERFORM ds_w_fail('table', 'unique key must be passed for update/upsert');
    END IF;
    IF NOT by_id THEN
        SELECT string_agg(k, ', ' ORDER BY i) INTO missing
            FROM unnest(keys) WITH ORDINALITY x(k, i) WHERE NOT e ? k;
        IF missing IS NOT NULL THEN
            PERFORM ds_w_fail('key', format('fields "%s" are missing'
                || E'\n                            but needed as key', missing));
        END IF;
    END IF;
    SELECT string_agg(k, ', ') INTO unknown FROM jsonb_object_keys(e) k
        WHERE k <> ALL(names) AND k <> '_id';
    IF unknown IS NOT NULL THEN
        PERFORM ds_w_fail('fields', format('fields "%s" do not exist', unknown));
    END IF;
    used := (SELECT coalesce(jsonb_agg(f ORDER BY i), '[]')
             FROM jsonb_array_elements(flds) WITH ORDINALITY x(f, i) WHERE e ? (f->>'id'));
    keycond := CASE WHEN by_id THEN 't."_id" = nullif(r.e->>''_id'', '''')::bigint'
        ELSE (SELECT string_agg(format('t.%I = %s', f->>'id', ds_w_expr(f->>'id', f->>'type')),
                                ' AND ')
              FROM jsonb_array_elements(flds) f WHERE f->>'id' = ANY(keys)) END;
    IF method = 'update' THEN
        sql := format('UPDATE datastore.%I t SET %s FROM (SELECT $1::jsonb AS e) r WHERE %s '
                      'RETURNING t."_id", false', tbl,
                      coalesce((SELECT string_agg(format('%I = %s', f->>'id',
                                                         ds_w_expr(f->>'id', f->>'type')), ', ')
                                FROM jsonb_array_elements(used) f), '"_id" = t."_id"'),
                      keycond);
    ELSE
        sql := format('INSERT INTO datastore.%I AS t (%s) SELECT %s FROM (SELECT $1::jsonb AS e) r '
                      'ON CONFLICT (%s) DO UPDATE SET %s RETURNING t."_id", t.xmax = 0', tbl,
                      concat_ws(', ', CASE WHEN by_id THEN '"_id"' END, ds_w_cols(used)),
                      concat_ws(', ', CASE WHEN by_id THEN 'nullif(r.e->>''_id'', '''')::bigint' END,
                                ds_w_exprs(used)),
                      CASE WHEN by_id THEN '"_id"'
                           ELSE (SELECT string_agg(format('%I', k), ', ') FROM unnest(keys) k) END,
                      coalesce((SELECT string_agg(format('%1$I = EXCLUDED.%1$I', f->>'id'), ', ')
                                FROM jsonb_array_elements(used) f), '"_id" = t."_id"'));
    END IF;
    BEGIN
        EXECUTE sql INTO id, added USING e;  -- xmax 0: a new row, not one updated
    EXCEPTION WHEN OTHERS THEN
        PERFORM ds_w_fail('records', SQLERRM, jsonb_build_object('records_row', n));
    END;
    IF id IS NULL THEN  -- update of a key no row has
        PERFORM ds_w_fail('key', format('key "{%s}" not found', (
            SELECT string_agg(format('''val_%s'': %s', jsonb_array_length(used) + i - 1,
                                     ds_w_pyrepr(CASE WHEN e->k = '""' THEN 'null' ELSE e->k END)),
                              ', ' ORDER BY i)
            FROM unnest(CASE WHEN by_id THEN ARRAY['_id'] ELSE keys END)
                 WITH ORDINALITY x(k, i))));
    END IF;
END
$$;

-- upsert and update of many records in one statement (an UPDATE of the rows whose key is
-- there, an INSERT of the others in record order), when that writes what CKAN's record-by-
-- record writes would: records are objects of known fields with the whole key and no _id, and
-- no key repeats. Each record writes only the fields it gives. Returns the _ids written, or
-- NULL when the records are not such, or PostgreSQL refused a value, or an update's key is not
-- there (the caller then goes record by record, which reports it as CKAN does).
CREATE OR REPLACE FUNCTION ds_w_upsert_set(tbl text, flds jsonb, keys text[], method text,
                                           recs jsonb, OUT ids bigint[], OUT added bigint)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    names text[] := ARRAY(SELECT f->>'id' FROM jsonb_array_elements(flds) f);
    fit boolean;
    -- s.c<i>: the value of the table's i-th field
    col text := (SELECT string_agg(format('%I', f->>'id'), ', ' ORDER BY i)
                 FROM jsonb_array_elements(flds) WITH ORDINALITY x(f, i));
    vals text := (SELECT string_agg('s.c' || i, ', ' ORDER BY i)
                  FROM jsonb_array_elements(flds) WITH ORDINALITY x(f, i));
    match text := (SELECT string_agg(format('t.%I = s.c%s', f->>'id', i), ' AND ')
                   FROM jsonb_array_elements(flds) WITH ORDINALITY x(f, i)
                   WHERE f->>'id' = ANY(keys));
    keyvals text := (SELECT string_agg('c' || i, ', ')
                     FROM jsonb_array_elements(flds) WITH ORDINALITY x(f, i)
                     WHERE f->>'id' = ANY(keys));
    sets text := (SELECT string_agg(format('%1$I = CASE WHEN s.e ? %1$L THEN s.c%2$s ELSE t.%1$I END',
                                           f->>'id', i), ', ')
                  FROM jsonb_array_elements(flds) WITH ORDINALITY x(f, i));
    upd bigint[];
    ins bigint[];
    nupd bigint;
BEGIN
    IF keys = '{}' OR NOT keys <@ names THEN
        RETURN;
    END IF;
    SELECT bool_and(jsonb_typeof(e) = 'object' AND e ?& keys AND (e - names) = '{}')
        INTO fit FROM jsonb_array_elements(recs) e;
    IF NOT coalesce(fit, false) THEN
        RETURN;
    END IF;
    BEGIN
        EXECUTE format(
            'WITH s AS MATERIALIZED (SELECT r.n, r.e, %s FROM jsonb_array_elements($1) '
            'WITH ORDINALITY r(e, n)), '
            'd AS (SELECT EXISTS (SELECT 1 FROM s GROUP BY %s HAVING count(*) > 1) AS dup), '
            'u AS (UPDATE datastore.%I t SET %s FROM s WHERE NOT (SELECT dup FROM d) AND %s '
            'RETURNING s.n, t."_id"), '
            'i AS (INSERT INTO datastore.%I (%s) SELECT %s FROM s '
            'WHERE $2 = ''upsert'' AND NOT (SELECT dup FROM d) '
            'AND s.n NOT IN (SELECT n FROM u) ORDER BY s.n RETURNING "_id") '
            'SELECT (SELECT dup FROM d), (SELECT count(*) FROM u), '
            '(SELECT array_agg("_id" ORDER BY n) FROM u), '
            '(SELECT array_agg("_id" ORDER BY "_id") FROM i)',
            ds_w_exprs_as(flds), keyvals, tbl, sets, match, tbl, col, vals)
            INTO fit, nupd, upd, ins USING recs, method;
        IF fit THEN
            RETURN;  -- a key repeats: nothing was written
        END IF;
        IF method = 'update' AND nupd < jsonb_array_length(recs) THEN
            RAISE EXCEPTION 'a key not found' USING ERRCODE = 'DSW01';
        END IF;
    EXCEPTION WHEN OTHERS THEN
        RETURN;  -- the subtransaction is undone; the caller goes record by record
    END;
    ids := coalesce(upd, '{}') || coalesce(ins, '{}');
    added := coalesce(cardinality(ins), 0);
END
$$;

-- CKAN's upsert_data for upsert and update: set-based when it can be, else record by record.
CREATE OR REPLACE FUNCTION ds_w_upsert(tbl text, flds jsonb, method text, recs jsonb,
                                       OUT ids bigint[], OUT added bigint)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    keys text[] := ds_w_unique_key(tbl);
    one record;
    e jsonb;
    n bigint;
BEGIN
    ids := '{}';
    added := 0;
    IF recs IS NULL OR jsonb_typeof(recs) = 'null' OR recs = '[]' OR recs = '{}' OR recs = '""'
       OR recs = 'false' OR recs = '0' THEN
        RETURN;
    END IF;
    IF jsonb_typeof(recs) <> 'array' THEN
        PERFORM ds_w_fail('records', 'Records has to be a list of dicts');
    END IF;
    IF flds = '[]' THEN
        RETURN;  -- CKAN writes nothing to a table without fields
    END IF;
    SELECT * INTO one FROM ds_w_upsert_set(tbl, flds, keys, method, recs);
    IF one.ids IS NOT NULL THEN
        ids := one.ids;
        added := one.added;
        RETURN;
    END IF;
    FOR e, n IN SELECT r.e, r.n - 1 FROM jsonb_array_elements(recs) WITH ORDINALITY r(e, n)
                ORDER BY r.n LOOP
        SELECT * INTO one FROM ds_w_upsert_one(tbl, flds, keys, method, e, n);
        ids := ids || one.id;
        added := added + one.added::int;
    END LOOP;
END
$$;

-- After rows changed in place (delta: rows added, or removed when negative): the row count
-- and largest _id now (a new data_version and
-- generation: dumps and the readers' copies follow), the sequence after any _id given, and the
-- resource's modified times.
CREATE OR REPLACE FUNCTION ds_w_rows_changed(t datastore_table, delta bigint) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    nrows bigint := t.row_count + delta;  -- counted as written, not by reading the table
    last bigint;
    seq text := pg_get_serial_sequence(format('datastore.%I', t.table_name), '_id');
BEGIN
    EXECUTE format('SELECT coalesce(max("_id"), 0) FROM datastore.%I', t.table_name)
        INTO last;
    IF last > 0 AND seq IS NOT NULL THEN  -- records may have given their _id
        EXECUTE format('SELECT setval(%L, greatest(%s, (SELECT last_value FROM %s)))', seq,
                       last, seq);
    END IF;
    PERFORM ds_table_rows(t.resource_id, nrows, last);
    PERFORM ds_touch(t.resource_id, true);
END
$$;

-- The answer: the request (d, without its records: removing any other key first would copy
-- them) as CKAN echoes it, with the records written when include_records.
CREATE OR REPLACE FUNCTION ds_w_answer(d jsonb, include_records boolean, tbl text, ids bigint[])
RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT (d - 'id' - 'force' - 'include_records')
        || CASE WHEN include_records THEN jsonb_build_object('records', ds_w_rows(tbl, ids))
                ELSE '{}' END
$$;

-- ---------------------------------------------------------------------------------------------
-- Records as lines of text (server/datastore/ds_rows.h): the plain records most clients send,
-- which PostgreSQL splits several times faster than it builds their jsonb. Every record gives
-- the same fields (keys) and each value is the text ->> would give (null: NULL).

-- The value of field i (1-based) of a line r.a (a[1] is the empty text before the first tab),
-- as ds_w_expr reads it from a record.
CREATE OR REPLACE FUNCTION ds_w_line_expr(i bigint, typ text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN typ IN ('text', 'varchar', 'bpchar') THEN format('r.a[%s]::%s', i + 1, typ)
                ELSE format('nullif(r.a[%s], '''')::%s', i + 1, typ) END
$$;

-- The lines ($1) as rows r (n: the record's number from 1, a: its values from a[2]). The
-- ORDER BY keeps the subquery whole (flattened, each a[i] would split the line again) and costs
-- no sort (the ordinality's order).
CREATE OR REPLACE FUNCTION ds_w_line_rows() RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT '(SELECT x.n, string_to_array(x.l, E''\t'', ''\N'') AS a '
           'FROM string_to_table($1, E''\n'') WITH ORDINALITY x(l, n) ORDER BY x.n) r'
$$;

-- The statement that puts the sequence of tbl's _id back where it stands now (a failed
-- statement that took _ids from it has moved it, and the JSON path that follows must give the
-- _ids it always gave).
CREATE OR REPLACE FUNCTION ds_w_seq_undo(tbl text) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    seq text := pg_get_serial_sequence(format('datastore.%I', tbl), '_id');
    last bigint;
    called boolean;
BEGIN
    IF seq IS NULL THEN
        RETURN 'SELECT 1';
    END IF;
    EXECUTE format('SELECT last_value, is_called FROM %s', seq) INTO last, called;
    RETURN format('SELECT setval(%L, %s, %L)', seq, last, called);
END
$$;

-- Records as lines (keys: the fields every record gives, in order), written as the JSON path
-- (ds_w_insert, ds_w_upsert) would write them: for insert and upsert first one INSERT in record
-- order (a record whose key a row has stops it), then for upsert and update the UPDATE-then-
-- INSERT statement of ds_w_upsert_set. written: the records written, ids their _ids (for
-- include_records; the INSERT leaves them NULL unless want_ids). Returns NULL written, having
-- written nothing, whenever the JSON path could answer otherwise: a field unknown or repeated, or given to a json or array
-- column (whose values are not what ->> gives), a key field not given, a key repeated, a value
-- PostgreSQL refuses, an update's key not there. That path then answers as CKAN does.
CREATE OR REPLACE FUNCTION ds_w_lines(tbl text, flds jsonb, method text, keys jsonb, lines text,
                                      want_ids boolean, OUT ids bigint[], OUT added bigint,
                                      OUT written bigint)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    given text[] := ARRAY(SELECT jsonb_array_elements_text(keys));
    uniq text[] := ds_w_unique_key(tbl);
    typs text[] := ARRAY(SELECT (SELECT f->>'type' FROM jsonb_array_elements(flds) f
                                 WHERE f->>'id' = g LIMIT 1)
                         FROM unnest(given) WITH ORDINALITY x(g, i) ORDER BY i);
    cols text := (SELECT string_agg(format('%I', g), ', ' ORDER BY i)
                  FROM unnest(given) WITH ORDINALITY x(g, i));
    seq text := pg_get_serial_sequence(format('datastore.%I', tbl), '_id');
    base bigint;
    undo text;
    ins text;
    dup boolean;
    upd bigint[];
    nupd bigint;
BEGIN
    IF cardinality(given) = 0
       OR (SELECT count(DISTINCT g) FROM unnest(given) g) <> cardinality(given)
       OR EXISTS (SELECT 1 FROM unnest(typs) y WHERE y IS NULL OR y IN ('json', 'jsonb')
                                                     OR y LIKE '\_%')
       OR (method <> 'insert' AND (uniq = '{}' OR NOT uniq <@ given)) THEN
        RETURN;
    END IF;
    undo := ds_w_seq_undo(tbl);
    IF method <> 'update' THEN
        -- the _ids the sequence would give the rows one by one in record order (base + n),
        -- given at once (the sequence set past them after), when it counts by one
        IF seq IS NOT NULL AND (SELECT seqincrement FROM pg_sequence
                                WHERE seqrelid = seq::regclass) = 1 THEN
            EXECUTE format('SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END '
                           'FROM %s', seq) INTO base;
        END IF;
        BEGIN
            ins := format('INSERT INTO datastore.%I (%s%s) SELECT %s%s FROM %s ORDER BY r.n',
                          tbl, CASE WHEN base IS NOT NULL THEN '"_id", ' END, cols,
                          CASE WHEN base IS NOT NULL THEN '$2 + r.n, ' END,
                          (SELECT string_agg(ds_w_line_expr(i, typs[i]), ', ' ORDER BY i)
                           FROM generate_subscripts(typs, 1) i),
                          ds_w_line_rows());
            IF want_ids THEN
                EXECUTE format('WITH i AS (%s RETURNING "_id") '
                               'SELECT coalesce(array_agg("_id" ORDER BY "_id"), ''{}'') FROM i',
                               ins) INTO ids USING lines, base;
                written := cardinality(ids);
            ELSE  -- (the _ids cost a tenth of the INSERT's time, for include_records only)
                EXECUTE ins USING lines, base;
                GET DIAGNOSTICS written = ROW_COUNT;
            END IF;
            IF base IS NOT NULL AND written > 0 THEN
                PERFORM setval(seq, base + written);
            END IF;
            added := written;
            RETURN;
        EXCEPTION WHEN OTHERS THEN
            EXECUTE undo;
            IF method = 'insert' OR SQLSTATE <> '23505' THEN
                ids := NULL;
                RETURN;  -- the JSON path reports the refusal
            END IF;
        END;
    END IF;
    -- upsert of records some of whose keys rows have, or update. A key repeated within the
    -- call sends the JSON path record by record; ds_w_upsert_set looks for one with a GROUP BY,
    -- here the unique index finds those without NULLs (for upsert the second record of a key
    -- goes to the INSERT, which fails; for update fewer rows than records are updated), and
    -- only keys with NULLs (which the index lets repeat) are grouped.
    BEGIN
        EXECUTE format(
            'WITH s AS MATERIALIZED (SELECT r.n, %s FROM %s), '
            'd AS (SELECT EXISTS (SELECT 1 FROM s WHERE %s GROUP BY %s HAVING count(*) > 1) '
            'AS dup), '
            'u AS (UPDATE datastore.%I t SET %s FROM s WHERE NOT (SELECT dup FROM d) AND %s '
            'RETURNING s.n, t."_id"), '
            'i AS (INSERT INTO datastore.%I (%s) SELECT %s FROM s '
            'WHERE $2 = ''upsert'' AND NOT (SELECT dup FROM d) '
            'AND s.n NOT IN (SELECT n FROM u) ORDER BY s.n RETURNING "_id") '
            'SELECT (SELECT dup FROM d), (SELECT count(*) FROM u), '
            '(SELECT array_agg("_id" ORDER BY n) FROM u), '
            '(SELECT array_agg("_id" ORDER BY "_id") FROM i)',
            (SELECT string_agg(ds_w_line_expr(i, typs[i]) || ' AS c' || i, ', ' ORDER BY i)
             FROM generate_subscripts(typs, 1) i),
            ds_w_line_rows(),
            (SELECT string_agg('c' || i || ' IS NULL', ' OR ') FROM unnest(given)
             WITH ORDINALITY x(g, i) WHERE g = ANY(uniq)),
            (SELECT string_agg('c' || i, ', ') FROM unnest(given) WITH ORDINALITY x(g, i)
             WHERE g = ANY(uniq)),
            tbl,
            (SELECT string_agg(format('%I = s.c%s', g, i), ', ')
             FROM unnest(given) WITH ORDINALITY x(g, i)),
            (SELECT string_agg(format('t.%I = s.c%s', g, i), ' AND ')
             FROM unnest(given) WITH ORDINALITY x(g, i) WHERE g = ANY(uniq)),
            tbl, cols,
            (SELECT string_agg('s.c' || i, ', ' ORDER BY i) FROM generate_subscripts(typs, 1) i))
            INTO dup, nupd, upd, ids USING lines, method;
        IF dup OR (method = 'update'
                   AND nupd < (SELECT count(*) FROM string_to_table(lines, E'\n'))) THEN
            RAISE EXCEPTION 'not for this path' USING ERRCODE = 'DSW01';
        END IF;
    EXCEPTION WHEN OTHERS THEN
        EXECUTE undo;
        ids := NULL;
        RETURN;  -- undone; the JSON path writes record by record and reports as CKAN does
    END;
    added := coalesce(cardinality(ids), 0);
    ids := coalesce(upd, '{}') || coalesce(ids, '{}');
    written := cardinality(ids);
END
$$;

-- ---------------------------------------------------------------------------------------------
-- datastore_upsert. recs: the request's records as sent, and lines: the same as lines of text
-- (ds_w_lines), when the server found them plain (else both NULL, and the records are in p).

CREATE OR REPLACE FUNCTION ckan_datastore_upsert(p jsonb, site text, v ckan_viewer, recs text,
                                                 lines text)
RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    d jsonb := p->'data';
    method text := coalesce(ckan_gw_text(d->'method'), 'upsert');
    t datastore_table;
    ids bigint[];
    added bigint := 0;
    written bigint;
    out jsonb;
    kept text;
BEGIN
    IF d ? 'method' AND method NOT IN ('upsert', 'insert', 'update', '') THEN
        PERFORM ds_w_fail('method', 'Value must be one of [''upsert'', ''insert'', ''update'']');
    END IF;
    PERFORM ds_w_ccount(d);
    t := ds_w_open(p, v);
    method := coalesce(nullif(method, ''), 'upsert');
    BEGIN
        IF lines IS NOT NULL THEN
            SELECT * INTO ids, added, written FROM ds_w_lines(t.table_name, t.fields, method,
                p->'record_keys', lines, (p->>'include_records')::boolean);
        END IF;
        IF written IS NULL AND method = 'insert' THEN
            ids := ds_w_insert(t.table_name, t.fields, coalesce(recs::jsonb, d->'records'));
            added := cardinality(ids);
            written := added;
        ELSIF written IS NULL THEN
            SELECT * INTO ids, added FROM ds_w_upsert(t.table_name, t.fields, method,
                                                      coalesce(recs::jsonb, d->'records'));
            written := cardinality(ids);
        END IF;
        out := ds_w_answer(d - 'records' - 'dry_run', (p->>'include_records')::boolean,
                           t.table_name, ids)
            || jsonb_build_object('resource_id', t.resource_id,
                                  'calculate_record_count', ds_w_ccount(d))
            || CASE WHEN d ? 'dry_run' THEN jsonb_build_object('dry_run', p->'dry_run')
                    ELSE '{}' END;
        IF (p->>'dry_run')::boolean THEN
            -- checked and written: undo the writes, answer as if done (CKAN rolls back)
            RAISE EXCEPTION 'dry run' USING ERRCODE = 'DSW02', DETAIL = out::text;
        END IF;
    EXCEPTION WHEN SQLSTATE 'DSW02' THEN
        GET STACKED DIAGNOSTICS kept = PG_EXCEPTION_DETAIL;
        RETURN kept;
    END;
    IF written > 0 THEN
        PERFORM ds_w_rows_changed(t, added);
    END IF;
    RETURN out::text;
END
$$;

-- The same with the records in p (the call's shape of every other write).
CREATE OR REPLACE FUNCTION ckan_datastore_upsert(p jsonb, site text, v ckan_viewer)
RETURNS text
LANGUAGE sql VOLATILE AS $$
    SELECT ckan_datastore_upsert(p, site, v, NULL, NULL)
$$;

-- ---------------------------------------------------------------------------------------------
-- datastore_delete and datastore_records_delete.

-- The WHERE condition of filters (as datastore_search reads them: a value, a list of values or
-- null per field, compared as text), or an OD422 on filters.
CREATE OR REPLACE FUNCTION ds_w_where(flds jsonb, filters jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    k text;
    val jsonb;
    typ text;
    conds text[] := '{}';
BEGIN
    FOR k, val IN SELECT * FROM jsonb_each(filters) LOOP
        typ := (SELECT f->>'type' FROM jsonb_array_elements(flds) f WHERE f->>'id' = k LIMIT 1);
        IF typ IS NULL AND k <> '_id' THEN
            PERFORM ds_w_fail('filters', format('field "%s" does not exist', k));
        END IF;
        IF jsonb_typeof(val) = 'object' THEN
            PERFORM ds_w_fail('filters', format(
                'filter value for "%s" must be a value or a list of values', k));
        END IF;
        conds := conds || CASE jsonb_typeof(val)
            WHEN 'null' THEN format('%I IS NULL', k)
            WHEN 'array' THEN format('%I::text = ANY (ARRAY(SELECT w.v #>> ''{}'' FROM '
                                     'jsonb_array_elements(%L::jsonb) w(v)))', k, val)
            ELSE format('%I::text = %L', k, val #>> '{}') END;
    END LOOP;
    RETURN coalesce(array_to_string(conds, ' AND '), '');
END
$$;

-- Both deletes: filters NULL drops the table (datastore_delete without filters).
CREATE OR REPLACE FUNCTION ds_w_delete(p jsonb, v ckan_viewer, filters jsonb) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    d jsonb := p->'data';
    t datastore_table := ds_w_open(p, v);
    cond text;
    gone jsonb;
    n bigint;
    out jsonb := jsonb_build_object('resource_id', t.resource_id);
BEGIN
    IF filters IS NULL THEN
        PERFORM ds_table_delete(t.resource_id);
        RETURN out::text;
    END IF;
    cond := ds_w_where(t.fields, filters);
    -- the rows themselves only when asked for (a delete may take millions)
    EXECUTE format('WITH g AS (DELETE FROM datastore.%I %s RETURNING *) SELECT count(*), %s FROM g',
                   t.table_name, CASE WHEN cond <> '' THEN 'WHERE ' || cond ELSE '' END,
                   CASE WHEN (p->>'include_deleted_records')::boolean
                        THEN 'coalesce(jsonb_agg(to_jsonb(g) ORDER BY "_id"), ''[]'')'
                        ELSE 'NULL::jsonb' END)
        INTO n, gone;
    IF n > 0 THEN
        PERFORM ds_w_rows_changed(t, -n);
    END IF;
    out := out || jsonb_build_object('filters', filters);
    IF (p->>'include_deleted_records')::boolean THEN
        out := out || jsonb_build_object('deleted_records', gone);
    END IF;
    RETURN out::text;
END
$$;

CREATE OR REPLACE FUNCTION ckan_datastore_delete(p jsonb, site text, v ckan_viewer)
RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    d jsonb := p->'data';
BEGIN
    IF d ? 'filters' AND jsonb_typeof(d->'filters') NOT IN ('object', 'null') THEN
        PERFORM ds_w_fail('filters', 'filters must be either a dict or null.');
    END IF;
    RETURN ds_w_delete(p, v, CASE WHEN jsonb_typeof(d->'filters') = 'object'
                                  THEN d->'filters' END);
END
$$;

CREATE OR REPLACE FUNCTION ckan_datastore_records_delete(p jsonb, site text, v ckan_viewer)
RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    d jsonb := p->'data';
    errs jsonb := '{}';
BEGIN
    IF coalesce(ds_w_rid(d), '') = '' THEN
        errs := ckan_gw_err(errs, 'resource_id', 'Missing value');
    END IF;
    IF NOT d ? 'filters' THEN
        errs := ckan_gw_err(errs, 'filters', 'Missing value');
    ELSIF jsonb_typeof(d->'filters') <> 'object' THEN
        errs := ckan_gw_err(errs, 'filters', 'Must be a dict');
    END IF;
    PERFORM ckan_gw_raise(errs);
    RETURN ds_w_delete(p, v, d->'filters');
END
$$;

-- ---------------------------------------------------------------------------------------------
-- datastore_create.

-- calculate_record_count as CKAN's one_of_or_boolean(['background']) reads it (default
-- background), or OD422.
CREATE OR REPLACE FUNCTION ds_w_ccount(d jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    val jsonb := d->'calculate_record_count';
    s text := lower(ckan_gw_text(val));
BEGIN
    IF val IS NULL OR jsonb_typeof(val) = 'null' THEN
        RETURN '"background"';
    ELSIF jsonb_typeof(val) = 'boolean' THEN
        RETURN val;
    ELSIF jsonb_typeof(val) = 'number' AND val::text ~ '^-?[0-9]+$' THEN
        RETURN to_jsonb(val::text::numeric <> 0);
    ELSIF jsonb_typeof(val) = 'string' AND val #>> '{}' IN ('', 'background') THEN
        RETURN val;
    ELSIF jsonb_typeof(val) = 'string' AND s IN ('true', 'yes', 't', 'y', '1') THEN
        RETURN 'true';
    ELSIF jsonb_typeof(val) = 'string' AND s IN ('false', 'no', 'f', 'n', '0') THEN
        RETURN 'false';
    END IF;
    PERFORM ds_w_fail('calculate_record_count', 'Value must be boolean or one of: background');
    RETURN NULL;
END
$$;

-- CKAN's list_of_strings_or_string: the message, or NULL when val is absent or fits.
CREATE OR REPLACE FUNCTION ds_w_strings_error(val jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN val IS NULL OR jsonb_typeof(val) = 'string' THEN NULL
        WHEN jsonb_typeof(val) <> 'array' THEN 'Not a list'
        ELSE (SELECT 'Neither a string nor a list: ' || ckan_gw_text(e)
              FROM jsonb_array_elements(val) WITH ORDINALITY x(e, n)
              WHERE jsonb_typeof(e) NOT IN ('string', 'array') ORDER BY n LIMIT 1) END
$$;

-- datastore_create's schema: the dict of errors of d (fields, the list parameters, triggers).
CREATE OR REPLACE FUNCTION ds_w_create_errors(d jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    errs jsonb := '{}';
    k text;
    msg text;
    rid text := ds_w_rid(d);
BEGIN
    IF coalesce(rid, '') <> '' AND NOT EXISTS (SELECT 1 FROM resource WHERE id = rid) THEN
        errs := ckan_gw_err(errs, 'resource_id', 'Resource not found: ' || rid);
    END IF;
    FOREACH k IN ARRAY ARRAY['aliases', 'primary_key', 'indexes'] LOOP
        msg := ds_w_strings_error(d->k);
        IF msg IS NOT NULL THEN
            errs := ckan_gw_err(errs, k, msg);
        END IF;
    END LOOP;
    IF d ? 'fields' AND jsonb_typeof(d->'fields') NOT IN ('array', 'null') THEN
        errs := ckan_gw_err(errs, 'fields', 'Not a list');
    ELSIF jsonb_typeof(d->'fields') = 'array' THEN
        errs := ckan_gw_list_errors(errs, 'fields', (
            SELECT coalesce(jsonb_agg(CASE
                WHEN jsonb_typeof(f) <> 'object' THEN jsonb_build_object('id',
                    jsonb_build_array('Missing value'))
                WHEN coalesce(ckan_gw_text(f->'id'), '') = '' THEN jsonb_build_object('id',
                    jsonb_build_array('Missing value'))
                WHEN NOT ds_w_name_ok(ckan_gw_text(f->'id')) THEN jsonb_build_object('id',
                    jsonb_build_array(format('"%s" is not a valid field name', f->>'id')))
                ELSE '{}' END ORDER BY n), '[]')
            FROM jsonb_array_elements(d->'fields') WITH ORDINALITY x(f, n)));
    END IF;
    IF jsonb_typeof(d->'triggers') = 'array' THEN
        errs := ckan_gw_list_errors(errs, 'triggers', (
            SELECT coalesce(jsonb_agg(CASE
                WHEN jsonb_typeof(f) <> 'object' OR coalesce(ckan_gw_text(f->'function'), '') = ''
                    THEN jsonb_build_object('function', jsonb_build_array('Missing value'))
                ELSE '{}' END ORDER BY n), '[]')
            FROM jsonb_array_elements(d->'triggers') WITH ORDINALITY x(f, n)));
    END IF;
    RETURN errs;
END
$$;

-- The canonical (pg_type) name of a CKAN type name or guess.
CREATE OR REPLACE FUNCTION ds_w_canon(t text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE t WHEN 'json' THEN 'json' WHEN 'integer' THEN 'int4' WHEN 'int' THEN 'int4'
                  WHEN 'float' THEN 'float8' ELSE ds_w_type(t) END
$$;

-- The fields a create gives (the request's, each with a type: given, or guessed from the
-- first record), checked as CKAN's create_table / alter_table check them. cur: the table's
-- fields (NULL: a new table). Returns {answer: the request's fields as CKAN answers them,
-- add: the columns to add [{id, type (pg_type name), info?}]}.
CREATE OR REPLACE FUNCTION ds_w_fields(d jsonb, cur jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    given jsonb := CASE WHEN jsonb_typeof(d->'fields') = 'array' THEN d->'fields' ELSE '[]' END;
    recs jsonb := d->'records';
    first jsonb := CASE WHEN jsonb_typeof(recs) = 'array' THEN recs->0 END;
    answer jsonb := '[]';
    add jsonb := '[]';
    f jsonb;
    id text;
    typ text;
    canon text;
    long text[];
BEGIN
    IF cur IS NOT NULL AND given = '[]' THEN
        given := cur;  -- alter_table checks the table's own fields then
    END IF;
    FOR f IN SELECT e FROM jsonb_array_elements(given) e LOOP
        typ := nullif(ckan_gw_text(f->'type'), '');
        IF typ IS NOT NULL AND ds_w_canon(typ) IS NULL THEN
            PERFORM ds_w_fail('fields', format('"%s" is not a valid field type', typ));
        END IF;
    END LOOP;
    long := ARRAY(SELECT format('Column heading "%s" exceeds limit of 63 characters.', e->>'id')
                  FROM jsonb_array_elements(given) e WHERE octet_length(e->>'id') > 63);
    IF long <> '{}' THEN
        PERFORM ckan_gw_raise(jsonb_build_object('fields', to_jsonb(long)));
    END IF;
    FOR f IN SELECT e FROM jsonb_array_elements(given) e LOOP
        id := f->>'id';
        typ := nullif(ckan_gw_text(f->'type'), '');
        IF cur IS NOT NULL AND EXISTS (SELECT 1 FROM jsonb_array_elements(cur) c
                                       WHERE c->>'id' = id) THEN
            answer := answer || jsonb_build_array(f);
            CONTINUE;
        END IF;
        IF typ IS NULL THEN
            IF first IS NULL OR jsonb_typeof(first) <> 'object' OR NOT first ? id THEN
                PERFORM ds_w_fail('fields', format('"%s" type not guessable', id));
            END IF;
            typ := ds_w_guess(first->id);
            f := f || jsonb_build_object('type', typ);
        END IF;
        answer := answer || jsonb_build_array(f);
        add := add || jsonb_build_array(jsonb_build_object('id', id, 'type', ds_w_canon(typ))
            || CASE WHEN jsonb_typeof(f->'info') = 'object'
                    THEN jsonb_build_object('info', f->'info') ELSE '{}' END);
    END LOOP;
    IF (SELECT count(DISTINCT e->>'id') <> count(*) FROM jsonb_array_elements(given) e) THEN
        PERFORM ds_w_fail('field', 'Duplicate column names are not supported');
    END IF;
    IF recs IS NOT NULL AND jsonb_typeof(recs) NOT IN ('array', 'null') THEN
        PERFORM ds_w_fail('records', 'Records has to be a list of dicts');
    END IF;
    IF first IS NOT NULL AND jsonb_typeof(first) <> 'object' THEN
        PERFORM ds_w_fail('records', 'The first row is not a json object');
    END IF;
    -- keys of the first record that no field names become fields of their guessed types
    FOR id, f IN SELECT k, val FROM jsonb_each(coalesce(first, '{}')) x(k, val)
                 WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(given) e
                                   WHERE e->>'id' = x.k)
                   AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(cur, '[]')) c
                                   WHERE c->>'id' = x.k) LOOP
        -- CKAN takes any key here; a name the table could not hold is refused instead
        IF NOT ds_w_name_ok(id) OR octet_length(id) > 63 THEN
            PERFORM ds_w_fail('fields', format('"%s" is not a valid field name', id));
        END IF;
        add := add || jsonb_build_array(jsonb_build_object('id', id,
                                                           'type', ds_w_canon(ds_w_guess(f))));
    END LOOP;
    RETURN jsonb_build_object('answer', answer, 'add', add);
END
$$;

-- CREATE TABLE / CREATE [UNIQUE] INDEX in schema datastore, put together from its words as
-- ds_rel's statements are (datastore tables are data, made at run time).
CREATE OR REPLACE FUNCTION ds_w_make(kind text, name text, tbl text, body text) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF kind = 'TABLE' THEN
        EXECUTE format('%s %s datastore.%I (%s)', 'CREATE', kind, name, body);
    ELSIF kind IN ('INDEX', 'UNIQUE INDEX') THEN
        EXECUTE format('%s %s %I ON datastore.%I (%s)', 'CREATE', kind, name, tbl, body);
    ELSE
        RAISE EXCEPTION 'ds_w_make: % is not one of the statements it runs', kind;
    END IF;
END
$$;

-- The table's indexes as create asks (CKAN's create_indexes): primary_key (a unique index,
-- replacing the one there when it differs), indexes (replacing the other indexes but the
-- search index).
CREATE OR REPLACE FUNCTION ds_w_indexes(d jsonb, tbl text, flds jsonb) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    pk text[] := ds_w_list(d->'primary_key');
    idx jsonb := d->'indexes';
    item jsonb;
    cols text[];
    names text[] := ARRAY(SELECT f->>'id' FROM jsonb_array_elements(flds) f);
    i record;
    state text;
    msg text;
    detail text;
BEGIN
    IF idx IS NOT NULL AND jsonb_typeof(idx) <> 'null' THEN
        FOR i IN SELECT c.relname FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
                 WHERE x.indrelid = format('datastore.%I', tbl)::regclass
                   AND NOT x.indisunique AND c.relname NOT IN (tbl || '_search', tbl || '_geo')
        LOOP
            PERFORM ds_rel('DROP', 'INDEX', i.relname);
        END LOOP;
        FOR item IN SELECT CASE WHEN jsonb_typeof(idx) = 'string'
                                THEN to_jsonb(s) END
                    FROM unnest(ds_w_list(idx)) s WHERE jsonb_typeof(idx) = 'string'
                    UNION ALL
                    SELECT e FROM jsonb_array_elements(CASE WHEN jsonb_typeof(idx) = 'array'
                                                            THEN idx ELSE '[]' END) e LOOP
            cols := ds_w_list(item);
            CONTINUE WHEN cols IS NULL OR cols = '{}';
            IF NOT cols <@ names THEN
                PERFORM ds_w_fail('index', format('The field "%s" is not a valid column name.',
                    CASE WHEN jsonb_typeof(item) = 'array' THEN ds_w_pylist(cols)
                         ELSE item #>> '{}' END));
            END IF;
            PERFORM ds_w_make('INDEX', left(tbl, 40) || '_' || left(md5(array_to_string(cols,
                '"')), 12), tbl, (SELECT string_agg(format('%I', c), ', ') FROM unnest(cols) c));
        END LOOP;
    END IF;
    IF pk IS NULL OR ds_w_unique_key(tbl) = pk THEN
        RETURN;
    END IF;
    FOR i IN SELECT c.relname FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
             WHERE x.indrelid = format('datastore.%I', tbl)::regclass
               AND x.indisunique AND NOT x.indisprimary LOOP
        PERFORM ds_rel('DROP', 'INDEX', i.relname);
    END LOOP;
    IF pk = '{}' THEN
        RETURN;
    END IF;
    IF NOT pk <@ names THEN
        PERFORM ds_w_fail('index', format('The field "%s" is not a valid column name.',
            ds_w_pylist(pk)));
    END IF;
    BEGIN
        PERFORM ds_w_make('UNIQUE INDEX', left(tbl, 40) || '_key_' || left(md5(
            array_to_string(pk, '"')), 12), tbl,
            (SELECT string_agg(format('%I', c), ', ') FROM unnest(pk) c));
    EXCEPTION WHEN unique_violation THEN
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
        -- (CKAN's words, "index" and "because" run together as it writes them)
        PERFORM ds_w_fail('constraints', 'Cannot insert records or create ' || 'index'
            'because of uniqueness constraint', jsonb_build_object('info', jsonb_build_object(
                'orig', msg || E'\nDETAIL:  ' || detail || E'\n', 'pgcode', '23505')));
    END;
END
$$;

-- The table made or widened: a new table with the fields add, or the columns add added to
-- the table t has (info replaced where the request gives it, others dropped with
-- delete_fields). Returns the table's fields (the bookkeeping's list).
CREATE OR REPLACE FUNCTION ds_w_shape(rid text, t datastore_table, d jsonb, add jsonb,
                                      delete_fields boolean)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    tbl text := coalesce(t.table_name, ds_table_name(rid));
    given jsonb := CASE WHEN jsonb_typeof(d->'fields') = 'array' THEN d->'fields' ELSE '[]' END;
    flds jsonb;
    f jsonb;
BEGIN
    IF t.resource_id IS NULL THEN
        IF EXISTS (SELECT 1 FROM datastore_alias WHERE name = tbl) THEN
            -- (a resource made later with an alias's name as its id)
            PERFORM ds_w_fail('resource_id', format('"%s" already exists', tbl));
        ELSIF to_regclass(format('datastore.%I', tbl)) IS NOT NULL THEN
            PERFORM ds_rel('DROP', 'TABLE', tbl);  -- a table left without bookkeeping
        END IF;
        PERFORM ds_w_make('TABLE', tbl, NULL, '"_id" bigint GENERATED BY DEFAULT AS IDENTITY '
            'PRIMARY KEY' || coalesce((SELECT string_agg(format(', %I %s', e->>'id', e->>'type'),
                                                         '' ORDER BY n)
                                       FROM jsonb_array_elements(add) WITH ORDINALITY x(e, n)),
                                      ''));
        RETURN add;
    END IF;
    FOR f IN SELECT e FROM jsonb_array_elements(add) e LOOP
        PERFORM ds_rel('ALTER', 'TABLE', tbl, format(' ADD COLUMN %I %s', f->>'id', f->>'type'));
    END LOOP;
    flds := (SELECT coalesce(jsonb_agg(CASE WHEN jsonb_typeof(g->'info') = 'object'
                                            THEN c || jsonb_build_object('info', g->'info')
                                            ELSE c END ORDER BY n), '[]')
             FROM jsonb_array_elements(t.fields) WITH ORDINALITY x(c, n)
             LEFT JOIN LATERAL (SELECT e AS g FROM jsonb_array_elements(given) e
                                WHERE e->>'id' = c->>'id' LIMIT 1) y ON true);
    IF delete_fields THEN
        FOR f IN SELECT c FROM jsonb_array_elements(flds) c
                 WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(given) e
                                   WHERE e->>'id' = c->>'id')
                   AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(add) e
                                   WHERE e->>'id' = c->>'id') LOOP
            PERFORM ds_rel('ALTER', 'TABLE', tbl, format(' DROP COLUMN %I CASCADE', f->>'id'));
            flds := (SELECT coalesce(jsonb_agg(c ORDER BY n), '[]')
                     FROM jsonb_array_elements(flds) WITH ORDINALITY x(c, n)
                     WHERE c->>'id' <> f->>'id');
        END LOOP;
    END IF;
    RETURN flds || add;
END
$$;

-- The spatial index datastore_nearest searches (sql/functions/24b_geo.sql), when the fields
-- name a latitude and a longitude: made here, in the create's transaction (the loading library
-- makes the same one CONCURRENTLY after its load). One made for other fields is replaced.
CREATE OR REPLACE FUNCTION ds_w_geo_index(tbl text, flds jsonb) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    g record := ds_geo_fields(flds);
    idx regclass := to_regclass(format('datastore.%I', tbl || '_geo'));
BEGIN
    IF g.expr IS NULL THEN
        RETURN;
    END IF;
    IF idx IS NOT NULL THEN
        -- the columns the index's expression reads (its dependencies) are the pair found now
        IF ARRAY(SELECT DISTINCT a.attname::text FROM pg_depend dp JOIN pg_attribute a
                     ON a.attrelid = dp.refobjid AND a.attnum = dp.refobjsubid
                 WHERE dp.classid = 'pg_class'::regclass AND dp.objid = idx
                   AND dp.refobjsubid > 0 ORDER BY 1)
           = ARRAY(SELECT DISTINCT x FROM unnest(ARRAY[g.lat, g.lon]) x ORDER BY 1) THEN
            RETURN;
        END IF;
        PERFORM ds_rel('DROP', 'INDEX', tbl || '_geo');
    END IF;
    EXECUTE format('%s %s %I ON datastore.%I USING gist ((%s))', 'CREATE', 'INDEX',
                   tbl || '_geo', tbl, g.expr);
END
$$;

-- The bookkeeping of the table after create changed its layout: fields, search text, a new
-- data_version (and generation: the readers' copies are read again).
CREATE OR REPLACE FUNCTION ds_w_layout(rid text, tbl text, flds jsonb) RETURNS void
LANGUAGE sql VOLATILE AS $$
    INSERT INTO datastore_table AS d (resource_id, table_name, fields, row_count, max_id,
                                      data_version, search_expr, source, created, modified)
    VALUES (rid, tbl, flds, 0, 0, 1, ds_w_search_expr(flds), '{"datastore_create": true}',
            clock_timestamp(), clock_timestamp())
    ON CONFLICT (resource_id) DO UPDATE SET fields = EXCLUDED.fields,
        search_expr = EXCLUDED.search_expr, data_version = d.data_version + 1,
        modified = EXCLUDED.modified
$$;

-- datastore_create's `resource`: the new resource made by resource_create (its checks, its
-- authorization) in the same transaction, so that a refused table leaves no resource behind.
-- Without a url it is a DataStore-only resource, as CKAN makes it (url_type datastore, its url
-- the dump's). Answers its id.
CREATE OR REPLACE FUNCTION ds_w_resource_create(rd jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF jsonb_typeof(rd) IS DISTINCT FROM 'object' THEN
        PERFORM ds_w_fail('resource', 'Expecting a dict');
    ELSIF NOT rd ? 'url' THEN
        rd := rd || '{"url": "_datastore_only_resource", "url_type": "datastore"}';
    END IF;
    RETURN ckan_resource_create(jsonb_build_object('data', rd), site, v)::jsonb->>'id';
END
$$;

CREATE OR REPLACE FUNCTION ckan_datastore_create(p jsonb, site text, v ckan_viewer)
RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    d jsonb := p->'data';
    rid text := ds_w_rid(d);
    res resource;
    t datastore_table;
    shaped jsonb;
    flds jsonb;
    ids bigint[];
    bad text;
    out jsonb;
BEGIN
    PERFORM ckan_gw_raise(ds_w_create_errors(d));
    PERFORM ds_w_ccount(d);
    IF d ? 'resource' AND coalesce(rid, '') <> '' THEN
        PERFORM ds_w_fail('resource', 'resource cannot be used with resource_id');
    ELSIF d ? 'resource' THEN
        rid := ds_w_resource_create(d->'resource', site, v);
        d := d - 'resource' || jsonb_build_object('resource_id', rid);
    ELSIF coalesce(rid, '') = '' THEN
        PERFORM ds_w_fail('resource_id', 'resource_id or resource required');
    END IF;
    res := ds_w_resource(rid);
    IF res.id IS NULL THEN
        RAISE EXCEPTION 'Resource was not found.' USING ERRCODE = 'OD100';
    END IF;
    PERFORM ds_w_authorize(v, res, 'resource_update');
    t := ds_w_writable(res, coalesce((p->>'force')::boolean, false), false);
    bad := ds_alias_bad_name(ds_w_list(d->'aliases'));
    IF bad IS NOT NULL THEN
        PERFORM ds_w_fail('alias', format('"%s" is not a valid alias name', bad));
    END IF;
    shaped := ds_w_fields(d, CASE WHEN t.resource_id IS NOT NULL THEN t.fields END);
    flds := ds_w_shape(rid, t, d, shaped->'add', coalesce((p->>'delete_fields')::boolean, false));
    bad := (SELECT e->>'function' FROM jsonb_array_elements(
                CASE WHEN jsonb_typeof(d->'triggers') = 'array' THEN d->'triggers' ELSE '[]' END)
                e LIMIT 1);
    IF bad IS NOT NULL THEN  -- no trigger functions can be made here (datastore_function_create)
        PERFORM ds_w_fail('triggers', format('function %I() does not exist', bad));
    END IF;
    PERFORM ds_w_layout(rid, ds_table_name(rid), flds);
    t := (SELECT x FROM datastore_table x WHERE resource_id = rid);
    ids := ds_w_insert(t.table_name, flds, d->'records');
    PERFORM ds_w_indexes(d, t.table_name, flds);
    PERFORM ds_w_geo_index(t.table_name, flds);
    PERFORM ds_alias_views(rid);  -- the columns may have changed
    IF ds_w_list(d->'aliases') IS NOT NULL THEN
        PERFORM ds_alias_set(rid, ds_w_list(d->'aliases'));
    END IF;
    PERFORM ds_w_rows_changed(t, cardinality(ids));
    out := ds_w_answer(d - 'records' - 'resource' - 'resource_id' - 'delete_fields'
                       - 'calculate_record_count',
                       (p->>'include_records')::boolean, t.table_name, ids)
        || jsonb_build_object('resource_id', rid, 'method', 'insert',
                              'delete_fields', coalesce((p->>'delete_fields')::boolean, false),
                              'calculate_record_count', ds_w_ccount(d))
        || CASE WHEN jsonb_typeof(d->'fields') = 'array'
                THEN jsonb_build_object('fields', shaped->'answer') ELSE '{}' END;
    RETURN out::text;
END
$$;
