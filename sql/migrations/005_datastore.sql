-- 005_datastore: bookkeeping of datastore tables (one table per resource in schema `datastore`)
-- and of raw-file versions. See docs/DATASTORE.md for the contract between the importers and
-- the server. Functions: sql/functions/05_datastore.sql.

ALTER TABLE datastore_table
    ADD COLUMN search_expr text,            -- SQL text expression searched by `q` (trigram GIN)
    ADD COLUMN max_id bigint NOT NULL DEFAULT 0, -- largest _id: _id is dense when max_id = row_count
    ADD COLUMN source jsonb NOT NULL DEFAULT '{}'; -- encoding, delimiter, record path, file name

-- Raw files of each import, deduplicated by content hash; the bytes are a large object.
ALTER TABLE resource_version
    DROP COLUMN content,
    ADD COLUMN content_oid oid,
    ADD COLUMN file_name text,
    ADD COLUMN format text,
    ADD COLUMN row_count bigint;
