-- 03_tw_api: SQL the Taiwan common API handlers call. Each returns the JSON payload as text so
-- the server splices it into the envelope without parsing it. Only active, public datasets are
-- visible. Names sort in code-point order (COLLATE "C") whatever the database's collation.
-- Endpoint 6's payloads are cached in tw_doc, kept current by 14_package_changed.

-- A timestamp as the Taiwan API shows it: portal local time, yyyy-MM-dd HH:mm:ss.
CREATE OR REPLACE FUNCTION tw_time(ts timestamptz, tz text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char(ts AT TIME ZONE tz, 'YYYY-MM-DD HH24:MI:SS')
$$;

-- Endpoint 1: category codes, all 18 or only those used by a visible dataset.
CREATE OR REPLACE FUNCTION tw_group_list(only_used boolean, lim bigint, off bigint) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT coalesce(json_agg(code ORDER BY code), '[]')::text FROM (
            SELECT c.code::text AS code FROM tw_category c
            WHERE NOT only_used OR EXISTS (
                SELECT 1 FROM member m JOIN package p ON p.id = m.table_id
                WHERE m.group_id = c.group_id AND m.table_name = 'package' AND m.state = 'active'
                  AND p.state = 'active' AND NOT p.private)
            ORDER BY c.code COLLATE "C" LIMIT lim OFFSET off) s);
END
$$;

-- Endpoint 2: one category with the identifiers of its visible datasets. What does not exist is
-- RAISEd as OD100 'Not found' here and below (docs/ARCHITECTURE.md, "SQL → C").
CREATE OR REPLACE FUNCTION tw_group_show(code_in text, tz text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    doc text;
BEGIN
    SELECT json_build_object(
        'categoryCode', c.code,
        'display_name', g.title,
        'description', g.description,
        'package_count', coalesce(array_length(pk.ids, 1), 0),
        'created', tw_time(g.created, tz),
        'packages', coalesce(to_json(pk.ids), '[]'))::text
    INTO doc
    FROM tw_category c JOIN grp g ON g.id = c.group_id
    CROSS JOIN LATERAL (
        SELECT array_agg(coalesce(p.identifier, p.name)
                         ORDER BY coalesce(p.identifier, p.name) COLLATE "C") AS ids
        FROM member m JOIN package p ON p.id = m.table_id
        WHERE m.group_id = g.id AND m.table_name = 'package' AND m.state = 'active'
          AND p.state = 'active' AND NOT p.private) pk
    WHERE c.code = upper(code_in) AND g.state = 'active';
    IF doc IS NULL THEN
        RAISE EXCEPTION 'Not found' USING ERRCODE = 'OD100';
    END IF;
    RETURN doc;
END
$$;

-- Endpoint 3: free tags carried by at least one visible dataset.
CREATE OR REPLACE FUNCTION tw_tag_list(lim bigint, off bigint) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT coalesce(json_agg(name ORDER BY name COLLATE "C"), '[]')::text FROM (
            SELECT t.name FROM tag t
            WHERE t.vocabulary_id IS NULL AND EXISTS (
                SELECT 1 FROM package_tag pt JOIN package p ON p.id = pt.package_id
                WHERE pt.tag_id = t.id AND pt.state = 'active' AND p.state = 'active' AND NOT p.private)
            ORDER BY t.name COLLATE "C" LIMIT lim OFFSET off) s);
END
$$;

-- Endpoint 4: identifiers of visible datasets carrying a tag; OD100 when no visible dataset has
-- it.
CREATE OR REPLACE FUNCTION tw_tag_show(tag_name text, lim bigint, off bigint) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    doc text;
BEGIN
    WITH ids AS (
        SELECT coalesce(p.identifier, p.name) AS ident
        FROM tag t JOIN package_tag pt ON pt.tag_id = t.id AND pt.state = 'active'
        JOIN package p ON p.id = pt.package_id AND p.state = 'active' AND NOT p.private
        WHERE t.name = tag_name AND t.vocabulary_id IS NULL)
    SELECT CASE WHEN EXISTS (SELECT 1 FROM ids) THEN
        (SELECT coalesce(json_agg(ident ORDER BY ident COLLATE "C"), '[]')::text FROM (
            SELECT ident FROM ids ORDER BY ident COLLATE "C" LIMIT lim OFFSET off) s)
    END INTO doc;
    IF doc IS NULL THEN
        RAISE EXCEPTION 'Not found' USING ERRCODE = 'OD100';
    END IF;
    RETURN doc;
