-- 04_tw_import: upsert of one Taiwan metadata record (already validated against
-- schemas/tw-dataset-metadata.schema.json by opendata-import). One call = one transaction.
-- Unchanged records (same content hash) are skipped entirely, so re-imports bump no timestamps.

-- A declared Taiwan time: local portal time unless it carries an offset; '' and NULL → NULL.
CREATE OR REPLACE FUNCTION tw_parse_time(v text, tz text) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN coalesce(v, '') = '' THEN NULL
        WHEN v ~ '([+-][0-9]{2}:[0-9]{2}|[Zz])$' THEN v::timestamptz
        ELSE v::timestamp AT TIME ZONE tz END
$$;

CREATE OR REPLACE FUNCTION tw_standard_keys() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['categoryCode', 'identifier', 'title', 'description', 'fieldDescription', 'type',
        'license', 'licenseURL', 'cost', 'costURL', 'costLaw', 'organization',
        'organizationContactName', 'organizationContactPhone', 'organizationContactEmail',
        'publisher', 'publisherContactName', 'publisherContactPhone', 'publisherContactEmail',
        'publisherOID', 'publisherOrgCode', 'accrualPeriodicity', 'temporalCoverageFrom',
        'temporalCoverageTo', 'issued', 'modified', 'spatial', 'language', 'landingPage',
        'keyword', 'numberOfData', 'notes', 'distribution',
        -- translations (an opendatad extension, docs/IMPORT.md): not extras
        'title_translated', 'description_translated', 'publisher_translated']
$$;

-- The publishing organization: CKAN name = publisherOrgCode in lower case where usable.
CREATE OR REPLACE FUNCTION tw_import_org(rec jsonb) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
    code text := nullif(rec->>'publisherOrgCode', '');
    title text := coalesce(rec->>'publisher', '');
    -- the publisher's translations when the record gives them (else the stored ones stay)
    tr jsonb := CASE WHEN jsonb_typeof(rec->'publisher_translated') = 'object'
                     THEN rec->'publisher_translated' END;
    org_name text;
    org_id uuid;
BEGIN
    org_name := CASE WHEN lower(code) ~ '^[a-z0-9_-]{2,100}$' THEN lower(code)
                     ELSE 'org-' || left(md5(title), 16) END;
    -- Most records declare their organization as it is: then no upsert, whose row locks
    -- (taken even when its WHERE keeps the row) would make the datasets of an organization
    -- imported at once wait for each other's commits.
    SELECT g.id INTO org_id FROM grp g
    WHERE g.name = org_name AND g.title = coalesce(rec->>'publisher', '')
      AND (tr IS NULL OR g.translated->'title_translated' = tr)
      AND NOT EXISTS (
        SELECT 1 FROM unnest(ARRAY['publisherOID', 'publisherOrgCode']) k
        WHERE coalesce(rec->>k, '') <> '' AND NOT EXISTS (
            SELECT 1 FROM group_extra e WHERE e.group_id = g.id AND e.key = k AND e.value = rec->>k));
    IF org_id IS NOT NULL THEN
        RETURN org_id;
    END IF;
    INSERT INTO grp (name, title, type, is_organization, translated)
    VALUES (org_name, title, 'organization', true,
            CASE WHEN tr IS NOT NULL THEN jsonb_build_object('title_translated', tr) END)
    ON CONFLICT (name) DO UPDATE SET title = EXCLUDED.title,
        translated = CASE WHEN tr IS NULL THEN grp.translated
            ELSE coalesce(grp.translated, '{}') || jsonb_build_object('title_translated', tr) END
        WHERE grp.title IS DISTINCT FROM EXCLUDED.title
           OR (tr IS NOT NULL AND grp.translated->'title_translated' IS DISTINCT FROM tr);
    SELECT id INTO org_id FROM grp WHERE name = org_name;
    INSERT INTO group_extra (group_id, key, value)
    SELECT org_id, k, rec->>k FROM unnest(ARRAY['publisherOID', 'publisherOrgCode']) k
    WHERE coalesce(rec->>k, '') <> ''
    ON CONFLICT (group_id, key) DO UPDATE SET value = EXCLUDED.value
        WHERE group_extra.value IS DISTINCT FROM EXCLUDED.value;
    RETURN org_id;
END
$$;

