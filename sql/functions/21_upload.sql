-- 21_upload: uploaded files (their rows; the bytes are files under the upload directory,
-- server/datastore/ustore.c), their download, and XLoader's actions: xloader_submit queues a
-- DataStore load of a resource's uploaded file, xloader_status tells how it went.

-- A time as XLoader's task_status dicts show it (UTC, ISO 8601 without zone).
CREATE OR REPLACE FUNCTION upload_time(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
$$;

-- The resource rid for a write by v: CKAN's resource_update rule (package_update on its
-- dataset: update_dataset in the owning organization; an unowned dataset, as
-- create_unowned_dataset is off, a user with create_dataset in some organization). OD100 when
-- there is no such resource, OD403 with CKAN's text when v may not.
CREATE OR REPLACE FUNCTION upload_resource_for_update(rid text, v ckan_viewer) RETURNS resource
LANGUAGE plpgsql STABLE AS $$
DECLARE
    r resource;
    org uuid;
BEGIN
    SELECT * INTO r FROM resource WHERE id = rid;
    IF NOT FOUND THEN
        RAISE EXCEPTION '' USING ERRCODE = 'OD100';
    END IF;
    SELECT owner_org INTO org FROM package WHERE id = r.package_id;
    IF NOT (ckan_authz_is_sysadmin(v)
            OR (org IS NOT NULL AND ckan_authz_has(v, 'update_dataset', org))
            OR (org IS NULL AND EXISTS (
                SELECT 1 FROM member m JOIN grp g ON g.id = m.group_id
                WHERE m.table_name = 'user' AND m.table_id = (ckan_authz_user(v)).id
                  AND m.state = 'active' AND g.is_organization
                  AND ckan_authz_role_has(m.capacity, 'create_dataset')))) THEN
        RAISE EXCEPTION 'User % not authorized to edit resource %', ckan_viewer_name(v), rid
            USING ERRCODE = 'OD403';
    END IF;
    RETURN r;
END
$$;

-- The resource rid if v may read it (resource_show's rule: its dataset's), else OD100/OD403.
CREATE OR REPLACE FUNCTION upload_resource_for_read(rid text, v ckan_viewer, forbidden text)
RETURNS resource
LANGUAGE plpgsql STABLE AS $$
DECLARE
    r resource;
BEGIN
    SELECT * INTO r FROM resource WHERE id = rid AND state = 'active';
    IF NOT FOUND THEN
        RAISE EXCEPTION '' USING ERRCODE = 'OD100';
    END IF;
    PERFORM 1 FROM package p WHERE p.id = r.package_id
        AND ckan_can_read(p.state, p.private, p.owner_org, p.creator_user_id, v);
    IF NOT FOUND THEN
        RAISE EXCEPTION '%', forbidden USING ERRCODE = 'OD403';
    END IF;
    RETURN r;
END
$$;

-- Record an uploaded file as the resource's file (stored by the caller under its SHA-256):
-- the upload row, a version, and the resource's fields as CKAN sets them for an upload (url
-- the file's name, url_type upload, size, mimetype, hash, last_modified).
CREATE OR REPLACE FUNCTION upload_record(rid text, sha text, nbytes bigint, file_name text,
                                         mime text)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO resource_upload AS u (resource_id, sha256, size, file_name, mimetype)
        VALUES (rid, sha, nbytes, file_name, mime)
        ON CONFLICT (resource_id) DO UPDATE SET sha256 = EXCLUDED.sha256,
            size = EXCLUDED.size, file_name = EXCLUDED.file_name,
            mimetype = EXCLUDED.mimetype, created = now();
    INSERT INTO resource_version (resource_id, content_hash, size, file_name, format)
        VALUES (rid, sha, nbytes, file_name,
                lower(substring(file_name FROM '\.([A-Za-z0-9]+)$')))
        ON CONFLICT DO NOTHING;
    UPDATE resource SET url_type = 'upload', download_url = file_name, size = nbytes,
        mimetype = mime, hash = sha, last_modified = now(), metadata_modified = now()
    WHERE id = rid;
END
$$;

-- The download of resource rid through dataset pkg (id or name), as CKAN's download view
-- reads them (resource_show, then package_show): the file when the resource has an upload,
-- else its URL to redirect to. OD100 "Resource not found", OD403 as CKAN words them.
CREATE OR REPLACE FUNCTION ckan_upload_download(pkg text, rid text, site text, v ckan_viewer)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    msg text := 'Not authorized to download resource';
    r resource;
    u resource_upload;
