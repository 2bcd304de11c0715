-- 06_datastore_query: what the DataStore reads and dumps keep in SQL: the permission check
-- (ds_readable, ds_table) and the Taiwan result envelope. The SELECTs themselves are generated
-- in C (server/datastore/sqlbuild.c) from the table's bookkeeping, for the reads, the prepared
-- and the unprepared, and the dumps alike. Application errors are raised with our own
-- SQLSTATEs, which the server maps to API errors:
--   OD100 resource not found   OD403 the caller may not read the resource's dataset
-- (and from the generator: OD210 malformed value, OD220 unknown field)

-- The bookkeeping row of rid (a resource id, or an alias of one: ds_alias_target) when it has
-- data, its resource is active and v (NULL: anonymous) may read its dataset; no row otherwise.
CREATE OR REPLACE FUNCTION ds_readable(rid text, v ckan_viewer) RETURNS SETOF datastore_table
LANGUAGE sql STABLE AS $$
    SELECT d.* FROM datastore_table d
    JOIN resource r ON r.id = d.resource_id
    JOIN package p ON p.id = r.package_id
    WHERE d.resource_id = ds_alias_target(rid) AND r.state = 'active'
      AND ckan_can_read(p.state, p.private, p.owner_org, p.creator_user_id, v)
$$;

-- The datastore bookkeeping row of a resource (its id or an alias) v may read (NULL:
-- anonymous), or OD100/OD403 (naming the resource, as CKAN checks the alias's resource).
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
    WHERE d.resource_id = ds_alias_target(rid) AND r.state = 'active';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Resource "%" was not found.', rid USING ERRCODE = 'OD100';
    END IF;
    -- DETAIL: the answer of an API without authorization (the Taiwan one): not found
    RAISE EXCEPTION 'User % not authorized to read resource %', ckan_viewer_name(v),
        ds_alias_target(rid)
        USING ERRCODE = 'OD403', DETAIL = format('Resource "%s" was not found.', rid);
END
$$;

-- Taiwan endpoint 7 result before its records (flds: the fields array as JSON text) and after
-- them; the server writes the records between (server/datastore/ds_json.c).
-- (STABLE as format and to_json are: a SQL function no more volatile than its body is inlined
-- into the statement calling it, instead of being planned again at every call.)
CREATE OR REPLACE FUNCTION tw_ds_head(rid text, flds text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('{"resource_id": %s, "fields": %s, "records": ', to_json(rid), flds)
$$;
CREATE OR REPLACE FUNCTION tw_ds_tail(lim bigint, off bigint, total bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format(', "limit": %s, "offset": %s, "total": %s}', to_json(lim), coalesce(off, 0), total)
$$;