CREATE OR REPLACE FUNCTION tw_import_tags(pid uuid, rec jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pkg_put_tags(pid, CASE WHEN jsonb_typeof(rec->'keyword') = 'array'
        THEN ARRAY(SELECT jsonb_array_elements_text(rec->'keyword')) END, NULL);
END
$$;

CREATE OR REPLACE FUNCTION tw_import_category(pid uuid, rec jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pkg_put_category(pid, upper(rec->>'categoryCode'));
END
$$;

CREATE OR REPLACE FUNCTION tw_import_resources(pid uuid, rec jsonb, tz text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    d jsonb;
    n int;
    owner uuid;
    dup text;
    std text[] := ARRAY['resourceID', 'resourceDescription', 'format', 'resourceModified',
                        'downloadURL', 'accessURL', 'metadataSourceOfData', 'characterSetCode'];
BEGIN
    DELETE FROM resource WHERE package_id = pid AND id NOT IN (
        SELECT x->>'resourceID' FROM jsonb_array_elements(
            CASE WHEN jsonb_typeof(rec->'distribution') = 'array' THEN rec->'distribution' ELSE '[]' END) x);
    IF jsonb_typeof(rec->'distribution') <> 'array' THEN
        RETURN;
    END IF;
    SELECT x->>'resourceID' INTO dup FROM jsonb_array_elements(rec->'distribution') x
    GROUP BY 1 HAVING count(*) > 1 LIMIT 1;
    IF dup IS NOT NULL THEN
        RAISE EXCEPTION 'resourceID % appears more than once in distribution', dup
            USING ERRCODE = 'unique_violation';
    END IF;
    FOR d, n IN SELECT * FROM jsonb_array_elements(rec->'distribution') WITH ORDINALITY LOOP
        SELECT package_id INTO owner FROM resource WHERE id = d->>'resourceID';
        IF owner IS NOT NULL AND owner <> pid THEN
            RAISE EXCEPTION 'resourceID % already belongs to another dataset', d->>'resourceID'
                USING ERRCODE = 'unique_violation';
        END IF;
        INSERT INTO resource AS r (id, package_id, position, name, description, format,
            download_url, access_url, last_modified, character_set_code,
            metadata_source_of_data, extras)
        VALUES (d->>'resourceID', pid, n, d->>'resourceDescription', d->>'resourceDescription',
            d->>'format', d->>'downloadURL', d->>'accessURL',
            tw_parse_time(d->>'resourceModified', tz), d->>'characterSetCode',
            d->>'metadataSourceOfData', d - std)
        ON CONFLICT (id) DO UPDATE SET position = EXCLUDED.position, name = EXCLUDED.name,
            description = EXCLUDED.description, format = EXCLUDED.format,
            download_url = EXCLUDED.download_url, access_url = EXCLUDED.access_url,
            last_modified = EXCLUDED.last_modified,
            character_set_code = EXCLUDED.character_set_code,
            metadata_source_of_data = EXCLUDED.metadata_source_of_data,
            extras = EXCLUDED.extras, state = 'active', metadata_modified = now()
        WHERE r.package_id = EXCLUDED.package_id;
        -- Claimed by a dataset committed after the check above (a concurrent import).
        IF NOT FOUND THEN
            RAISE EXCEPTION 'resourceID % already belongs to another dataset', d->>'resourceID'
                USING ERRCODE = 'unique_violation';
        END IF;
    END LOOP;
END
$$;

-- A record imported before sql/migrations/015, imported again unchanged: its publisher fields
-- from the record (tw_recheck). 'updated' when one of them differed, else 'unchanged'.
CREATE OR REPLACE FUNCTION tw_import_recheck(pid uuid, rec jsonb) RETURNS text
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

-- Import one record; returns 'created', 'updated' or 'unchanged'.
-- rec_text is the record's JSON text; its key order gives the extras' order. The publisher
-- fields are stored on the dataset.
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
    -- One statement for the dataset row (a new one is written once, not inserted then
    -- updated); an existing one keeps its id, name, identifier and metadata_created.
    INSERT INTO package AS p (id, name, identifier,
        title, notes, owner_org, field_description, data_type, license_title, license_url, url,
        cost, cost_url, cost_law, organization_name, organization_contact_name,
        organization_contact_phone, organization_contact_email, publisher, publisher_oid,
        publisher_org_code, publisher_contact_name, publisher_contact_phone,
        publisher_contact_email, maintainer, maintainer_email, accrual_periodicity,
        temporal_coverage_from, temporal_coverage_to, issued, modified, spatial, language,
        landing_page, number_of_data, remarks, source_hash, state, metadata_modified, translated)
    VALUES (coalesce(pid, gen_random_uuid()),
        regexp_replace(lower(ident), '[^a-z0-9_.-]', '-', 'g'), ident,
        coalesce(rec->>'title', ''), rec->>'description', org_id, rec->>'fieldDescription',
        rec->>'type', rec->>'license', rec->>'licenseURL', rec->>'landingPage', rec->>'cost',
        rec->>'costURL', rec->>'costLaw', rec->>'organization', rec->>'organizationContactName',
        rec->>'organizationContactPhone', rec->>'organizationContactEmail', rec->>'publisher',
        rec->>'publisherOID', rec->>'publisherOrgCode', rec->>'publisherContactName',
        rec->>'publisherContactPhone', rec->>'publisherContactEmail',
        rec->>'publisherContactName', rec->>'publisherContactEmail', rec->>'accrualPeriodicity',
        rec->>'temporalCoverageFrom', rec->>'temporalCoverageTo',
        tw_parse_time(rec->>'issued', tz), tw_parse_time(rec->>'modified', tz), rec->>'spatial',
        rec->>'language', rec->>'landingPage', n_data, rec->>'notes', h, 'active', now(),
        -- the record's description is the dataset's notes
        nullif(jsonb_strip_nulls(jsonb_build_object(
            'title_translated', CASE WHEN jsonb_typeof(rec->'title_translated') = 'object'
                                     THEN rec->'title_translated' END,
            'notes_translated', CASE WHEN jsonb_typeof(rec->'description_translated') = 'object'
                                     THEN rec->'description_translated' END)), '{}'))
    ON CONFLICT (id) DO UPDATE SET
        title = EXCLUDED.title, notes = EXCLUDED.notes, owner_org = EXCLUDED.owner_org,
        field_description = EXCLUDED.field_description, data_type = EXCLUDED.data_type,
        license_title = EXCLUDED.license_title, license_url = EXCLUDED.license_url,
        url = EXCLUDED.url, cost = EXCLUDED.cost, cost_url = EXCLUDED.cost_url,
        cost_law = EXCLUDED.cost_law, organization_name = EXCLUDED.organization_name,
        organization_contact_name = EXCLUDED.organization_contact_name,
        organization_contact_phone = EXCLUDED.organization_contact_phone,
        organization_contact_email = EXCLUDED.organization_contact_email,
        publisher = EXCLUDED.publisher, publisher_oid = EXCLUDED.publisher_oid,
        publisher_org_code = EXCLUDED.publisher_org_code,
        publisher_contact_name = EXCLUDED.publisher_contact_name,
        publisher_contact_phone = EXCLUDED.publisher_contact_phone,
        publisher_contact_email = EXCLUDED.publisher_contact_email,
        maintainer = EXCLUDED.maintainer, maintainer_email = EXCLUDED.maintainer_email,
        accrual_periodicity = EXCLUDED.accrual_periodicity,
        temporal_coverage_from = EXCLUDED.temporal_coverage_from,
        temporal_coverage_to = EXCLUDED.temporal_coverage_to, issued = EXCLUDED.issued,
        modified = EXCLUDED.modified, spatial = EXCLUDED.spatial, language = EXCLUDED.language,
        landing_page = EXCLUDED.landing_page, number_of_data = EXCLUDED.number_of_data,
        remarks = EXCLUDED.remarks, source_hash = EXCLUDED.source_hash, state = EXCLUDED.state,
        metadata_modified = EXCLUDED.metadata_modified, translated = EXCLUDED.translated
    RETURNING id INTO pid;
    DELETE FROM tw_recheck WHERE package_id = pid;
    PERFORM tw_import_tags(pid, rec);
    PERFORM tw_import_category(pid, rec);
    PERFORM tw_import_resources(pid, rec, tz);
    PERFORM pkg_put_extras(pid, k.keys, k.vals)
    FROM (SELECT array_agg(e.key ORDER BY e.n) AS keys, array_agg(rec->e.key ORDER BY e.n) AS vals
          FROM json_each(rec_text::json) WITH ORDINALITY e(key, value, n)
          WHERE e.key <> ALL (tw_standard_keys())) k;
    INSERT INTO activity (object_id, activity_type, data)
    VALUES (pid, CASE WHEN old_hash IS NULL THEN 'new package' ELSE 'changed package' END,
            jsonb_build_object('identifier', ident));
    RETURN CASE WHEN old_hash IS NULL THEN 'created' ELSE 'updated' END;
END
$$;