BEGIN
    BEGIN
        r := upload_resource_for_read(rid, v, msg);
    EXCEPTION WHEN SQLSTATE 'OD100' THEN
        RAISE EXCEPTION 'Resource not found' USING ERRCODE = 'OD100';
    END;
    PERFORM 1 FROM package p WHERE (p.id::text = pkg OR p.name = pkg) AND p.state <> 'deleted';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Resource not found' USING ERRCODE = 'OD100';
    END IF;
    PERFORM 1 FROM package p WHERE (p.id::text = pkg OR p.name = pkg)
        AND ckan_can_read(p.state, p.private, p.owner_org, p.creator_user_id, v);
    IF NOT FOUND THEN
        RAISE EXCEPTION '%', msg USING ERRCODE = 'OD403';
    END IF;
    SELECT * INTO u FROM resource_upload WHERE resource_id = rid;
    RETURN json_build_object('upload', r.url_type = 'upload' AND u.sha256 IS NOT NULL,
        'sha256', u.sha256, 'size', u.size, 'file_name', u.file_name,
        'mimetype', coalesce(r.mimetype, u.mimetype),
        'url', ckan_resource_url(r, site))::text;
END
$$;

-- The file name at the end of a URL's path (no query or fragment), NULL when there is none.
CREATE OR REPLACE FUNCTION xloader_url_file(url text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT nullif(substring(regexp_replace(url, '[?#].*$', '') FROM '[^/]*$'), '')
$$;

-- The URL a load of r fetches (CKAN's url of the resource), NULL when r's file is not elsewhere:
-- an upload (url_type upload), a table written through the DataStore API, or no URL at all.
CREATE OR REPLACE FUNCTION xloader_remote_url(r resource, site text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN coalesce(r.url_type, '') NOT IN ('upload', 'datastore')
                THEN nullif(ckan_resource_url(r, site), '') END
$$;

-- The format a load reads a resource's file as (csv for TSV too: the delimiter is detected),
-- or NULL when it is not one the DataStore loads: the resource's format, else the extension of
-- the uploaded file's name (or of the URL's file).
CREATE OR REPLACE FUNCTION upload_load_format(r resource, u resource_upload) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE lower(coalesce(nullif(btrim(r.format), ''),
                               substring(coalesce(u.file_name, xloader_url_file(
                                   coalesce(r.download_url, r.access_url)))
                                   FROM '\.([A-Za-z0-9]+)$'), ''))
        WHEN 'csv' THEN 'csv' WHEN 'tsv' THEN 'csv'
        WHEN 'text/csv' THEN 'csv' WHEN 'xml' THEN 'xml' ELSE NULL END
$$;

-- Why the resource's file cannot be loaded, in words; NULL when it can. u: its upload (NULL
-- row when it has none); url: where it is fetched from otherwise (xloader_remote_url).
DROP FUNCTION IF EXISTS upload_load_refusal(resource, resource_upload);
CREATE OR REPLACE FUNCTION upload_load_refusal(r resource, u resource_upload, url text)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN u.sha256 IS NULL AND url IS NULL THEN
            'The resource has no uploaded file or URL to load into the DataStore.'
        WHEN upload_load_format(r, u) IS NULL THEN
            format('The resource''s format (%s) is not one the DataStore loads: CSV, TSV '
                   'and XML files are.', coalesce(nullif(btrim(r.format), ''), u.file_name,
                                                  xloader_url_file(url), 'none'))
        END
$$;

-- xloader_submit: queue a load of the resource's uploaded file. p: {resource_id, force (a new
-- upload: even while another load is pending; loads of one resource take turns)}. Answers
-- {"submit": false} when a load of it is pending or running (updated within the hour, as
-- XLoader's assume_task_stale_after), else the new task: {"submit": true, job_id, load (false
-- when refused: the task is already an error, in words), sha256, file_name, format}.
CREATE OR REPLACE FUNCTION ckan_xloader_submit(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    rid text := p->>'resource_id';
    r resource := upload_resource_for_update(rid, v);
    u resource_upload;
    refusal text;
    url text;
    job uuid := gen_random_uuid();
BEGIN
    IF NOT coalesce((p->>'force')::boolean, false) AND EXISTS (SELECT 1 FROM xloader_task
            WHERE resource_id = rid AND state IN ('pending', 'running')
              AND last_updated > now() - interval '1 hour') THEN
        RETURN '{"submit": false}';
    END IF;
    -- an upload row of a resource whose url has since been changed to a link is not its file
    SELECT * INTO u FROM resource_upload WHERE resource_id = rid AND r.url_type = 'upload';
    url := CASE WHEN u.sha256 IS NULL THEN xloader_remote_url(r, site) END;
    refusal := upload_load_refusal(r, u, url);
    INSERT INTO xloader_task AS t (resource_id, job_id, state, created, last_updated, finished,
                                   error, logs)
        VALUES (rid, job, CASE WHEN refusal IS NULL THEN 'pending' ELSE 'error' END,
                clock_timestamp(), clock_timestamp(),
                CASE WHEN refusal IS NOT NULL THEN clock_timestamp() END, refusal,
                CASE WHEN refusal IS NOT NULL THEN jsonb_build_array(jsonb_build_object(
                    'timestamp', upload_time(clock_timestamp()), 'level', 'ERROR',
                    'message', refusal)) ELSE '[]' END)
        ON CONFLICT (resource_id) DO UPDATE SET job_id = EXCLUDED.job_id,
            state = EXCLUDED.state, created = EXCLUDED.created,
            last_updated = EXCLUDED.last_updated, finished = EXCLUDED.finished,
            error = EXCLUDED.error, logs = EXCLUDED.logs;
    RETURN json_build_object('submit', true, 'resource_id', rid, 'job_id', job,
        'load', refusal IS NULL, 'sha256', u.sha256, 'url', url,
        'file_name', coalesce(u.file_name, xloader_url_file(url)),
        'format', upload_load_format(r, u))::text;
END
$$;

-- A log line of a task.
CREATE OR REPLACE FUNCTION upload_task_log(level text, message text) RETURNS jsonb
LANGUAGE sql VOLATILE AS $$
    SELECT jsonb_build_array(jsonb_build_object('timestamp', upload_time(clock_timestamp()),
                                                'level', level, 'message', message))
$$;

-- The load of task job began (on its loading thread); url: the URL it fetches first, if any.
DROP FUNCTION IF EXISTS xloader_task_begin(text, uuid);
CREATE OR REPLACE FUNCTION xloader_task_begin(rid text, job uuid, url text DEFAULT NULL)
RETURNS void
LANGUAGE sql AS $$
    UPDATE xloader_task SET state = 'running', last_updated = clock_timestamp(),
        logs = logs || CASE WHEN url IS NOT NULL
            THEN upload_task_log('INFO', 'Fetching from: ' || url) ELSE '[]' END
            || upload_task_log('INFO', 'Loading the file into the DataStore.')
    WHERE resource_id = rid AND job_id = job
$$;

-- The load of task job ended: err NULL when it succeeded (rows loaded), else why not.
CREATE OR REPLACE FUNCTION xloader_task_end(rid text, job uuid, err text, nrows bigint)
RETURNS void
LANGUAGE sql AS $$
    UPDATE xloader_task SET state = CASE WHEN err IS NULL THEN 'complete' ELSE 'error' END,
        last_updated = clock_timestamp(), finished = clock_timestamp(), error = err,
        logs = logs || CASE WHEN err IS NULL
            THEN upload_task_log('INFO', format('Loaded %s rows into the DataStore.', nrows))
            ELSE upload_task_log('ERROR', err) END
    WHERE resource_id = rid AND job_id = job
$$;

-- xloader_status: the resource's last load as XLoader reports it. p: {resource_id}. OD100
-- when the resource or its task does not exist (task_status_show's NotFound).
CREATE OR REPLACE FUNCTION ckan_xloader_status(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    rid text := p->>'resource_id';
    t xloader_task;
BEGIN
    PERFORM upload_resource_for_read(rid, v,
        format('User %s not authorized to read resource %s', ckan_viewer_name(v), rid));
    SELECT * INTO t FROM xloader_task WHERE resource_id = rid;
    IF NOT FOUND THEN
        RAISE EXCEPTION '' USING ERRCODE = 'OD100';
    END IF;
    RETURN json_build_object(
        'status', t.state, 'job_id', t.job_id, 'job_url', NULL,
        'last_updated', upload_time(t.last_updated),
        'task_info', json_build_object('job_id', t.job_id, 'status', t.state,
            'requested_timestamp', upload_time(t.created),
            'finished_timestamp', upload_time(t.finished),
            'error', CASE WHEN t.error IS NOT NULL THEN json_build_object('message', t.error) END,
            'logs', t.logs),
        'error', CASE WHEN t.error IS NOT NULL THEN json_build_object('message', t.error)
                      ELSE '{}'::json END)::text;
END
$$;
