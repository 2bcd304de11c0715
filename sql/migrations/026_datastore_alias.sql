-- 026_datastore_alias: CKAN's DataStore aliases (datastore_create's `aliases`): other names of a
-- resource's datastore table, for reading. Each is a row here and a view of the same name in
-- schema datastore over the resource's table (what datastore_search_sql reads by that name;
-- the read-only role reads it through the schema's default privileges, sql/migrations/021).
-- The readers resolve a name through ds_readable (sql/functions/06), so an alias is exactly as
-- visible as its resource. Views are data, made and remade at run time with the table
-- (sql/functions/20c_datastore_alias.sql); the rows go with the resource or its table.

CREATE TABLE IF NOT EXISTS datastore_alias (
    name        text PRIMARY KEY,
    resource_id text NOT NULL REFERENCES resource(id) ON DELETE CASCADE,
    position    int NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS datastore_alias_resource ON datastore_alias (resource_id);
