-- 017_sql_contract: one way for SQL functions to answer C (docs/ARCHITECTURE.md, "SQL → C").
-- The actions that returned (code int, body text) (sql/functions/08) or (err text, result text)
-- (sql/functions/09) now return their JSON text and RAISE their refusals (OD100, OD403), as
-- ckan_g_readable_group, which returned (g, err, msg), returns the group. A function's result
-- type cannot change in place, so the old ones go here and the function files make the new.
DROP FUNCTION IF EXISTS ckan_package_show(text, text, ckan_viewer);
DROP FUNCTION IF EXISTS ckan_resource_show(text, text, ckan_viewer);
DROP FUNCTION IF EXISTS ckan_package_relationships(text, text, text, ckan_viewer);
DROP FUNCTION IF EXISTS ckan_g_readable_group(text, text);
DROP FUNCTION IF EXISTS ckan_group_list(jsonb, text, ckan_viewer);
DROP FUNCTION IF EXISTS ckan_group_show(jsonb, text, ckan_viewer);
DROP FUNCTION IF EXISTS ckan_group_package_show(jsonb, text, ckan_viewer);
DROP FUNCTION IF EXISTS ckan_organization_list_for_user(jsonb, text, ckan_viewer);
DROP FUNCTION IF EXISTS ckan_member_list(jsonb, text, ckan_viewer);
DROP FUNCTION IF EXISTS ckan_tag_list(jsonb, text);
DROP FUNCTION IF EXISTS ckan_tag_search(jsonb, text);
DROP FUNCTION IF EXISTS ckan_tag_show(jsonb, text);
DROP FUNCTION IF EXISTS ckan_vocabulary_list(jsonb, text);
DROP FUNCTION IF EXISTS ckan_vocabulary_show(jsonb, text);
DROP FUNCTION IF EXISTS ckan_license_list(jsonb, text);
DROP FUNCTION IF EXISTS ckan_user_list(jsonb, text, ckan_viewer);
DROP FUNCTION IF EXISTS ckan_user_show(jsonb, text, ckan_viewer);
DROP FUNCTION IF EXISTS ckan_activity_list(jsonb, text, ckan_viewer);
