-- 022_upload: files uploaded to resources, and the DataStore loads of resources (XLoader's
-- task status).

-- The file a resource serves at its download URL: stored under the upload directory by its
-- SHA-256 (server/datastore/ustore.c), one row per resource, replaced by a new upload. Older
-- uploads stay as versions (resource_version, content_oid NULL: the bytes are that file).
CREATE TABLE resource_upload (
    resource_id text PRIMARY KEY REFERENCES resource(id) ON DELETE CASCADE,
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size        bigint NOT NULL CHECK (size >= 0),
    file_name   text NOT NULL,
    mimetype    text,
    created     timestamptz NOT NULL DEFAULT now()
);

-- The last DataStore load asked for each resource (XLoader's task_status row of type
-- "xloader"): pending (queued), running, complete or error, with the error in words and the
-- load's log lines.
CREATE TABLE xloader_task (
    resource_id  text PRIMARY KEY REFERENCES resource(id) ON DELETE CASCADE,
    job_id       uuid NOT NULL,
    state        text NOT NULL CHECK (state IN ('pending', 'running', 'complete', 'error')),
    created      timestamptz NOT NULL,
    last_updated timestamptz NOT NULL,
    finished     timestamptz,
    error        text,
    logs         jsonb NOT NULL DEFAULT '[]'
);
