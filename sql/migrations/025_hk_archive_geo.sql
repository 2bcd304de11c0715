-- 025_hk_archive_geo: what the Hong Kong-style historical archive and the nearest-row search
-- need from the schema. The archive is the raw-file versions the loading library already keeps
-- (resource_version, its bytes a large object): list-files asks for the versions of a period
-- across all resources. Nearest rows are a GiST index on a point of the cube extension
-- (PostgreSQL's contrib) per datastore table, made by the loading library
-- (sql/functions/24b_geo.sql gives the indexed expression).

CREATE EXTENSION IF NOT EXISTS cube SCHEMA public;

CREATE INDEX IF NOT EXISTS resource_version_created ON resource_version (created);
