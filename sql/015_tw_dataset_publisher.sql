-- 015_tw_dataset_publisher: a Taiwan record's publisher, publisherOID and publisherOrgCode are
-- the dataset's own values.
--
-- Until now they lived on the shared organization (grp.title and the group_extra rows written
-- by tw_import_org, sql/004), which every dataset of the publisher read (sql/003 tw_build_doc,
-- sql/008 ckan_extras_doc): importing a second dataset of one publisher with another value
-- changed what the first showed. Every other standard field already has a column of package
-- or resource, or is a row naming itself (keyword → tag by name, categoryCode → the category's
-- group, both compared exactly), so these three are the only ones that could leak between
-- datasets. The organization keeps its title and extras (the latest import's, as before): they
-- are CKAN's organization, not a field of any record.
--
-- Existing data: each dataset gets the values it shows today (its organization's), which are
-- its own unless another dataset of the publisher was imported later with different ones (or
-- its own record later dropped a value: the organization kept the old one). Which datasets
-- are affected cannot be told from the database, so every imported dataset is listed in
-- tw_recheck: the next import of the same record (skipped as unchanged until now) sets the
-- three values from the record, and moves metadata_modified only when one of them differs.

ALTER TABLE package
    ADD COLUMN publisher text,            -- Taiwan `publisher` as declared (CKAN: the org's title)
    ADD COLUMN publisher_oid text,        -- Taiwan `publisherOID`
    ADD COLUMN publisher_org_code text;   -- Taiwan `publisherOrgCode`

-- Datasets whose publisher fields may not be their record's (see above); emptied by imports.
CREATE TABLE tw_recheck (
    package_id uuid PRIMARY KEY REFERENCES package(id) ON DELETE CASCADE
);

-- The documents already show these values, so the rewrite need not rebuild them (minutes on a
-- large catalogue): the triggers that would are off for this one statement.
ALTER TABLE package DISABLE TRIGGER tw_doc_package;
ALTER TABLE package DISABLE TRIGGER ckan_doc_package;
ALTER TABLE package DISABLE TRIGGER ckan_search_package;
UPDATE package p SET publisher = o.title,
    publisher_oid = (SELECT value FROM group_extra WHERE group_id = o.id AND key = 'publisherOID'),
    publisher_org_code = (SELECT value FROM group_extra
                          WHERE group_id = o.id AND key = 'publisherOrgCode')
FROM grp o
WHERE o.id = p.owner_org AND p.identifier IS NOT NULL;
ALTER TABLE package ENABLE TRIGGER tw_doc_package;
ALTER TABLE package ENABLE TRIGGER ckan_doc_package;
ALTER TABLE package ENABLE TRIGGER ckan_search_package;

INSERT INTO tw_recheck (package_id)
SELECT id FROM package WHERE identifier IS NOT NULL AND source_hash IS NOT NULL;

-- Endpoint 6 payload (sql/003) with the dataset's own publisher fields; a dataset that is not
-- a Taiwan record (no identifier) still shows its organization's.
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

-- package_show's extras (sql/008) with the dataset's own publisher fields (o is unused now;
-- the signature stays).
CREATE OR REPLACE FUNCTION ckan_extras_doc(p package, o grp, tz text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    tw boolean := p.identifier IS NOT NULL;
    keys text[] := ARRAY['categoryCode', 'identifier', 'fieldDescription', 'type', 'license',
        'licenseURL', 'cost', 'costURL', 'costLaw', 'organization', 'organizationContactName',
        'organizationContactPhone', 'organizationContactEmail', 'publisher',
        'publisherContactName', 'publisherContactPhone', 'publisherContactEmail', 'publisherOID',
        'publisherOrgCode', 'accrualPeriodicity', 'temporalCoverageFrom', 'temporalCoverageTo',
        'issued', 'modified', 'spatial', 'language', 'landingPage', 'numberOfData', 'notes'];
    vals text[];
BEGIN
    vals := ARRAY[
        (SELECT min(c.code::text) FROM member m JOIN tw_category c ON c.group_id = m.group_id
         WHERE m.table_id = p.id AND m.table_name = 'package' AND m.state = 'active'),
        p.identifier, p.field_description, p.data_type, p.license_title, p.license_url, p.cost,
        p.cost_url, p.cost_law, p.organization_name, p.organization_contact_name,
        p.organization_contact_phone, p.organization_contact_email,
        p.publisher,
        p.publisher_contact_name, p.publisher_contact_phone, p.publisher_contact_email,
        p.publisher_oid, p.publisher_org_code,
        p.accrual_periodicity, p.temporal_coverage_from, p.temporal_coverage_to,
        CASE WHEN tw OR p.issued IS NOT NULL
             THEN tw_time(coalesce(p.issued, p.metadata_created), tz) END,
        CASE WHEN tw OR p.modified IS NOT NULL
             THEN tw_time(coalesce(p.modified, p.metadata_modified), tz) END,
        p.spatial, p.language, p.landing_page, p.number_of_data::text, p.remarks];
    RETURN (
        SELECT coalesce(json_agg(json_build_object('key', k, 'value', v) ORDER BY k COLLATE "C"),
                        '[]')::text
        FROM (
            SELECT s.k, s.v FROM unnest(keys, vals) s(k, v) WHERE s.v IS NOT NULL
            UNION ALL
            SELECT e.key, CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}'
                               ELSE e.value::text END
            FROM package_extra e
            WHERE e.package_id = p.id AND NOT e.key = ANY (
                SELECT s.k FROM unnest(keys, vals) s(k, v) WHERE s.v IS NOT NULL)) x(k, v));
END
$$;

-- Datasets of an organization that is no longer active showed no publisher fields in their
-- CKAN extras (the organization was not read); now they show their own: rebuild those docs.
SELECT ckan_refresh_doc(p.id) FROM package p JOIN grp o ON o.id = p.owner_org
WHERE o.state <> 'active' AND p.identifier IS NOT NULL;
SELECT ckan_search_refresh(p.id) FROM package p JOIN grp o ON o.id = p.owner_org
WHERE o.state <> 'active' AND p.identifier IS NOT NULL;

-- A record imported before this migration, imported again unchanged: its publisher fields
-- from the record (tw_recheck, above). 'updated' when one of them differed, else 'unchanged'.
CREATE FUNCTION tw_import_recheck(pid uuid, rec jsonb) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM tw_recheck WHERE package_id = pid;
    IF NOT FOUND THEN
        RETURN 'unchanged';
    END IF;
    UPDATE package SET publisher = rec->>'publisher', publisher_oid = rec->>'publisherOID',
        publisher_org_code = rec->>'publisherOrgCode', metadata_modified = now()
    WHERE id = pid AND (publisher, publisher_oid, publisher_org_code) IS DISTINCT FROM
        (rec->>'publisher', rec->>'publisherOID', rec->>'publisherOrgCode');
    IF NOT FOUND THEN
        RETURN 'unchanged';
    END IF;
    INSERT INTO activity (object_id, activity_type, data)
    VALUES (pid, 'changed package', jsonb_build_object('identifier', rec->>'identifier'));
    RETURN 'updated';
END
$$;

-- sql/004's upsert, storing the publisher fields on the dataset.
CREATE OR REPLACE FUNCTION tw_import_record(rec_text text, tz text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    rec jsonb := rec_text::jsonb;
    h text := md5(rec::text);
    ident text := rec->>'identifier';
    pid uuid;
    old_hash text;
    org_id uuid;
    n_data bigint := CASE WHEN coalesce(rec->>'numberOfData', '') ~ '^[0-9]+$'
                          THEN (rec->>'numberOfData')::bigint END;
BEGIN
    SELECT id, source_hash INTO pid, old_hash FROM package WHERE lower(identifier) = lower(ident);
    IF pid IS NOT NULL AND old_hash = h THEN
        RETURN tw_import_recheck(pid, rec);
    END IF;
    org_id := tw_import_org(rec);
    INSERT INTO package AS p (id, name, identifier, source_hash)
    VALUES (coalesce(pid, gen_random_uuid()),
            regexp_replace(lower(ident), '[^a-z0-9_.-]', '-', 'g'), ident, h)
    ON CONFLICT (id) DO NOTHING;
    SELECT id INTO pid FROM package WHERE lower(identifier) = lower(ident);
    UPDATE package SET
        title = coalesce(rec->>'title', ''), notes = rec->>'description', owner_org = org_id,
        field_description = rec->>'fieldDescription', data_type = rec->>'type',
        license_title = rec->>'license', license_url = rec->>'licenseURL', url = rec->>'landingPage',
        cost = rec->>'cost', cost_url = rec->>'costURL', cost_law = rec->>'costLaw',
        organization_name = rec->>'organization',
        organization_contact_name = rec->>'organizationContactName',
        organization_contact_phone = rec->>'organizationContactPhone',
        organization_contact_email = rec->>'organizationContactEmail',
        publisher = rec->>'publisher', publisher_oid = rec->>'publisherOID',
        publisher_org_code = rec->>'publisherOrgCode',
        publisher_contact_name = rec->>'publisherContactName',
        publisher_contact_phone = rec->>'publisherContactPhone',
        publisher_contact_email = rec->>'publisherContactEmail',
        maintainer = rec->>'publisherContactName', maintainer_email = rec->>'publisherContactEmail',
        accrual_periodicity = rec->>'accrualPeriodicity',
        temporal_coverage_from = rec->>'temporalCoverageFrom',
        temporal_coverage_to = rec->>'temporalCoverageTo',
        issued = tw_parse_time(rec->>'issued', tz), modified = tw_parse_time(rec->>'modified', tz),
        spatial = rec->>'spatial', language = rec->>'language', landing_page = rec->>'landingPage',
        number_of_data = n_data, remarks = rec->>'notes', source_hash = h,
        state = 'active', metadata_modified = now()
    WHERE id = pid;
    DELETE FROM tw_recheck WHERE package_id = pid;
    PERFORM tw_import_tags(pid, rec);
    PERFORM tw_import_category(pid, rec);
    PERFORM tw_import_resources(pid, rec, tz);
    DELETE FROM package_extra WHERE package_id = pid;
    INSERT INTO package_extra (package_id, key, value, position)
    SELECT pid, e.key, rec->e.key, min(e.n)
    FROM json_each(rec_text::json) WITH ORDINALITY e(key, value, n)
    WHERE e.key <> ALL (tw_standard_keys())
    GROUP BY e.key;
    INSERT INTO activity (object_id, activity_type, data)
    VALUES (pid, CASE WHEN old_hash IS NULL THEN 'new package' ELSE 'changed package' END,
            jsonb_build_object('identifier', ident));
    RETURN CASE WHEN old_hash IS NULL THEN 'created' ELSE 'updated' END;
END
$$;
