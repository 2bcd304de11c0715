-- 19_ckan_package_write: CKAN's dataset and resource writes (ckan-research §5.1–5.3; CKAN
-- 2.11's create/update/patch/delete.py, default_create_package_schema, default_resource_schema):
-- package_create/_update/_patch/_delete, dataset_purge, package_owner_org_update,
-- bulk_update_private/_public/_delete, package_resource_reorder, resource_create/_update/
-- _patch/_delete. Each action is one function f(p jsonb, site text, v ckan_viewer) RETURNS text,
-- one transaction: the dataset row locked (FOR UPDATE) before it is read for a change, so
-- concurrent writes of one dataset run one after another and none is lost; the authorization
-- (17_ckan_authz) checked inside; every refusal RAISEd (docs/ARCHITECTURE.md, "SQL → C"). A
-- write records CKAN's activity with the dataset dict as it is after the write; the cached
-- documents follow through 14_package_changed.
--
-- The Taiwan standard's fields are the dataset's extras (08 ckan_extras_doc) and are stored in
-- their package columns; `remarks` and `dataType` are the extras of the standard's `notes` and
-- `type`, whose names CKAN keeps for its own fields. categoryCode is the dataset's membership of
-- the category's group (tw_category). Tags, extras and the category are stored by 19b, as the
-- importer stores them.

-- The Taiwan fields kept in package columns: the extra's key and the column.
CREATE OR REPLACE FUNCTION ckan_pw_tw_cols() RETURNS TABLE (key text, col text)
LANGUAGE sql IMMUTABLE AS $$
    VALUES ('identifier', 'identifier'), ('fieldDescription', 'field_description'),
        ('dataType', 'data_type'), ('license', 'license_title'), ('licenseURL', 'license_url'),
        ('cost', 'cost'), ('costURL', 'cost_url'), ('costLaw', 'cost_law'),
        ('organization', 'organization_name'),
        ('organizationContactName', 'organization_contact_name'),
        ('organizationContactPhone', 'organization_contact_phone'),
        ('organizationContactEmail', 'organization_contact_email'),
        ('publisher', 'publisher'), ('publisherContactName', 'publisher_contact_name'),
        ('publisherContactPhone', 'publisher_contact_phone'),
        ('publisherContactEmail', 'publisher_contact_email'), ('publisherOID', 'publisher_oid'),
        ('publisherOrgCode', 'publisher_org_code'), ('accrualPeriodicity', 'accrual_periodicity'),
        ('temporalCoverageFrom', 'temporal_coverage_from'),
        ('temporalCoverageTo', 'temporal_coverage_to'), ('issued', 'issued'),
        ('modified', 'modified'), ('spatial', 'spatial'), ('language', 'language'),
        ('landingPage', 'landing_page'), ('numberOfData', 'number_of_data'),
        ('remarks', 'remarks')
$$;

-- The keys of CKAN's package schema: an extra may not take one.
CREATE OR REPLACE FUNCTION ckan_pw_root_keys() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['__before', 'id', 'name', 'title', 'author', 'author_email', 'maintainer',
        'maintainer_email', 'license_id', 'notes', 'url', 'version', 'state', 'type',
        'owner_org', 'private', '__extras', '__junk', 'resources', 'tags', 'tag_string',
        'plugin_data', 'extras', 'save', 'return_to', 'relationships_as_object',
        'relationships_as_subject', 'groups', 'metadata_modified']
$$;

