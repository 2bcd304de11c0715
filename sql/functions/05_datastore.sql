-- 05_datastore: bookkeeping of datastore tables (one table per resource in schema `datastore`).
-- See docs/DATASTORE.md for the contract between the importers and the server.

-- The table name of a resource's datastore table (in schema datastore): the resource id when it
-- is short and plain, otherwise a stable hash of it.
CREATE OR REPLACE FUNCTION ds_table_name(rid text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN rid ~ '^[A-Za-z0-9_.-]{1,55}$' THEN rid ELSE 'r_' || md5(rid) END
$$;

-- The resource id a reader's name stands for (aliases: sql/functions/20c): the name itself
-- when a resource's table has it, else the resource whose alias it is, else the name (which
-- then is not found). PL/pgSQL, not SQL: a SQL function holding a subquery is never inlined,
-- and PostgreSQL 15 plans such a function's body again at every call (about 60 µs of each
-- DataStore read, called twice in ds_readable's statement); PL/pgSQL keeps its plans.
CREATE OR REPLACE FUNCTION ds_alias_target(id text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM datastore_table d WHERE d.resource_id = id) THEN
        RETURN id;
    END IF;
    RETURN coalesce((SELECT a.resource_id FROM datastore_alias a WHERE a.name = id), id);
END
$$;

CREATE OR REPLACE FUNCTION ds_new_generation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.generation := nextval('datastore_generation');
    RETURN NEW;
END
$$;

SELECT schema_trigger('datastore_table', 'CREATE TRIGGER datastore_table_generation
    BEFORE INSERT OR UPDATE ON public.datastore_table
    FOR EACH ROW EXECUTE FUNCTION ds_new_generation()');

-- ---------------------------------------------------------------------------------------------
-- The writes of datastore bookkeeping, shared by the loader (importers/load_db.c) and the
-- DataStore write actions: every change of a datastore table and its rows goes through these,
-- inside the caller's transaction, so a failure anywhere leaves the previous table and
-- bookkeeping as they were. Times are clock_timestamp(), not now(): now() is when the
-- transaction began, possibly long before the data became visible, and a harvester asking
-- "modified since" in between would miss the change.

-- One statement on a relation of schema datastore; verb (ALTER, DROP) and kind (TABLE, INDEX,
-- SEQUENCE) come from the functions below, the name is quoted here. Datastore tables are data,
-- one per resource, made and replaced at run time: not the schema, which the migrations hold
-- (so the statement is put together from its words, and tests/import/test_schema_files.py's
-- check for schema statements in function files does not apply to it).
CREATE OR REPLACE FUNCTION ds_rel(verb text, kind text, name text, rest text DEFAULT '')
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF verb NOT IN ('ALTER', 'DROP') OR kind NOT IN ('TABLE', 'INDEX', 'SEQUENCE') THEN
        RAISE EXCEPTION 'ds_rel: % % is not one of the statements it runs', verb, kind;
    END IF;
    -- a table's alias views go with it (CASCADE); their owners make them anew (ds_alias_views)
    EXECUTE format('%s %s %sdatastore.%I%s%s', verb, kind,
                   CASE verb WHEN 'DROP' THEN 'IF EXISTS ' ELSE '' END, name, rest,
                   CASE WHEN verb = 'DROP' AND kind = 'TABLE' THEN ' CASCADE' ELSE '' END);
END
$$;

-- The resource's last change, and its dataset's: what CKAN and the Taiwan API report as
-- metadata_modified. active: whether the resource has a datastore table now.
CREATE OR REPLACE FUNCTION ds_touch(rid text, active boolean) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    pkg uuid;
BEGIN
    UPDATE resource SET datastore_active = active, metadata_modified = clock_timestamp()
        WHERE id = rid RETURNING package_id INTO pkg;
    UPDATE package SET metadata_modified = clock_timestamp() WHERE id = pkg;
END
$$;

-- A new resource for a datastore table, in the dataset whose identifier is `dataset` (any
-- case), after its other resources. True when made; false when the resource exists or the
-- dataset does not.
CREATE OR REPLACE FUNCTION ds_resource_create(rid text, dataset text, file_name text, fmt text)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    INSERT INTO resource (id, package_id, position, name, format)
        SELECT rid, p.id, coalesce((SELECT max(position) + 1 FROM resource r
                                    WHERE r.package_id = p.id), 0), file_name, fmt
        FROM package p WHERE lower(p.identifier) = lower(dataset)
        ON CONFLICT (id) DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n > 0;
END
$$;

-- Make `staging` (a table of schema datastore with an "_id" identity key, made in this
-- transaction) the resource's datastore table: lock the resource (replacements of one resource
-- go one after the other; readers of the old table wait only for the commit), drop the table it
-- had, give the staging table, its key and its _id sequence the resource's names, set the
-- sequence after the last row (rows added later number on), and record the table: fields (the
-- datastore_table.fields form), row count, search expression and source, a new data_version.
-- Returns that data_version; NULL when the resource does not exist (any more).
CREATE OR REPLACE FUNCTION ds_table_replace(rid text, staging text, new_fields jsonb,
                                            nrows bigint, expr text, src jsonb)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    live text := ds_table_name(rid);
    old text;
    key text;
    seq text;
    ver bigint;