END
$$;

-- Endpoint 5: identifiers of visible datasets changed at or after `since` (NULL = all).
CREATE OR REPLACE FUNCTION tw_dataset_list(since timestamptz, lim bigint, off bigint) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT coalesce(json_agg(ident ORDER BY ident COLLATE "C"), '[]')::text FROM (
            SELECT coalesce(identifier, name) AS ident FROM package
            WHERE state = 'active' AND NOT private AND (since IS NULL OR metadata_modified >= since)
            ORDER BY coalesce(identifier, name) COLLATE "C" LIMIT lim OFFSET off) s);
END
$$;

-- The visible dataset an outside id names: Taiwan identifier (any case), CKAN name or id.
CREATE OR REPLACE FUNCTION tw_find_package(id_in text) RETURNS uuid
LANGUAGE plpgsql STABLE AS $$
DECLARE
    pid uuid;
BEGIN
    SELECT id INTO pid FROM package
    WHERE lower(identifier) = lower(id_in) AND state = 'active' AND NOT private;
    IF pid IS NULL THEN
        SELECT id INTO pid FROM package
        WHERE name = lower(id_in) AND state = 'active' AND NOT private;
    END IF;
    IF pid IS NULL AND id_in ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' THEN
        SELECT id INTO pid FROM package WHERE id = id_in::uuid AND state = 'active' AND NOT private;
    END IF;
    RETURN pid;
END
$$;

