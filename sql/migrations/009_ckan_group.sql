-- 009_ckan_group: CKAN read actions about groups, organizations, members, tags, vocabularies,
-- users and activity (ckan-research §3.2–§3.5, §4), as CKAN 2.11 answers them.
--
-- Each action is one function f(p jsonb, site text, OUT err text, OUT result text): p is the
-- request as server/ckan_group.c normalized it (parameter syntax is checked there), site the
-- configured site URL. err NULL means result is the JSON payload; 'not_found' (404) and
-- 'forbidden' (403) carry the error message in result.
--
-- Actions that show datasets or users take the caller v (NULL: anonymous) and show the datasets
-- ckan_can_read lets them see (anonymous: active and public ones). Package dicts
-- come from ckan_package_doc(pid, site) (sql/008). Names and titles sort in code-point order
-- (COLLATE "C") as in sql/003. Functions and the view: sql/functions/09_ckan_group.sql.

-- number_created_packages counts a user's datasets.
CREATE INDEX package_creator_user_id ON package (creator_user_id) WHERE creator_user_id IS NOT NULL;

-- Visible datasets by id: counting a group's members is then an index-only join, not a scan of
-- the (wide) package table.
CREATE INDEX ckan_g_package_visible ON package (id) INCLUDE (metadata_modified)
    WHERE state = 'active' AND NOT private;