BEGIN
    PERFORM 1 FROM resource WHERE id = rid FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT table_name INTO old FROM datastore_table WHERE resource_id = rid FOR UPDATE;
    SELECT c.relname INTO key FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
        WHERE x.indrelid = format('datastore.%I', staging)::regclass AND x.indisprimary;
    SELECT c.relname INTO seq FROM pg_class c
        WHERE c.oid = pg_get_serial_sequence(format('datastore.%I', staging), '_id')::regclass;
    IF old <> live THEN
        PERFORM ds_rel('DROP', 'TABLE', old);
    END IF;
    PERFORM ds_rel('DROP', 'TABLE', live);
    PERFORM ds_rel('ALTER', 'TABLE', staging, format(' RENAME TO %I', live));
    IF key IS NOT NULL THEN
        PERFORM ds_rel('ALTER', 'INDEX', key, format(' RENAME TO %I', live || '_pkey'));
    END IF;
    IF seq IS NOT NULL THEN
        PERFORM ds_rel('ALTER', 'SEQUENCE', seq, format(' RENAME TO %I', live || '__id_seq'));
        PERFORM setval(pg_get_serial_sequence(format('datastore.%I', live), '_id'),
                       greatest(nrows, 1), nrows > 0);
    END IF;
    INSERT INTO datastore_table AS d (resource_id, table_name, fields, row_count, max_id,
                                      data_version, search_expr, source, created, modified)
        VALUES (rid, live, new_fields, nrows, nrows, 1, expr, src, clock_timestamp(),
                clock_timestamp())
        ON CONFLICT (resource_id) DO UPDATE SET table_name = EXCLUDED.table_name,
            fields = EXCLUDED.fields, row_count = EXCLUDED.row_count,
            max_id = EXCLUDED.max_id, data_version = d.data_version + 1,
            search_expr = EXCLUDED.search_expr, source = EXCLUDED.source,
            modified = EXCLUDED.modified
        RETURNING d.data_version INTO ver;
    PERFORM ds_alias_views(rid);
    PERFORM ds_touch(rid, true);
    RETURN ver;
END
$$;

-- Rows were added to or removed from the resource's table in place (upsert, delete with
-- filters): its row count and largest _id now, and a new data_version (dumps are built per
-- version). Returns that data_version; NULL when the resource has no datastore table.
CREATE OR REPLACE FUNCTION ds_table_rows(rid text, nrows bigint, last_id bigint)
RETURNS bigint
LANGUAGE sql AS $$
    UPDATE datastore_table SET row_count = nrows, max_id = last_id,
        data_version = data_version + 1, modified = clock_timestamp()
    WHERE resource_id = rid
    RETURNING data_version
$$;

-- Drop the resource's datastore table, its bookkeeping and its aliases (the raw-file versions
-- stay: they are the resource's history). False when it had none.
CREATE OR REPLACE FUNCTION ds_table_delete(rid text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    old text;
BEGIN
    PERFORM 1 FROM resource WHERE id = rid FOR UPDATE;
    SELECT table_name INTO old FROM datastore_table WHERE resource_id = rid FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM ds_rel('DROP', 'TABLE', old);
    DELETE FROM datastore_table WHERE resource_id = rid;
    DELETE FROM datastore_alias WHERE resource_id = rid;  -- CKAN's aliases go with the table
    PERFORM ds_touch(rid, false);
    RETURN true;
END
$$;

-- A raw file as a version of the resource: its bytes are the large object `content` (written
-- by the caller in this transaction), which the version owns from here. A content the
-- resource has already is not stored twice: false, and the new object is unlinked.
CREATE OR REPLACE FUNCTION ds_version_add(rid text, hash text, nbytes bigint, new_fields jsonb,
                                          file_name text, fmt text, nrows bigint, content oid)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    INSERT INTO resource_version (resource_id, content_hash, size, fields, file_name, format,
                                  row_count, content_oid)
        VALUES (rid, hash, nbytes, new_fields, file_name, fmt, nrows, content)
        ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 AND content IS NOT NULL THEN
        PERFORM lo_unlink(content);
    END IF;
    RETURN n > 0;
END
$$;