-- The members of JSON object `extra` appended after those of JSON object `doc` (both text).
-- PL/pgSQL: as SQL it is not inlined (its arguments are used twice) and was planned again in
-- every statement that called it.
CREATE OR REPLACE FUNCTION tw_json_append(doc text, extra text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN CASE WHEN extra IS NULL OR extra = '{}' THEN doc
                ELSE left(doc, -1) || ', ' || substr(extra, 2) END;
END
$$;

-- One distribution element: standard fields in the spec's order (downloadURL for files,
-- accessURL for services), then the resource's own extra fields.
CREATE OR REPLACE FUNCTION tw_resource_doc(r resource, tz text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT tw_json_append(CASE
        WHEN r.access_url IS NULL THEN
            json_build_object('resourceID', r.id, 'resourceDescription', r.description,
                'format', r.format, 'resourceModified', tw_time(r.last_modified, tz),
                'downloadURL', r.download_url, 'metadataSourceOfData', r.metadata_source_of_data,
                'characterSetCode', r.character_set_code)
        WHEN r.download_url IS NULL THEN
            json_build_object('resourceID', r.id, 'resourceDescription', r.description,
                'format', r.format, 'resourceModified', tw_time(r.last_modified, tz),
                'accessURL', r.access_url, 'metadataSourceOfData', r.metadata_source_of_data,
                'characterSetCode', r.character_set_code)
        ELSE
            json_build_object('resourceID', r.id, 'resourceDescription', r.description,
                'format', r.format, 'resourceModified', tw_time(r.last_modified, tz),
                'downloadURL', r.download_url, 'accessURL', r.access_url,
                'metadataSourceOfData', r.metadata_source_of_data,
                'characterSetCode', r.character_set_code) END::text,
        r.extras::text)
$$;

-- Endpoint 6 payload built from the tables: the standard's fields in order, then agency extras.
-- The publisher fields are the dataset's own (sql/migrations/015); a dataset that is not a
-- Taiwan record (no identifier) shows its organization's.
CREATE OR REPLACE FUNCTION tw_build_doc(pid uuid, tz text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    p package;
    o grp;
    tw boolean;
BEGIN
    SELECT * INTO p FROM package WHERE id = pid;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT * INTO o FROM grp WHERE id = p.owner_org;
    tw := p.identifier IS NOT NULL;
    RETURN tw_json_append(json_build_object(
        'categoryCode', (SELECT min(c.code::text) FROM member m
            JOIN tw_category c ON c.group_id = m.group_id
            WHERE m.table_id = p.id AND m.table_name = 'package' AND m.state = 'active'),
        'identifier', coalesce(p.identifier, p.name),
        'title', p.title,
        'description', p.notes,
        'fieldDescription', p.field_description,
        'type', p.data_type,
        'license', p.license_title,
        'licenseURL', p.license_url,
        'cost', p.cost,
        'costURL', p.cost_url,
        'costLaw', p.cost_law,
        'organization', p.organization_name,
        'organizationContactName', p.organization_contact_name,
        'organizationContactPhone', p.organization_contact_phone,
        'organizationContactEmail', p.organization_contact_email,
        'publisher', CASE WHEN tw THEN p.publisher ELSE o.title END,
        'publisherContactName', p.publisher_contact_name,
        'publisherContactPhone', p.publisher_contact_phone,
        'publisherContactEmail', p.publisher_contact_email,
        'publisherOID', CASE WHEN tw THEN p.publisher_oid ELSE (SELECT value FROM group_extra
            WHERE group_id = o.id AND key = 'publisherOID') END,
        'publisherOrgCode', CASE WHEN tw THEN p.publisher_org_code ELSE (SELECT value
            FROM group_extra WHERE group_id = o.id AND key = 'publisherOrgCode') END,
        'accrualPeriodicity', p.accrual_periodicity,
        'temporalCoverageFrom', p.temporal_coverage_from,
        'temporalCoverageTo', p.temporal_coverage_to,
        'issued', tw_time(coalesce(p.issued, p.metadata_created), tz),
        'modified', tw_time(coalesce(p.modified, p.metadata_modified), tz),
        'spatial', p.spatial,
        'language', p.language,
        'landingPage', p.landing_page,
        'keyword', (SELECT coalesce(json_agg(t.name ORDER BY pt.position, t.name), '[]')
            FROM package_tag pt JOIN tag t ON t.id = pt.tag_id
            WHERE pt.package_id = p.id AND pt.state = 'active' AND t.vocabulary_id IS NULL),
        'numberOfData', p.number_of_data,
        'notes', p.remarks,
        'distribution', (SELECT coalesce(json_agg(tw_resource_doc(r, tz)::json
                ORDER BY r.position, r.id), '[]')
            FROM resource r WHERE r.package_id = p.id AND r.state = 'active'))::text,
        (SELECT json_object_agg(e.key, e.value ORDER BY e.position) FROM package_extra e
         WHERE e.package_id = p.id)::text);
END
$$;

-- Rebuild one package's payload (14_package_changed calls it at commit, once per changed package).
CREATE OR REPLACE FUNCTION tw_refresh_doc(pid uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    tz text := coalesce((SELECT value FROM system_info WHERE key = 'tw.timezone'), 'Asia/Taipei');
    doc text;
BEGIN
    doc := tw_build_doc(pid, tz);
    IF doc IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO tw_doc (package_id, tz, built_xact, doc) VALUES (pid, tz, pg_current_xact_id(), doc)
    ON CONFLICT (package_id) DO UPDATE SET tz = EXCLUDED.tz, built_xact = EXCLUDED.built_xact,
        doc = EXCLUDED.doc;
END
$$;

-- Endpoint 6: the full metadata record of a visible dataset; OD100 when there is none.
CREATE OR REPLACE FUNCTION tw_dataset_show(id_in text, tz_in text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    pid uuid := tw_find_package(id_in);
    doc text;
BEGIN
    IF pid IS NULL THEN
        RAISE EXCEPTION 'Not found' USING ERRCODE = 'OD100';
    END IF;
    SELECT d.doc INTO doc FROM tw_doc d WHERE d.package_id = pid AND d.tz = tz_in;
    RETURN coalesce(doc, tw_build_doc(pid, tz_in));
END
$$;
