-- 21b_upload_write: the resource writes that carry an uploaded file (resource_create, _update
-- and _patch with `upload`, server/ckan/ckan_upload.c): the write of sql/functions/19, then in
-- the same transaction the file's row and version (upload_record) and, for a file the
-- DataStore loads, a new pending load, as XLoader submits uploads of tabular files itself.

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
