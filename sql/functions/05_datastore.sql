-- 05_datastore: bookkeeping of datastore tables (one table per resource in schema `datastore`).
-- See docs/DATASTORE.md for the contract between the importers and the server.

-- The table name of a resource's datastore table (in schema datastore): the resource id when it
-- is short and plain, otherwise a stable hash of it.
CREATE OR REPLACE FUNCTION ds_table_name(rid text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN rid ~ '^[A-Za-z0-9_.-]{1,55}$' THEN rid ELSE 'r_' || md5(rid) END
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
