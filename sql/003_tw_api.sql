-- 003_tw_api: SQL the Taiwan common API handlers call. Each returns the JSON payload as text so
-- the server splices it into the envelope without parsing it. Only active, public datasets are
-- visible. Names sort in code-point order (COLLATE "C") whatever the database's collation.

CREATE INDEX package_tw_ident ON package ((coalesce(identifier, name)) COLLATE "C")
    WHERE state = 'active' AND NOT private;

-- A timestamp as the Taiwan API shows it: portal local time, yyyy-MM-dd HH:mm:ss.
CREATE FUNCTION tw_time(ts timestamptz, tz text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char(ts AT TIME ZONE tz, 'YYYY-MM-DD HH24:MI:SS')
$$;

-- Endpoint 1: category codes, all 18 or only those used by a visible dataset.
CREATE FUNCTION tw_group_list(only_used boolean, lim bigint, off bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(json_agg(code ORDER BY code), '[]')::text FROM (
        SELECT c.code::text AS code FROM tw_category c
        WHERE NOT only_used OR EXISTS (
            SELECT 1 FROM member m JOIN package p ON p.id = m.table_id
            WHERE m.group_id = c.group_id AND m.table_name = 'package' AND m.state = 'active'
              AND p.state = 'active' AND NOT p.private)
        ORDER BY c.code COLLATE "C" LIMIT lim OFFSET off) s
$$;

-- Endpoint 2: one category with the identifiers of its visible datasets; NULL when unknown.
CREATE FUNCTION tw_group_show(code_in text, tz text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'categoryCode', c.code,
        'display_name', g.title,
        'description', g.description,
        'package_count', coalesce(array_length(pk.ids, 1), 0),
        'created', tw_time(g.created, tz),
        'packages', coalesce(to_json(pk.ids), '[]'))::text
    FROM tw_category c JOIN grp g ON g.id = c.group_id
    CROSS JOIN LATERAL (
        SELECT array_agg(coalesce(p.identifier, p.name) ORDER BY coalesce(p.identifier, p.name) COLLATE "C") AS ids
        FROM member m JOIN package p ON p.id = m.table_id
        WHERE m.group_id = g.id AND m.table_name = 'package' AND m.state = 'active'
          AND p.state = 'active' AND NOT p.private) pk
    WHERE c.code = upper(code_in) AND g.state = 'active'
$$;

-- Endpoint 3: free tags carried by at least one visible dataset.
CREATE FUNCTION tw_tag_list(lim bigint, off bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(json_agg(name ORDER BY name COLLATE "C"), '[]')::text FROM (
        SELECT t.name FROM tag t
        WHERE t.vocabulary_id IS NULL AND EXISTS (
            SELECT 1 FROM package_tag pt JOIN package p ON p.id = pt.package_id
            WHERE pt.tag_id = t.id AND pt.state = 'active' AND p.state = 'active' AND NOT p.private)
        ORDER BY t.name COLLATE "C" LIMIT lim OFFSET off) s
$$;

-- Endpoint 4: identifiers of visible datasets carrying a tag; NULL when no visible dataset has it.
CREATE FUNCTION tw_tag_show(tag_name text, lim bigint, off bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    WITH ids AS (
        SELECT coalesce(p.identifier, p.name) AS ident
        FROM tag t JOIN package_tag pt ON pt.tag_id = t.id AND pt.state = 'active'
        JOIN package p ON p.id = pt.package_id AND p.state = 'active' AND NOT p.private
        WHERE t.name = tag_name AND t.vocabulary_id IS NULL)
    SELECT CASE WHEN EXISTS (SELECT 1 FROM ids) THEN
        (SELECT coalesce(json_agg(ident ORDER BY ident COLLATE "C"), '[]')::text FROM (
            SELECT ident FROM ids ORDER BY ident COLLATE "C" LIMIT lim OFFSET off) s)
    END
$$;

-- Endpoint 5: identifiers of visible datasets changed at or after `since` (NULL = all).
CREATE FUNCTION tw_dataset_list(since timestamptz, lim bigint, off bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(json_agg(ident ORDER BY ident COLLATE "C"), '[]')::text FROM (
        SELECT coalesce(identifier, name) AS ident FROM package
        WHERE state = 'active' AND NOT private AND (since IS NULL OR metadata_modified >= since)
        ORDER BY coalesce(identifier, name) COLLATE "C" LIMIT lim OFFSET off) s
$$;

-- The visible dataset an outside id names: Taiwan identifier (any case), CKAN name or id.
CREATE FUNCTION tw_find_package(id_in text) RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT id FROM package
    WHERE (lower(identifier) = lower(id_in) OR name = lower(id_in)
           OR (id_in ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' AND id = id_in::uuid))
      AND state = 'active' AND NOT private
    ORDER BY (lower(identifier) = lower(id_in)) DESC NULLS LAST
    LIMIT 1
$$;

-- One distribution element: standard fields in the spec's order, then the resource's extras.
CREATE FUNCTION tw_resource_json(r resource, tz text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_object_agg(k, v ORDER BY o) FROM (
        SELECT o, k, v FROM (VALUES
            (1, 'resourceID', to_json(r.id)),
            (2, 'resourceDescription', to_json(r.description)),
            (3, 'format', to_json(r.format)),
            (4, 'resourceModified', to_json(tw_time(r.last_modified, tz))),
            (5, 'downloadURL', to_json(r.download_url)),
            (6, 'accessURL', to_json(r.access_url)),
            (7, 'metadataSourceOfData', to_json(r.metadata_source_of_data)),
            (8, 'characterSetCode', to_json(r.character_set_code))) f(o, k, v)
        WHERE v IS NOT NULL OR k NOT IN ('downloadURL', 'accessURL')
        UNION ALL
        SELECT 100 + row_number() OVER (), key, value::json FROM jsonb_each(r.extras)) s
$$;

-- Endpoint 6: the full metadata record in the standard's field order, then agency extras.
CREATE FUNCTION tw_dataset_show(id_in text, tz text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT (SELECT json_object_agg(k, v ORDER BY o) FROM (
        SELECT o, k, v FROM (VALUES
            (1, 'categoryCode', to_json((SELECT min(c.code::text) FROM member m
                 JOIN tw_category c ON c.group_id = m.group_id
                 WHERE m.table_id = p.id AND m.table_name = 'package' AND m.state = 'active'))),
            (2, 'identifier', to_json(coalesce(p.identifier, p.name))),
            (3, 'title', to_json(p.title)),
            (4, 'description', to_json(p.notes)),
            (5, 'fieldDescription', to_json(p.field_description)),
            (6, 'type', to_json(p.data_type)),
            (7, 'license', to_json(p.license_title)),
            (8, 'licenseURL', to_json(p.license_url)),
            (9, 'cost', to_json(p.cost)),
            (10, 'costURL', to_json(p.cost_url)),
            (11, 'costLaw', to_json(p.cost_law)),
            (12, 'organization', to_json(p.organization_name)),
            (13, 'organizationContactName', to_json(p.organization_contact_name)),
            (14, 'organizationContactPhone', to_json(p.organization_contact_phone)),
            (15, 'organizationContactEmail', to_json(p.organization_contact_email)),
            (16, 'publisher', to_json(o.title)),
            (17, 'publisherContactName', to_json(p.publisher_contact_name)),
            (18, 'publisherContactPhone', to_json(p.publisher_contact_phone)),
            (19, 'publisherContactEmail', to_json(p.publisher_contact_email)),
            (20, 'publisherOID', to_json((SELECT value FROM group_extra
                 WHERE group_id = o.id AND key = 'publisherOID'))),
            (21, 'publisherOrgCode', to_json((SELECT value FROM group_extra
                 WHERE group_id = o.id AND key = 'publisherOrgCode'))),
            (22, 'accrualPeriodicity', to_json(p.accrual_periodicity)),
            (23, 'temporalCoverageFrom', to_json(p.temporal_coverage_from)),
            (24, 'temporalCoverageTo', to_json(p.temporal_coverage_to)),
            (25, 'issued', to_json(tw_time(coalesce(p.issued, p.metadata_created), tz))),
            (26, 'modified', to_json(tw_time(coalesce(p.modified, p.metadata_modified), tz))),
            (27, 'spatial', to_json(p.spatial)),
            (28, 'language', to_json(p.language)),
            (29, 'landingPage', to_json(p.landing_page)),
            (30, 'keyword', (SELECT coalesce(json_agg(t.name ORDER BY pt.position, t.name), '[]')
                 FROM package_tag pt JOIN tag t ON t.id = pt.tag_id
                 WHERE pt.package_id = p.id AND pt.state = 'active' AND t.vocabulary_id IS NULL)),
            (31, 'numberOfData', to_json(p.number_of_data)),
            (32, 'notes', to_json(p.remarks)),
            (33, 'distribution', (SELECT coalesce(json_agg(tw_resource_json(r, tz) ORDER BY r.position, r.id), '[]')
                 FROM resource r WHERE r.package_id = p.id AND r.state = 'active'))) f(o, k, v)
        UNION ALL
        SELECT 100 + e.position, e.key, e.value::json FROM package_extra e WHERE e.package_id = p.id
        ) s)::text
    FROM package p LEFT JOIN grp o ON o.id = p.owner_org
    WHERE p.id = tw_find_package(id_in)
$$;

-- CKAN status_show result (also the health check: it needs a live database).
CREATE FUNCTION ckan_status_show(site_url text, version text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'site_title', (SELECT value FROM system_info WHERE key = 'ckan.site_title'),
        'site_description', (SELECT value FROM system_info WHERE key = 'ckan.site_description'),
        'site_url', site_url,
        'error_emails_to', NULL,
        'locale_default', (SELECT value FROM system_info WHERE key = 'ckan.locale_default'),
        'extensions', json_build_array('tw_common_api'),
        'ckan_version', version)::text
$$;
