-- 20c_datastore_alias: CKAN's DataStore aliases (ckanext/datastore's create_alias): other names
-- of a resource's datastore table, for reading only. The rows are datastore_alias
-- (sql/migrations/026); each alias is also a view of that name in schema datastore over the
-- table, which is what datastore_search_sql reads by that name. The other readers resolve a name
-- through ds_alias_target (sql/functions/05, used by ds_readable in 06), so an alias is as visible as its
-- resource; the writes take resource ids only, as CKAN's do.

-- The aliases of rid, in the order they were given (datastore_info's meta.aliases).
CREATE OR REPLACE FUNCTION ds_alias_list(rid text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(to_jsonb(a.name) ORDER BY a.position, a.name), '[]')
    FROM datastore_alias a WHERE a.resource_id = rid
$$;

-- CREATE VIEW / DROP VIEW of one alias in schema datastore, put together from its words as
-- ds_rel's statements are (views over datastore tables are data, made at run time). The
-- read-only role of datastore_search_sql may read the view (and, through it, nothing else).
CREATE OR REPLACE FUNCTION ds_alias_view(verb text, name text, tbl text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF verb = 'DROP' THEN
        EXECUTE format('%s VIEW IF EXISTS datastore.%I', 'DROP', name);
    ELSIF verb = 'CREATE' THEN
        EXECUTE format('%s VIEW datastore.%I AS SELECT * FROM datastore.%I', 'CREATE', name, tbl);
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'opendatad_datastore_sql') THEN
            EXECUTE format('GRANT SELECT ON datastore.%I TO opendatad_datastore_sql', name);
        END IF;
    ELSE
        RAISE EXCEPTION 'ds_alias_view: % is not one of the statements it runs', verb;
    END IF;
END
$$;

-- The views of rid's aliases made anew over its table: after the table was made, replaced or
-- changed its columns (a view keeps the columns it was made with; dropping or replacing the
-- table drops its views, ds_rel's CASCADE). Without a table, the views are dropped.
CREATE OR REPLACE FUNCTION ds_alias_views(rid text) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    tbl text := (SELECT table_name FROM datastore_table WHERE resource_id = rid);
    a text;
BEGIN
    FOR a IN SELECT name FROM datastore_alias WHERE resource_id = rid ORDER BY position LOOP
        PERFORM ds_alias_view('DROP', a);
        IF tbl IS NOT NULL THEN
            PERFORM ds_alias_view('CREATE', a, tbl);
        END IF;
    END LOOP;
END
$$;

-- datastore_create's `aliases` (given: a list, or a comma-separated string; names already
-- checked by ds_w_alias_names): they replace the resource's aliases, as in CKAN. A name another
-- resource has as alias is CKAN's "The alias ... already exists."; a name of a resource or of a
-- relation of schema datastore is its '"..." already exists' (CKAN's CREATE VIEW failing).
CREATE OR REPLACE FUNCTION ds_alias_set(rid text, names text[]) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    tbl text := (SELECT table_name FROM datastore_table WHERE resource_id = rid);
    a text;
    i int := 0;
BEGIN
    FOR a IN SELECT name FROM datastore_alias WHERE resource_id = rid LOOP
        PERFORM ds_alias_view('DROP', a);
    END LOOP;
    DELETE FROM datastore_alias WHERE resource_id = rid;
    FOREACH a IN ARRAY names LOOP
        IF EXISTS (SELECT 1 FROM datastore_alias WHERE name = a) THEN
            PERFORM ds_w_fail('alias', format('The alias "%s" already exists.', a));
        END IF;
        IF EXISTS (SELECT 1 FROM resource WHERE id = a)
           OR to_regclass(format('datastore.%I', a)) IS NOT NULL THEN
            PERFORM ds_w_fail('alias', format('"%s" already exists', a));
        END IF;
        i := i + 1;
        INSERT INTO datastore_alias (name, resource_id, position) VALUES (a, rid, i);
        PERFORM ds_alias_view('CREATE', a, tbl);
    END LOOP;
END
$$;

-- The first of the names given as `aliases` that CKAN's is_valid_table_name refuses (or that a
-- PostgreSQL name cannot hold whole: longer than 63 bytes), or NULL.
CREATE OR REPLACE FUNCTION ds_alias_bad_name(names text[]) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT a FROM unnest(names) WITH ORDINALITY x(a, n)
    WHERE NOT ds_w_name_ok(a) OR position('%' IN a) > 0 OR octet_length(a) > 63
    ORDER BY n LIMIT 1
$$;
