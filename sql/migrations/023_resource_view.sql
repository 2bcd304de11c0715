-- 023_resource_view: CKAN's resource views (a resource's previews: image, web page, table, ...),
-- written by resource_view_create/_update/_delete/_reorder/_clear (sql/functions/22). A view
-- lives and dies with its resource: purged with it (the foreign key), deleted with it (a
-- trigger of sql/functions/22). config holds the view type's own keys, which CKAN shows at the
-- top level of the view's dict.
CREATE TABLE resource_view (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    resource_id text NOT NULL REFERENCES resource(id) ON DELETE CASCADE,
    title       text,
    description text,
    view_type   text NOT NULL,
    "order"     int NOT NULL,
    config      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX resource_view_resource ON resource_view (resource_id, "order");