-- CKAN's boolean_validator: true for true, non-zero numbers and 'true/yes/t/y/1'.
CREATE OR REPLACE FUNCTION ckan_pw_bool(j jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(j)
        WHEN 'boolean' THEN (j #>> '{}')::boolean
        WHEN 'number' THEN (j #>> '{}')::numeric <> 0
        WHEN 'string' THEN lower(j #>> '{}') IN ('true', 'yes', 't', 'y', '1')
        ELSE false END
$$;

-- The extras a dict gives that are not marked deleted, in order: (key, value, n).
CREATE OR REPLACE FUNCTION ckan_pw_extras(d jsonb) RETURNS TABLE (key text, value jsonb, n bigint)
LANGUAGE sql IMMUTABLE AS $$
    SELECT ckan_gw_text(e->'key'), e->'value', x.n
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(d->'extras') = 'array' THEN d->'extras'
                                   ELSE '[]' END) WITH ORDINALITY x(e, n)
    WHERE NOT ckan_pw_bool(e->'deleted')
$$;

-- The Taiwan values a dict gives: {key: text} from top-level text keys named as the standard
-- names them, else from its extras (so a patch's top-level key wins over the extras shown;
-- package_show's `organization` object is not the standard's `organization`); categoryCode
-- included.
CREATE OR REPLACE FUNCTION ckan_pw_tw_values(d jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_object_agg(k.key, k.val), '{}') FROM (
        SELECT DISTINCT ON (c.key) c.key, to_jsonb(ckan_gw_text(
            coalesce(CASE WHEN jsonb_typeof(d->c.key) IN ('string', 'number') THEN d->c.key END,
                     (SELECT e.value FROM ckan_pw_extras(d) e WHERE e.key = c.key
                      ORDER BY e.n DESC LIMIT 1)))) AS val
        FROM (SELECT t.key FROM ckan_pw_tw_cols() t UNION ALL SELECT 'categoryCode') c
        WHERE jsonb_typeof(d->c.key) IN ('string', 'number')
           OR EXISTS (SELECT 1 FROM ckan_pw_extras(d) e WHERE e.key = c.key)) k
$$;

-- The errors of a translated text ({language: text}, as ckanext-fluent reads it; a JSON text
-- of one too), NULL when valid.
CREATE OR REPLACE FUNCTION ckan_pw_translated_error(j jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    bad text;
BEGIN
    IF jsonb_typeof(j) = 'string' THEN
        BEGIN
            j := (j #>> '{}')::jsonb;
        EXCEPTION WHEN others THEN
            RETURN 'Failed to decode JSON string';
        END;
    END IF;
    IF jsonb_typeof(j) IS DISTINCT FROM 'object' THEN
        RETURN 'expecting JSON object';
    END IF;
    SELECT k INTO bad FROM jsonb_object_keys(j) k WHERE k NOT IN ('en', 'zh_TW', 'zh_CN')
    ORDER BY k LIMIT 1;
    IF bad IS NOT NULL THEN
        RETURN format('invalid language code: "%s"', bad);
    END IF;
    SELECT key INTO bad FROM jsonb_each(j) WHERE jsonb_typeof(value) <> 'string'
    ORDER BY key LIMIT 1;
    IF bad IS NOT NULL THEN
        RETURN format('invalid type for "%s" value', bad);
    END IF;
    RETURN NULL;
END
$$;

-- A valid translated text as stored: the object (a JSON text of one read).
CREATE OR REPLACE FUNCTION ckan_pw_translated(j jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(j) = 'string' THEN (j #>> '{}')::jsonb
                WHEN jsonb_typeof(j) = 'object' THEN j END
$$;

-- CKAN's isodate: '' is no date; NULL when the text is no date CKAN reads.
CREATE OR REPLACE FUNCTION ckan_pw_isodate(s text) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF s !~ '^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?$' THEN
        RETURN NULL;
    END IF;
    RETURN s::timestamp AT TIME ZONE 'UTC';
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;

-- A Taiwan time as declared (portal time unless it carries an offset); NULL when unreadable.
CREATE OR REPLACE FUNCTION ckan_pw_tw_time(s text, tz text) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN tw_parse_time(s, tz);
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;

-- CKAN's int_validator: NULL for no integer (blank text is none either).
CREATE OR REPLACE FUNCTION ckan_pw_int(j jsonb) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF jsonb_typeof(j) = 'number' AND (j #>> '{}')::numeric = trunc((j #>> '{}')::numeric) THEN
        RETURN (j #>> '{}')::numeric::bigint;
    ELSIF jsonb_typeof(j) = 'string' AND btrim(j #>> '{}') ~ '^[+-]?[0-9]{1,18}$' THEN
        RETURN btrim(j #>> '{}')::bigint;
    END IF;
    RETURN NULL;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;

-- CKAN's email_validator (the HTML form's pattern); '' passes.
CREATE OR REPLACE FUNCTION ckan_pw_email_ok(s text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(s, '') = '' OR (s !~ '^\.' AND s !~ '\.$' AND s !~ '\.\.'
        AND s ~ '^[a-zA-Z0-9.!#$%&''*+/=?^_`{|}~-]+@[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$')
$$;

-- The messages of one tag name (tag_length_validator, tag_name_validator), '' when valid.
CREATE OR REPLACE FUNCTION ckan_pw_tag_error(name text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT concat_ws(', ',
        CASE WHEN length(name) < 2
             THEN format('Tag "%s" length is less than minimum 2', name)
             WHEN length(name) > 100
             THEN format('Tag "%s" length is more than maximum 100', name) END,
        CASE WHEN name !~ '^[\w .-]*$' THEN format('Tag "%s" can only contain alphanumeric '
            'characters, spaces (" "), hyphens ("-"), underscores ("_") or dots (".")', name)
            END)
$$;

-- The tags a dict names: tags [{name, vocabulary_id}] then tag_string's comma-separated names.
CREATE OR REPLACE FUNCTION ckan_pw_tags(d jsonb) RETURNS TABLE (name text, vocab text, n bigint)
LANGUAGE sql IMMUTABLE AS $$
    SELECT ckan_gw_text(e->'name'), ckan_gw_text(e->'vocabulary_id'), x.n
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(d->'tags') = 'array' THEN d->'tags'
                                   ELSE '[]' END) WITH ORDINALITY x(e, n)
    UNION ALL
    SELECT btrim(t), NULL, 1000000 + x.n
    FROM regexp_split_to_table(CASE WHEN jsonb_typeof(d->'tag_string') = 'string'
                                    THEN d->>'tag_string' END, ',') WITH ORDINALITY x(t, n)
    WHERE btrim(t) <> ''
$$;

-- The tags field's errors: one string per invalid tag (CKAN flattens them).
CREATE OR REPLACE FUNCTION ckan_pw_tag_errors(d jsonb) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(m ORDER BY n), '[]') FROM (
        SELECT t.n, CASE
            WHEN coalesce(t.name, '') = '' THEN 'Missing value'
            WHEN ckan_pw_tag_error(t.name) <> '' THEN ckan_pw_tag_error(t.name)
            WHEN t.vocab IS NOT NULL AND (ckan_g_vocab(t.vocab)).id IS NULL
                THEN 'Tag vocabulary was not found.' END AS m
        FROM ckan_pw_tags(d) t WHERE t.n < 1000000) x
    WHERE m IS NOT NULL
$$;

-- A resource's field errors (default_resource_schema), {} when valid. pid: its dataset.
CREATE OR REPLACE FUNCTION ckan_pw_resource_errors(rd jsonb, pid uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    errs jsonb := '{}';
    rid text := ckan_gw_text(rd->'id');
    owner uuid;
    k text;
BEGIN
    IF jsonb_typeof(rd) <> 'object' THEN
        RETURN '{}';
    END IF;
    IF coalesce(rid, '') <> '' THEN
        SELECT package_id INTO owner FROM resource WHERE id = rid AND state <> 'deleted';
        -- CKAN takes UUIDs only; the ids this portal gives its resources (Taiwan resourceIDs,
        -- the resource table's form) are taken too, so that a dump loads back.
        IF owner IS NULL AND NOT (ckan_g_is_uuid(rid) OR rid ~ '^[A-Za-z0-9_.:-]{1,100}$') THEN
            errs := ckan_gw_err(errs, 'id', 'Invalid id provided');
        ELSIF owner IS DISTINCT FROM pid AND owner IS NOT NULL THEN
            errs := ckan_gw_err(errs, 'id', 'Resource id already exists.');
        ELSIF owner IS NULL AND EXISTS (SELECT 1 FROM resource WHERE id = rid
                                        AND package_id IS DISTINCT FROM pid) THEN
            -- a deleted resource of another dataset keeps its id until purged (one of this
            -- dataset's comes back)
            errs := ckan_gw_err(errs, 'id', 'Resource id already exists.');
        END IF;
    END IF;
    IF rd ? 'size' AND jsonb_typeof(rd->'size') <> 'null'
       AND NOT (jsonb_typeof(rd->'size') = 'string' AND btrim(rd->>'size') = '')
       AND ckan_pw_int(rd->'size') IS NULL THEN
        errs := ckan_gw_err(errs, 'size', 'Invalid integer');
    END IF;
    FOREACH k IN ARRAY ARRAY['name_translated', 'description_translated'] LOOP
        IF rd ? k AND jsonb_typeof(rd->k) <> 'null'
           AND ckan_pw_translated_error(rd->k) IS NOT NULL THEN
            errs := ckan_gw_err(errs, k, ckan_pw_translated_error(rd->k));
        END IF;
    END LOOP;
    FOREACH k IN ARRAY ARRAY['created', 'last_modified', 'cache_last_updated'] LOOP
        IF coalesce(ckan_gw_text(rd->k), '') <> ''
           AND ckan_pw_isodate(ckan_gw_text(rd->k)) IS NULL THEN
            errs := ckan_gw_err(errs, k, 'Date format incorrect');
        END IF;
    END LOOP;
    RETURN errs;
END
$$;

-- The organization an owner_org value names (id or name), NULL when none.
CREATE OR REPLACE FUNCTION ckan_pw_org(ref text) RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT g.id FROM ckan_g_group(ref) g WHERE g.is_organization AND g.state = 'active'
$$;

-- The field errors of a dataset dict against CKAN's create schema (old NULL) or update schema
-- (old: the dataset as stored). sysadmin: the caller is one.
CREATE OR REPLACE FUNCTION ckan_pw_errors(d jsonb, old package, v ckan_viewer, sysadmin boolean,
                                          tz text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    errs jsonb := '{}';
    creating boolean := old.id IS NULL;
    nm text := ckan_gw_text(d->'name');
    given_id text := ckan_gw_text(d->'id');
    org_ref text := ckan_gw_text(d->'owner_org');
    org uuid;
    tw jsonb := ckan_pw_tw_values(d);
    msg text;
    k text;
    dup text;
BEGIN
    IF creating AND coalesce(given_id, '') <> '' THEN
        IF NOT sysadmin THEN
            errs := ckan_gw_err(errs, 'id', 'The input field id was not expected.');
        ELSIF NOT ckan_g_is_uuid(given_id) THEN
            errs := ckan_gw_err(errs, 'id', 'Invalid id provided');
        ELSIF EXISTS (SELECT 1 FROM package WHERE id = given_id::uuid) THEN
            errs := ckan_gw_err(errs, 'id', 'Dataset id already exists');
        END IF;
    END IF;
    -- name_validator, package_name_validator; a dataset keeps the name it has (imported
    -- names may hold dots)
    IF creating OR (d ? 'name' AND nm IS DISTINCT FROM old.name) THEN
        msg := CASE
            WHEN nm IS NULL OR nm = '' THEN 'Missing value'
            WHEN nm IN ('new', 'edit', 'search') THEN 'That name cannot be used'
            WHEN length(nm) < 2 THEN 'Must be at least 2 characters long'
            WHEN length(nm) > 100 THEN 'Name must be a maximum of 100 characters long'
            WHEN nm !~ '^[a-z0-9_-]*$' THEN
                'Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_'
            WHEN EXISTS (SELECT 1 FROM package pk WHERE pk.name = nm
                         AND pk.state <> 'deleted' AND pk.id IS DISTINCT FROM old.id)
                THEN 'That URL is already in use.' END;
        IF msg IS NOT NULL THEN
            errs := ckan_gw_err(errs, 'name', msg);
        END IF;
    END IF;
    -- a value the dataset has is kept as it is (imported records hold address lists)
    FOREACH k IN ARRAY ARRAY['author_email', 'maintainer_email'] LOOP
        msg := CASE k WHEN 'author_email' THEN old.author_email ELSE old.maintainer_email END;
        IF NOT ckan_pw_email_ok(btrim(ckan_gw_text(d->k)))
           AND btrim(ckan_gw_text(d->k)) IS DISTINCT FROM msg THEN
            errs := ckan_gw_err(errs, k, format('Email %s is not a valid format',
                                                btrim(ckan_gw_text(d->k))));
        END IF;
    END LOOP;
    IF length(ckan_gw_text(d->'version')) > 100
       AND ckan_gw_text(d->'version') IS DISTINCT FROM old.version THEN
        errs := ckan_gw_err(errs, 'version', 'Version must be a maximum of 100 characters long');
    END IF;
    IF coalesce(ckan_gw_text(d->'state'), 'active') NOT IN ('active', 'draft', 'deleted')
       AND (sysadmin OR NOT creating) THEN
        errs := ckan_gw_err(errs, 'state', 'Value must be one of: active, draft, deleted');
    END IF;
    -- owner_org_validator (create_unowned_dataset is off)
    IF creating AND org_ref IS NULL OR org_ref = '' THEN
        errs := ckan_gw_err(errs, 'owner_org', 'An organization must be provided');
    ELSIF org_ref IS NOT NULL THEN
        org := ckan_pw_org(org_ref);
        IF org IS NULL THEN
            errs := ckan_gw_err(errs, 'owner_org', 'Organization does not exist');
        ELSIF org IS DISTINCT FROM old.owner_org
              AND NOT ckan_authz_has(v, 'create_dataset', org) THEN
            errs := ckan_gw_err(errs, 'owner_org', 'You cannot add a dataset to this organization');
        END IF;
    END IF;
    IF d ? 'private' AND ckan_pw_bool(d->'private')
       AND coalesce(nullif(org_ref, ''), CASE WHEN org_ref IS NULL THEN old.owner_org::text END)
           IS NULL THEN
        errs := ckan_gw_err(errs, 'private', 'Datasets with no organization can''t be private.');
    END IF;
    IF jsonb_array_length(ckan_pw_tag_errors(d)) > 0 THEN
        errs := errs || jsonb_build_object('tags', ckan_pw_tag_errors(d));
    END IF;
    SELECT string_agg(ckan_pw_tag_error(t.name), ', ') INTO msg
    FROM ckan_pw_tags(d) t WHERE t.n >= 1000000 AND ckan_pw_tag_error(t.name) <> '';
    IF msg IS NOT NULL THEN
        errs := ckan_gw_err(errs, 'tag_string', msg);
    END IF;
    errs := ckan_gw_list_errors(errs, 'extras', (
        SELECT coalesce(jsonb_agg(CASE
            WHEN coalesce(ckan_gw_text(e->'key'), '') = ''
                THEN jsonb_build_object('key', jsonb_build_array('Missing value'))
            WHEN ckan_gw_text(e->'key') = ANY (ckan_pw_root_keys())
                THEN jsonb_build_object('key',
                         jsonb_build_array('There is a schema field with the same name'))
            WHEN NOT e ? 'value'
                THEN jsonb_build_object('value', jsonb_build_array('Missing value'))
            ELSE '{}' END ORDER BY n), '[]')
        FROM jsonb_array_elements(CASE WHEN jsonb_typeof(d->'extras') = 'array'
                                       THEN d->'extras' ELSE '[]' END) WITH ORDINALITY x(e, n)));
    SELECT e.key INTO dup FROM ckan_pw_extras(d) e WHERE e.key IS NOT NULL
    GROUP BY e.key HAVING count(*) > 1 ORDER BY min(e.n) LIMIT 1;
    IF dup IS NOT NULL THEN
        errs := errs || jsonb_build_object('extras_validation',
                                           jsonb_build_array(format('Duplicate key "%s"', dup)));
    END IF;
    -- the Taiwan fields: their own rules, under their own names
    IF coalesce(tw->>'numberOfData', '') <> '' AND ckan_pw_int(tw->'numberOfData') IS NULL THEN
        errs := ckan_gw_err(errs, 'numberOfData', 'Invalid integer');
    END IF;
    FOREACH k IN ARRAY ARRAY['issued', 'modified'] LOOP
        IF coalesce(tw->>k, '') <> '' AND ckan_pw_tw_time(tw->>k, tz) IS NULL THEN
            errs := ckan_gw_err(errs, k, 'Date format incorrect');
        END IF;
    END LOOP;
    IF coalesce(tw->>'categoryCode', '') <> ''
       AND NOT EXISTS (SELECT 1 FROM tw_category WHERE code = upper(tw->>'categoryCode')) THEN
        errs := ckan_gw_err(errs, 'categoryCode', 'Category not found');
    END IF;
    IF coalesce(tw->>'identifier', '') <> '' AND EXISTS (
            SELECT 1 FROM package pk WHERE lower(pk.identifier) = lower(tw->>'identifier')
              AND pk.id IS DISTINCT FROM old.id) THEN
        errs := ckan_gw_err(errs, 'identifier', 'That identifier is already in use.');
    ELSIF NOT creating AND coalesce(tw->>'identifier', '') <> ''
          AND lower(tw->>'identifier') IS DISTINCT FROM lower(old.identifier) THEN
        errs := ckan_gw_err(errs, 'identifier', format('Cannot change value of key from %s to '
            '%s. This key is read-only', old.identifier, tw->>'identifier'));
    END IF;
    FOREACH k IN ARRAY ARRAY['title_translated', 'notes_translated'] LOOP
        IF d ? k AND jsonb_typeof(d->k) <> 'null' AND ckan_pw_translated_error(d->k) IS NOT NULL THEN
            errs := ckan_gw_err(errs, k, ckan_pw_translated_error(d->k));
        END IF;
    END LOOP;
    -- an id the list gives twice is taken by its first resource
    errs := ckan_gw_list_errors(errs, 'resources', (
        SELECT coalesce(jsonb_agg(CASE WHEN y.seen > 1
            THEN jsonb_build_object('id', jsonb_build_array('Resource id already exists.'))
            ELSE ckan_pw_resource_errors(y.r, coalesce(old.id,
                CASE WHEN ckan_g_is_uuid(given_id) THEN given_id::uuid END)) END
            ORDER BY y.n), '[]')
        FROM (SELECT x.r, x.n, CASE WHEN coalesce(ckan_gw_text(x.r->'id'), '') = '' THEN 1
                  ELSE row_number() OVER (PARTITION BY ckan_gw_text(x.r->'id') ORDER BY x.n) END
                  AS seen
              FROM jsonb_array_elements(CASE WHEN jsonb_typeof(d->'resources') = 'array'
                  THEN d->'resources' ELSE '[]' END) WITH ORDINALITY x(r, n)) y));
    RETURN errs;
END
$$;

-- A Taiwan time column's new value: the one given, but the value shown for a column left
-- empty (the dataset's own time) keeps it empty, so a dict shown and sent back changes nothing.
CREATE OR REPLACE FUNCTION ckan_pw_tw_time_col(given text, old_col timestamptz,
                                               shown timestamptz, tz text) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN coalesce(given, '') = '' THEN NULL
                WHEN old_col IS NULL AND given = tw_time(shown, tz) THEN NULL
                ELSE ckan_pw_tw_time(given, tz) END
$$;

-- The dataset row a valid dict makes: over old (update) or a new row (create). Fields CKAN
-- clears when an update omits them are cleared; the others are kept. The Taiwan fields are
-- extras: an update that omits them clears them, but for the identifier, which stays.
CREATE OR REPLACE FUNCTION ckan_pw_row(d jsonb, old package, v ckan_viewer, sysadmin boolean,
                                       tz text) RETURNS package
LANGUAGE plpgsql STABLE AS $$
DECLARE
    creating boolean := old.id IS NULL;
    p package := old;
    tw jsonb := ckan_pw_tw_values(d);
    delta jsonb := '{}';
    k text;
BEGIN
    IF creating THEN
        p := jsonb_populate_record(NULL::package, jsonb_build_object(
            'id', CASE WHEN sysadmin AND coalesce(ckan_gw_text(d->'id'), '') <> ''
                       THEN ckan_gw_text(d->'id')::uuid ELSE gen_random_uuid() END,
            'type', coalesce(nullif(ckan_gw_text(d->'type'), ''), 'dataset'),
            'state', CASE WHEN sysadmin THEN coalesce(ckan_gw_text(d->'state'), 'active')
                          ELSE 'active' END,
            'private', false, 'creator_user_id', (v).user_id, 'metadata_created', now()));
    ELSIF d ? 'state' AND ckan_gw_text(d->'state') IS NOT NULL THEN
        p.state := ckan_gw_text(d->'state');
    END IF;
    FOREACH k IN ARRAY ARRAY['url', 'author', 'author_email', 'maintainer', 'maintainer_email',
                             'notes', 'license_id'] LOOP
        delta := delta || jsonb_build_object(k, CASE WHEN k LIKE '%email'
            THEN btrim(ckan_gw_text(d->k)) ELSE ckan_gw_text(d->k) END);
    END LOOP;
    delta := delta || jsonb_build_object('title', coalesce(ckan_gw_text(d->'title'), ''));
    IF creating AND coalesce(ckan_gw_text(d->'title'), '') = '' THEN
        delta := delta || jsonb_build_object('title', ckan_gw_text(d->'name'));
    END IF;
    IF d ? 'name' AND ckan_gw_text(d->'name') IS NOT NULL THEN
        delta := delta || jsonb_build_object('name', ckan_gw_text(d->'name'));
    END IF;
    IF d ? 'version' THEN
        delta := delta || jsonb_build_object('version', ckan_gw_text(d->'version'));
    END IF;
    IF d ? 'private' AND jsonb_typeof(d->'private') <> 'null' THEN
        delta := delta || jsonb_build_object('private', ckan_pw_bool(d->'private'));
    END IF;
    IF ckan_gw_text(d->'owner_org') IS NOT NULL THEN
        delta := delta || jsonb_build_object('owner_org', ckan_pw_org(ckan_gw_text(d->'owner_org')));
    END IF;
    -- the Taiwan columns (but issued, modified, number_of_data, identifier: below)
    SELECT delta || coalesce(jsonb_object_agg(c.col, tw->>c.key), '{}') INTO delta
    FROM ckan_pw_tw_cols() c
    WHERE c.col NOT IN ('identifier', 'issued', 'modified', 'number_of_data');
    p := jsonb_populate_record(p, delta);
    p.number_of_data := ckan_pw_int(tw->'numberOfData');
    p.issued := ckan_pw_tw_time_col(tw->>'issued', old.issued, old.metadata_created, tz);
    p.modified := ckan_pw_tw_time_col(tw->>'modified', old.modified, old.metadata_modified, tz);
    IF creating THEN
        p.identifier := coalesce(nullif(tw->>'identifier', ''),
            CASE WHEN NOT EXISTS (SELECT 1 FROM package WHERE lower(identifier) = lower(p.name))
                 THEN p.name ELSE p.id::text END);
        p.publisher := coalesce(p.publisher, (SELECT title FROM grp WHERE id = p.owner_org));
        p.publisher_oid := coalesce(p.publisher_oid, (SELECT value FROM group_extra
            WHERE group_id = p.owner_org AND key = 'publisherOID'));
        p.publisher_org_code := coalesce(p.publisher_org_code, (SELECT value FROM group_extra
            WHERE group_id = p.owner_org AND key = 'publisherOrgCode'));
    END IF;
    p.translated := nullif(jsonb_strip_nulls(jsonb_build_object(
        'title_translated', ckan_pw_translated(d->'title_translated'),
        'notes_translated', ckan_pw_translated(d->'notes_translated'))), '{}');
    p.type := coalesce(old.type, p.type);
    p.source_hash := NULL;  -- the next import of its record applies it again
    p.metadata_modified := now();
    RETURN p;
END
$$;

-- The extras stored for a dict (the Taiwan keys and categoryCode go to their columns); a value
-- sent back as the text package_show shows for a stored JSON value keeps that value.
CREATE OR REPLACE FUNCTION ckan_pw_put_extras(pid uuid, d jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    keys text[];
    vals jsonb[];
BEGIN
    SELECT coalesce(array_agg(e.key ORDER BY e.n), '{}'),
           coalesce(array_agg(CASE
               WHEN jsonb_typeof(e.value) = 'string' AND jsonb_typeof(o.value) <> 'string'
                    AND o.value::text = e.value #>> '{}' THEN o.value
               WHEN jsonb_typeof(e.value) IN ('string', 'null') THEN e.value
               ELSE to_jsonb(e.value::text) END ORDER BY e.n), '{}')
    INTO keys, vals
    FROM ckan_pw_extras(d) e
    LEFT JOIN package_extra o ON o.package_id = pid AND o.key = e.key
    WHERE e.key NOT IN (SELECT c.key FROM ckan_pw_tw_cols() c) AND e.key <> 'categoryCode';
    PERFORM pkg_put_extras(pid, keys, vals);
END
$$;

-- The dataset's groups as a dict's groups list names them (when it has one): memberships the
-- caller may read are added and removed (CKAN's package_membership_list_save); organizations
-- are not groups here. A categoryCode given sets the category's group either way.
CREATE OR REPLACE FUNCTION ckan_pw_put_groups(pid uuid, d jsonb, v ckan_viewer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    want uuid[];
    tw jsonb := ckan_pw_tw_values(d);
BEGIN
    IF jsonb_typeof(d->'groups') = 'array' THEN
        want := ARRAY(
            SELECT g.id FROM jsonb_array_elements(d->'groups') e,
                 LATERAL ckan_g_group(coalesce(nullif(ckan_gw_text(e->'id'), ''),
                                               ckan_gw_text(e->'name'))) g
            WHERE g.id IS NOT NULL AND NOT g.is_organization
              AND coalesce(ckan_gw_text(e->'capacity'), 'public') <> 'organization');
        UPDATE member m SET state = 'deleted'
        FROM grp g
        WHERE m.table_id = pid AND m.table_name = 'package' AND m.state = 'active'
          AND g.id = m.group_id AND NOT g.is_organization AND m.group_id <> ALL (want)
          AND ckan_authz_has(v, 'read', m.group_id);
        PERFORM ckan_gw_member_put(g, 'package', pid, 'public')
        FROM unnest(want) g
        WHERE NOT EXISTS (SELECT 1 FROM member m WHERE m.group_id = g AND m.table_id = pid
                          AND m.table_name = 'package' AND m.state = 'active')
          AND ckan_authz_has(v, 'read', g);
    END IF;
    IF tw ? 'categoryCode' THEN
        PERFORM pkg_put_category(pid, nullif(upper(tw->>'categoryCode'), ''));
    END IF;
END
$$;

-- The columns of a resource from its dict over old (a new resource: old NULL). Fields CKAN
-- clears when omitted are cleared (url, description, resource_type, mimetype,
-- mimetype_inner, the extra keys); the others are kept. A url sent back as resource_show shows
-- it keeps the stored download and access URLs.
CREATE OR REPLACE FUNCTION ckan_pw_resource_row(pid uuid, pos int, rd jsonb, old resource,
                                                site text) RETURNS resource
LANGUAGE plpgsql STABLE AS $$
DECLARE
    r resource := old;
    url text := coalesce(regexp_replace(ckan_gw_text(rd->'url'), '\s', '', 'g'), '');
    k text;
    core text[] := ARRAY['id', 'package_id', 'position', 'state', 'url', 'name', 'description',
        'format', 'hash', 'mimetype', 'mimetype_inner', 'resource_type', 'url_type', 'size',
        'created', 'last_modified', 'metadata_modified', 'cache_url', 'cache_last_updated',
        'datastore_active', 'extras', 'revision_timestamp', 'tracking_summary', 'accessURL',
        'characterSetCode', 'metadataSourceOfData'];
BEGIN
    IF old.id IS NULL THEN
        r := jsonb_populate_record(NULL::resource, jsonb_build_object(
            'id', coalesce(nullif(ckan_gw_text(rd->'id'), ''), gen_random_uuid()::text),
            'state', 'active', 'created', now(), 'metadata_modified', now(),
            'datastore_active', false, 'extras', '{}'::jsonb));
    END IF;
    r.package_id := pid;
    r.position := pos;
    r.state := 'active';
    IF old.id IS NOT NULL AND url = ckan_resource_url(old, site) THEN
        r.access_url := CASE WHEN rd ? 'accessURL' THEN ckan_gw_text(rd->'accessURL')
                             WHEN old.download_url IS NULL THEN old.access_url END;
    ELSE
        r.download_url := CASE WHEN url = '' AND old.download_url IS NULL
                                    AND old.access_url IS NOT NULL AND NOT rd ? 'accessURL'
                               THEN NULL ELSE url END;
        r.access_url := ckan_gw_text(rd->'accessURL');
    END IF;
    r.description := ckan_gw_text(rd->'description');
    r.resource_type := ckan_gw_text(rd->'resource_type');
    r.mimetype := ckan_gw_text(rd->'mimetype');
    r.mimetype_inner := ckan_gw_text(rd->'mimetype_inner');
    r.character_set_code := ckan_gw_text(rd->'characterSetCode');
    r.metadata_source_of_data := ckan_gw_text(rd->'metadataSourceOfData');
    FOREACH k IN ARRAY ARRAY['name', 'hash', 'url_type'] LOOP
        IF rd ? k THEN
            r := jsonb_populate_record(r, jsonb_build_object(k, ckan_gw_text(rd->k)));
        END IF;
    END LOOP;
    IF rd ? 'format' THEN
        r.format := ckan_pw_format(ckan_gw_text(rd->'format'));
    END IF;
    IF coalesce(r.format, '') = '' AND old.id IS NULL THEN
        r.format := ckan_pw_format(substring(url FROM '\.([A-Za-z0-9]{1,8})(\?.*)?$'));
    END IF;
    IF rd ? 'size' THEN
        r.size := ckan_pw_int(rd->'size');
    END IF;
    IF rd ? 'created' AND coalesce(ckan_gw_text(rd->'created'), '') <> '' THEN
        r.created := ckan_pw_isodate(ckan_gw_text(rd->'created'));
    END IF;
    IF rd ? 'last_modified' THEN
        r.last_modified := ckan_pw_isodate(ckan_gw_text(rd->'last_modified'));
    END IF;
    IF rd ? 'datastore_active' AND jsonb_typeof(rd->'datastore_active') = 'boolean' THEN
        r.datastore_active := (rd->>'datastore_active')::boolean;
    END IF;
    r.extras := rd - core;
    FOREACH k IN ARRAY ARRAY['name_translated', 'description_translated'] LOOP
        IF jsonb_typeof(rd->k) = 'string' THEN
            r.extras := r.extras || jsonb_build_object(k, ckan_pw_translated(rd->k));
        END IF;
    END LOOP;
    RETURN r;
END
$$;

-- CKAN's clean_format: the common formats in their usual spelling, others as given.
CREATE OR REPLACE FUNCTION ckan_pw_format(f text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN f IS NULL THEN NULL ELSE coalesce((SELECT m.name FROM (VALUES
        ('csv', 'CSV'), ('text/csv', 'CSV'), ('json', 'JSON'), ('application/json', 'JSON'),
        ('xml', 'XML'), ('text/xml', 'XML'), ('application/xml', 'XML'), ('xls', 'XLS'),
        ('xlsx', 'XLSX'), ('ods', 'ODS'), ('pdf', 'PDF'), ('application/pdf', 'PDF'),
        ('zip', 'ZIP'), ('application/zip', 'ZIP'), ('html', 'HTML'), ('htm', 'HTML'),
        ('text/html', 'HTML'), ('txt', 'TXT'), ('text/plain', 'TXT'), ('geojson', 'GeoJSON'),
        ('kml', 'KML'), ('kmz', 'KMZ'), ('shp', 'SHP'), ('rdf', 'RDF'), ('doc', 'DOC'),
        ('docx', 'DOCX'), ('odt', 'ODT'), ('png', 'PNG'), ('jpg', 'JPEG'), ('jpeg', 'JPEG'),
        ('gif', 'GIF'), ('tsv', 'TSV'), ('wms', 'WMS'), ('wfs', 'WFS'), ('api', 'API'))
        m(k, name) WHERE m.k = lower(btrim(f))), f) END
$$;

-- Resources deleted for good, their DataStore tables dropped first.
CREATE OR REPLACE FUNCTION ckan_pw_purge_resources(ids text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ds_table_delete(t.resource_id) FROM datastore_table t
    WHERE t.resource_id = ANY (ids);
    DELETE FROM resource WHERE id = ANY (ids);
END
$$;

-- Store a resource row made by ckan_pw_resource_row (old: what it was, NULL when new). Its
-- metadata_modified moves only when what resource_show shows of it changes.
CREATE OR REPLACE FUNCTION ckan_pw_resource_put(r resource, old resource, site text)
RETURNS resource
LANGUAGE plpgsql AS $$
BEGIN
    IF old.id IS NULL THEN
        INSERT INTO resource SELECT (r).*;
        RETURN r;
    END IF;
    IF (ckan_resource_doc(r, 0, site)::jsonb - 'metadata_modified')
       IS NOT DISTINCT FROM (ckan_resource_doc(old, 0, site)::jsonb - 'metadata_modified') THEN
        r.metadata_modified := old.metadata_modified;
        IF r.position = old.position THEN
            RETURN r;
        END IF;
    ELSE
        r.metadata_modified := now();
    END IF;
    UPDATE resource SET (position, name, description, format, download_url, access_url, hash,
        mimetype, mimetype_inner, size, resource_type, url_type, state, created,
        metadata_modified, last_modified, character_set_code, metadata_source_of_data,
        datastore_active, extras)
      = (r.position, r.name, r.description, r.format, r.download_url, r.access_url, r.hash,
        r.mimetype, r.mimetype_inner, r.size, r.resource_type, r.url_type, r.state, r.created,
        r.metadata_modified, r.last_modified, r.character_set_code, r.metadata_source_of_data,
        r.datastore_active, r.extras)
    WHERE id = r.id;
    RETURN r;
END
$$;

-- A dataset's resources as a list names them, in its order (CKAN's
-- package_resource_list_save): listed ones written, new ones made, active ones not listed
-- deleted, deleted ones purged.
CREATE OR REPLACE FUNCTION ckan_pw_put_resources(pid uuid, list jsonb, site text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    rd jsonb;
    n bigint;
    old resource;
    r resource;
    kept text[] := '{}';
BEGIN
    FOR rd, n IN SELECT * FROM jsonb_array_elements(list) WITH ORDINALITY LOOP
        SELECT * INTO old FROM resource
        WHERE id = ckan_gw_text(rd->'id') AND package_id = pid;
        IF NOT FOUND THEN
            old := NULL;
        END IF;
        r := ckan_pw_resource_put(ckan_pw_resource_row(pid, (n - 1)::int, rd, old, site), old,
                                  site);
        kept := kept || r.id;
    END LOOP;
    PERFORM ckan_pw_purge_resources(ARRAY(SELECT id FROM resource WHERE package_id = pid
                                          AND state = 'deleted' AND id <> ALL (kept)));
    UPDATE resource SET state = 'deleted', metadata_modified = now()
    WHERE package_id = pid AND state = 'active' AND id <> ALL (kept);
END
$$;

-- The activity of a dataset write, holding the dataset dict as it is now.
CREATE OR REPLACE FUNCTION ckan_pw_activity(pid uuid, v ckan_viewer, kind text, site text)
RETURNS void
LANGUAGE sql VOLATILE AS $$
    INSERT INTO activity (user_id, object_id, activity_type, data)
    VALUES ((v).user_id, pid, kind, jsonb_build_object(
        'package', ckan_build_doc(pid, site, ckan_portal_tz())::jsonb,
        'actor', (SELECT name FROM users WHERE id = (v).user_id)))
$$;

-- Store a validated dict: the row (old NULL: a new one), tags, extras, groups, resources.
CREATE OR REPLACE FUNCTION ckan_pw_store(d jsonb, old package, v ckan_viewer, site text)
RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
    p package := ckan_pw_row(d, old, v, ckan_authz_is_sysadmin(v), ckan_portal_tz());
    tags_given boolean := d ? 'tags' OR d ? 'tag_string';
BEGIN
    IF old.id IS NULL THEN
        -- CKAN gives a deleted dataset's name up: that row is renamed to its id
        UPDATE package SET name = id::text WHERE name = p.name AND state = 'deleted';
        BEGIN
            INSERT INTO package SELECT (p).*;
        EXCEPTION WHEN unique_violation THEN  -- a concurrent create took the name
            RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422',
                DETAIL = '{"name": ["That URL is already in use."]}';
        END;
    ELSE
        BEGIN
            UPDATE package SET (name, title, notes, url, version, author, author_email,
                maintainer, maintainer_email, license_id, state, private, owner_org,
                metadata_modified, field_description, data_type, license_title, license_url,
                cost, cost_url, cost_law, organization_name, organization_contact_name,
                organization_contact_phone, organization_contact_email, publisher,
                publisher_oid, publisher_org_code, publisher_contact_name,
                publisher_contact_phone, publisher_contact_email, accrual_periodicity,
                temporal_coverage_from, temporal_coverage_to, issued, modified, spatial,
                language, landing_page, number_of_data, remarks, source_hash, translated)
              = (p.name, p.title, p.notes, p.url, p.version, p.author, p.author_email,
                p.maintainer, p.maintainer_email, p.license_id, p.state, p.private, p.owner_org,
                p.metadata_modified, p.field_description, p.data_type, p.license_title,
                p.license_url, p.cost, p.cost_url, p.cost_law, p.organization_name,
                p.organization_contact_name, p.organization_contact_phone,
                p.organization_contact_email, p.publisher, p.publisher_oid,
                p.publisher_org_code, p.publisher_contact_name, p.publisher_contact_phone,
                p.publisher_contact_email, p.accrual_periodicity, p.temporal_coverage_from,
                p.temporal_coverage_to, p.issued, p.modified, p.spatial, p.language,
                p.landing_page, p.number_of_data, p.remarks, p.source_hash, p.translated)
            WHERE id = p.id;
        EXCEPTION WHEN unique_violation THEN
            RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422',
                DETAIL = '{"name": ["That URL is already in use."]}';
        END;
    END IF;
    -- an update without tags clears them (CKAN); tags the dataset had keep their place (the
    -- keyword order the Taiwan API shows), new ones follow in the order given
    IF tags_given OR old.id IS NOT NULL THEN
        PERFORM pkg_put_tags(p.id, array_agg(x.name ORDER BY x.o), array_agg(x.vid ORDER BY x.o))
        FROM (SELECT t.name, g.id AS vid, coalesce((
                  SELECT pt.position FROM package_tag pt JOIN tag tg ON tg.id = pt.tag_id
                  WHERE pt.package_id = p.id AND tg.name = t.name
                    AND tg.vocabulary_id IS NOT DISTINCT FROM g.id), 1000000 + t.n) AS o
              FROM ckan_pw_tags(d) t LEFT JOIN LATERAL ckan_g_vocab(t.vocab) g ON true) x;
    END IF;
    PERFORM ckan_pw_put_extras(p.id, d);
    PERFORM ckan_pw_put_groups(p.id, d, v);
    IF jsonb_typeof(d->'resources') = 'array' THEN
        PERFORM ckan_pw_put_resources(p.id, d->'resources', site);
    END IF;
    RETURN p.id;
END
$$;

-- ---- authorization (CKAN's auth/create.py, update.py) -------------------------------------------

-- The groups a dict names, each needing manage_group unless the dataset is in it already
-- (_check_group_auth); an unknown group is CKAN's NotFound.
CREATE OR REPLACE FUNCTION ckan_pw_check_groups(d jsonb, pid uuid, v ckan_viewer) RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
    ref text;
    g grp;
BEGIN
    FOR ref IN SELECT coalesce(nullif(ckan_gw_text(e->'id'), ''), ckan_gw_text(e->'name'))
               FROM jsonb_array_elements(CASE WHEN jsonb_typeof(d->'groups') = 'array'
                                              THEN d->'groups' ELSE '[]' END) e LOOP
        CONTINUE WHEN coalesce(ref, '') = '';
        g := ckan_g_group(ref);
        IF g.id IS NULL THEN
            RAISE EXCEPTION 'Group was not found.' USING ERRCODE = 'OD100';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM member m WHERE m.group_id = g.id AND m.table_id = pid
                       AND m.table_name = 'package' AND m.state = 'active')
           AND NOT ckan_authz_has(v, 'manage_group', g.id) THEN
            RAISE EXCEPTION 'User % not authorized to edit these groups', ckan_viewer_name(v)
                USING ERRCODE = 'OD403';
        END IF;
    END LOOP;
END
$$;

-- May v change the dataset? (package_update's auth: update_dataset in its organization; an
-- unowned one as create would allow, which with create_unowned_dataset off means a user who
-- may create datasets somewhere.)
CREATE OR REPLACE FUNCTION ckan_pw_may_update(pk package, v ckan_viewer) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN pk.owner_org IS NOT NULL
                THEN ckan_authz_has(v, 'update_dataset', pk.owner_org)
                ELSE ckan_authz_is_sysadmin(v) OR (ckan_authz_user(v)).id IS NOT NULL AND (
                    ckan_authz_config('create_unowned_dataset')
                    OR EXISTS (SELECT 1 FROM member m WHERE m.table_name = 'user'
                               AND m.table_id = (v).user_id AND m.state = 'active'
                               AND ckan_authz_role_has(m.capacity, 'create_dataset'))) END
$$;

CREATE OR REPLACE FUNCTION ckan_pw_check_update(pk package, v ckan_viewer, msg text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT ckan_pw_may_update(pk, v) THEN
        RAISE EXCEPTION '%', msg USING ERRCODE = 'OD403';
    END IF;
END
$$;

-- The dataset an id or name names (CKAN's Package.get; a Taiwan identifier too), locked for
-- the write; a row of NULLs when there is none.
CREATE OR REPLACE FUNCTION ckan_pw_lock(ref text) RETURNS package
LANGUAGE plpgsql AS $$
DECLARE
    pk package;
BEGIN
    SELECT * INTO pk FROM package WHERE id = ckan_find_package(ref) FOR UPDATE;
    RETURN pk;
END
$$;

-- The dataset ref names, locked for a change v may make to it: OD100 (missing: its message)
-- when there is none, OD403 as CKAN words it when v may not edit it.
CREATE OR REPLACE FUNCTION ckan_pw_target(ref text, v ckan_viewer, missing text DEFAULT '')
RETURNS package
LANGUAGE plpgsql AS $$
DECLARE
    pk package := ckan_pw_lock(ref);
BEGIN
    IF pk.id IS NULL THEN
        RAISE EXCEPTION '%', missing USING ERRCODE = 'OD100';
    END IF;
    PERFORM ckan_pw_check_update(pk, v, format('User %s not authorized to edit package %s',
                                               ckan_viewer_name(v), pk.id));
    RETURN pk;
END
$$;

-- ---- actions ----------------------------------------------------------------------------------

-- package_create. p: {data}. Answers package_show's dict.
CREATE OR REPLACE FUNCTION ckan_package_create(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    d jsonb := p->'data';
    u users := ckan_authz_user(v);
    org_ref text := ckan_gw_text(d->'owner_org');
    pid uuid;
BEGIN
    IF NOT coalesce(u.sysadmin, false) AND NOT (u.id IS NOT NULL AND (
            ckan_authz_config('create_unowned_dataset') OR EXISTS (
                SELECT 1 FROM member m WHERE m.table_name = 'user' AND m.table_id = u.id
                  AND m.state = 'active' AND ckan_authz_role_has(m.capacity, 'create_dataset'))))
    THEN
        RAISE EXCEPTION 'User % not authorized to create packages', ckan_viewer_name(v)
            USING ERRCODE = 'OD403';
    END IF;
    PERFORM ckan_pw_check_groups(d, NULL, v);
    IF coalesce(org_ref, '') <> ''
       AND NOT ckan_authz_has(v, 'create_dataset', (ckan_g_group(org_ref)).id) THEN
        RAISE EXCEPTION 'User % not authorized to add dataset to this organization',
            ckan_viewer_name(v) USING ERRCODE = 'OD403';
    END IF;
    PERFORM ckan_gw_raise(ckan_pw_errors(d, NULL, v, coalesce(u.sysadmin, false),
                                         ckan_portal_tz()));
    pid := ckan_pw_store(d, NULL, v, site);
    PERFORM ckan_pw_activity(pid, v, 'new package', site);
    RETURN ckan_build_doc(pid, site, ckan_portal_tz());
END
$$;

-- package_update's write once the dataset is locked and the caller allowed: nothing when d is
-- what package_show gives (CKAN's unchanged check), else validate, store, record.
CREATE OR REPLACE FUNCTION ckan_pw_update(pk package, d jsonb, v ckan_viewer, site text)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    shown jsonb := ckan_build_doc(pk.id, site, ckan_portal_tz())::jsonb;
BEGIN
    d := d || jsonb_build_object('id', pk.id, 'type', pk.type);
    IF shown - 'metadata_modified' = d - 'metadata_modified' THEN
        RETURN shown::text;
    END IF;
    PERFORM ckan_gw_raise(ckan_pw_errors(d, pk, v, ckan_authz_is_sysadmin(v), ckan_portal_tz()));
    PERFORM ckan_pw_store(d, pk, v, site);
    PERFORM ckan_pw_activity(pk.id, v, CASE WHEN ckan_gw_text(d->'state') = 'deleted'
        AND pk.state <> 'deleted' THEN 'deleted package' ELSE 'changed package' END, site);
    RETURN ckan_build_doc(pk.id, site, ckan_portal_tz());
END
$$;

-- package_update. p: {data} (id or name required).
CREATE OR REPLACE FUNCTION ckan_package_update(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    d jsonb := p->'data';
    ref text := coalesce(nullif(ckan_gw_text(d->'id'), ''), ckan_gw_text(d->'name'));
    pk package;
BEGIN
    IF ref IS NULL THEN
        RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422', DETAIL = '{"id": "Missing value"}';
    END IF;
    pk := ckan_pw_target(ref, v, 'Package was not found.');
    PERFORM ckan_pw_check_groups(d, pk.id, v);
    RETURN ckan_pw_update(pk, d, v, site);
END
$$;

-- package_patch. p: {data} (id required): package_show's dict with the given keys over it.
CREATE OR REPLACE FUNCTION ckan_package_patch(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    d jsonb := p->'data';
    pk package := ckan_pw_target(ckan_gw_text(d->'id'), v);
    shown jsonb;
BEGIN
    PERFORM ckan_pw_check_groups(d, pk.id, v);
    shown := ckan_build_doc(pk.id, site, ckan_portal_tz())::jsonb;
    RETURN ckan_pw_update(pk, (shown - 'metadata_modified') || d, v, site);
END
$$;

-- package_delete. p: {id}. state deleted, its group memberships deleted; answers null.
CREATE OR REPLACE FUNCTION ckan_package_delete(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    pk package := ckan_pw_target(p->>'id', v);
BEGIN
    UPDATE package SET state = 'deleted', metadata_modified = now() WHERE id = pk.id;
    UPDATE member SET state = 'deleted'
    WHERE table_id = pk.id AND table_name = 'package' AND state = 'active';
    PERFORM ckan_pw_activity(pk.id, v, 'deleted package', site);
    RETURN 'null';
END
$$;

-- dataset_purge (sysadmins). p: {id}. The dataset, its resources (and their DataStore tables),
-- memberships and relationships go for good; its activities stay.
CREATE OR REPLACE FUNCTION ckan_dataset_purge(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    pk package := ckan_pw_lock(p->>'id');
BEGIN
    IF pk.id IS NULL THEN
        RAISE EXCEPTION 'Dataset was not found' USING ERRCODE = 'OD100';
    END IF;
    PERFORM ckan_authz_check_sysadmin(v);
    PERFORM ckan_pw_purge_resources(ARRAY(SELECT id FROM resource WHERE package_id = pk.id));
    DELETE FROM member WHERE table_id = pk.id AND table_name = 'package';
    DELETE FROM translation WHERE object_id = pk.id;
    DELETE FROM package WHERE id = pk.id;  -- tags, extras, relationships, documents cascade
    RETURN 'null';
END
$$;

-- package_owner_org_update (sysadmins through the API). p: {id, organization_id}; no
-- organization_id: the dataset has none.
CREATE OR REPLACE FUNCTION ckan_package_owner_org_update(p jsonb, site text, v ckan_viewer)
RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    pk package;
    org grp;
BEGIN
    PERFORM ckan_authz_check_sysadmin(v);
    pk := ckan_pw_lock(coalesce(p->>'id', ''));
    IF pk.id IS NULL THEN
        RAISE EXCEPTION 'Package was not found.' USING ERRCODE = 'OD100';
    END IF;
    IF coalesce(p->>'organization_id', '') <> '' THEN
        org := ckan_g_group(p->>'organization_id');
        IF org.id IS NULL OR NOT org.is_organization THEN
            RAISE EXCEPTION 'Organization was not found.' USING ERRCODE = 'OD100';
        END IF;
    END IF;
    UPDATE package SET owner_org = org.id, metadata_modified = now(), source_hash = NULL
    WHERE id = pk.id;
    PERFORM ckan_pw_activity(pk.id, v, 'changed package', site);
    RETURN 'null';
END
$$;

-- bulk_update_private / _public / _delete (those with the update permission in the
-- organization: its admins). p: {org_id, datasets: [ids], update: {private} | {state}}: package_patch of
-- each listed dataset of that organization (CKAN matches ids and the organization's id only).
CREATE OR REPLACE FUNCTION ckan_bulk_update(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    org grp := ckan_g_group(p->>'org_id');
    pid uuid;
BEGIN
    IF NOT ckan_authz_has(v, 'update', org.id) THEN
        RAISE EXCEPTION '' USING ERRCODE = 'OD403';
    END IF;
    FOR pid IN SELECT pk.id FROM package pk
               WHERE pk.id::text IN (SELECT jsonb_array_elements_text(p->'datasets'))
                 AND pk.owner_org::text = p->>'org_id'
               ORDER BY pk.id FOR UPDATE LOOP
        PERFORM ckan_package_patch(jsonb_build_object('data', p->'update'
                                                      || jsonb_build_object('id', pid)), site, v);
    END LOOP;
    RETURN 'null';
END
$$;

-- package_resource_reorder. p: {id, order: [resource ids]}: those first, in that order, the
-- others after them as they were. Answers {id, order}.
CREATE OR REPLACE FUNCTION ckan_package_resource_reorder(p jsonb, site text, v ckan_viewer)
RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    pk package := ckan_pw_lock(p->>'id');
    shown jsonb;
    rest jsonb;
    ordered jsonb := '[]';
    rid text;
    r jsonb;
BEGIN
    IF jsonb_typeof(p->'order') <> 'array' THEN
        RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422',
            DETAIL = '{"order": "Must be a list of resource"}';
    ELSIF (SELECT count(DISTINCT x) <> count(*) FROM jsonb_array_elements(p->'order') x) THEN
        RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422',
            DETAIL = '{"order": "Must supply unique resource_ids"}';
    END IF;
    IF pk.id IS NULL THEN
        RAISE EXCEPTION '' USING ERRCODE = 'OD100';
    ELSIF NOT ckan_can_read(pk.state, pk.private, pk.owner_org, pk.creator_user_id, v) THEN
        RAISE EXCEPTION 'User % not authorized to read package %', ckan_viewer_name(v), pk.id
            USING ERRCODE = 'OD403';
    END IF;
    shown := ckan_build_doc(pk.id, site, ckan_portal_tz())::jsonb;
    rest := shown->'resources';
    FOR rid IN SELECT jsonb_array_elements_text(p->'order') LOOP
        SELECT x INTO r FROM jsonb_array_elements(rest) x WHERE x->>'id' = rid;
        IF r IS NULL THEN
            RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422',
                DETAIL = jsonb_build_object('order',
                    format('resource_id %s can not be found', rid))::text;
        END IF;
        ordered := ordered || jsonb_build_array(r);
        rest := (SELECT coalesce(jsonb_agg(x ORDER BY n), '[]')
                 FROM jsonb_array_elements(rest) WITH ORDINALITY y(x, n) WHERE x->>'id' <> rid);
    END LOOP;
    PERFORM ckan_pw_check_update(pk, v, format('User %s not authorized to edit package %s',
                                               ckan_viewer_name(v), pk.id));
    PERFORM ckan_pw_update(pk, (shown - 'metadata_modified')
                               || jsonb_build_object('resources', ordered || rest), v, site);
    RETURN jsonb_build_object('id', p->>'id', 'order', (
        SELECT coalesce(jsonb_agg(x->'id' ORDER BY n), '[]')
        FROM jsonb_array_elements(ordered || rest) WITH ORDINALITY y(x, n)))::text;
END
$$;

-- ---- resources --------------------------------------------------------------------------------

-- The resource dict as resource_show gives it.
CREATE OR REPLACE FUNCTION ckan_pw_resource_dict(rid text, site text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT ckan_resource_doc(r, ckan_resource_position(r), site) FROM resource r WHERE r.id = rid
$$;

-- Write one resource of a locked dataset from its dict (old NULL: a new one at the end); a
-- refusal shows that resource's errors only (CKAN's resource actions). The one path every
-- resource write takes: a file upload fills url, url_type, size, mimetype and hash in rd
-- first. The dataset's deleted resources are purged, as CKAN's package_update does.
CREATE OR REPLACE FUNCTION ckan_pw_resource_write(pk package, rd jsonb, old resource,
                                                  v ckan_viewer, site text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    pos int := old.position;
    r resource;
BEGIN
    PERFORM ckan_gw_raise(ckan_pw_resource_errors(rd, pk.id));
    IF old.id IS NULL OR old.state = 'deleted' THEN
        SELECT coalesce(max(x.position) + 1, 0) INTO pos FROM resource x
        WHERE x.package_id = pk.id AND x.state = 'active';
    END IF;
    PERFORM ckan_pw_purge_resources(ARRAY(SELECT x.id FROM resource x WHERE x.package_id = pk.id
        AND x.state = 'deleted' AND x.id IS DISTINCT FROM old.id));
    r := ckan_pw_resource_put(ckan_pw_resource_row(pk.id, pos, rd, old, site), old, site);
    UPDATE package SET metadata_modified = now(), source_hash = NULL WHERE id = pk.id;
    PERFORM ckan_pw_activity(pk.id, v, 'changed package', site);
    RETURN ckan_pw_resource_dict(r.id, site);
END
$$;

-- resource_create. p: {data} (package_id required). Answers the new resource.
CREATE OR REPLACE FUNCTION ckan_resource_create(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    d jsonb := p->'data';
    pk package := ckan_pw_lock(ckan_gw_text(d->'package_id'));
BEGIN
    IF pk.id IS NULL THEN
        RAISE EXCEPTION '' USING ERRCODE = 'OD100';
    ELSIF NOT ckan_can_read(pk.state, pk.private, pk.owner_org, pk.creator_user_id, v) THEN
        RAISE EXCEPTION 'User % not authorized to read package %', ckan_viewer_name(v), pk.id
            USING ERRCODE = 'OD403';
    END IF;
    PERFORM ckan_pw_check_update(pk, v, format(
        'User %s not authorized to create resources on dataset %s', ckan_viewer_name(v),
        ckan_gw_text(d->'package_id')));
    IF EXISTS (SELECT 1 FROM resource WHERE id = ckan_gw_text(d->'id')) THEN
        RAISE EXCEPTION 'invalid input' USING ERRCODE = 'OD422',
            DETAIL = '{"id": ["Resource id already exists."]}';
    END IF;
    RETURN ckan_pw_resource_write(pk, d, NULL, v, site);
END
$$;

-- The resource an id names, its dataset locked; refusals as resource_update's (verb: edit)
-- and resource_delete's (delete).
CREATE OR REPLACE FUNCTION ckan_pw_resource_target(rid text, v ckan_viewer, verb text,
                                                   OUT r resource, OUT pk package)
LANGUAGE plpgsql AS $$
BEGIN
    SELECT * INTO r FROM resource WHERE id = rid;
    IF r.id IS NULL THEN
        RAISE EXCEPTION '%', CASE WHEN verb = 'delete' THEN '' ELSE 'Resource was not found.' END
            USING ERRCODE = 'OD100';
    END IF;
    SELECT * INTO pk FROM package WHERE id = r.package_id FOR UPDATE;
    SELECT * INTO r FROM resource WHERE id = rid;  -- as the write before ours left it
    PERFORM ckan_pw_check_update(pk, v, format('User %s not authorized to %s resource %s',
                                               ckan_viewer_name(v), verb, r.id));
END
$$;

-- resource_update. p: {data} (id required): the resource's fields replaced (CKAN clears url,
-- description, resource_type, mimetype, mimetype_inner and the extra keys when omitted).
CREATE OR REPLACE FUNCTION ckan_resource_update(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    d jsonb := p->'data';
    t record;
BEGIN
    SELECT * INTO t FROM ckan_pw_resource_target(ckan_gw_text(d->'id'), v, 'edit');
    RETURN ckan_pw_resource_write(t.pk, d, t.r, v, site);
END
$$;

-- resource_patch. p: {data} (id required): resource_show's dict with the given keys over it.
CREATE OR REPLACE FUNCTION ckan_resource_patch(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    d jsonb := p->'data';
    t record;
BEGIN
    SELECT * INTO t FROM ckan_pw_resource_target(ckan_gw_text(d->'id'), v, 'edit');
    RETURN ckan_pw_resource_write(t.pk, ckan_pw_resource_dict((t.r).id, site)::jsonb || d,
                                  t.r, v, site);
END
$$;

-- resource_delete. p: {id}: state deleted, its DataStore table dropped; answers null.
CREATE OR REPLACE FUNCTION ckan_resource_delete(p jsonb, site text, v ckan_viewer) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    t record;
BEGIN
    SELECT * INTO t FROM ckan_pw_resource_target(p->>'id', v, 'delete');
    PERFORM ds_table_delete((t.r).id) FROM datastore_table WHERE resource_id = (t.r).id;
    UPDATE resource SET state = 'deleted', datastore_active = false, metadata_modified = now()
    WHERE id = (t.r).id AND state <> 'deleted';
    UPDATE package SET metadata_modified = now(), source_hash = NULL WHERE id = (t.pk).id;
    PERFORM ckan_pw_activity((t.pk).id, v, 'changed package', site);
    RETURN 'null';
END
$$;
