-- 11_ckan_util: CKAN status_show, and the lists behind CKAN's
-- /api/util/{user,group,organization}/autocomplete (ckan-research §1.1), as JSON text. The
-- dataset, tag and format autocompletes reuse ckan_package_autocomplete, ckan_tag_search and
-- ckan_format_autocomplete (08_ckan_package, 09_ckan_group). jsonb builds the objects so that
-- keys come out as CKAN orders them and spaced as it spaces.

-- CKAN status_show result (also the health check: it needs a live database); version: the CKAN
-- API it answers as, server_version: this server's.
CREATE OR REPLACE FUNCTION ckan_status_show(site_url text, version text, server_version text)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT json_build_object(
            'site_title', (SELECT value FROM system_info WHERE key = 'ckan.site_title'),
            'site_description', (SELECT value FROM system_info WHERE key = 'ckan.site_description'),
            'site_url', site_url,
            'error_emails_to', NULL,
            'locale_default', (SELECT value FROM system_info WHERE key = 'ckan.locale_default'),
            'extensions', json_build_array('tw_common_api'),
            'ckan_version', version,
            'opendatad_version', server_version)::text);
END
$$;

-- Users (not deleted) whose name or full name contains q (any case; '' matches all, as in
-- CKAN's actions), in name order, without the one named ignore_name (the caller, for
-- ignore_self): [{id, name, fullname}].
CREATE OR REPLACE FUNCTION ckan_user_autocomplete(q text, lim bigint, ignore_name text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('id', u.id, 'name', u.name,
                                                 'fullname', u.fullname)
                              ORDER BY u.name COLLATE "C"), '[]')::text
    FROM (SELECT id, name, fullname FROM users
          WHERE state <> 'deleted'
            AND (name ILIKE ckan_g_like(q) OR fullname ILIKE ckan_g_like(q))
            AND (ignore_name IS NULL OR name <> ignore_name)
          ORDER BY name COLLATE "C" LIMIT lim) u
$$;

-- Active groups (is_org false) or organizations whose name or title contains q (any case; ''
-- matches all), in title order: [{id, name, title}].
CREATE OR REPLACE FUNCTION ckan_group_autocomplete(q text, lim bigint, is_org boolean) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('id', g.id, 'name', g.name, 'title', g.title)
                              ORDER BY g.pos), '[]')::text
    FROM (SELECT id, name, title,
                 row_number() OVER (ORDER BY title COLLATE "C", name COLLATE "C") AS pos
          FROM grp
          WHERE state = 'active' AND is_organization = is_org
            AND (name ILIKE ckan_g_like(q) OR title ILIKE ckan_g_like(q))
          ORDER BY pos LIMIT lim) g
$$;
