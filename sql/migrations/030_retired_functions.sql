-- 030_retired_functions: functions whose definitions left sql/functions/ (re-applied by every
-- db init) go from databases made before: status_show took the server's version as a third
-- parameter; the nearest searches' SELECT is written by the DataStore generator in C.
DROP FUNCTION IF EXISTS ckan_status_show(text, text);
DROP FUNCTION IF EXISTS ckan_datastore_nearest(jsonb, ckan_viewer);
DROP FUNCTION IF EXISTS hk_nearest_schools(text, float8, float8, int);
DROP FUNCTION IF EXISTS ds_geo_nearest(jsonb, ckan_viewer);
