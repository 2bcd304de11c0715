-- 014_datastore_read: what the server's prepared datastore reads (server/ds_read.c) need, and the
-- pieces they share with tw_datastore and ckan_datastore_search so that both paths give the same
-- bytes:
--   * datastore_table.generation, a new value from a sequence on every insert or update of the
--     row (whoever writes it), so "is my copy of the field list current?" is one comparison;
--   * ds_readable(rid, viewer), the row a caller may read as one inlinable query (ds_table's
--     rule; ds_table now uses it and only tells OD100 from OD403 when it finds nothing);
--   * tw_ds_result and ckan_ds_head, the result envelopes around the records.
-- The trigger and the functions: sql/functions/05_datastore.sql, 06_datastore_query.sql,
-- 07_ckan_datastore.sql.

CREATE SEQUENCE datastore_generation;
ALTER TABLE datastore_table
    ADD COLUMN generation bigint NOT NULL DEFAULT nextval('datastore_generation');
