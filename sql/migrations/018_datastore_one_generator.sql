-- 018_datastore_one_generator: the DataStore SELECT is generated in one place, in C
-- (server/datastore/sqlbuild.c), for the prepared reads, the unprepared ones and the dumps. The
-- PL/pgSQL builder that tw_datastore, ckan_datastore_search and the dumps used, and the
-- functions only it served, go. SQL keeps the permission check (ds_readable, ds_table), the
-- bookkeeping and the envelope pieces (tw_ds_result, ckan_ds_head, ds_csv_quote,
-- ckan_datastore_info): sql/functions/06_datastore_query.sql and 07_ckan_datastore.sql.

DROP FUNCTION IF EXISTS tw_datastore(text, jsonb, text, text[], text, bigint, bigint);
DROP FUNCTION IF EXISTS ckan_datastore_search(jsonb, ckan_viewer);
DROP FUNCTION IF EXISTS ds_records_json(datastore_table, jsonb, jsonb, text[], text[], bigint,
                                        bigint, text, boolean, boolean);
DROP FUNCTION IF EXISTS ds_records_csv(datastore_table, jsonb, jsonb, text[], text[], bigint,
                                       bigint, text, boolean);
DROP FUNCTION IF EXISTS ds_total(datastore_table, jsonb, jsonb, text[], boolean);
DROP FUNCTION IF EXISTS ds_select_sql(text, jsonb, jsonb, text[], text[], bigint, bigint, boolean);
DROP FUNCTION IF EXISTS ds_select_sql(datastore_table, jsonb, jsonb, text[], text[], bigint,
                                      bigint, boolean);
DROP FUNCTION IF EXISTS ds_check_distinct_sort(datastore_table, text[], text[]);
DROP FUNCTION IF EXISTS ds_order(datastore_table, text[], boolean);
DROP FUNCTION IF EXISTS ds_sort_key(text);
DROP FUNCTION IF EXISTS ds_where(datastore_table, jsonb, jsonb);
DROP FUNCTION IF EXISTS ds_like_escape(text);
DROP FUNCTION IF EXISTS ds_value_expr(text, text, text);
DROP FUNCTION IF EXISTS ds_text_expr(text, text);
DROP FUNCTION IF EXISTS ckan_ds_fields(datastore_table, text[]);
DROP FUNCTION IF EXISTS ds_out_fields(datastore_table, text[]);
DROP FUNCTION IF EXISTS ds_field_type(datastore_table, text, text);
DROP FUNCTION IF EXISTS ds_all_fields(datastore_table);
