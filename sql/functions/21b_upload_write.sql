-- 21b_upload_write: the resource writes (resource_create, _update and _patch,
-- server/ckan/ckan_upload.c): the write of sql/functions/19, then in the same transaction, for
-- an uploaded file (`upload`), the file's row and version (upload_record), and, for a file the
-- DataStore loads (uploaded, or at the resource's URL), a new pending load, as XLoader submits
-- resources of tabular formats itself.

-- p: the write's input with `_upload` {sha256, size, file_name, mimetype} (added by the server,
-- never from a client); verb: create, update or patch. Answers {resource: the resource dict,
-- submit: xloader_submit's task (null when the file is not one the DataStore loads)}.
CREATE OR REPLACE FUNCTION ckan_resource_upload_write(p jsonb, site text, v ckan_viewer,
                                                      verb text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    u jsonb := p->'_upload';
    rid text;
    r resource;
    f resource_upload;
    sub text;
BEGIN
    rid := (CASE verb WHEN 'create' THEN ckan_resource_create(p, site, v)
                      WHEN 'update' THEN ckan_resource_update(p, site, v)
                      ELSE ckan_resource_patch(p, site, v) END)::jsonb->>'id';
    PERFORM upload_record(rid, u->>'sha256', (u->>'size')::bigint, u->>'file_name',
                          u->>'mimetype');
    SELECT * INTO r FROM resource WHERE id = rid;
    SELECT * INTO f FROM resource_upload WHERE resource_id = rid;
    IF upload_load_format(r, f) IS NOT NULL THEN
        sub := ckan_xloader_submit(jsonb_build_object('resource_id', rid, 'force', true), site,
                                   v);
    END IF;
    RETURN json_build_object('resource', ckan_pw_resource_dict(rid, site)::json,
                             'submit', sub::json)::text;
END
$$;

-- resource_create, _update and _patch without a file (verb: create, update or patch): the
-- write of sql/functions/19 and, as XLoader submits resources itself, a new pending load when
-- the resource's file is at a URL in a format the DataStore loads and the write made it so (a
-- new resource, or a changed URL or format). Answers one row: the resource dict as the write
-- gives it, and xloader_submit's task (NULL when nothing was submitted).
CREATE OR REPLACE FUNCTION ckan_resource_url_write(p jsonb, site text, v ckan_viewer, verb text,
                                                   OUT res_dict text, OUT task text)
LANGUAGE plpgsql AS $$
DECLARE
    before resource;
    r resource;
BEGIN
    IF verb <> 'create' THEN
        SELECT * INTO before FROM resource WHERE id = p->'data'->>'id';
    END IF;
    res_dict := CASE verb WHEN 'create' THEN ckan_resource_create(p, site, v)
                          WHEN 'update' THEN ckan_resource_update(p, site, v)
                          ELSE ckan_resource_patch(p, site, v) END;
    SELECT * INTO r FROM resource WHERE id = res_dict::jsonb->>'id';
    IF xloader_remote_url(r, site) IS NOT NULL
       AND upload_load_format(r, NULL::resource_upload) IS NOT NULL
       AND (before.id IS NULL
            OR xloader_remote_url(before, site) IS DISTINCT FROM xloader_remote_url(r, site)
            OR upload_load_format(before, NULL::resource_upload) IS NULL) THEN
        -- xloader_submit's rule is 21's; a writer whom only 19's rule lets in (unowned
        -- datasets with create_unowned_dataset) keeps the write without the load
        BEGIN
            task := ckan_xloader_submit(jsonb_build_object('resource_id', r.id, 'force', true),
                                        site, v);
        EXCEPTION WHEN SQLSTATE 'OD403' THEN
            task := NULL;
        END;
    END IF;
END
$$;
