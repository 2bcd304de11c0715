-- 23_hk_filter: what the Filter API (GET /v2/filter, server/hk/) asks SQL: which resource a
-- query names. Its rows are read with the DataStore's generated SELECT (sqlbuild.c), like a dump.

-- The resource ref names: its id, or the URL it was published under (download or access URL,
-- http and https alike), among the active resources with DataStore data of public active
-- datasets (the Filter API has no callers). An id wins over a URL, the exact URL over its
-- other scheme, then the resource modified last. OD100 when there is none: the API's 422
-- "Not a valid resource".
CREATE OR REPLACE FUNCTION hk_filter_resource(ref text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    alt text := CASE WHEN ref ~* '^https://' THEN 'http://' || substr(ref, 9)
                     WHEN ref ~* '^http://' THEN 'https://' || substr(ref, 8) END;
    rid text;
BEGIN
    SELECT r.id INTO rid
    FROM resource r
    JOIN package p ON p.id = r.package_id
    JOIN datastore_table d ON d.resource_id = r.id
    WHERE (r.id = ref OR coalesce(r.download_url, r.access_url) IN (ref, alt))
      AND r.state = 'active'
      AND ckan_can_read(p.state, p.private, p.owner_org, p.creator_user_id, NULL::ckan_viewer)
    ORDER BY r.id = ref DESC, coalesce(r.download_url, r.access_url) = ref DESC,
             r.metadata_modified DESC, r.id
    LIMIT 1;
    IF rid IS NULL THEN
        RAISE EXCEPTION 'Not a valid resource' USING ERRCODE = 'OD100';
    END IF;
    RETURN rid;
END
$$;
